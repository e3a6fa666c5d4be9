"""From scripts to the package set they need: command paths -> modules -> distributions.

``analyze(paths, version)`` scans each script for ``az`` calls (the ``scan`` room), maps each
call to its longest known command path, the command modules azure-cli loads for it (plus the
modules whose code those load or run for the used commands, from the knowledge's static load
plan), the SDK distributions that code needs, and the baseline every ``az`` needs. Every module
and package carries the reasons that put it there. ``analysis.trim_context`` turns the same plan
into what trims keep.

Bad input never stops the analysis: an unreadable script or an unknown azure-cli version
becomes one line in ``errors``, an unknown command path an entry in ``unresolved``.
``ScriptAnalysis.analysed`` is False only when nothing could be analysed (no script read, or no
knowledge for the version).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.analysis.login import login_calls
from workbench.core.defaults import DEFAULT_LOGIN
from workbench.core.errors import WorkbenchError
from workbench.core.knowledge.baseline import UNDECLARED_IMPORTS
from workbench.core.knowledge.load_plan import LoadPlan, plan_load
from workbench.core.knowledge.model import EMBEDDED_VERSION, Knowledge, load_knowledge
from workbench.core.scan.model import ExternalCommand
from workbench.core.scan.scanner import AzCall, scan_files


@dataclass(frozen=True)
class Command:
    """One ``az`` call with the command path it resolves to ("" = bare ``az --version``)."""

    path: tuple[str, ...]
    file: str
    line: int
    args: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{Path(self.file).name}:{self.line}" if self.line else self.file

    @property
    def label(self) -> str:
        return f"`az {' '.join(self.path)}`" if self.path else "`az`"

    def to_json(self) -> dict[str, Any]:
        return {
            "path": " ".join(self.path),
            "file": self.file,
            "line": self.line,
            "args": list(self.args),
        }


@dataclass(frozen=True)
class Reasoned:
    """A module or distribution and why it is needed (most direct reason first)."""

    name: str
    reasons: tuple[str, ...]
    evidence: tuple[str, ...] = ()  # where azure-cli's code needs it (file:line)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "reasons": list(self.reasons)}
        if self.evidence:
            out["evidence"] = list(self.evidence)
        return out


@dataclass(frozen=True)
class Spot:
    """A place the analysis could not resolve. ``path_unknown``: an `az` call whose command
    path is not known at all, so nothing says which modules it needs (trims must not prune)."""

    file: str
    line: int
    text: str
    reason: str
    path_unknown: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "text": self.text,
            "reason": self.reason,
            "may_hide_calls": self.path_unknown,
        }


@dataclass(frozen=True)
class ScriptSummary:
    """How sure the analysis is about one script: calls resolved, spots that may hide calls."""

    file: str
    resolved: int
    hiding: int

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "calls_resolved": self.resolved, "spots_may_hide": self.hiding}


@dataclass(frozen=True)
class ScriptAnalysis:
    """What the scripts' az calls need; ``load_plan``: the static load plan of their
    command paths (None with knowledge built before per-file units existed)."""

    version: str
    commands: tuple[Command, ...]
    modules: tuple[Reasoned, ...]
    packages: tuple[Reasoned, ...]
    unresolved: tuple[Spot, ...]
    errors: tuple[str, ...]
    files: tuple[str, ...]  # scripts that were read
    knowledge_loaded: bool
    load_plan: LoadPlan | None = None
    external_commands: tuple[ExternalCommand, ...] = ()  # other programs the scripts run
    login: str = DEFAULT_LOGIN  # the recipe's login route (``analysis.login``)
    login_commands: tuple[Command, ...] = ()  # what the image's own login runs

    @property
    def all_commands(self) -> tuple[Command, ...]:
        """The scripts' calls and the login's: what the image must be able to run."""
        return self.commands + self.login_commands

    @property
    def analysed(self) -> bool:
        """Whether anything could be analysed (a script read and the version known)."""
        return bool(self.files) and self.knowledge_loaded

    @property
    def hiding(self) -> tuple[Spot, ...]:
        """Spots that may hide az calls (their command path is not known at all)."""
        return tuple(s for s in self.unresolved if s.path_unknown)

    @property
    def verdict(self) -> str:
        """One line: every az call resolved, or how many spots may hide calls."""
        if not self.hiding:
            return "every az call resolved"
        n = len(self.hiding)
        return (
            f"{n} spot{'s' if n > 1 else ''} may hide az calls: "
            "trims that depend on the analysis are off"
        )

    def scripts(self) -> tuple[ScriptSummary, ...]:
        """Per script read: calls resolved and spots that may hide calls."""
        resolved = {f: 0 for f in self.files}
        hiding = {f: 0 for f in self.files}
        for command in self.commands:
            resolved[command.file] = resolved.get(command.file, 0) + 1
        for spot in self.hiding:
            hiding[spot.file] = hiding.get(spot.file, 0) + 1
        return tuple(ScriptSummary(f, resolved[f], hiding.get(f, 0)) for f in resolved)

    def package_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.packages)

    def to_json(self) -> dict[str, Any]:
        return {
            "azure_cli": self.version,
            "commands": [c.to_json() for c in self.commands],
            "login": {"route": self.login, "commands": [c.to_json() for c in self.login_commands]},
            "modules": [m.to_json() for m in self.modules],
            "packages": [p.to_json() for p in self.packages],
            "unresolved": [u.to_json() for u in self.unresolved],
            "errors": list(self.errors),
            "scripts": [s.to_json() for s in self.scripts()],
            "verdict": self.verdict,
            "external_commands": [e.to_dict() for e in self.external_commands],
        }


@dataclass
class _Collected:
    reasons: dict[str, list[str]] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, reason: str, evidence: Iterable[str] = ()) -> None:
        reasons = self.reasons.setdefault(name, [])
        if reason not in reasons:
            reasons.append(reason)
        self.evidence.setdefault(name, []).extend(
            e for e in evidence if e not in self.evidence[name]
        )

    def result(self, order: Iterable[str]) -> tuple[Reasoned, ...]:
        return tuple(
            Reasoned(n, tuple(self.reasons[n]), tuple(self.evidence[n][:3])) for n in order
        )


def _first_and_more(commands: list[Command]) -> str:
    first = f"{commands[0].label} at {commands[0].where}"
    return first if len(commands) == 1 else f"{first} (+{len(commands) - 1} more)"


def _resolve_calls(
    calls: Iterable[AzCall], knowledge: Knowledge | None
) -> tuple[list[Command], list[Spot]]:
    commands, spots = [], []
    for call in calls:
        words = tuple(call.words)
        if not words and call.args and not call.args[0].startswith("-"):
            reason = "the command path is not literal"
            spots.append(Spot(call.file, call.line, call.text, reason, path_unknown=True))
            continue
        if knowledge is None:
            commands.append(Command(words, call.file, call.line, tuple(call.args)))
            continue
        path = knowledge.command_path(words)
        problem = knowledge.explain_unknown(words)
        stopped_at = getattr(call, "stopped_at", None)
        if not problem and stopped_at and path and not knowledge.is_command(path):
            problem = (
                f"`az {' '.join(path)} {stopped_at}`: the command below `az {' '.join(path)}` "
                "comes from a variable; only the modules of its top word are counted"
            )
        if problem:
            spots.append(Spot(call.file, call.line, call.text, problem))
        if path is not None or not words:
            commands.append(Command(path or (), call.file, call.line, tuple(call.args)))
    return commands, spots


def _direct(knowledge: Knowledge, commands: list[Command]) -> dict[str, list[Command]]:
    """Modules the command index loads, each with the commands that load it."""
    direct: dict[str, list[Command]] = {}
    for command in commands:
        for module in knowledge.modules_for(command.path):
            direct.setdefault(module, []).append(command)
    return direct


def _chains(knowledge: Knowledge, commands: list[Command], direct) -> tuple[dict, LoadPlan | None]:
    """Module -> chain of importing modules (empty for loaded ones), and the load plan.

    With per-file units in the knowledge, the static load plan decides (only code that loads
    or runs for the used commands counts); older knowledge data falls back to whole-module
    imports.
    """
    if "files" not in knowledge.data:
        return knowledge.module_closure(direct), None
    plan = plan_load(knowledge, [c.path for c in commands])
    chains: dict[str, tuple[str, ...]] = {}
    for module in [*direct, *plan.modules]:
        chain, importer = [], plan.modules.get(module)
        while importer is not None and importer not in chain and len(chain) < len(plan.modules):
            chain.insert(0, importer)
            importer = plan.modules.get(importer)
        chains.setdefault(module, tuple(chain))
    return chains, plan


def _derive(knowledge: Knowledge, commands: list[Command]):
    direct = _direct(knowledge, commands)
    chains, plan = _chains(knowledge, commands, direct)
    modules, packages = _Collected(), _Collected()

    def origin(module: str) -> str:
        chain = chains[module]
        root = chain[0] if chain else module
        via = "".join(f" ← imported by {m}" for m in reversed(chain))
        return f"module {module}{via} ← {_first_and_more(direct[root])}"

    for module, chain in chains.items():
        if not chain:
            by_top: dict[str, list[Command]] = {}
            for command in direct[module]:
                by_top.setdefault(command.path[0], []).append(command)
            for top, uses in by_top.items():
                modules.add(module, f"{_first_and_more(uses)} (index: {top} → {module})")
        else:
            importer = chain[-1]
            use = knowledge.import_uses(importer).get(module)
            modules.add(module, f"imported by {importer}", use.at if use else ())
        if plan is None:
            for dist, use in knowledge.sdk_uses(module).items():
                packages.add(dist, origin(module), use.at)
    if plan is not None:
        for dist, uses in plan.dists.items():
            for module, evidence in uses:
                packages.add(dist, origin(module), (evidence,))
    for base in knowledge.baseline:
        packages.add(base.name, f"baseline: {base.reason}")
    for importer in sorted(packages.reasons):
        for dist in UNDECLARED_IMPORTS.get(importer, ()):
            packages.add(dist, f"imported by {importer}, which does not declare it")
    baseline = [b.name for b in knowledge.baseline]
    order = baseline + sorted(set(packages.reasons) - set(baseline))
    return modules.result(chains), packages.result(order), plan


OBSERVED = "observed at run time"


def analyze(
    paths: Iterable[str | Path],
    version: str = EMBEDDED_VERSION,
    *,
    knowledge: Knowledge | None = None,
    login: str = DEFAULT_LOGIN,
    search_dirs: Iterable[str | Path] = (),
    observed: Iterable[str] = (),
) -> ScriptAnalysis:
    """Analyse the scripts at ``paths`` against azure-cli ``version`` (see module docstring).
    ``observed``: command paths a traced run saw (the recipe's ``observed_paths``), counted as
    commands whose file is ``OBSERVED``; ``login``: the recipe's login route (its commands are
    kept, see ``analysis.login``)."""
    errors: list[str] = []
    calls: list[AzCall] = []
    spots: list[Spot] = []
    files: list[str] = []
    external: list[ExternalCommand] = []
    paths = list(paths)
    for path, result in zip(paths, scan_files(paths, search_dirs), strict=True):
        if isinstance(result, WorkbenchError):
            errors.append(str(result))
            continue
        files.append(str(path))
        calls.extend(result.calls)
        external.extend(e for e in result.external if e not in external)
        spots.extend(
            Spot(u.file, u.line, u.text, u.reason, path_unknown=True) for u in result.unresolved
        )
    if knowledge is None:
        try:
            knowledge = load_knowledge(version)
        except WorkbenchError as exc:
            errors.append(str(exc))
    commands, unknown = _resolve_calls(calls, knowledge)
    commands += [Command(tuple(p.split()), OBSERVED, 0, tuple(p.split())) for p in observed]
    logins, _ = _resolve_calls(login_calls(login), knowledge)
    modules: tuple[Reasoned, ...] = ()
    packages: tuple[Reasoned, ...] = ()
    plan = None
    if knowledge is not None:
        modules, packages, plan = _derive(knowledge, commands + logins)
    unresolved = sorted([*spots, *unknown], key=lambda s: (s.file, s.line))
    return ScriptAnalysis(
        version=knowledge.version if knowledge else version,
        commands=tuple(commands),
        modules=modules,
        packages=packages,
        unresolved=tuple(unresolved),
        errors=tuple(errors),
        files=tuple(files),
        knowledge_loaded=knowledge is not None,
        load_plan=plan,
        login=login,
        login_commands=tuple(logins),
        external_commands=tuple(external),
    )
