"""Trim registry: what each trim removes, its estimated saving, and the in-build trim script.

Each trim has a pure rule over installed paths (relative to site-packages) in
``workbench.core.trims.rules``. The size engine uses ``Trim.removes`` / ``trim_savings`` to
estimate savings before building; ``trim_script`` generates the one small Python script the
Dockerfile runs inside the build, embedding the same rule source, and ``trim_plan`` the JSON
beside it (the trims to run and the ``TrimContext``). No hand-written ``rm`` lists anywhere.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from workbench.core.errors import WorkbenchError
from workbench.core.trims import rules as trimrules


@dataclass(frozen=True)
class TrimContext:
    """What the analysis says must stay; the knowledge base fills it.

    ``modules``: command modules to keep (index co-modules and cross-module imports included).
    ``api_versions``: SDK import prefix ("azure.mgmt.compute") -> API versions to keep
    ("2024-11-01"), from the latest profile. ``aaz_groups``: module -> group paths under
    ``aaz/latest`` to keep ("disk", "vm/image"); modules not listed keep all their AAZ code.
    ``module_files``: module -> the files (relative to the module folder) the load plan of the
    used commands reaches; modules not listed keep every file. ``aaz_names``: module -> AAZ
    group path -> the class names (or "_file" stems, "*") code imports from the group.
    ``hidden``: when ``modules`` is unknown because spots may hide az calls, those spots
    ("file:line: reason") and ``known`` the modules of the calls that were resolved: a
    ``[keep]`` list of modules then stands for the hidden calls (see ``merged``).
    """

    modules: frozenset[str] | None = None
    api_versions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    aaz_groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    module_files: Mapping[str, frozenset[str]] = field(default_factory=dict)
    aaz_names: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()
    known: frozenset[str] = frozenset()

    def to_json(self) -> dict:
        """Plain, sorted JSON form (what the rules and the in-build script read)."""
        return {
            "modules": None if self.modules is None else sorted(self.modules),
            "api_versions": {k: sorted(v) for k, v in sorted(self.api_versions.items())},
            "aaz_groups": {k: sorted(v) for k, v in sorted(self.aaz_groups.items())},
            "module_files": {k: sorted(v) for k, v in sorted(self.module_files.items())},
            "aaz_names": {
                m: {g: sorted(n) for g, n in sorted(groups.items())}
                for m, groups in sorted(self.aaz_names.items())
            },
        }

    @classmethod
    def from_json(cls, data: Mapping) -> TrimContext:
        """Inverse of ``to_json``; WorkbenchError (one line) for data of another shape."""
        if not isinstance(data, Mapping):
            raise WorkbenchError("a trim context is a JSON object")
        modules = data.get("modules")
        if not (modules is None or _strings(modules)):
            raise WorkbenchError("trim context: modules must be a list of names")
        for key in ("api_versions", "aaz_groups"):
            table = data.get(key, {})
            if not isinstance(table, Mapping) or not all(_strings(v) for v in table.values()):
                raise WorkbenchError(f"trim context: {key} must map names to lists of names")
        return cls(
            modules=None if modules is None else frozenset(modules),
            api_versions={k: frozenset(v) for k, v in data.get("api_versions", {}).items()},
            aaz_groups={k: frozenset(v) for k, v in data.get("aaz_groups", {}).items()},
            module_files={k: frozenset(v) for k, v in data.get("module_files", {}).items()},
            aaz_names={
                m: {g: frozenset(n) for g, n in groups.items()}
                for m, groups in data.get("aaz_names", {}).items()
            },
        )

    def merged(self, other: TrimContext) -> TrimContext:
        """Union of two contexts (e.g. the analysis plus the recipe's ``[keep]`` table)."""
        modules = None
        if self.modules is not None or other.modules is not None:
            modules = (self.modules or frozenset()) | (other.modules or frozenset())
            modules |= self.known | other.known

        def union(a: Mapping, b: Mapping) -> dict:
            return {k: frozenset(a.get(k, ())) | frozenset(b.get(k, ())) for k in {*a, *b}}

        # a module one side keeps whole (not in its module_files) stays whole
        files = {
            k: frozenset(self.module_files[k]) | frozenset(other.module_files[k])
            for k in self.module_files.keys() & other.module_files.keys()
        }
        for side, rest in ((self, other), (other, self)):
            for k, v in side.module_files.items():
                if k not in rest.module_files and not (rest.modules and k in rest.modules):
                    files.setdefault(k, frozenset(v))
        names = {
            m: union(self.aaz_names.get(m, {}), other.aaz_names.get(m, {}))
            for m in {*self.aaz_names, *other.aaz_names}
        }
        return TrimContext(
            modules,
            union(self.api_versions, other.api_versions),
            union(self.aaz_groups, other.aaz_groups),
            files,
            names,
            hidden=() if modules is not None else self.hidden + other.hidden,
            known=self.known | other.known,
        )


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


Rule = Callable[..., set[str]]


@dataclass(frozen=True)
class Trim:
    """One trim: its rule, why it is safe (Dockerfile comment), and what it needs."""

    name: str
    why: str
    rule: Rule
    needs: str | None = None  # the TrimContext field that must be known
    pip_flags: tuple[str, ...] = ()
    venv_only: bool = False
    effect: str = "delete"  # what befalls the rule's paths: delete|unimport|strip|sourceless
    instead_of: str | None = None  # an alternative to that trim: never both, not in "all"

    def removes(
        self,
        paths: Collection[str],
        context: TrimContext,
        read: Callable[[str], str | None] | None = None,
    ) -> set[str]:
        """The subset of ``paths`` this trim deletes (``read`` gives file text, optional)."""
        self.check_context(context)
        return self.rule(paths, context.to_json(), read)

    def matches(self, path: str, context: TrimContext) -> bool:
        """Per-path predicate (exact for every trim but the single-API check of
        trim-api-versions, which needs the whole set: use ``removes`` there)."""
        return bool(self.removes([path], context))

    def check_context(self, context: TrimContext) -> None:
        """WorkbenchError when the context lacks what this trim needs."""
        if self.needs == "modules" and context.modules is None and context.hidden:
            more = f" (+{len(context.hidden) - 1} more)" if len(context.hidden) > 1 else ""
            raise WorkbenchError(
                f"trim {self.name} needs every command module the scripts use, and "
                f"{context.hidden[0]}{more} may hide az calls; list the modules those calls "
                'need under [keep] (e.g. modules = ["keyvault"]) to go on, or drop the trim'
            )
        if self.needs == "modules" and context.modules is None:
            raise WorkbenchError(
                f"trim {self.name} needs every command module the scripts use, and that is not "
                "known (no scripts analysed, or an az call whose command path is not literal: "
                "see `workbench analyze`); list the modules under [keep] or drop the trim"
            )


TRIMS: dict[str, Trim] = {
    t.name: t
    for t in (
        Trim(
            "no-compile",
            "pip --no-compile: no .pyc files (about half the bytes of pure-Python packages); "
            "az compiles nothing at run time either (PYTHONDONTWRITEBYTECODE)",
            trimrules.rule_no_compile,
            pip_flags=("--no-compile",),
        ),
        Trim(
            "prune-modules",
            "delete command modules the scripts never load (keeps command-index co-modules and "
            "cross-module imports; also silences 'Error loading command module')",
            trimrules.rule_prune_modules,
            needs="modules",
        ),
        Trim(
            "prune-aaz",
            "inside kept modules, delete generated aaz/latest command groups the scripts never "
            "call and the module's own code never imports",
            trimrules.rule_prune_aaz,
        ),
        Trim(
            "prune-aaz-commands",
            "inside kept aaz groups, delete the command files no used command runs and no "
            "loaded code imports, and their star-imports from the group's __init__.py",
            trimrules.rule_prune_aaz_commands,
            effect="unimport",
        ),
        Trim(
            "prune-command-files",
            "inside kept modules, delete the Python files the load plan of the used commands "
            "never reaches (generated aaz code, help and data files are left to the other rules)",
            trimrules.rule_prune_command_files,
            needs="modules",
        ),
        Trim(
            "trim-api-versions",
            "delete azure/mgmt/**/aio and SDK API-version folders the latest profile does not "
            "use (the logic of azure-cli's scripts/trim_sdk.py)",
            trimrules.rule_trim_api_versions,
        ),
        Trim(
            "prune-pygments",
            "keep only the pygments lexers, formatter and style knack's -o jsonc / -o yamlc "
            "colouring loads (JSON, YAML, terminal, default); the name tables stay whole",
            trimrules.rule_prune_pygments,
        ),
        Trim(
            "drop-tests",
            "delete the test suites packages ship inside site-packages (*/tests/, */test/)",
            trimrules.rule_drop_tests,
        ),
        Trim(
            "drop-stubs",
            "delete type stubs (.pyi, py.typed): only type checkers read them",
            trimrules.rule_drop_stubs,
        ),
        Trim(
            "drop-docs",
            "delete documentation inside packages (docs/ folders, .md and .rst files; "
            "dist-info metadata and licences stay)",
            trimrules.rule_drop_docs,
        ),
        Trim(
            "drop-pip",
            "no pip, setuptools or wheel left in the venv: the image never installs again",
            trimrules.rule_drop_pip,
            venv_only=True,
        ),
        Trim(
            "drop-records",
            "delete the dist-info RECORD files, pip's uninstall lists: with pip gone nothing "
            "reads them (importlib.metadata needs METADATA only)",
            trimrules.rule_drop_records,
            venv_only=True,
        ),
        Trim(
            "strip-binaries",
            "strip --strip-unneeded the ELF shared objects (binutils in the builder only): "
            "their symbol tables go, the symbols the loader links by stay",
            trimrules.rule_strip_binaries,
            effect="strip",
        ),
        Trim(
            "sourceless",
            "keep bytecode only: each .py leaves its bytecode beside it as x.pyc and goes, so "
            "az starts as fast as a compiled install at about no-compile's size "
            "(an alternative to no-compile, not a size win)",
            trimrules.rule_sourceless,
            instead_of="no-compile",
            effect="sourceless",
        ),
    )
}


def all_trims(system: bool = False) -> list[str]:
    """What ``--trim all`` means: every trim the install mode allows, alternatives left out."""
    return [n for n, t in TRIMS.items() if t.instead_of is None and not (t.venv_only and system)]


def get_trim(name: str) -> Trim:
    """The trim called ``name``; WorkbenchError naming the known trims otherwise."""
    try:
        return TRIMS[name]
    except KeyError:
        raise WorkbenchError(f"unknown trim {name!r}: choose from {', '.join(TRIMS)}") from None


def ordered(names: Iterable[str]) -> list[str]:
    """Trim names validated, de-duplicated, in the registry's canonical order; a trim and its
    alternative together are a WorkbenchError."""
    wanted = {get_trim(n).name for n in names}
    for name in wanted:
        other = TRIMS[name].instead_of
        if other in wanted:
            raise WorkbenchError(f"trims {name} and {other} are alternatives: choose one")
    return [n for n in TRIMS if n in wanted]


def trim_savings(
    names: Iterable[str], files: Mapping[str, int], context: TrimContext
) -> list[tuple[str, int]]:
    """Bytes each trim saves on ``files`` (path -> bytes), in canonical order.

    Savings are marginal: a file two trims would delete counts for the first one only, so the
    figures add up to the union saving. Trims that shrink files rather than delete them
    (strip-binaries, sourceless) need the size model's estimate and are left out here.
    """
    removed: set[str] = set()
    out = []
    for name in ordered(names):
        if TRIMS[name].effect != "delete":
            continue
        hits = TRIMS[name].removes(files.keys(), context) - removed
        removed |= hits
        out.append((name, sum(files[p] for p in hits)))
    return out


@dataclass(frozen=True)
class BoundTrim:
    """A trim bound to a context: the size engine's ``PathTrim`` (name, key, removes)."""

    name: str
    key: str
    trim: Trim = field(repr=False)
    context: dict = field(repr=False)

    @property
    def effect(self) -> str:
        """What happens to the paths the rule returns (``Trim.effect``)."""
        return self.trim.effect

    def removes(self, path: str) -> bool:
        """Whether the trim deletes ``path``, judged alone (trim-api-versions' folder check
        needs the package's listing: use ``removes_all``)."""
        return bool(self.trim.rule((path,), self.context))

    def removes_all(self, paths: Collection[str]) -> set[str]:
        """The subset of one distribution's ``paths`` the trim deletes (exact for every trim;
        re-exported API versions come from the context, since nothing is read here)."""
        return self.trim.rule(paths, self.context)


def path_trims(names: Iterable[str], context: TrimContext) -> list[BoundTrim]:
    """The path-based trims among ``names`` for ``Estimator.estimate(trims=...)``.

    no-compile is not among them: it is the estimate's ``compile=False``.
    """
    data = context.to_json()
    key = json.dumps(data, sort_keys=True)
    out = []
    for name in ordered(names):
        if name != "no-compile":
            TRIMS[name].check_context(context)
            out.append(BoundTrim(name, f"{name}:{key}", TRIMS[name], data))
    return out


def pip_flags(names: Iterable[str]) -> tuple[str, ...]:
    """The pip install flags the trims ask for."""
    return tuple(f for n in ordered(names) for f in TRIMS[n].pip_flags)


PLAN_FILE = "trim.json"  # beside the trim script: which trims run, and the context


def trim_plan(names: Iterable[str], context: TrimContext) -> str:
    """The JSON the trim script reads from ``trim.json`` beside it: the trims to run (canonical
    order) and the context. Kept apart from the script, so toggling a trim or editing ``[keep]``
    changes this small file only and the script stays byte-identical (a cached build layer)."""
    chosen = ordered(names)
    for name in chosen:
        TRIMS[name].check_context(context)
    return json.dumps({"trims": chosen, "context": context.to_json()}, sort_keys=True) + "\n"


def trim_script() -> str:
    """Source of the in-build trim script: every rule, run as ``trim.json`` beside it says."""
    parts = [
        "#!/usr/bin/env python3",
        '"""workbench in-build trim script (generated; regenerate, do not edit).',
        "",
        f"Runs the trims {PLAN_FILE} beside it names, with its context.",
        "Rules come verbatim from workbench.core.trims.rules.",
        '"""',
        "import json",
        "import os",
        "import sys",
        "",
    ]
    for trim in TRIMS.values():
        parts.append(inspect.getsource(trim.rule))
    parts.append(inspect.getsource(trimrules.run_trim_script))
    rules = ", ".join(f"{n!r}: {t.rule.__name__}" for n, t in TRIMS.items())
    effects = {n: t.effect for n, t in TRIMS.items() if t.effect != "delete"}
    parts += [
        f"RULES = {{{rules}}}",
        f"EFFECTS = {effects!r}",
        "",
        'if __name__ == "__main__":',
        "    here = os.path.dirname(os.path.abspath(__file__))",
        f"    with open(os.path.join(here, {PLAN_FILE!r}), encoding='utf-8') as fh:",
        "        PLAN = json.load(fh)",
        '    TRIMS, CONTEXT = PLAN["trims"], PLAN["context"]',
        "    sys.exit(run_trim_script(TRIMS, RULES, CONTEXT, sys.argv[1:], EFFECTS))",
        "",
    ]
    return "\n".join(parts)
