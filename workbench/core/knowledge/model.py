"""The Azure CLI knowledge base of one azure-cli version, loaded from its JSON data.

``load_knowledge("2.91.0")`` reads the copy shipped in ``workbench/data`` (offline, fast); other
versions are built from their wheels (``knowledge.build``) once and cached under the user cache
directory (``WORKBENCH_CACHE_DIR`` overrides it).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core import cache
from workbench.core.defaults import DEFAULT_AZURE_CLI as EMBEDDED_VERSION
from workbench.core.errors import WorkbenchError
from workbench.core.files import write_atomic

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
_WORD_RE = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class BaselineDist:
    """A distribution every working ``az`` needs, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Use:
    """Why a module needs a distribution or another module: count and file:line samples."""

    name: str
    count: int
    module_level: bool
    at: tuple[str, ...]


def _uses(table: dict[str, dict[str, Any]]) -> dict[str, Use]:
    return {
        name: Use(name, e["count"], e["module_level"], tuple(e["at"])) for name, e in table.items()
    }


class Knowledge:
    """Command paths, modules, SDK distributions and API profile of one azure-cli version."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = data["version"]
        self.index: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in data["index"].items()}
        self._commands = frozenset(data["commands"])
        self._groups = frozenset(data["groups"])
        self._open = frozenset(data["open_groups"])
        self._modules: dict[str, dict[str, Any]] = data["modules"]
        self.baseline: tuple[BaselineDist, ...] = tuple(
            BaselineDist(b["name"], b["reason"]) for b in data["baseline"]
        )
        self.api_profile: dict[str, Any] = data["api_profile"]
        self.data = data

    # command paths -------------------------------------------------------------------------
    def is_command(self, path: Sequence[str]) -> bool:
        return " ".join(path) in self._commands

    def command_path(self, words: Iterable[str]) -> tuple[str, ...] | None:
        """The longest known command path that ``words`` start with; None if the top word is
        not a command of this version (see ``explain_unknown``)."""
        words = tuple(words)
        if not words or words[0] not in self.index:
            return None
        path = [words[0]]
        for word in words[1:]:
            joined = " ".join(path)
            if f"{joined} {word}" in self._commands or f"{joined} {word}" in self._groups:
                path.append(word)
            elif joined in self._open and joined not in self._commands:
                path.append(word)  # a group whose commands get computed names
                break
            else:
                break
        return tuple(path)

    def explain_unknown(self, words: Sequence[str]) -> str | None:
        """Why ``words`` is not (fully) a command of this version, or None if it is one."""
        path = self.command_path(words)
        shown = " ".join(words)
        if path is None:
            if not words:
                return None
            if not _WORD_RE.match(words[0]):
                return f"`az {shown}` is not an az command"
            return (
                f"`az {words[0]}` is not a command of azure-cli {self.version}; "
                "it may come from an extension (extensions are not analysed)"
            )
        if self.is_command(path) or len(path) == len(words):
            return None
        rest = words[len(path)]
        if not _WORD_RE.match(rest):
            return None  # a positional argument after a group, e.g. a value
        return (
            f"`az {' '.join(path)} {rest}` is not a command of azure-cli {self.version} "
            f"(`az {' '.join(path)}` is a group); it may come from an extension"
        )

    def may_be_extension(self, words: Sequence[str]) -> bool:
        """True when ``words`` is not fully known and looks like a command name."""
        explanation = self.explain_unknown(words)
        return explanation is not None and "extension" in explanation

    # modules -------------------------------------------------------------------------------
    @property
    def modules(self) -> tuple[str, ...]:
        """Every command module of this azure-cli version."""
        return tuple(self._modules)

    def modules_for(self, path: Sequence[str]) -> tuple[str, ...]:
        """Command modules azure-cli loads for ``path`` (the index entry of its top word)."""
        return self.index.get(path[0], ()) if path else ()

    def sdk_uses(self, module: str) -> dict[str, Use]:
        return _uses(self._modules.get(module, {}).get("sdk", {}))

    def sdk_dists(self, module: str) -> tuple[str, ...]:
        """Distributions ``module`` references (SDKs and libraries beyond azure-cli-core's)."""
        return tuple(self._modules.get(module, {}).get("sdk", {}))

    def import_uses(self, module: str) -> dict[str, Use]:
        return _uses(self._modules.get(module, {}).get("imports", {}))

    def module_imports(self, module: str) -> tuple[str, ...]:
        """Other command modules ``module`` imports code from."""
        return tuple(self._modules.get(module, {}).get("imports", {}))

    def module_closure(self, modules: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """``modules`` plus every module they import, transitively; each mapped to the chain
        of modules that led to it (empty for the ones asked for)."""
        chains: dict[str, tuple[str, ...]] = {}
        queue = [(m, ()) for m in modules]
        while queue:
            module, chain = queue.pop(0)
            if module in chains:
                continue
            chains[module] = chain
            queue.extend((dep, (*chain, module)) for dep in self.module_imports(module))
        return chains


# loading ------------------------------------------------------------------------------------
def cache_dir() -> Path:
    """Directory for built knowledge of other versions."""
    return cache.cache_dir() / "knowledge"


def data_file_name(version: str) -> str:
    return f"knowledge-{version}.json.gz"


def read_data(path: Path) -> dict[str, Any]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def write_data(data: dict[str, Any], path: Path) -> None:
    """Write compact gzipped JSON atomically (``files.write_atomic``)."""
    payload = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    write_atomic(path, gzip.compress(payload, mtime=0), mode=0o644)


def load_knowledge(version: str = EMBEDDED_VERSION, *, sources=None) -> Knowledge:
    """Knowledge of azure-cli ``version``: shipped, cached, or built now from its wheels.

    ``sources`` (a ``knowledge.sources.KnowledgeSources``) supplies wheels and file lists for a
    build; by default the size engine's resolver, wheel cache and file lists.
    """
    if not _VERSION_RE.match(version):
        raise WorkbenchError(f"'{version}' is not an azure-cli version (expected e.g. 2.91.0)")
    if sources is None and version in _LOADED:
        return _LOADED[version]
    knowledge = _load(version, sources)
    if sources is None:
        _LOADED[version] = knowledge
    return knowledge


_LOADED: dict[str, Knowledge] = {}  # per version, for the process: load_knowledge reads once


def _load(version: str, sources) -> Knowledge:
    for path in (DATA_DIR / data_file_name(version), cache_dir() / data_file_name(version)):
        if path.exists():
            try:
                return Knowledge(read_data(path))
            except (OSError, ValueError, KeyError) as exc:
                if path.parent == DATA_DIR:
                    raise WorkbenchError(f"shipped knowledge {path} is damaged: {exc}") from exc
                path.unlink(missing_ok=True)  # a damaged cache entry: rebuild it
    from workbench.core.knowledge.build import build_knowledge
    from workbench.core.knowledge.sources import SizeEngineSources

    sources = sources or SizeEngineSources()
    cli_wheel, core_wheel = sources.wheels(version)
    data = build_knowledge(
        cli_wheel, core_wheel, sources.dist_files(version), sources.member_reader(version)
    )
    write_data(data, cache_dir() / data_file_name(version))
    return Knowledge(data)
