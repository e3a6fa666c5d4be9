"""Estimates over a size model: per package, marginal, cumulative, trims. Pure and fast.

Checklist order: azure-cli first (installed ``--no-deps``), then for azure-cli-core and each
requested package, its not-yet-counted dependencies followed by the package itself, so
``cumulative_bytes`` is the installed size of the union closure after adding that row,
like the blog post's ``du`` after each ``pip install``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from packaging.utils import canonicalize_name

from workbench.core.defaults import CLI, CORE, NO_COMPILE
from workbench.core.sizes.strip import stripped_sizes
from workbench.core.sizes.target import Target

if TYPE_CHECKING:  # the model builds on this module, not the other way round
    from workbench.core.sizes.model import SizeModel


class PathTrim(Protocol):
    """A trim that deletes installed paths; ``key`` identifies it with its context."""

    name: str
    key: Hashable

    def removes(self, path: str) -> bool:
        """Whether the trim deletes this path (relative to site-packages)."""


@dataclass(frozen=True)
class PackageEstimate:
    name: str
    version: str
    bytes: int
    marginal_bytes: int
    cumulative_bytes: int
    requested: bool


@dataclass(frozen=True)
class TrimEstimate:
    name: str
    saves_bytes: int


@dataclass(frozen=True)
class Estimate:
    """What an image's Python packages will weigh for a selection and set of trims."""

    target: Target
    azure_cli_version: str
    total_bytes: int
    packages: tuple[PackageEstimate, ...]
    trims: tuple[TrimEstimate, ...]
    source: str
    no_wheel: tuple[str, ...] = ()  # in the closure but sdist-only: size unknown, needs build deps

    @property
    def untrimmed_bytes(self) -> int:
        """Total before trims."""
        return self.total_bytes + sum(t.saves_bytes for t in self.trims)

    def to_json(self) -> dict:
        """The CLI contract's JSON shape."""
        return {
            "target": self.target.to_dict(),
            "azure_cli": self.azure_cli_version,
            "source": self.source,
            "total_bytes": self.total_bytes,
            "packages": [p.__dict__ for p in self.packages],
            "trims": [t.__dict__ for t in self.trims],
            "no_wheel": list(self.no_wheel),
        }


@dataclass(frozen=True)
class _Cost:
    """One package's bytes under a trim set: kept files, kept .pyc, saves per trim."""

    files: int
    pyc: int
    saves: tuple[tuple[int, int], ...]  # per trim: (file bytes, pyc bytes)

    def total(self, compile: bool) -> int:
        return self.files + (self.pyc if compile else 0)


