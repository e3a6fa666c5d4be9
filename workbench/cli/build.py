"""``workbench build``: build the recipe's image on the engine, report sizes, smoke-test it,
and record the build in the history beside the recipe."""

from __future__ import annotations

import argparse
import sys
import threading
import time

from workbench.cli.common import print_json
from workbench.core.engine.build import (
    CANCEL_GRACE,
    BuildFailed,
    BuildWarning,
    LogLine,
    StepStarted,
)
from workbench.core.engine.pipeline import BuildOutcome, run_plan
from workbench.core.errors import WorkbenchError
from workbench.core.project import Project
from workbench.core.units import fmt_bytes

EXIT_CODES = """exit codes:
  0    built (and, with --smoke/--probe, every check passed)
  1    the build failed (a RUN step, or the engine mid-build); the failing step, its command
       and the last log lines are on stderr and in the history
  2    bad input: recipe unreadable or invalid, base image missing on the engine
  3    no Docker engine answers (DOCKER_HOST / docker context / scripts/provision-docker.sh)
  4    built, but the smoke test failed
  130  cancelled (Ctrl-C)
Every outcome, failures included, is appended to .workbench/history.jsonl beside the recipe."""

SILENCE_NOTE_S = 30  # a note on stderr after this long without a build event


def add_parser(subparsers) -> None:
    """Register ``build``."""
    p = subparsers.add_parser(
        "build",
        help="build the recipe's image, report sizes, smoke-test it",
        description="Build the recipe's Dockerfile on the engine from the environment "
        "(DOCKER_HOST and the docker context honoured), streaming the log to stderr.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--recipe", required=True, metavar="FILE", help="workbench.toml")
    p.add_argument("--tag", metavar="TAG", help="tag for the built image")
    p.add_argument("--smoke", action="store_true", help="smoke-test the image after the build")
    p.add_argument(
        "--probe",
        action="store_true",
        help="also hide each non-baseline package in turn and report which are needed",
    )
    add_run_script_flag(p)
    p.add_argument("--offline", action="store_true", help="size data from cache/snapshot only")
    p.add_argument("--json", action="store_true", help="machine output on stdout")
    p.set_defaults(run=run)


def add_run_script_flag(p) -> None:
    """``--run-script`` (shared by build and smoke)."""
    p.add_argument(
        "--run-script",
        action="store_true",
        help="also run the recipe's scripts in the image against the fake Azure, tracing "
        "every az call (paths the analysis missed fail the smoke)",
    )


def run(args) -> int:
    """Plan, build, report; the outcome decides the exit code (see EXIT_CODES)."""
    from workbench.core.images.probe import complete_recipe
    from workbench.core.recipe.recipe import Recipe

    recipe = Recipe.load(args.recipe)
    complete_recipe(recipe)  # a base whose name tells nothing is probed on the engine
    plan = Project.open(recipe, offline=args.offline).build_plan()
    cancel = threading.Event()
    done: list[BuildOutcome] = []
    heard = [time.monotonic()]

    def on_event(event) -> None:
        heard[0] = time.monotonic()
        log_event(event)

    finished = threading.Event()  # not Thread.join: an interrupted join misreports is_alive

    def work() -> None:
        try:
            done.append(
                run_plan(
                    plan,
                    args.recipe,
                    tag=args.tag,
                    smoke=args.smoke,
                    probe=args.probe,
                    run_script=args.run_script,
                    cancel=cancel,
                    on_event=on_event,
                    on_progress=lambda line: print(f"smoke: {line}", file=sys.stderr),
                )
            )
        finally:
            finished.set()

    threading.Thread(target=work, daemon=True).start()
    try:
        while not finished.wait(0.2):
            if time.monotonic() - heard[0] >= SILENCE_NOTE_S:
                heard[0] = time.monotonic()
                print(
                    f"  (no word from the engine for {SILENCE_NOTE_S} s; still waiting, "
                    "Ctrl-C cancels)",
                    file=sys.stderr,
                )
    except KeyboardInterrupt:  # stop the build; the pipeline records it as cancelled
        print("cancelling the build...", file=sys.stderr)
        cancel.set()
        _wait_bounded(finished, CANCEL_GRACE + 10)
        if not done:
            raise WorkbenchError(
                "cancelled; the engine did not confirm it (check `docker ps`)", exit_code=130
            ) from None
    if not done:
        raise WorkbenchError("the build stopped without an outcome", exit_code=1)
    outcome = done[0]
    if outcome.history_error:
        print(f"workbench build: warning: {outcome.history_error}", file=sys.stderr)
    versus = whole_image_versus(recipe, plan, outcome, args.offline)
    if outcome.failure:
        print(f"workbench build: error: {outcome.failure.line()}", file=sys.stderr)
        if args.json:
            print_json(outcome.to_json())
        return outcome.exit_code
    print_summary(outcome)
    if versus is not None:
        from workbench.core.images.whole import versus_lines

        for line in versus_lines(versus):
            print(line, file=sys.stderr)
    if args.json:
        data = outcome.to_json()
        if versus is not None:
            data["image_estimate"] = versus
        print_json(data)
    return outcome.exit_code


