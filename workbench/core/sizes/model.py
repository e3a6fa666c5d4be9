"""The size model: every distribution azure-cli may pull in for one target, with its
installed files and its dependency edges evaluated for that target.

Building it is the only step that touches the network (or the cache, or the embedded
snapshot); everything after it (estimates, toggles, trims) is pure and fast.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.parser import HeaderParser
from importlib import resources
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from workbench.core import cache
from workbench.core.errors import IndexUnreachable, WorkbenchError
from workbench.core.sizes.layout import installed_layout, pyc_bytes, pyc_total
from workbench.core.sizes.target import Target

if TYPE_CHECKING:
    from workbench.core.sizes.resolve import ResolvedDist

from workbench.core.defaults import CLI, DEFAULT_AZURE_CLI
from workbench.core.sizes.estimate import Estimate, Estimator

_MODEL_KIND = "size-model-v1"
_FETCH_WORKERS = 24
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Dist:
    """One distribution of the model."""

    name: str
    version: str
    filename: str
    sha256: str
    size: int  # file bytes on the index
    is_wheel: bool
    requires: tuple[str, ...]  # names, markers already evaluated for the target
    extras: dict[str, tuple[str, ...]]  # extra -> names it adds
    entries: dict[str, int]  # wheel members -> bytes
    entry_points: str

    def to_json(self) -> dict:
        """JSON-ready form for the cache and the snapshot."""
        return {
            **self.__dict__,
            "requires": list(self.requires),
            "extras": {k: list(v) for k, v in self.extras.items()},
        }

    @classmethod
    def from_json(cls, data: dict) -> Dist:
        """Inverse of ``to_json``."""
        return cls(
            **{
                **data,
                "requires": tuple(data["requires"]),
                "extras": {k: tuple(v) for k, v in data["extras"].items()},
            }
        )


class SizeModel:
    """Distributions, their installed files and dependency graph, for one target."""

    def __init__(self, azure_cli: str, target: Target, dists: Iterable[Dist], source: str):
        self.azure_cli_version = azure_cli
        self.target = target
        self.source = source  # "snapshot" | "cache" | "index"
        self.note: str | None = None  # e.g. why an older snapshot/cache is used
        self.dists = {d.name: d for d in dists}
        self.files: dict[str, dict[str, int]] = {}
        self.base_bytes: dict[str, int] = {}
        self.pyc_bytes: dict[str, int] = {}
        self._pyc: dict[str, dict[str, int]] = {}
        for dist in self.dists.values():
            files = installed_layout(dist.entries, dist.entry_points).files
            self.files[dist.name] = files
            self.base_bytes[dist.name] = sum(files.values())
            self.pyc_bytes[dist.name] = pyc_total(
                [(p, s) for p, s in files.items() if p.endswith(".py") and not p.startswith("..")],
                target.python,
            )
        self.edges = {d.name: self._edges(d) for d in self.dists.values()}
        self._estimator = None

    def _edges(self, dist: Dist) -> tuple[str, ...]:
        out = []
        for spec in dist.requires:
            name, _, extras = spec.partition("[")
            if name in self.dists:
                out.append(name)
            for extra in filter(None, extras.rstrip("]").split(",")):
                out += [
                    n for n in self.dists.get(name, _EMPTY).extras.get(extra, ()) if n in self.dists
                ]
        return tuple(dict.fromkeys(out))

    def names(self) -> list[str]:
        """Every distribution in the model, sorted."""
        return sorted(self.dists)

    def version_of(self, name: str) -> str:
        """Pinned version of ``name``."""
        return self.dists[canonicalize_name(name)].version

    def files_of(self, name: str) -> dict[str, int]:
        """Installed path (relative to site-packages) -> bytes, without bytecode."""
        return self.files[canonicalize_name(name)]

    def pyc_of(self, name: str) -> dict[str, int]:
        """.py path -> modelled bytes of its .pyc (with its RECORD line); built on first use."""
        name = canonicalize_name(name)
        if name not in self._pyc:
            self._pyc[name] = {
                p: pyc_bytes(p, s, self.target.python)
                for p, s in self.files[name].items()
                if p.endswith(".py") and not p.startswith("..")
            }
        return self._pyc[name]

    def cli_requirements(self) -> list[str]:
        """azure-cli's own direct dependencies (what ``pip install azure-cli`` adds)."""
        return list(self.edges[CLI])

    def closure(self, roots: Iterable[str], without: str | None = None) -> set[str]:
        """Names reachable from ``roots``; ``without`` is cut out of the graph."""
        seen: set[str] = set()
        stack = [r for r in roots if r != without]
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            stack.extend(n for n in self.edges[name] if n != without and n not in seen)
        return seen

    def satisfies(self, requirement: Requirement) -> bool:
        """Whether the model already holds a version of the distribution that fits."""
        dist = self.dists.get(canonicalize_name(requirement.name))
        return dist is not None and requirement.specifier.contains(dist.version, prereleases=True)

    def estimate(self, requested: Iterable[str], **options) -> Estimate:
        """Estimate for ``requested`` (see ``Estimator.estimate``)."""
        if self._estimator is None:
            self._estimator = Estimator(self)
        return self._estimator.estimate(requested, **options)

    def to_json(self) -> dict:
        """JSON-ready form for the cache and the snapshot."""
        return {
            "azure_cli": self.azure_cli_version,
            "target": self.target.to_dict(),
            "dists": [d.to_json() for d in self.dists.values()],
        }


