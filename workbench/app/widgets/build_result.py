"""After a build: image, sizes, estimate vs actual, the expected rebuild time of each install
mode, the steps with the ones the engine took from its cache, the smoke-test table (per command
path its help, no-login and run tiers; the other checks; the traced script runs), the necessity
probe's table with its dead weight, or the failed step's last log lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Static

from workbench.core.engine.smoke import TIERS
from workbench.core.units import fmt_bytes

if TYPE_CHECKING:
    from workbench.core.engine.smoke import SmokeReport

LAST_LINES = 10  # of the failed step, under its one-line failure (the log has them all)


def verdict(ok: bool | None) -> Content:
    """``pass`` / ``FAIL`` / ``-`` in the theme's colours (the word is the text form)."""
    if ok is None:
        return Content("-")
    return Content.styled("pass", "$success") if ok else Content.styled("FAIL", "bold $error")


def tier_cell(ok: bool | None, counted: bool = True) -> Content:
    """A tier's verdict; ``both`` when it failed the same way on the full install."""
    if ok is False and not counted:
        return Content.styled("both", "$text-muted")
    return verdict(ok)


def smoke_rows(smoke) -> list[tuple]:
    """Rows (check, verdict, help, no login, run, detail): one per command path, one per
    other check, one per traced script run and one per thing it found."""
    rows: list[tuple] = []
    for command in smoke.commands:
        cells = [tier_cell(command.tiers.get(t, {}).get("ok"), not command.ok) for t in TIERS]
        rows.append((f"az {command.path}", verdict(command.ok), *cells, command.detail))
    for check in smoke.checks:
        if check.kind in ("import", "certifi"):
            blank = Content("")
            rows.append(
                (
                    f"{check.kind} {check.target}",
                    verdict(check.ok),
                    blank,
                    blank,
                    blank,
                    check.detail,
                )
            )
    for run in smoke.run_script:
        seen = ", ".join(f"{p or 'az'} x{n}" for p, n in run.seen) or "no az calls"
        blank = Content("")
        rows.append(
            (
                f"script {run.script}",
                verdict(run.passed),
                blank,
                blank,
                blank,
                f"exit {run.exit_code}; seen: {seen}",
            )
        )
        for path in run.missed_by_analysis:
            rows.append(
                (
                    f"  az {path}",
                    verdict(False),
                    blank,
                    blank,
                    blank,
                    "missed by the analysis: seen only at run time",
                )
            )
        for failure in run.failures:
            where = f" (line {failure.line})" if failure.line else ""
            rows.append(
                (
                    f"  {failure.label}{where}",
                    tier_cell(False, not failure.excused),
                    blank,
                    blank,
                    blank,
                    failure.detail,
                )
            )
    return rows


def needed_cell(needed: bool | None) -> Content:
    """A probed package: ``yes`` (needed), ``no`` (dead weight) or ``not installed``."""
    if needed is None:
        return Content.styled("not installed", "$text-muted")
    return Content.styled("yes", "$success") if needed else Content.styled("no", "bold $warning")


def probe_line(smoke: SmokeReport) -> Content:
    """How many probed packages were needed, and the bytes of those nothing needed."""
    probe, dead = smoke.probe, smoke.dead_weight()
    absent = sum(1 for p in probe if p.needed is None)
    weight = sum(p.bytes for p in dead)
    parts: list[str | tuple[str, str]] = [
        ("Probe ", "bold"),
        f"{len(probe)} package(s): {len(probe) - len(dead) - absent} needed, ",
        (f"{len(dead)} dead weight ({fmt_bytes(weight) or '0 B'}, {weight:,} B)", "$warning"),
    ]
    if absent:
        parts.append(f", {absent} not installed")
    return Content.assemble(*parts)


def estimate_line(estimate: int | None, comparison: dict | None) -> str:
    """Estimate vs measured site-packages, with the difference in bytes and percent."""
    if comparison:
        return (
            f"{fmt_bytes(comparison['estimate_bytes'])} vs actual "
            f"{fmt_bytes(comparison['actual_bytes'])} (site-packages): "
            f"{fmt_bytes(comparison['difference_bytes'], signed=True)} "
            f"({comparison['difference_ratio']:+.1%})"
        )
    if estimate:
        return f"{fmt_bytes(estimate)}; the Python install was not measured"
    return "none for this build"


def cache_cell(cached: bool) -> Content:
    """A build step: ``cache`` (reused from the engine's build cache) or ``ran``."""
    return Content.styled("cache", "$success") if cached else Content.styled("ran", "$text-muted")


