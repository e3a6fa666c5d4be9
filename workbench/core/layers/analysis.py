"""Layer analysis like dive's, with honest waste: ``analyze_image(source) -> ImageAnalysis``.

Figures (see dive's ``filetree/efficiency.go`` and ``image/analysis.go``):

* ``size_bytes``: sum of the layers' sizes; a layer's size is the sum of the regular-file sizes
  in its tar (uncompressed content, hardlinks 0), as dive computes it.
* ``efficiency``: dive's score, sum over paths of the smallest size seen divided by the sum of
  all sizes seen (a removal counts 0); 1.0 for an empty image. One deliberate difference:
  removing a directory counts a removal for each file below it (dive sizes a directory
  whiteout as one pseudo-file, which hides that waste).
* ``wasted_bytes`` (honest): bytes in the layers that the final image does not show, i.e. per
  path the cumulative size minus the copy kept (0 if removed). This equals cumulative minus the
  minimum except where a later copy is larger than an earlier one.
* ``wasted_bytes_dive``: dive's figure, the cumulative size of every path seen in two or more
  layers, which counts the kept copy as waste too (dive issue #684).
* ``user_wasted_percent``: honest waste over the bytes of layers 1..n (dive excludes layer 0
  only); a ratio like dive's (0.1 = 10 %). ``inf`` when only layer 0 has bytes yet something
  is wasted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache, partial

from workbench.core.created_by import clean_command
from workbench.core.layers.filetree import FileTree, build_tree
from workbench.core.layers.sources import ImageLayers, Progress, load_image
from workbench.core.layers.stack import History, LayerChanges, PathWaste, path_waste, stack_layers


@dataclass(frozen=True)
class LayerInfo:
    """One layer: dive's size, the instruction that made it, and what it changed."""

    index: int
    digest: str
    size_bytes: int
    command: str
    changes: LayerChanges

    def to_json(self) -> dict:
        c = self.changes
        return {
            "index": self.index,
            "digest": self.digest,
            "size_bytes": self.size_bytes,
            "command": self.command,
            "added": c.added,
            "modified": c.modified,
            "removed": c.removed,
            "added_bytes": c.added_bytes,
            "modified_bytes": c.modified_bytes,
            "removed_bytes": c.removed_bytes,
        }


class ImageAnalysis:
    """Metrics, layers and inefficient paths of one image; ``tree()`` gives file views."""

    def __init__(self, image: ImageLayers, history: History, changes: list[LayerChanges]) -> None:
        self.name = image.name
        commands = layer_commands(image.config, len(image.layers))
        self.layers = tuple(
            LayerInfo(i, image.digests[i], scan.size, commands[i], changes[i])
            for i, scan in enumerate(image.layers)
        )
        waste = path_waste(history)
        self.size_bytes = sum(layer.size_bytes for layer in self.layers)
        cumulative = sum(w.cumulative for w in waste)
        self.efficiency = sum(w.minimum for w in waste) / cumulative if cumulative else 1.0
        self.wasted_bytes = sum(w.wasted for w in waste)
        self.wasted_bytes_dive = sum(w.cumulative for w in waste if w.count >= 2)
        self.user_size_bytes = sum(layer.size_bytes for layer in self.layers[1:])
        if self.user_size_bytes:
            self.user_wasted_percent = self.wasted_bytes / self.user_size_bytes
        else:
            self.user_wasted_percent = float("inf") if self.wasted_bytes else 0.0
        self.inefficient: tuple[PathWaste, ...] = tuple(
            sorted((w for w in waste if w.wasted > 0), key=lambda w: (-w.wasted, w.path))
        )
        self._views = lru_cache(maxsize=4)(partial(build_tree, history))

    def tree(
        self,
        layer: int,
        aggregated: bool = False,
        sort: str = "name",
        pattern: str | None = None,
        changes: Iterable[str] | None = None,
    ) -> FileTree:
        """File tree of ``layer`` (its own changes, or the whole stack up to it when
        ``aggregated``), sorted by "name" or "size", filtered by a path regex and a set of
        change marks (A/M/D/U). The last few views are cached."""
        marks = None if changes is None else frozenset(changes)
        return self._views(layer, aggregated, sort, pattern, marks)

    def to_json(self) -> dict:
        """The ``workbench layers --json`` document (CLI contract)."""
        pct = self.user_wasted_percent
        return {
            "image": {
                "name": self.name,
                "size_bytes": self.size_bytes,
                "efficiency": self.efficiency,
                "wasted_bytes": self.wasted_bytes,
                "wasted_bytes_dive": self.wasted_bytes_dive,
                "user_wasted_percent": pct if pct != float("inf") else None,
            },
            "layers": [layer.to_json() for layer in self.layers],
            "inefficient_files": [
                {"path": w.path, "count": w.count, "wasted_bytes": w.wasted}
                for w in self.inefficient
            ],
        }


def analyze_image(source: str, progress: Progress | None = None) -> ImageAnalysis:
    """Analyse an engine image name, an image archive or an OCI layout directory.

    ``progress(bytes_done, bytes_total_or_None, what)`` is called while the source streams.
    Raises WorkbenchError (one line) for a missing, unreadable or malformed source.
    """
    image = load_image(source, progress)
    history, changes = stack_layers(image.layers)
    return ImageAnalysis(image, history, changes)


def layer_commands(config: dict, count: int) -> list[str]:
    """The instruction of each layer, from the config's non-empty history entries."""
    history = [h for h in config.get("history") or [] if not h.get("empty_layer")]
    commands = [clean_command(h.get("created_by") or h.get("comment") or "") for h in history]
    if len(commands) != count:  # history missing or inconsistent: align what can be aligned
        commands = (commands + [""] * count)[:count]
    return commands
