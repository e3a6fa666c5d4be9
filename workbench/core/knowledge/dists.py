"""Which installed distribution provides an importable module, from the wheels' file lists.

Namespace packages are shared (``azure``, ``azure.mgmt``, ``azure.mgmt.resource`` is split
between azure-mgmt-resource and azure-mgmt-resource-deployments, ...), so a module name is
resolved only when the module itself exists in some distribution's files; a module several
distributions ship is settled by the distribution whose name spells it (azure.mgmt.resource ->
azure-mgmt-resource) or by the only one shipping its ``__init__.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from packaging.utils import canonicalize_name

_SOURCE_SUFFIXES = (".py", ".pyi", ".so", ".pyd")


def _module_of(path: str) -> tuple[str, bool] | None:
    """(dotted module name, is a package __init__) for an importable file, else None."""
    parts = path.split("/")
    head, base = parts[:-1], parts[-1]
    if not base.endswith(_SOURCE_SUFFIXES) or any(
        p.endswith((".dist-info", ".data")) or p in ("..", "bin", "") for p in head
    ):
        return None
    stem = base.split(".", 1)[0]
    if stem == "__init__":
        return ".".join(head), True
    return ".".join([*head, stem]), False


class DistIndex:
    """Module name -> distribution, built from ``dist_files`` (name -> installed paths)."""

    def __init__(self, dist_files: Mapping[str, Iterable[str]]) -> None:
        self._owners: dict[str, set[str]] = {}
        self._inits: dict[str, set[str]] = {}
        self.names = frozenset(canonicalize_name(n) for n in dist_files)
        for dist, paths in dist_files.items():
            dist = canonicalize_name(dist)
            for path in paths:
                found = _module_of(path)
                if found is None:
                    continue
                module, is_init = found
                if is_init:
                    self._inits.setdefault(module, set()).add(dist)
                parts = module.split(".")
                for i in range(1, len(parts) + 1):
                    self._owners.setdefault(".".join(parts[:i]), set()).add(dist)

    def owner(self, module: str) -> str | None:
        """The distribution that provides ``module``, or None (missing or ambiguous)."""
        owners = self._owners.get(module)
        if not owners:
            return None
        if len(owners) == 1:
            return next(iter(owners))
        spelled = canonicalize_name(module.replace(".", "-").replace("_", "-"))
        if spelled in owners:
            return spelled
        inits = self._inits.get(module, set())
        return next(iter(inits)) if len(inits) == 1 else None

    def resolve(self, targets: Iterable[str]) -> tuple[str | None, str]:
        """(distribution, module matched) for the first candidate that exists; (None, first)."""
        targets = tuple(targets)
        for target in targets:
            if target in self._owners:
                return self.owner(target), target
        return None, targets[0]
