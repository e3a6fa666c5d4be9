"""Smoke-test a built image in three tiers per command path: ``help`` (the command loads),
``no_login`` (each scripted call reaches the login boundary) and ``run`` (each call runs for
real against the fake Azure after a fake ``az login``); the selected SDKs import, certifi's
bundle is there; optionally the scripts themselves run traced, and the probe tells which
packages are needed.

Every check runs inside the image (a throw-away container with no network, see
``payloads/smoke_driver.py`` and ``payloads/fakeazure.py``), never on the host. A run failure
that a full install of the same azure-cli on the same base (the reference image) shares is
shown, not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from workbench.core.engine.container import RUN_DIR, run_driver
from workbench.core.engine.fakecloud import EXTRA_HOSTS, make_certs
from workbench.core.engine.notfound import programs_not_found

TIERS = ("help", "no_login", "run")
_TIER_OF = {"help": "help", "call": "no_login", "run": "run"}


@dataclass(frozen=True)
class SmokeCall:
    """One scripted az call: its command path and every argument after ``az`` (literal,
    expansions as placeholders such as ``<group>``)."""

    path: tuple[str, ...]
    args: tuple[str, ...]
    where: str = ""


@dataclass(frozen=True)
class Check:
    """One check's outcome. ``kind``: help | call | run | import | certifi. ``excused``: the
    reference image's failure detail when the full install fails the same way (not counted)."""

    kind: str
    target: str
    ok: bool
    detail: str
    seconds: float
    excused: str = ""

    @property
    def counted_failure(self) -> bool:
        """Failed here and not on the full install."""
        return not self.ok and not self.excused


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
    """All checks of one command path folded together (the CLI contract's shape); ``tiers``
    maps help / no_login / run to ``{"ok", "detail"}`` (ok None: not checked)."""

    path: str
    ok: bool
    detail: str
    tiers: Mapping[str, Mapping] = field(default_factory=dict)


@dataclass(frozen=True)
class ScriptFailure:
    """One failing az invocation of a traced script run."""

    path: str
    detail: str
    line: str | None = None
    excused: str = ""
    program: str = ""

    @property
    def label(self) -> str:
        """What failed: ``az <path>``, ``program <name>`` or ``script`` (its exit code)."""
        if self.program:
            return f"program {self.program}"
        return f"az {self.path}" if self.path else "script"


@dataclass(frozen=True)
class ScriptRun:
    """One script run in the image against the fake, every az invocation traced."""

    script: str
    exit_code: int
    seen: tuple[tuple[str, int], ...]
    missed_by_analysis: tuple[str, ...]
    failures: tuple[ScriptFailure, ...]
    tail: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """Nothing missed by the analysis, no failure the full install does not share."""
        return not self.missed_by_analysis and not any(not f.excused for f in self.failures)

    def to_json(self) -> dict:
        """The contract: script, exit_code, seen [{path, count}], missed_by_analysis,
        failures [{path, detail}] (plus line and the reference's verdict)."""
        return {
            "script": self.script,
            "exit_code": self.exit_code,
            "seen": [{"path": p, "count": n} for p, n in self.seen],
            "missed_by_analysis": list(self.missed_by_analysis),
            "failures": [asdict(f) for f in self.failures],
            "tail": list(self.tail),
            "seconds": self.seconds,
        }


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
    run_script: tuple[ScriptRun, ...] = ()
    escapes: tuple[str, ...] = ()
    requests: int = 0
    data_planes: tuple[str, ...] = ()
    reference: str | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """``{"passed", "commands": [{"path", "ok", "detail", "tiers"}], "run_script", ...}``."""
        return {
            "passed": self.passed,
            "commands": [asdict(c) for c in self.commands],
            "checks": [asdict(c) for c in self.checks],
            "startup_median_s": self.startup_median_s,
            "startup_runs": list(self.startup_runs),
            "probe": [asdict(p) for p in self.probe],
            "duration_s": round(self.duration_s, 3),
            "error": self.error,
            "run_script": [r.to_json() for r in self.run_script],
            "fake": {
                "requests": self.requests,
                "escapes": list(self.escapes),
                "data_planes": list(self.data_planes),
            },
            "reference": self.reference,
            "notes": list(self.notes),
        }

    def needed(self) -> list[str]:
        """Probed packages some check failed without."""
        return [p.package for p in self.probe if p.needed]

    def dead_weight(self) -> list[ProbeResult]:
        """Probed packages every check passed without."""
        return [p for p in self.probe if p.needed is False]


