"""What azure-cli loads and runs for a set of command paths, from the static unit graph.

``plan_load(knowledge, paths)`` walks the per-file units of the knowledge base
(``knowledge.units``):

- roots: for each module the command index loads for a used top word, its load-time files
  (``__init__.py``, ``commands.py``, ``_params.py``) run whole, except callbacks registered
  in ``command_group``/``argument_context`` blocks whose literal scope no used path is in
  (a validator of ``vmss create`` never runs for ``az disk list``); the handler names a used
  command registers (``'list_managed_disks'``) run too;
- a reached file runs its module-level code: its module-level imports are followed, and the
  packages it imports there are needed at import time;
- a running unit needs every SDK it references (imports, ``ResourceType``, templates) and runs
  what it imports and mentions (top-level functions of its file, imported names).

Anything the scan cannot attribute counts as running (conservative). The result: modules to
keep, distributions with reasons, and the AAZ group folders each module needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workbench.core.knowledge.model import Knowledge
from workbench.core.knowledge.units import LOAD_TIME_FILES, PACKAGE

_AAZ = ".aaz.latest"


@dataclass
class LoadPlan:
    """What the used commands need from azure-cli.

    ``modules``: module -> the module whose code first brought it in (None: the command index
    loads it). ``dists``: distribution -> [(module whose code needs it, evidence)].
    ``aaz_names``: module -> group path -> what code imports from the group's own files
    (class names, "_create" for a file imported by name, "*" for a star import).
    ``aaz_groups``: module -> group paths under ``aaz/latest`` ("disk": the whole group;
    "vmss/": only the group's own files) and the used command paths ("disk list": the
    narrowest group the command runs in); see ``trims.rules.rule_prune_aaz``. ``files``: the
    files reached (relative to ``command_modules``: "vm/_params.py").
    """

    modules: dict[str, str | None] = field(default_factory=dict)
    dists: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    aaz_groups: dict[str, set[str]] = field(default_factory=dict)
    aaz_names: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)

    def module_files(self) -> dict[str, frozenset[str]]:
        """Per kept module, the reached files relative to the module's folder."""
        out: dict[str, set[str]] = {m: set() for m in self.modules}
        for path in self.files:
            module, _, rest = path.partition("/")
            out.setdefault(module, set()).add(rest)
        return {m: frozenset(f) for m, f in sorted(out.items())}

    def need_module(self, module: str, importer: str | None) -> None:
        if module != importer:
            self.modules.setdefault(module, importer)

    def need_dist(self, dist: str, module: str, evidence: str) -> None:
        uses = self.dists.setdefault(dist, [])
        if len(uses) < 3 and (module, evidence) not in uses:
            uses.append((module, evidence))


def _split_alias(entry: str) -> tuple[str, str]:
    name, _, alias = entry.partition(" as ")
    return name, alias or name


