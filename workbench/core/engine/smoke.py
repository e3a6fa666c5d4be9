"""Smoke-test a built image: every az command path loads, every scripted call reaches a
handled boundary, the selected SDKs import; optionally probe which packages are needed.

All checks run inside the image (one offline container, see ``smoke_driver.py``), never on
the host.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

from workbench.core.engine.container import run_driver


@dataclass(frozen=True)
class SmokeCall:
    """One scripted az call: its command path and every argument after ``az`` (literal,
    expansions as placeholders such as ``<group>``)."""

    path: tuple[str, ...]
    args: tuple[str, ...]
    where: str = ""


@dataclass(frozen=True)
class Check:
    """One check's outcome. ``kind``: help | call | import."""

    kind: str
    target: str
    ok: bool
    detail: str
    seconds: float


@dataclass(frozen=True)
class ProbeResult:
    """A package hidden during the probe: ``needed`` when a check failed without it."""

    package: str
    needed: bool | None
    detail: str
    files: int
    bytes: int


@dataclass(frozen=True)
class CommandResult:
    """All checks of one command path folded together (the CLI contract's shape)."""

    path: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class SmokeReport:
    """What the smoke test found in one image."""

    image: str
    passed: bool
    commands: tuple[CommandResult, ...]
    checks: tuple[Check, ...]
    startup_median_s: float | None
    startup_runs: tuple[float, ...]
    probe: tuple[ProbeResult, ...]
    duration_s: float
    error: str | None = None

    def to_json(self) -> dict:
        """``{"passed", "commands": [{"path", "ok", "detail"}], ...}``."""
        return {
            "passed": self.passed,
            "commands": [asdict(c) for c in self.commands],
            "checks": [asdict(c) for c in self.checks],
            "startup_median_s": self.startup_median_s,
            "startup_runs": list(self.startup_runs),
            "probe": [asdict(p) for p in self.probe],
            "duration_s": round(self.duration_s, 3),
            "error": self.error,
        }

    def needed(self) -> list[str]:
        """Probed packages some check failed without."""
        return [p.package for p in self.probe if p.needed]

    def dead_weight(self) -> list[ProbeResult]:
        """Probed packages every check passed without."""
        return [p for p in self.probe if p.needed is False]


def smoke_spec(
    paths: Iterable[Sequence[str]] = (),
    calls: Iterable[SmokeCall] = (),
    imports: Iterable[str] = (),
    *,
    probe: Iterable[str] = (),
    version_runs: int = 5,
    jobs: int = 2,
) -> dict:
    """The driver spec: help for every path (those of the calls included), each call
    replayed, each import, ``az --version`` timing and the optional probe."""
    first: dict[tuple[str, ...], SmokeCall] = {}
    for call in calls:  # the same literal call twice is one check
        first.setdefault(tuple(call.args), call)
    calls = list(first.values())
    all_paths = _unique([tuple(p) for p in paths] + [c.path for c in calls])
    return {
        "paths": [list(p) for p in all_paths],
        "calls": [{"path": list(c.path), "args": list(c.args), "where": c.where} for c in calls],
        "imports": _unique(imports),
        "version_runs": version_runs,
        "probe": _unique(probe),
        "jobs": jobs,
    }


def smoke_test(
    client,
    image: str,
    paths: Iterable[Sequence[str]] = (),
    calls: Iterable[SmokeCall] = (),
    imports: Iterable[str] = (),
    *,
    probe: Iterable[str] = (),
    version_runs: int = 5,
    jobs: int = 2,
    progress: Callable[[str], None] | None = None,
) -> SmokeReport:
    """Run the smoke test (and the probe when ``probe`` names packages) inside ``image``."""
    spec = smoke_spec(paths, calls, imports, probe=probe, version_runs=version_runs, jobs=jobs)
    result = run_driver(client, image, spec, progress=progress)
    return report_from_driver(image, spec, result)


def report_from_driver(image: str, spec: dict, result: dict) -> SmokeReport:
    """Fold the driver's JSON into a SmokeReport (per-path verdicts included)."""
    checks = tuple(Check(**c) for c in result.get("checks", []))
    startup = result.get("startup") or {}
    error = result.get("error")
    commands = _per_command(spec, checks)
    return SmokeReport(
        image=image,
        passed=error is None and bool(checks) and all(c.ok for c in checks),
        commands=commands,
        checks=checks,
        startup_median_s=startup.get("median"),
        startup_runs=tuple(startup.get("runs", ())),
        probe=tuple(ProbeResult(**p) for p in result.get("probe", [])),
        duration_s=float(result.get("seconds", 0.0)),
        error=error,
    )


def _per_command(spec: dict, checks: tuple[Check, ...]) -> tuple[CommandResult, ...]:
    helps = {c.target: c for c in checks if c.kind == "help"}
    calls = [c for c in checks if c.kind == "call"]
    out = []
    for path in spec["paths"]:
        name = " ".join(path)
        mine = [helps[name]] if name in helps else []
        mine += [
            check
            for check, call in zip(calls, spec["calls"], strict=False)
            if " ".join(call["path"]) == name
        ]
        failed = [c for c in mine if not c.ok]
        if not mine:
            out.append(CommandResult(name, False, "not checked"))
        elif failed:
            out.append(CommandResult(name, False, f"{failed[0].kind}: {failed[0].detail}"))
        else:
            out.append(CommandResult(name, True, "; ".join(_unique(c.detail for c in mine))))
    return tuple(out)


def _unique(items: Iterable) -> list:
    return list(dict.fromkeys(items))
