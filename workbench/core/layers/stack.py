"""Stack scanned layers bottom-up: per-path history, per-layer changes, waste per path.

Memory is one event per (path, layer that touches it) plus one live map; no per-layer copies
of the tree are kept (dive keeps 2N stacked trees). Deleting a directory (whiteout or opaque
directory) records a removal for every path below it, so removed files are counted one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.layers.layer_scan import Entry, LayerScan

Event = tuple[int, Entry | None]  # (layer index, entry; None = removed in that layer)


@dataclass
class LayerChanges:
    """Non-directory paths a layer adds, modifies (content changed), removes or re-adds as is."""

    added: int = 0
    modified: int = 0
    removed: int = 0
    unchanged: int = 0
    added_bytes: int = 0
    modified_bytes: int = 0
    removed_bytes: int = 0


@dataclass(frozen=True)
class PathWaste:
    """dive's per-path figures plus the honest waste (bytes not visible in the final image)."""

    path: str
    count: int  # layers in which the path appears or is removed
    cumulative: int  # sum of its sizes over those layers (a removal counts 0)
    minimum: int  # smallest of those sizes (dive's "minDiscoveredSize")
    wasted: int  # cumulative - size of the copy kept in the final image


class History:
    """Every path's events in layer order, and the paths each layer touches."""

    def __init__(self) -> None:
        self.events: dict[str, list[Event]] = {}
        self.layer_paths: list[list[str]] = []

    def state_at(self, path: str, layer: int) -> Entry | None:
        """The entry visible at ``path`` after stacking layers 0..layer (None if absent)."""
        for index, entry in reversed(self.events.get(path, ())):
            if index <= layer:
                return entry
        return None

    def event_in(self, path: str, layer: int) -> Event | None:
        """The event of ``layer`` itself at ``path``, if that layer touches it."""
        for event in reversed(self.events.get(path, ())):
            if event[0] == layer:
                return event
            if event[0] < layer:
                break
        return None


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def stack_layers(layers: list[LayerScan]) -> tuple[History, list[LayerChanges]]:
    """Apply the layers in order; return the history and each layer's changes."""
    history = History()
    events = history.events
    live: dict[str, Entry] = {}
    children: dict[str, set[str]] = {}
    all_changes = []

    def subtree(path: str, into: dict[str, Entry]) -> None:
        stack = [path]
        while stack:
            current = stack.pop()
            if current in live:
                into[current] = live[current]
            stack.extend(children.get(current, ()))

    for index, scan in enumerate(layers):
        changes = LayerChanges()
        touched: list[str] = []
        removed: dict[str, Entry] = {}
        for path in scan.whiteouts:
            subtree(path, removed)
        for directory in scan.opaque:
            for child in children.get(directory, ()):
                subtree(child, removed)
        for path, entry in scan.entries.items():
            old = removed.pop(path, None) or live.get(path)
            if entry.kind != "dir":
                if old is None or old.kind == "dir":
                    changes.added += 1
                    changes.added_bytes += entry.size
                elif entry.same_content(old):
                    changes.unchanged += 1
                else:
                    changes.modified += 1
                    changes.modified_bytes += entry.size
            if path not in live:
                children.setdefault(_parent(path), set()).add(path)
            live[path] = entry
            events.setdefault(path, []).append((index, entry))
            touched.append(path)
        for path, old in removed.items():
            del live[path]
            children.get(_parent(path), set()).discard(path)
            events[path].append((index, None))
            touched.append(path)
            if old.kind != "dir":
                changes.removed += 1
                changes.removed_bytes += old.size
        for path in removed:
            if not children.get(path):
                children.pop(path, None)
        history.layer_paths.append(touched)
        all_changes.append(changes)
    return history, all_changes


def path_waste(history: History) -> list[PathWaste]:
    """dive's efficiency inputs for every non-directory path (removals count as size 0)."""
    result = []
    for path, events in history.events.items():
        sizes = []
        last: Entry | None = None
        for _, entry in events:
            if entry is None:
                if last is not None and last.kind != "dir":
                    sizes.append(0)
            elif entry.kind != "dir":
                sizes.append(entry.size)
            last = entry
        if not sizes:
            continue
        final = last.size if last is not None and last.kind != "dir" else 0
        cumulative = sum(sizes)
        result.append(PathWaste(path, len(sizes), cumulative, min(sizes), cumulative - final))
    return result