_EMPTY = Dist("", "", "", "", 0, True, (), {}, {}, "")


def _requirements(metadata: str, target: Target) -> tuple[tuple[str, ...], dict]:
    """Requires-Dist of a METADATA text, evaluated for the target: (base, per-extra)."""
    headers = HeaderParser().parsestr(metadata)
    base: list[str] = []
    extras: dict[str, list[str]] = {}
    for raw in headers.get_all("Requires-Dist") or ():
        try:
            req = Requirement(raw)
        except InvalidRequirement:
            continue
        spec = canonicalize_name(req.name) + (
            f"[{','.join(sorted(req.extras))}]" if req.extras else ""
        )
        if req.marker is None or req.marker.evaluate({**target.environment, "extra": ""}):
            base.append(spec)
            continue
        for extra in headers.get_all("Provides-Extra") or ():
            if req.marker.evaluate({**target.environment, "extra": extra}):
                extras.setdefault(canonicalize_name(extra), []).append(spec)
    return tuple(base), {k: tuple(v) for k, v in extras.items()}


def dists_from_index(
    resolved: list[ResolvedDist], target: Target, progress: Progress | None = None
) -> list[Dist]:
    """Read every resolved wheel's central directory and METADATA (cached, concurrent)."""
    from workbench.core.sizes.wheels import wheel_info  # the HTTP stack loads only when needed

    wheels = [r for r in resolved if r.is_wheel]
    done = 0

    def one(item: ResolvedDist) -> Dist:
        info, _ = wheel_info(item.url, item.sha256)
        base, extras = _requirements(info.metadata, target)
        return Dist(
            item.name,
            item.version,
            item.filename,
            item.sha256,
            item.size,
            True,
            base,
            extras,
            info.entries,
            info.entry_points,
        )

    out = []
    with ThreadPoolExecutor(_FETCH_WORKERS) as pool:
        for dist in pool.map(one, wheels):
            out.append(dist)
            done += 1
            if progress:
                progress(done, len(wheels), dist.name)
    out += [
        Dist(r.name, r.version, r.filename, r.sha256, r.size, False, (), {}, {}, "")
        for r in resolved
        if not r.is_wheel
    ]
    return out


def snapshot_name(azure_cli: str, target: Target) -> str:
    return f"sizes-{azure_cli}-{target.key}.json.gz"


def load_snapshot(azure_cli: str, target: Target) -> SizeModel | None:
    """The embedded snapshot for this version and target, if one ships."""
    ref = resources.files("workbench.data") / snapshot_name(azure_cli, target)
    if not ref.is_file():
        return None
    data = json.loads(gzip.decompress(ref.read_bytes()))
    return SizeModel(azure_cli, target, map(Dist.from_json, data["dists"]), "snapshot")


def _cache_key(azure_cli: str, target: Target, extra: Iterable[str]) -> str:
    text = "|".join([azure_cli, target.key, *sorted(extra)])
    return hashlib.sha256(text.encode()).hexdigest()


def _offline_model(azure_cli: str, target: Target, extra: list[str]) -> SizeModel | None:
    """The model without network: the embedded snapshot (no extras), else the disk cache."""
    if not extra:
        snapshot = load_snapshot(azure_cli, target)
        if snapshot is not None:
            return snapshot
    cached = cache.get_json(_MODEL_KIND, _cache_key(azure_cli, target, extra))
    if cached is None:
        return None
    return SizeModel(azure_cli, target, map(Dist.from_json, cached["dists"]), "cache")


def load_size_model(
    target: Target,
    azure_cli: str = DEFAULT_AZURE_CLI,
    *,
    offline: bool = False,
    extra: Iterable[str] = (),
    refresh: bool = False,
    progress: Progress | None = None,
) -> SizeModel:
    """The size model for ``azure-cli==azure_cli`` (plus ``extra`` requirements) on ``target``.

    Order: the embedded snapshot (no extras), then the disk cache, then the index (which
    fills the cache). ``offline`` never touches the network; ``refresh`` always resolves anew
    (wheel data still comes from the sha256-keyed cache) and falls back to the snapshot or
    cache, saying so in ``note``, when the index cannot be reached.
    """
    extra = sorted(set(extra))
    known = _offline_model(azure_cli, target, [])
    if not refresh:
        model = known if not extra else _offline_model(azure_cli, target, extra)
        if model is not None:
            return model
    if offline and known is not None and extra:
        raise WorkbenchError(
            f"{', '.join(extra)}: not in the offline size data for {target.describe()} (it holds "
            f"azure-cli {azure_cli}'s closure); drop --offline to resolve from the index",
            exit_code=1,
        )
    if offline:
        raise WorkbenchError(
            f"no size data for azure-cli {azure_cli} on {target.describe()} without the network; "
            "drop --offline, or use python:3.12-alpine / python:3.11-slim-bookworm (embedded)",
            exit_code=1,
        )
    from workbench.core.sizes.resolve import resolve  # the resolver loads only when needed

    try:
        resolved = resolve([f"{CLI}=={azure_cli}", *extra], target, known.names() if known else [])
        dists = dists_from_index(resolved, target, progress)
    except IndexUnreachable as exc:
        if extra or known is None:
            raise
        known.note = f"{exc}; using the {known.source} instead"
        return known
    model = SizeModel(azure_cli, target, dists, "index")
    cache.put_json(_MODEL_KIND, _cache_key(azure_cli, target, extra), model.to_json())
    return model