def login_route(calls: Iterable[SmokeCall]) -> str:
    """The route the scripts log in by: ``identity``, ``federated`` or ``secret``."""
    for call in calls:
        if call.path == ("login",):
            if "--identity" in call.args or "-i" in call.args:
                return "identity"
            if "--federated-token" in call.args:
                return "federated"
    return "secret"


def smoke_spec(
    paths: Iterable[Sequence[str]] = (),
    calls: Iterable[SmokeCall] = (),
    imports: Iterable[str] = (),
    *,
    probe: Mapping[str, Sequence[str]] | Iterable[str] = (),
    version_runs: int = 5,
    jobs: int = 2,
    run: bool = True,
    scripts: Sequence[str] = (),
    fixtures: Sequence[Mapping] = (),
) -> dict:
    """The driver spec: help for every path (those of the calls included), each call
    replayed to the login boundary and (``run``) run against the fake, each import, certifi,
    ``az --version`` timing, the scripts to run traced (``scripts``: names under
    ``RUN_DIR/scripts/N/``) and the optional probe."""
    first: dict[tuple[str, ...], SmokeCall] = {}
    for call in calls:  # the same literal call twice is one check
        first.setdefault(tuple(call.args), call)
    calls = list(first.values())
    all_paths = _unique([tuple(p) for p in paths] + [c.path for c in calls])
    literal = [{"path": list(c.path), "args": list(c.args), "where": c.where} for c in calls]
    spec = {
        "paths": [list(p) for p in all_paths],
        "calls": literal,
        "imports": _unique(imports),
        "version_runs": version_runs,
        "probe": _unique(probe),
        "jobs": jobs,
    }
    if isinstance(probe, Mapping):  # installed files, for packages a trim left no RECORD of
        spec["probe_files"] = {name: list(files) for name, files in probe.items()}
    if (run and calls) or scripts:
        spec.update(
            fake={
                "ca": f"{RUN_DIR}/ca.pem",
                "cert": f"{RUN_DIR}/cert.pem",
                "key": f"{RUN_DIR}/key.pem",
                "fixtures": [dict(f) for f in fixtures],
            },
            login=login_route(calls),
            login_in_scripts=any(c.path == ("login",) for c in calls),
            certifi=True,
        )
    if run and calls:
        spec["run"] = literal
    if scripts:
        spec["scripts"] = [
            {"name": name, "path": f"{RUN_DIR}/scripts/{n}/{Path(name).name}"}
            for n, name in enumerate(scripts)
        ]
    return spec


def run_files(scripts: Sequence[str | Path] = ()) -> dict[str, bytes]:
    """What the container gets besides the payloads: the run's CA, certificate and key (made
    now, never kept), and each script with the small files beside it (scripts read them)."""
    certs = make_certs()
    files = {"ca.pem": certs.ca, "cert.pem": certs.cert, "key.pem": certs.key}
    for n, script in enumerate(scripts):
        for sibling in Path(script).resolve().parent.iterdir():
            if sibling.is_file() and sibling.stat().st_size <= 1_000_000:
                files[f"scripts/{n}/{sibling.name}"] = sibling.read_bytes()
    return files