class BuildResultPanel(Vertical):
    """The outcome of the last build (hidden until there is one)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._known: dict[str, float] = {}  # instruction -> seconds, from this session's builds

    def compose(self) -> ComposeResult:
        yield Static(id="result-summary")
        yield DataTable(id="steps-table", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="smoke-table", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="probe-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        steps = self.query_one("#steps-table", DataTable)
        steps.add_columns("step", "cache", "time", "instruction")
        self.query_one("#smoke-table", DataTable).add_columns(
            "check", "verdict", "help", "no login", "run", "detail"
        )
        probe = self.query_one("#probe-table", DataTable)
        probe.add_column("package")
        probe.add_column("needed", width=len("not installed"))
        probe.add_columns("bytes", "detail")
        self.display = False

    def show_outcome(self, outcome, mode: str | None = None) -> None:
        """Fill in from a core ``BuildOutcome`` (success, smoke failure or build failure);
        ``mode`` is the recipe's install mode (for the rebuild hint)."""
        summary = self.query_one("#result-summary", Static)
        table = self.query_one("#smoke-table", DataTable)
        probe = self.query_one("#probe-table", DataTable)
        steps = self.query_one("#steps-table", DataTable)
        for each in (table, probe, steps):
            each.clear()
            each.display = False
        self.display = True
        failure = outcome.failure
        if failure is not None:
            lines = list(failure.last_lines)[-LAST_LINES:]
            head = f"Last lines of step {failure.step}/{failure.total}" if failure.step else ""
            summary.update(
                Content("\n").join(
                    [
                        Content.styled(head, "bold"),
                        *(Content.styled(x, "$text-muted") for x in lines),
                    ]
                )
                if lines
                else Content.styled("No log lines from the engine.", "$text-muted")
            )
            return
        summary.update(self._summary(outcome, mode))
        if outcome.result is not None and outcome.result.instructions:
            steps.display = True
            for n, text, seconds, cached in outcome.result.steps():
                steps.add_row(
                    f"{n}/{len(outcome.result.instructions)}",
                    cache_cell(cached),
                    "-" if seconds is None else f"{seconds:.1f} s",
                    " ".join(text.split())[:90],
                )
        if outcome.smoke is not None and (outcome.smoke.checks or outcome.smoke.run_script):
            table.display = True
            for row in smoke_rows(outcome.smoke):
                table.add_row(*row)
        if outcome.smoke is not None and outcome.smoke.probe:
            probe.display = True
            for result in outcome.smoke.probe:
                probe.add_row(
                    result.package,
                    needed_cell(result.needed),
                    fmt_bytes(result.bytes) if result.files else "-",
                    result.detail,
                )

    def _summary(self, outcome, mode: str | None) -> Content:
        from workbench.core.engine.rebuild import estimate_rebuilds, measured_seconds

        report, record = outcome.report, outcome.record
        result = outcome.result
        image = (report.image_id if report else result.image_id).removeprefix("sha256:")[:12]
        total = len(result.instructions)
        cached = f", {result.cached_steps}/{total} steps from the cache" if total else ""
        lines = [
            Content.assemble(
                ("Image ", "bold"),
                image,
                f"  tag {result.tag or '(none)'}  built in {result.duration_s:.1f} s{cached}",
            )
        ]
        if mode is not None and total:
            rebuild = estimate_rebuilds(result, self._known).lines(mode)
            self._known.update(measured_seconds(result))
            lines.append(Content.assemble(("Rebuild ", "bold"), rebuild[0]))
            lines.extend(Content.styled(f"  {x}", "$text-muted") for x in rebuild[1:])
        if report is not None:
            python = report.python_layer_bytes
            lines.append(
                Content.assemble(
                    ("Size ", "bold"),
                    f"{fmt_bytes(report.size_bytes)}   base {fmt_bytes(report.base_size_bytes)}"
                    f"   added over base {fmt_bytes(report.added_bytes, signed=True)}"
                    f" ({report.added_bytes:,} B)   Python layers "
                    f"{fmt_bytes(python) if python is not None else 'not measured'}",
                )
            )
        comparison = record.get("comparison")
        lines.append(
            Content.assemble(
                ("Estimate ", "bold"), estimate_line(record.get("estimate_bytes"), comparison)
            )
        )
        lines.extend(
            Content.styled(f"  {x}", "$text-muted")
            for x in (comparison or {}).get("explanation", [])[1:]
        )
        lines.append(self._smoke_line(outcome.smoke))
        if outcome.smoke is not None and outcome.smoke.probe:
            lines.append(probe_line(outcome.smoke))
        return Content("\n").join(lines)

    @staticmethod
    def _smoke_line(smoke) -> Content:
        if smoke is None:
            return Content.assemble(("Smoke ", "bold"), "not run")
        failed = sum(1 for c in smoke.checks if not c.ok)
        parts: list[str | Content | tuple[str, str]] = [("Smoke ", "bold"), verdict(smoke.passed)]
        parts.append(f"  {len(smoke.checks) - failed}/{len(smoke.checks)} checks passed")
        if smoke.error:
            parts.append(f"; {smoke.error}")
        if smoke.startup_median_s is not None:
            parts.append(f"   az --version {smoke.startup_median_s:.2f} s (median)")
        if smoke.run_script:
            parts.append("   scripts run: branches the run did not take are not covered")
        if smoke.escapes:
            parts.append((f"   {len(smoke.escapes)} attempt(s) to leave the container", "$warning"))
        return Content.assemble(*parts)
