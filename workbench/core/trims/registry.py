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
    """

    modules: frozenset[str] | None = None
    api_versions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    aaz_groups: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def to_json(self) -> dict:
        """Plain, sorted JSON form (what the rules and the in-build script read)."""
        return {
            "modules": None if self.modules is None else sorted(self.modules),
            "api_versions": {k: sorted(v) for k, v in sorted(self.api_versions.items())},
            "aaz_groups": {k: sorted(v) for k, v in sorted(self.aaz_groups.items())},
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
        )

    def merged(self, other: TrimContext) -> TrimContext:
        """Union of two contexts (e.g. the analysis plus the recipe's ``[keep]`` table)."""
        modules = None
        if self.modules is not None or other.modules is not None:
            modules = (self.modules or frozenset()) | (other.modules or frozenset())

        def union(a: Mapping, b: Mapping) -> dict:
            return {k: frozenset(a.get(k, ())) | frozenset(b.get(k, ())) for k in {*a, *b}}

        return TrimContext(
            modules,
            union(self.api_versions, other.api_versions),
            union(self.aaz_groups, other.aaz_groups),
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
            "trim-api-versions",
            "delete azure/mgmt/**/aio and SDK API-version folders the latest profile does not "
            "use (the logic of azure-cli's scripts/trim_sdk.py)",
            trimrules.rule_trim_api_versions,
        ),
        Trim(
            "drop-pip",
            "no pip, setuptools or wheel left in the venv: the image never installs again",
            trimrules.rule_drop_pip,
            venv_only=True,
        ),
    )
}


def get_trim(name: str) -> Trim:
    """The trim called ``name``; WorkbenchError naming the known trims otherwise."""
    try:
        return TRIMS[name]
    except KeyError:
        raise WorkbenchError(f"unknown trim {name!r}: choose from {', '.join(TRIMS)}") from None


def ordered(names: Iterable[str]) -> list[str]:
    """Trim names validated, de-duplicated, in the registry's canonical order."""
    wanted = {get_trim(n).name for n in names}
    return [n for n in TRIMS if n in wanted]


def trim_savings(
    names: Iterable[str], files: Mapping[str, int], context: TrimContext
) -> list[tuple[str, int]]:
    """Bytes each trim saves on ``files`` (path -> bytes), in canonical order.

    Savings are marginal: a file two trims would delete counts for the first one only, so the
    figures add up to the union saving.
    """
    removed: set[str] = set()
    out = []
    for name in ordered(names):
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
    parts += [
        f"RULES = {{{rules}}}",
        "",
        'if __name__ == "__main__":',
        "    here = os.path.dirname(os.path.abspath(__file__))",
        f"    with open(os.path.join(here, {PLAN_FILE!r}), encoding='utf-8') as fh:",
        "        PLAN = json.load(fh)",
        '    sys.exit(run_trim_script(PLAN["trims"], RULES, PLAN["context"], sys.argv[1:]))',
        "",
    ]
    return "\n".join(parts)
