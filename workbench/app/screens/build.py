"""The Build screen: confirm, build on the engine in a worker, stream the log in batches, show
step progress and elapsed time, cancel; then the result panel or the failure, in place."""

from __future__ import annotations

import os
import threading
import time
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Log, ProgressBar, Static

from workbench.app.build_messages import BuildEvents, BuildFinished
from workbench.app.build_runner import (
    BuildRequest,
    EventBatcher,
    default_tag,
    recipe_path,
)
from workbench.app.screens.base import WorkbenchScreen
from workbench.app.screens.build_confirm import BuildConfirmModal
from workbench.app.widgets.build_result import BuildResultPanel
from workbench.app.widgets.notice import Notice
from workbench.core.files import one_line

LOG_LINES = 5000


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


class BuildScreen(WorkbenchScreen):
    """Builds the session's recipe; the builder is ``app.builder`` (injectable for tests)."""

    MODE = "build"
    AUTO_FOCUS = "#build-log"
    BINDINGS: ClassVar[list] = [
        Binding("b", "build", "Build", id="build-start"),
        Binding("x", "cancel", "Cancel build", id="build-cancel"),
        Binding("ctrl+c", "cancel_or_copy", "Cancel build", show=False, id="build-cancel-ctrl-c"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._cancel: threading.Event | None = None
        self._started = 0.0
        self._warnings = 0
        self._built = False  # the image exists; progress lines now come from the smoke test
        self._mode: str | None = None  # the install mode of the recipe being built
        self._cached = 0  # steps of the running build the engine took from its cache

    def compose_body(self) -> ComposeResult:
        yield Static(id="build-status")
        with Horizontal(id="build-progress-row"):
            yield ProgressBar(id="build-steps", show_eta=False, show_percentage=False)
            yield Static(id="build-step")
            yield Static(id="build-elapsed")
        yield Notice(id="notice")
        yield BuildResultPanel(id="build-result")
        yield Log(id="build-log", max_lines=LOG_LINES, highlight=False)

    def on_mount(self) -> None:
        self.query_one(Notice).display = False
        self.query_one("#build-progress-row").display = False
        self._timer = self.set_interval(0.5, self._tick, pause=True)

    def on_unmount(self) -> None:
        if self._cancel is not None:  # leaving the app mid-build stops the build
            self._cancel.set()

    @property
    def building(self) -> bool:
        """True while a build runs."""
        return self._cancel is not None

    def show_session(self, session) -> None:
        if not self.building:
            self._status(f"Press b to build {recipe_path(session).name} on the Docker engine.")

    def show_load_error(self, error: str) -> None:
        self._notice(f"Could not open the session: {error}", "error")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "build":
            return not self.building or None
        if action == "cancel":
            return self.building or None
        return True

    # -- start --------------------------------------------------------------------------

    def action_build(self) -> None:
        session = self.app.session
        if session is None:
            self.notify("the session is still loading", severity="warning")
            return
        from workbench.core.engine.build import engine_address

        path = recipe_path(session)
        modal = BuildConfirmModal(
            recipe=os.path.relpath(path) if path.is_absolute() else str(path),
            engine=engine_address(),
            tag=default_tag(session),
        )
        self.app.push_screen(modal, self._confirmed)

    def _confirmed(self, request: BuildRequest | None) -> None:
        if request is None or self.building:
            return
        self._cancel = threading.Event()
        self._mode = self.app.session.install_mode
        self._started = time.monotonic()
        self._warnings = 0
        self._built = False
        self.query_one(Notice).display = False
        self.query_one(BuildResultPanel).display = False
        log = self.query_one(Log)
        log.clear()
        log.write_line(f"# build {request.tag or '(untagged)'}")
        self.query_one("#build-progress-row").display = True
        self.query_one("#build-steps", ProgressBar).update(total=None, progress=0)
        self.query_one("#build-step", Static).update("")
        self._cached = 0
        self._timer.resume()
        self._tick()
        self._status("Building…")
        self.refresh_bindings()
        self._run(self.app.session.snapshot(), request, self._cancel)

    @work(thread=True, exclusive=True, group="build", exit_on_error=False)
    def _run(self, session, request: BuildRequest, cancel: threading.Event) -> None:
        """Plan and build off the UI thread; events reach the screen in ~50 ms batches."""
        outcome, error = None, None
        with EventBatcher(lambda items: self.post_message(BuildEvents(items))) as batch:
            try:
                outcome = self.app.builder(
                    session,
                    request,
                    cancel=cancel,
                    on_event=batch.add,
                    on_progress=batch.add,
                )
            except Exception as exc:  # shown in place; the app keeps working
                error = one_line(exc)
        self.post_message(BuildFinished(outcome, error))

    # -- progress -----------------------------------------------------------------------

    @on(BuildEvents)
    def _events(self, message: BuildEvents) -> None:
        from workbench.core.engine.build import (
            BuildFailed,
            BuildResult,
            BuildWarning,
            StepCached,
            StepStarted,
        )

        lines: list[str] = []
        step = None
        for item in message.items:
            if isinstance(item, str):
                lines.append(f"# {item}")
                self._status(f"Smoke test: {item}" if self._built else f"{item}…")
            elif isinstance(item, StepStarted):
                step = item
                lines.append(f"Step {item.n}/{item.total} : {item.instruction}")
            elif isinstance(item, BuildWarning):
                self._warnings += 1
                lines.append(item.text)
            elif isinstance(item, BuildResult):
                self._built = True
                self._status("Built; measuring the image…")
            elif isinstance(item, StepCached):
                self._cached += 1
            elif not isinstance(item, BuildFailed):
                lines.append(item.text)
        self.query_one(Log).write_lines(lines)
        if step is not None:
            self.query_one("#build-steps", ProgressBar).update(total=step.total, progress=step.n)
            self.query_one("#build-step", Static).update(
                f"step {step.n}/{step.total}: {' '.join(step.instruction.split())[:60]}"
            )
            cached = f" ({self._cached} from the cache so far)" if self._cached else ""
            self._status(f"Building step {step.n}/{step.total}…{cached}")

    def _tick(self) -> None:
        warn = f" · {self._warnings} warning(s)" if self._warnings else ""
        self.query_one("#build-elapsed", Static).update(
            f"elapsed {_clock(time.monotonic() - self._started)}{warn}"
        )

    # -- cancel and finish --------------------------------------------------------------

    def action_cancel(self) -> None:
        if self._cancel is not None and not self._cancel.is_set():
            self._cancel.set()
            self._status("Cancelling…")

    def action_cancel_or_copy(self) -> None:
        if self.building:
            self.action_cancel()
        else:
            self.action_copy_text()

    @on(BuildFinished)
    def _finished(self, message: BuildFinished) -> None:
        self._cancel = None
        self._tick()
        self._timer.pause()
        self.refresh_bindings()
        outcome = message.outcome
        if outcome is None:
            self._status("The build did not start.")
            self._notice(f"Could not build: {message.error}", "error")
            return
        failure = outcome.failure
        if failure is not None:
            cancelled = failure.kind == "cancelled"
            self._status("Cancelled." if cancelled else "Build failed.")
            self._notice(failure.line(), "info" if cancelled else "error")
        else:
            smoke = outcome.smoke
            passed = "" if smoke is None else (" Smoke test passed." if smoke.passed else "")
            self._status(f"Built.{passed}")
            if smoke is not None and not smoke.passed:
                self._notice(
                    f"Smoke test failed{': ' + smoke.error if smoke.error else ''}", "error"
                )
        if outcome.smoke is not None and outcome.smoke.probe and self.app.session is not None:
            image = outcome.result.image_id if outcome.result else "the image"
            self.app.session.note_probe(outcome.smoke.probe, image)
        self.query_one(BuildResultPanel).show_outcome(outcome, self._mode)
        self.query_one(Log).scroll_end(animate=False)
        self.app.build_finished.publish(outcome)

    # -- helpers ------------------------------------------------------------------------

    def _status(self, text: str) -> None:
        self.query_one("#build-status", Static).update(text)

    def _notice(self, text: str, kind: str) -> None:
        self.query_one(Notice).show(text, kind=kind)
