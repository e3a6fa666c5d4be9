"""One build of a plan, end to end: build on the engine, measure the image, smoke-test it,
and append the record to the history beside the recipe - failures included."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.engine.build import (
    ENGINE_DOWN_EXIT,
    BuildEvent,
    BuildFailed,
    BuildResult,
    build_image,
    connect,
    final_base_image,
)
from workbench.core.engine.history import append_record, new_record
from workbench.core.engine.image_report import ImageReport, image_report
from workbench.core.engine.smoke import SmokeCall, SmokeReport, smoke_context, smoke_test
from workbench.core.errors import WorkbenchError
from workbench.core.files import one_line

# Exit codes of `workbench build` / `workbench smoke` (documented in their --help).
EXIT_OK = 0
EXIT_BUILD_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_ENGINE_DOWN = ENGINE_DOWN_EXIT
EXIT_SMOKE_FAILED = 4
EXIT_CANCELLED = 130

_FAILURE_EXIT = {
    "step": EXIT_BUILD_FAILED,
    "engine": EXIT_BUILD_FAILED,
    "base-image": EXIT_BAD_INPUT,
    "cancelled": EXIT_CANCELLED,
}


@dataclass(frozen=True)
class BuildPlan:
    """Everything one build needs, in plain values (made from a recipe, or by hand)."""

    dockerfile: str
    files: Mapping[str, bytes | str | Path] = field(default_factory=dict)
    base_image: str | None = None
    calls: tuple[SmokeCall, ...] = ()
    paths: tuple[tuple[str, ...], ...] = ()
    imports: tuple[str, ...] = ()
    probe_packages: Mapping[str, Sequence[str]] = field(default_factory=dict)  # name -> files
    estimate_bytes: int | None = None
    target: dict | None = None
    recipe_digest: str = ""  # ``Recipe.digest()``: ties builds of one recipe together
    packages: Mapping[str, str] = field(default_factory=dict)  # name -> version installed
    settings: Mapping[str, str] = field(default_factory=dict)  # base image, python, mode, trims
    buildargs: Mapping[str, str] = field(default_factory=dict)
    network_mode: str | None = None
    scripts: tuple[str, ...] = ()
    azure_cli: str | None = None


@dataclass
class BuildOutcome:
    """What happened: the build result or failure, the image report, the smoke report, the
    history record and the exit code the CLI uses."""

    result: BuildResult | None = None
    failure: BuildFailed | None = None
    report: ImageReport | None = None
    smoke: SmokeReport | None = None
    record: dict = field(default_factory=dict)
    history: Path | None = None
    history_error: str | None = None  # why the record could not be appended
    exit_code: int = EXIT_OK

    def to_json(self) -> dict:
        """The CLI contract: image id, sizes, estimate, added layers, smoke verdicts."""
        report = self.report
        return {
            "image_id": report.image_id if report else None,
            "size_bytes": report.size_bytes if report else None,
            "base_size_bytes": report.base_size_bytes if report else None,
            "added_bytes": report.added_bytes if report else None,
            "python_layer_bytes": report.python_layer_bytes if report else None,
            "estimate_bytes": self.record.get("estimate_bytes"),
            "layers": report.to_json()["layers"] if report else [],
            "smoke": (
                {"passed": self.smoke.passed, **self.smoke.to_json()} if self.smoke else None
            ),
            "comparison": report.to_json()["comparison"] if report else None,
            "footprint": report.to_json()["footprint"] if report else None,
            "durations": self.record.get("durations"),
            "failure": self.record.get("failure"),
            "history": str(self.history) if self.history else None,
        }


def run_plan(
    plan: BuildPlan,
    recipe: str | os.PathLike,
    *,
    tag: str | None = None,
    smoke: bool = False,
    probe: bool = False,
    run_script: bool = False,
    cancel: threading.Event | None = None,
    on_event: Callable[[BuildEvent], None] | None = None,
    on_progress: Callable[[str], None] | None = None,
    client=None,
) -> BuildOutcome:
    """Build ``plan``, report on the image, optionally smoke-test (and probe) it, with
    ``run_script`` run its scripts traced, and append the record to ``recipe``'s history.
    Never raises for engine/build failures: they are in the outcome (``failure``,
    ``exit_code``) and in the history."""
    started = time.monotonic()
    outcome = BuildOutcome()
    durations: dict[str, float] = {}
    base = plan.base_image or final_base_image(plan.dockerfile)
    try:
        client = client or connect()
        for event in build_image(
            plan.dockerfile,
            plan.files,
            tag=tag,
            buildargs=plan.buildargs,
            network_mode=plan.network_mode,
            cancel=cancel,
            client=client,
        ):
            if on_event:
                on_event(event)
            if isinstance(event, BuildResult):
                outcome.result = event
            elif isinstance(event, BuildFailed):
                outcome.failure = event
        durations["build_s"] = round(time.monotonic() - started, 3)
        if outcome.result:
            mark = time.monotonic()
            outcome.report = image_report(
                client, outcome.result.image_id, base, estimate_bytes=plan.estimate_bytes
            )
            durations["report_s"] = round(time.monotonic() - mark, 3)
        if outcome.result and (smoke or probe or run_script):
            mark = time.monotonic()
            outcome.smoke = smoke_test(
                client,
                outcome.result.image_id,
                plan.paths,
                plan.calls,
                plan.imports,
                probe=plan.probe_packages if probe else (),
                scripts=plan.scripts if run_script else (),
                **smoke_context(client, base, plan.azure_cli, on_progress),
                progress=on_progress,
            )
            durations["smoke_s"] = round(time.monotonic() - mark, 3)
    except WorkbenchError as exc:
        kind = "engine" if exc.exit_code == EXIT_ENGINE_DOWN else "error"
        outcome.failure = BuildFailed(kind, str(exc), duration_s=time.monotonic() - started)
        outcome.exit_code = exc.exit_code
    except Exception as exc:  # the engine misbehaving after the build (a 500, a cut line)
        outcome.failure = BuildFailed(
            "engine", f"the engine failed: {one_line(exc)}", duration_s=time.monotonic() - started
        )
    if cancel is not None and cancel.is_set() and not _cancelled(outcome):
        outcome.failure = BuildFailed(
            "cancelled", "cancelled", duration_s=time.monotonic() - started
        )
        outcome.exit_code = EXIT_OK
    durations["total_s"] = round(time.monotonic() - started, 3)
    if outcome.failure and outcome.exit_code == EXIT_OK:
        outcome.exit_code = _FAILURE_EXIT.get(outcome.failure.kind, EXIT_BUILD_FAILED)
    elif outcome.smoke and not outcome.smoke.passed:
        outcome.exit_code = EXIT_SMOKE_FAILED
    outcome.record = _record(plan, outcome, base, tag, durations)
    try:
        outcome.history = append_record(recipe, outcome.record)
    except WorkbenchError as exc:
        outcome.history_error = str(exc)
    return outcome


def _cancelled(outcome: BuildOutcome) -> bool:
    return outcome.failure is not None and outcome.failure.kind == "cancelled"


def _record(plan: BuildPlan, outcome: BuildOutcome, base, tag, durations) -> dict:
    report, failure, smoke = outcome.report, outcome.failure, outcome.smoke
    status = "ok"
    if failure:
        status = "cancelled" if failure.kind == "cancelled" else "failed"
    elif smoke and not smoke.passed:
        status = "smoke-failed"
    if outcome.result:
        durations["steps_s"] = [round(s, 3) for s in outcome.result.step_seconds]
        durations["cached_steps"] = list(outcome.result.cached)  # step numbers from the cache
    return new_record(
        status=status,
        recipe_hash=f"sha256:{plan.recipe_digest}" if plan.recipe_digest else None,
        packages=dict(plan.packages),
        settings=dict(plan.settings),
        dockerfile=plan.dockerfile,
        target=plan.target,
        base_image=base,
        tag=tag,
        image_id=report.image_id if report else None,
        estimate_bytes=plan.estimate_bytes,
        size_bytes=report.size_bytes if report else None,
        base_size_bytes=report.base_size_bytes if report else None,
        added_bytes=report.added_bytes if report else None,
        python_layer_bytes=report.python_layer_bytes if report else None,
        layers=report.to_json()["layers"] if report else [],
        comparison=report.to_json()["comparison"] if report else None,
        smoke=smoke.to_json() if smoke else None,
        durations=durations,
        failure=(
            {
                "kind": failure.kind,
                "line": failure.line(),
                "step": failure.step,
                "command": failure.command,
                "last_lines": list(failure.last_lines),
            }
            if failure
            else None
        ),
    )