def _wait_bounded(finished: threading.Event, seconds: float) -> None:
    """Wait for the cancelled build to record its outcome; another Ctrl-C does not cut the
    wait short (it is bounded), so the outcome is still recorded."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if finished.wait(0.2):
                return
        except KeyboardInterrupt:
            print(f"still cancelling (at most {seconds:.0f} s)...", file=sys.stderr)


def whole_image_versus(recipe, plan, outcome, offline: bool) -> dict | None:
    """The whole-image estimate against the built image; None without a built image or when
    the estimate cannot be made (its one line goes to stderr)."""
    from workbench.core.engine.build import connect
    from workbench.core.images.whole import estimate_image, versus_built

    if outcome.report is None or plan.estimate_bytes is None:
        return None
    try:
        estimate = estimate_image(recipe, plan.estimate_bytes, client=connect(), offline=offline)
    except WorkbenchError as exc:
        print(f"note: whole-image estimate not made: {exc}", file=sys.stderr)
        return None
    return versus_built(estimate, outcome.report)


def log_event(event) -> None:
    """The build log on stderr: steps, lines, warnings, the failing step's last lines."""
    if isinstance(event, StepStarted):
        print(f"[{event.n}/{event.total}] {event.instruction}", file=sys.stderr)
    elif isinstance(event, LogLine):
        print(f"  {event.text}", file=sys.stderr)
    elif isinstance(event, BuildWarning):
        print(f"  warning: {event.text}", file=sys.stderr)
    elif isinstance(event, BuildFailed) and event.last_lines:
        print("  last lines:", file=sys.stderr)
        for line in event.last_lines[-10:]:
            print(f"  | {line}", file=sys.stderr)


def print_summary(outcome: BuildOutcome) -> None:
    """Human summary on stderr: sizes, added layers, estimate vs actual, smoke verdicts."""
    report, smoke, result = outcome.report, outcome.smoke, outcome.result
    out = sys.stderr
    if result and result.instructions:
        print(
            f"built in {result.duration_s:.1f} s; {result.cached_steps}/"
            f"{len(result.instructions)} steps from the engine's cache",
            file=out,
        )
    if report:
        print(
            f"image {report.image_id[:19]}: {fmt_bytes(report.size_bytes)}, base "
            f"{fmt_bytes(report.base_size_bytes)}, added {fmt_bytes(report.added_bytes)}",
            file=out,
        )
        for layer in report.layers:
            print(f"  {fmt_bytes(layer.size_bytes):>10}  {layer.command[:90]}", file=out)
        if report.comparison:
            for line in report.comparison.explanation:
                print(f"  {line}", file=out)
    if smoke:
        print_smoke(smoke, out)
    if outcome.history:
        print(f"recorded in {outcome.history}", file=out)


def print_smoke(smoke, out) -> None:
    """Smoke verdicts, startup time and the probe's findings."""
    verdict = "passed" if smoke.passed else "FAILED"
    print(f"smoke {verdict} in {smoke.duration_s:.1f} s", file=out)
    marks = {True: "ok", False: "FAIL", None: "-"}
    for command in smoke.commands:
        mark = "ok  " if command.ok else "FAIL"
        tiers = " ".join(f"{t}={marks[v['ok']]}" for t, v in command.tiers.items())
        print(f"  {mark} az {command.path} [{tiers}]: {command.detail[:100]}", file=out)
    for check in smoke.checks:
        if check.kind in ("import", "certifi") or not check.ok:
            mark = "ok  " if check.ok else ("FAIL" if check.counted_failure else "both")
            print(f"  {mark} {check.kind} {check.target}: {check.detail[:100]}", file=out)
    for run in smoke.run_script:
        seen = ", ".join(f"{p} x{n}" for p, n in run.seen) or "no az calls"
        print(f"  script {run.script}: exit {run.exit_code}; seen: {seen}", file=out)
        for path in run.missed_by_analysis:
            print(f"    FAIL missed by the analysis: az {path}", file=out)
        for failure in run.failures:
            where = f" (line {failure.line})" if failure.line else ""
            shared = " [the full install fails too]" if failure.excused else ""
            print(f"    FAIL {failure.label}{where}: {failure.detail[:100]}{shared}", file=out)
    if smoke.escapes:
        print(
            f"  {len(smoke.escapes)} attempt(s) to leave the container: {smoke.escapes[0]}",
            file=out,
        )
    for note in smoke.notes:
        print(f"  note: {note}", file=out)
    if smoke.startup_median_s is not None:
        print(f"  az --version: median {smoke.startup_median_s:.2f} s", file=out)
    for probe in smoke.probe:
        state = {True: "needed", False: "dead weight", None: "not installed"}[probe.needed]
        why = f" ({probe.detail[:80]})" if probe.detail else ""
        print(f"  probe {probe.package}: {state}, {fmt_bytes(probe.bytes)}{why}", file=out)