def smoke_test(
    client,
    image: str,
    paths: Iterable[Sequence[str]] = (),
    calls: Iterable[SmokeCall] = (),
    imports: Iterable[str] = (),
    *,
    probe: Mapping[str, Sequence[str]] | Iterable[str] = (),
    version_runs: int = 5,
    jobs: int = 2,
    run: bool = True,
    scripts: Sequence[str | Path] = (),
    fixtures: Sequence[Mapping] = (),
    reference: Callable[[], str] | None = None,
    resolve: Callable[[Sequence[str]], tuple[str, ...] | None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SmokeReport:
    """Run the smoke test (the probe when ``probe`` names packages; the scripts traced when
    ``scripts`` are given) inside ``image``. ``reference`` gives the reference image's tag
    (called only when something failed: building it costs minutes); ``resolve`` turns a
    traced argv into its command path (the knowledge's ``command_path``)."""
    calls = list(calls)
    names = [str(s) for s in scripts]
    spec = smoke_spec(
        paths,
        calls,
        imports,
        probe=probe,
        version_runs=version_runs,
        jobs=jobs,
        run=run,
        scripts=[Path(s).name for s in names],
        fixtures=fixtures,
    )
    files = run_files(names)
    result = run_driver(
        client, image, spec, files=files, extra_hosts=EXTRA_HOSTS, progress=progress
    )
    report = report_from_driver(image, spec, result, resolve=resolve)
    if reference is None or report.error or report.passed:
        return report
    return compare_with_reference(client, report, spec, files, reference, resolve, progress)


def compare_with_reference(
    client,
    report: SmokeReport,
    spec: dict,
    files: Mapping[str, bytes],
    reference: Callable[[], str],
    resolve=None,
    progress: Callable[[str], None] | None = None,
) -> SmokeReport:
    """Rerun what failed in the run tier and the scripts in the reference image; failures it
    shares are excused (shown, not counted). Without a reference, one note says why."""
    from workbench.core.errors import WorkbenchError

    failed_runs = {c.target for c in report.checks if c.kind == "run" and not c.ok}
    failed_scripts = [
        i for i, r in enumerate(report.run_script) if any(not f.program for f in r.failures)
    ]
    if not failed_runs and not failed_scripts:
        return report
    try:
        tag = reference()
    except WorkbenchError as exc:
        note = f"no reference to compare run failures with: {exc}"
        return replace(report, notes=(*report.notes, note))
    again = {
        **{k: v for k, v in spec.items() if k not in ("paths", "calls", "imports", "probe")},
        "run": [c for c in spec.get("run", []) if " ".join(c["args"]) in failed_runs],
        "scripts": [spec["scripts"][i] for i in failed_scripts],
        "version_runs": 0,
        "certifi": False,
    }
    result = run_driver(client, tag, again, files=files, extra_hosts=EXTRA_HOSTS, progress=progress)
    ref = report_from_driver(tag, again, result, resolve=resolve)
    also = {c.target: c.detail for c in ref.checks if c.kind == "run" and not c.ok}
    checks = tuple(
        replace(c, excused=also[c.target]) if c.kind == "run" and c.target in also else c
        for c in report.checks
    )
    runs = list(report.run_script)
    for i, theirs in zip(failed_scripts, ref.run_script, strict=False):
        shared = {f.path: f.detail for f in theirs.failures}
        runs[i] = replace(
            runs[i],
            failures=tuple(
                replace(f, excused=shared[f.path]) if f.path in shared and not f.program else f
                for f in runs[i].failures
            ),
        )
    folded = replace(report, checks=checks, run_script=tuple(runs), reference=tag)
    return replace(
        folded,
        commands=_per_command(spec, checks),
        passed=_passed(folded.error, checks, folded.run_script),
    )


def smoke_context(
    client, base: str | None, version: str | None, progress: Callable[[str], None] | None = None
) -> dict:
    """``reference`` and ``resolve`` for ``smoke_test``: the reference image of ``base`` +
    ``version`` (built lazily) and that version's command paths."""
    from workbench.core.engine.reference import lazy_reference
    from workbench.core.knowledge.model import load_knowledge

    resolve = load_knowledge(version).command_path if version else None
    return {"reference": lazy_reference(client, base, version, progress), "resolve": resolve}


def report_from_driver(image: str, spec: dict, result: dict, *, resolve=None) -> SmokeReport:
    """Fold the driver's JSON into a SmokeReport (per-path verdicts, tiers, script runs)."""
    checks = tuple(Check(**c) for c in result.get("checks", []))
    startup = result.get("startup") or {}
    error = result.get("error")
    analysed = {" ".join(p) for p in spec.get("paths", [])}
    runs = tuple(script_run(r, analysed, resolve) for r in result.get("scripts", []))
    fake = result.get("fake") or {}
    login = fake.get("login", "")
    return SmokeReport(
        image=image,
        passed=_passed(error, checks, runs),
        commands=_per_command(spec, checks),
        checks=checks,
        startup_median_s=startup.get("median"),
        startup_runs=tuple(startup.get("runs", ())),
        probe=tuple(ProbeResult(**p) for p in result.get("probe", [])),
        duration_s=float(result.get("seconds", 0.0)),
        error=error,
        run_script=runs,
        escapes=tuple(fake.get("escapes", ())),
        requests=int(fake.get("requests", 0)),
        data_planes=tuple(fake.get("data_planes", ())),
        notes=(login,) if "seeded" in login else (),
    )


def _passed(error, checks: Sequence[Check], runs: Sequence[ScriptRun]) -> bool:
    return (
        error is None
        and bool(checks)
        and not any(c.counted_failure for c in checks)
        and all(r.passed for r in runs)
    )


def script_run(raw: dict, analysed: set[str], resolve=None) -> ScriptRun:
    """One traced script run: the command path of each az invocation (``resolve``; else the
    words before the first option), the paths the analysis did not find, the failures."""
    seen: Counter[str] = Counter()
    failures = []
    for call in raw.get("calls", []):
        path = trace_path(call.get("argv", []), resolve)
        seen[path] += 1
        lines = call.get("failure", [])
        service = any("FakeAzure" in ln for ln in lines)
        if call.get("code", 0) != 0 and not service:
            detail = (lines or [f"exit {call.get('code')}"])[0]
            failures.append(ScriptFailure(path, detail, call.get("line")))
    for program, printed, line in programs_not_found(raw.get("not_found", ())):
        detail = f"{printed}: the image lacks it; add its OS package to runtime_packages"
        failures.append(ScriptFailure("", detail, line, program=program))
    if raw.get("exit_code", 0) != 0 and not failures:
        tail = raw.get("tail") or [f"exit {raw.get('exit_code')}"]
        failures.append(ScriptFailure("", f"the script exited {raw['exit_code']}: {tail[-1]}"))
    return ScriptRun(
        script=raw.get("script", ""),
        exit_code=int(raw.get("exit_code", 0)),
        seen=tuple(seen.items()),
        missed_by_analysis=tuple(p for p in seen if p and p not in analysed),
        failures=tuple(failures),
        tail=tuple(raw.get("tail", ())),
        seconds=float(raw.get("seconds", 0.0)),
    )


def trace_path(argv: Sequence[str], resolve=None) -> str:
    """The command path of a traced ``az`` argv."""
    words = []
    for word in argv:
        if word.startswith("-"):
            break
        words.append(word)
    path = resolve(words) if resolve and words else None
    return " ".join(path if path else words)


def _per_command(spec: dict, checks: Sequence[Check]) -> tuple[CommandResult, ...]:
    by_args = {" ".join(c["args"]): " ".join(c["path"]) for c in spec.get("calls", [])}
    out = []
    for path in spec.get("paths", []):
        name = " ".join(path)
        mine = [
            c
            for c in checks
            if (c.kind == "help" and c.target == name)
            or (c.kind in ("call", "run") and by_args.get(c.target) == name)
        ]
        tiers = {tier: _tier([c for c in mine if _TIER_OF[c.kind] == tier]) for tier in TIERS}
        counted = [c for c in mine if c.counted_failure]
        if not mine:
            out.append(CommandResult(name, False, "not checked", tiers))
        elif counted:
            first = counted[0]
            out.append(CommandResult(name, False, f"{first.kind}: {first.detail}", tiers))
        else:
            detail = "; ".join(_unique(c.detail for c in mine))
            out.append(CommandResult(name, True, detail, tiers))
    return tuple(out)


def _tier(checks: Sequence[Check]) -> dict:
    if not checks:
        return {"ok": None, "detail": "not checked"}
    failed = [c for c in checks if not c.ok]
    if not failed:
        return {"ok": True, "detail": "; ".join(_unique(c.detail for c in checks))}
    first = failed[0]
    if first.excused:
        return {"ok": False, "detail": f"{first.detail} (the full install fails too: not counted)"}
    return {"ok": False, "detail": first.detail}


def _unique(items: Iterable) -> list:
    return list(dict.fromkeys(items))


def observe_scripts(
    client,
    base: str,
    version: str,
    scripts: Sequence[str | Path],
    analysed: Iterable[str],
    *,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[str], tuple[ScriptRun, ...]]:
    """Run ``scripts`` traced in the reference image (full azure-cli ``version`` on
    ``base``) and return the command paths they ran beyond the ``analysed`` ones (what the
    static analysis found), and the runs themselves. Branches the run did not take stay
    unseen."""
    from workbench.core.engine.reference import reference_image
    from workbench.core.knowledge.model import load_knowledge

    knowledge = load_knowledge(version)
    tag = reference_image(client, base, version, progress=progress)
    report = smoke_test(
        client,
        tag,
        run=False,
        scripts=scripts,
        version_runs=0,
        resolve=knowledge.command_path,
        progress=progress,
    )
    analysed = set(analysed)
    seen = [p for run in report.run_script for p, _ in run.seen]
    observed = [p for p in _unique(seen) if p not in analysed and knowledge.is_command(p.split())]
    return observed, report.run_script