class Estimator:
    """Caches per-package costs by trim set, so a toggle only recomputes sums."""

    def __init__(self, model: SizeModel) -> None:
        self.model = model
        self._costs: dict[tuple[str, tuple], _Cost] = {}
        self._removed: dict[tuple[str, Hashable], set[str] | None] = {}

    def _removed_set(self, name: str, trim: PathTrim, paths: dict[str, int]) -> set[str] | None:
        """What ``trim`` deletes from distribution ``name`` when it can judge the whole listing
        (``removes_all``; once per trim and distribution: every trim set reuses it); None
        means ask ``removes`` path by path."""
        key = (name, trim.key)
        if key not in self._removed:
            judge = getattr(trim, "removes_all", None)
            self._removed[key] = judge(paths.keys()) if judge else None
        return self._removed[key]

    def _cost(self, name: str, trims: Sequence[PathTrim]) -> _Cost:
        key = (name, tuple(t.key for t in trims))
        cost = self._costs.get(key)
        if cost is None:
            cost = self._costs[key] = self._compute(name, trims)
        return cost

    def _compute(self, name: str, trims: Sequence[PathTrim]) -> _Cost:
        if not trims:
            return _Cost(self.model.base_bytes[name], self.model.pyc_bytes[name], ())
        files, pyc = self.model.files_of(name), self.model.pyc_of(name)
        saves = [[0, 0] for _ in trims]
        kept_files = kept_pyc = 0
        removed = [self._removed_set(name, t, files) for t in trims]
        effects = [getattr(t, "effect", "delete") for t in trims]
        stripped = stripped_sizes(self.model, name) if "strip" in effects else {}

        def hits(i: int, path: str) -> bool:
            paths = removed[i]
            return path in paths if paths is not None else trims[i].removes(path)

        deleted: dict[str, int] = {}  # path -> the trim that deletes it
        for path, size in files.items():
            hit = next((i for i in range(len(trims)) if hits(i, path)), None)
            effect = effects[hit] if hit is not None else None
            if effect == "strip" and path not in stripped:
                effect = hit = None  # not an ELF file: strip leaves it alone
            if hit is None:
                kept_files += size
                kept_pyc += pyc.get(path, 0)
            elif effect in ("delete", "unimport"):
                deleted[path] = hit
                saves[hit][0] += size
                saves[hit][1] += pyc.get(path, 0)
            else:  # shrunk in place: stripped, or only its bytecode kept
                saved = size - stripped[path] if effect == "strip" else size
                saves[hit][0] += saved
                kept_files += size - saved
                kept_pyc += pyc.get(path, 0)
        for path, hit in deleted.items():
            head, _, name = path.rpartition("/")
            init = f"{head}/__init__.py"
            # an unimported file's star-import line leaves its package's __init__.py
            if (
                effects[hit] == "unimport"
                and name.endswith(".py")
                and init in files.keys() - deleted
            ):
                line = len(f"from .{name[:-3]} import *\n")
                saves[hit][0] += line
                kept_files -= line
        return _Cost(
            kept_files,
            kept_pyc,
            tuple((files_saved, pyc_saved) for files_saved, pyc_saved in saves),
        )

    def estimate(
        self,
        requested: Iterable[str],
        *,
        compile: bool = True,
        trims: Sequence[PathTrim] = (),
    ) -> Estimate:
        """Estimate for ``azure-cli --no-deps`` + azure-cli-core + ``requested``."""
        model = self.model
        wanted = list(dict.fromkeys(canonicalize_name(n) for n in requested))
        roots = [CORE, *(n for n in wanted if n not in (CLI, CORE))]
        order = _checklist_order(model, roots)
        costs = {n: self._cost(n, trims) for n in order}
        size = {n: c.total(compile) for n, c in costs.items()}
        total = sum(size.values())
        marginal = _dominated_bytes(model, roots, size)
        marginal[CLI] = size[CLI]  # installed --no-deps: nothing hangs on it
        rows, running = [], 0
        for name in order:
            running += size[name]
            rows.append(
                PackageEstimate(
                    name,
                    model.version_of(name),
                    size[name],
                    marginal[name],
                    running,
                    name in wanted,
                )
            )
        trim_rows = [
            TrimEstimate(
                t.name,
                sum(c.saves[i][0] + (c.saves[i][1] if compile else 0) for c in costs.values()),
            )
            for i, t in enumerate(trims)
        ]
        if not compile:
            trim_rows.append(TrimEstimate(NO_COMPILE, sum(c.pyc for c in costs.values())))
        return Estimate(
            model.target,
            model.azure_cli_version,
            total,
            tuple(rows),
            tuple(trim_rows),
            model.source,
            tuple(n for n in order if not model.dists[n].is_wheel),
        )


def _checklist_order(model: SizeModel, roots: list[str]) -> list[str]:
    """azure-cli, then each root's unseen dependencies (post-order), then the root."""
    order, seen = [CLI], {CLI}

    def visit(name: str) -> None:
        stack = [(name, iter(model.edges[name]))]
        seen.add(name)
        while stack:
            node, children = stack[-1]
            child = next((c for c in children if c not in seen), None)
            if child is None:
                stack.pop()
                order.append(node)
            else:
                seen.add(child)
                stack.append((child, iter(model.edges[child])))

    for root in roots:
        if root not in seen:
            visit(root)
    return order


def _dominated_bytes(model: SizeModel, roots: list[str], size: dict[str, int]) -> dict[str, int]:
    """What removing each package alone saves: the bytes of the packages it dominates.

    With a virtual root above the requested roots, removing p drops exactly the packages
    every path to which passes through p (its dominator subtree). Dominator sets are bitsets
    (ints) computed by the iterative data-flow algorithm in reverse post-order.
    """
    nodes = [n for n in size if n != CLI]
    index = {n: i for i, n in enumerate(nodes)}
    preds: dict[str, list[int]] = {n: [] for n in nodes}
    for n in nodes:
        for child in model.edges[n]:
            if child in index:
                preds[child].append(index[n])
    root_set = set(roots)
    everyone = (1 << len(nodes)) - 1
    dom = {n: (1 << index[n]) if n in root_set and not preds[n] else everyone for n in nodes}
    changed = True
    while changed:
        changed = False
        for n in nodes:
            meet = 0 if n in root_set else everyone
            for p in preds[n]:
                meet &= dom[nodes[p]]
            new = meet | (1 << index[n])
            if new != dom[n]:
                dom[n], changed = new, True
    saved = dict.fromkeys(nodes, 0)
    for n in nodes:
        bits = dom[n]
        while bits:
            low = bits & -bits
            saved[nodes[low.bit_length() - 1]] += size[n]
            bits ^= low
    return saved