class _Walker:
    def __init__(self, knowledge: Knowledge, paths: Iterable[tuple[str, ...]]) -> None:
        self.files: dict[str, dict[str, Any]] = knowledge.data["files"]
        self.used = list(dict.fromkeys(tuple(p) for p in paths if p))
        self._used_set = set(self.used)
        self._used_prefixes = {p[:n] for p in self.used for n in range(len(p) + 1)}
        self.plan = LoadPlan()
        self.reached: set[str] = self.plan.files
        self.active: set[tuple[str, str]] = set()
        self.loaders: set[str] = set()
        self.source_module: str | None = None
        self.defs: dict[str, list[str]] = {}
        for path, units in self.files.items():
            for name in units:
                if name:
                    self.defs.setdefault(name, []).append(path)

    # resolution ----------------------------------------------------------------------------
    def file_of(self, dotted: str) -> str | None:
        if not dotted.startswith(PACKAGE + "."):
            return None
        rel = dotted[len(PACKAGE) + 1 :].replace(".", "/")
        for candidate in (f"{rel}.py", f"{rel}/__init__.py"):
            if candidate in self.files:
                return candidate
        return None

    def _aaz(self, dotted: str, names: list[str], why: str) -> bool:
        """Record an import of a module's own AAZ code; True if ``dotted`` is AAZ code."""
        if not dotted.startswith(PACKAGE + ".") or _AAZ not in dotted:
            return False
        module, _, rest = dotted[len(PACKAGE) + 1 :].partition(_AAZ)
        if "." in module:
            return False  # AAZ code below a sub-package (monitor/_legacy): prune-aaz skips it
        words = rest.strip(".").split(".") if rest.strip(".") else []
        file = None
        while words and words[-1].startswith("_"):
            file = words.pop()  # a file of the group (from .aaz.latest.x._create import ...)
        group = "/".join(words)
        kept = self.plan.aaz_groups.setdefault(module, set())
        imported = self.plan.aaz_names.setdefault(module, {})
        for entry in names or ["*"]:
            name = _split_alias(entry)[0]
            if name[:1].islower() and not name.startswith("_"):
                kept.add(f"{group}/{name}".strip("/"))  # a sub-group package: all of it
            else:
                kept.add(f"{group}/" if group else "")  # classes: the group's own files
                imported.setdefault(group, set()).add(file or name)
        self.plan.need_module(module, self.source_module)
        return True

    # walking -------------------------------------------------------------------------------
    def reach(self, path: str, why: str) -> None:
        if path in self.reached:
            return
        self.reached.add(path)
        module = path.split("/", 1)[0]
        self.plan.need_module(module, self.source_module)
        outer, self.source_module = self.source_module, module
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            init = "/".join(parts[:i]) + "/__init__.py"
            if init != path and init in self.files:
                self.reach(init, f"package of {path}")
        self.run(path, "", f"{path} is imported ({why})")
        for unit in self.files[path].values():
            for dotted, names, local in unit["imports"]:
                if not local:
                    self.follow(dotted, names, f"imported by {path}", run_names=False)
            for dist, local, kind, at in unit.get("sdk", ()):
                if not local and kind == "import":
                    self.plan.need_dist(dist, module, f"{at}, import time")
        self.source_module = outer

    def follow(self, dotted: str, names: list[str], why: str, run_names: bool) -> None:
        if self._aaz(dotted, names, why):
            return
        target = self.file_of(dotted)
        if target:
            self.reach(target, why)
        for entry in names:
            name, _ = _split_alias(entry)
            sub = self.file_of(f"{dotted}.{name}")
            if sub:
                self.reach(sub, why)
                if run_names:
                    for unit in self.files[sub]:
                        self.run(sub, unit, why)
            elif target and run_names and name != "*":
                self.run_name(target, name, why, set())

    def run_name(
        self, path: str, name: str, why: str, seen: set[str], scope: str | None = None
    ) -> None:
        """Run ``name`` as seen from ``path``: its def there, or what the file imports as it
        (at module level, or inside the unit ``scope`` that mentions the name)."""
        if path in seen:
            return
        seen.add(path)
        units = self.files[path]
        if name in units:
            self.run(path, name, why)
            return
        for unit_name, unit in units.items():
            for dotted, names, local in unit["imports"]:
                if local and unit_name != scope:
                    continue
                for entry in names:
                    original, alias = _split_alias(entry)
                    if alias == name or entry == "*":
                        if self._aaz(dotted, [entry], why):
                            continue
                        target = self.file_of(dotted)
                        sub = self.file_of(f"{dotted}.{original}")
                        if sub:
                            self.reach(sub, why)
                        elif target:
                            self.run_name(target, original, why, seen)

    def run(self, path: str, unit: str, why: str) -> None:
        if (path, unit) in self.active:
            return
        self.active.add((path, unit))
        self.reach(path, why)
        module = path.split("/", 1)[0]
        outer, self.source_module = self.source_module, module
        entry = self.files[path][unit]
        label = f"{path}:{unit or '<module>'}"
        for dist, _local, _kind, at in entry.get("sdk", ()):
            self.plan.need_dist(dist, module, f"{at}, runs ({why})")
        attributed = "blocks" in entry and self._loader_file(path)
        for dotted, names, local in entry["imports"]:
            # A function's own imports are there to be used; module-level ones and those in
            # attributed load-time blocks only load their files (names run when mentioned).
            run_names = local and not attributed
            self.follow(dotted, names, f"run by {label}", run_names=run_names)
        for name in self.names_run(path, entry, unit):
            self.run_name(path, name, f"run by {label}", set(), scope=unit)
        if path.split("/", 1)[0] in self.loaders and "blocks" in entry:
            for handler in self.handlers(entry):
                for target in self.defs.get(handler, ()):
                    if target.split("/", 1)[0] == module:
                        self.run(target, handler, f"handler of a used command in {path}")
        self.source_module = outer

    # load-time blocks ----------------------------------------------------------------------
    def _in_scope(self, scope: str) -> bool:
        return tuple(scope.split()) in self._used_prefixes

    def _used(self, command: str) -> bool:
        """A registered command a used path is (or, for a path cut short, lies under)."""
        words = tuple(command.split())
        return any(words[:n] in self._used_set for n in range(1, len(words) + 1))

    def names_run(self, path: str, entry: dict[str, Any], unit: str) -> set[str]:
        if "blocks" not in entry or path.split("/", 1)[0] not in self.loaders:
            if unit or self._loader_file(path):
                return set(entry["names"])
            return set(entry.get("calls", ()))  # module-level code only runs what it calls
        names = set(entry.get("calls", ())) | set(entry["free_names"])
        for block in entry["blocks"]:
            if self._in_scope(block["scope"]):
                names |= set(block["names"])
            for command, uses in block["commands"].items():
                if self._used(command):
                    names |= set(uses["names"])
        return names

    def _loader_file(self, path: str) -> bool:
        module, _, rest = path.partition("/")
        return module in self.loaders and rest in LOAD_TIME_FILES

    def handlers(self, entry: dict[str, Any]) -> set[str]:
        out: set[str] = set()
        for block in entry["blocks"]:
            for command, uses in block["commands"].items():
                if self._used(command):
                    out |= set(uses["strings"])
        return out

    def load(self, module: str) -> None:
        """A module the command index loads: its load-time files run."""
        self.loaders.add(module)
        self.plan.modules[module] = None
        self.source_module = module
        for name in LOAD_TIME_FILES:
            path = f"{module}/{name}"
            if path in self.files:
                for unit in self.files[path]:
                    self.run(path, unit, f"load-time code of module {module}")


def plan_load(knowledge: Knowledge, paths: Iterable[tuple[str, ...]]) -> LoadPlan:
    """The load plan for command ``paths`` (word tuples, "" for a bare ``az``)."""
    walker = _Walker(knowledge, paths)
    loaded = [m for p in walker.used for m in knowledge.modules_for(p)]
    walker.loaders |= set(loaded)
    for module in dict.fromkeys(loaded):
        walker.load(module)
    for path in walker.used:
        group = path[0].replace("-", "_")
        for module in knowledge.modules_for(path):
            # the command path itself: prune-aaz keeps the narrowest group it runs in
            walker.plan.aaz_groups.setdefault(module, set()).add(" ".join(path))
            prefix = f"{module}/aaz/latest/{group}/"
            for file in [f for f in walker.files if f.startswith(prefix)]:
                walker.source_module = module
                walker.reach(file, f"AAZ code of `az {' '.join(path)}`")
    return walker.plan
