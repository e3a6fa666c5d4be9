"""The workbench Textual app: screens as modes, themes, session loading, save and quit."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal

from workbench.app.build_runner import real_build
from workbench.app.loader import open_session, save_session
from workbench.app.messages import (
    BasesFound,
    ImageEstimated,
    LoadProgress,
    LoginSaving,
    Retargeted,
    SaveConflict,
    Saved,
    SessionLoaded,
    TargetsCompared,
    VersionsFound,
    WorkFailed,
)
from workbench.app.palette import ENTRIES
from workbench.app.paths import bundled_dir
from workbench.app.screens.build import BuildScreen
from workbench.app.screens.dockerfile import DockerfileScreen
from workbench.app.screens.history import HistoryScreen
from workbench.app.screens.layers import LayersScreen
from workbench.app.screens.modals import ConfirmModal
from workbench.app.screens.packages import PackagesScreen
from workbench.app.screens.scripts import ScriptsScreen
from workbench.app.session import Session
from workbench.app.settings import load_settings, save_setting
from workbench.app.themes import DEFAULT_THEME, load_themes
from workbench.app.widgets.nav import SCREENS
from workbench.core.errors import WorkbenchError
from workbench.core.files import ChangedOnDisk, one_line

if TYPE_CHECKING:
    from workbench.core.engine.pipeline import BuildOutcome

VERSIONS_SHOWN = 15  # newest azure-cli versions the target picker lists


class WorkbenchApp(App):
    """The workbench over the core: packages, scripts, Dockerfile, build, layers, history."""

    TITLE = "workbench"
    CSS_PATH = str(bundled_dir("themes") / "workbench.tcss")
    MODES: ClassVar[dict] = {
        "packages": PackagesScreen,
        "scripts": ScriptsScreen,
        "dockerfile": DockerfileScreen,
        "build": BuildScreen,
        "layers": LayersScreen,
        "history": HistoryScreen,
    }
    BINDINGS: ClassVar[list] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
        Binding("q", "quit", "Quit", show=False),
        Binding("ctrl+s", "save", "Save", id="save"),
        *(
            Binding(str(i), f"switch_mode('{mode}')", label, show=False, id=f"screen-{mode}")
            for i, (mode, label) in enumerate(SCREENS, 1)
        ),
    ]

    def __init__(
        self,
        recipe: Path | None = None,
        *,
        theme: str | None = None,
        offline: bool = False,
        opener: Callable[..., Session] = open_session,
        builder: Callable = real_build,
        imager: Callable | None = None,
    ) -> None:
        """``opener(recipe, offline=, progress=)`` loads the session in a worker thread;
        ``builder(session, request, cancel=, on_event=, on_progress=)`` builds it
        (the Build screen's worker) and returns the core ``BuildOutcome``."""
        super().__init__()
        self.recipe_path = recipe
        self.offline = offline
        self._opener = opener
        self.builder = builder
        self._imager = imager  # (session, offline=) -> ImageEstimate; default: the core's
        self._requested_theme = theme
        self.session: Session | None = None
        self.load_error: str | None = None
        self.crash: str | None = None  # the one line an unhandled error leaves on stderr
        self.image_error: str | None = None
        self.last_retarget_s: float | None = None
        self.session_changed: Signal[Session | None] = Signal(self, "session-changed")
        self.build_finished: Signal[BuildOutcome] = Signal(self, "build-finished")

    def on_mount(self) -> None:
        self._install_themes()
        self.switch_mode("packages")
        self.load_session()

    def _install_themes(self) -> None:
        themes, failures = load_themes()
        for theme in themes:
            self.register_theme(theme)
        for failure in failures:
            self.notify(
                f"{failure.path.name}: {failure.reason}", title="Theme skipped", severity="warning"
            )
        wanted = self._requested_theme or load_settings().get("theme") or DEFAULT_THEME
        if wanted not in self.available_themes:
            self.notify(f"no theme named {wanted!r}; using {DEFAULT_THEME}", severity="warning")
            wanted = DEFAULT_THEME
        self.theme = wanted
        self.theme_changed_signal.subscribe(self, self._remember_theme)

    def _remember_theme(self, theme) -> None:
        """Remember the theme; a config dir that cannot be written is a warning, not a crash."""
        try:
            save_setting("theme", theme.name)
        except WorkbenchError as exc:
            self.notify(str(exc), title="Theme not remembered", severity="warning", timeout=8)

    @work(thread=True, exit_on_error=False, exclusive=True, group="session")
    def load_session(self) -> None:
        """Open the recipe (or the embedded default) and its size model, off the UI thread."""
        try:
            session = self._opener(
                self.recipe_path,
                offline=self.offline,
                progress=self._post_progress,
            )
        except Exception as exc:  # shown in place; the app keeps working
            self.post_message(WorkFailed("load", one_line(exc)))
        else:
            self.post_message(SessionLoaded(session))

    def _post_progress(self, done: int, total: int, what: str) -> None:
        """A worker's progress, posted to the UI (thread-safe)."""
        self.post_message(LoadProgress(done, total, what))

    @on(SessionLoaded)
    def _session_loaded(self, message: SessionLoaded) -> None:
        self.session = message.session
        self.sub_title = message.session.name
        for note in message.session.notes:
            self.notify(note, title="Not available yet", severity="warning", timeout=8)
        self.session_changed.publish(self.session)
        self.estimate_image()
        self.measure_login()

    @work(thread=True, exit_on_error=False, exclusive=True, group="login-saving")
    def measure_login(self) -> None:
        """What ``login = "none"`` would save (a second analysis): after the first frame."""
        from workbench.app.loader import login_saving_of

        session = self.session
        if session is None:  # only started once a session is there
            return
        try:
            saving = login_saving_of(session.snapshot())
        except Exception as exc:  # the login toggle stays hidden; one line says why
            self.post_message(WorkFailed("login", one_line(exc)))
        else:
            self.post_message(LoginSaving(saving))

    @on(LoginSaving)
    def _login_measured(self, message: LoginSaving) -> None:
        if self.session is not None:
            self.session.login_saving = message.saving
            self.session_changed.publish(self.session)

    # -- target: re-resolve, whole image, compare (workers; the UI stays responsive) -------

    @work(thread=True, exit_on_error=False, exclusive=True, group="retarget")
    def retarget(self, choice: dict) -> None:
        """Re-resolve the session on the chosen target off the UI thread; on failure the
        last good numbers stay and one line says why."""
        import time

        from workbench.app.loader import retarget_session

        current = self.session
        if current is None:  # nothing loaded yet: nothing to retarget
            return
        started = time.perf_counter()
        try:
            session = retarget_session(
                current.snapshot(),
                choice,
                offline=self.offline,
                progress=self._post_progress,
            )
        except Exception as exc:  # shown in place; the last numbers stay
            self.post_message(WorkFailed("target", one_line(exc)))
        else:
            self.post_message(Retargeted(session, time.perf_counter() - started))

    @on(Retargeted)
    def _retargeted(self, message: Retargeted) -> None:
        self.session = message.session
        self.last_retarget_s = message.seconds
        self.mark_changed()
        self.session_changed.publish(message.session)
        self.notify(
            f"{message.session.target.describe()}: totals in {message.seconds * 1000:.0f} ms",
            title="Target changed",
            timeout=4,
        )
        self.estimate_image()

    @work(thread=True, exit_on_error=False, exclusive=True, group="image")
    def estimate_image(self) -> None:
        """The whole-image estimate of the current target (engine, registry, OS index)."""
        from workbench.app.loader import estimate_whole_image

        session = self.session
        if session is None:  # only started once a session is there
            return
        imager = self._imager or estimate_whole_image
        try:
            image = imager(session.snapshot(), offline=self.offline)
        except Exception as exc:  # the header says the whole image is not known
            self.post_message(ImageEstimated(None, one_line(exc)))
        else:
            self.post_message(ImageEstimated(image))

    @on(ImageEstimated)
    def _image_estimated(self, message: ImageEstimated) -> None:
        if self.session is not None:
            self.session.image = message.image
            self.image_error = message.error
            self.session_changed.publish(self.session)

    @work(thread=True, exit_on_error=False, exclusive=True, group="bases")
    def find_bases(self) -> None:
        """Engine images that have a Python, for the target picker."""
        from workbench.app.loader import engine_bases

        self.post_message(BasesFound(engine_bases()))

    @work(thread=True, exit_on_error=False, exclusive=True, group="versions")
    def find_versions(self) -> None:
        """azure-cli versions on the index, for the target picker (offline: none)."""
        from workbench.core.errors import WorkbenchError
        from workbench.core.sizes.index_versions import available_versions

        if self.offline:
            return
        try:
            self.post_message(VersionsFound(available_versions("azure-cli")[:VERSIONS_SHOWN]))
        except WorkbenchError as exc:  # the picker keeps its typed field
            self.post_message(WorkFailed("azure-cli versions", str(exc)))

    @work(thread=True, exit_on_error=False, exclusive=True, group="compare")
    def compare_targets(self, bases: list[str]) -> None:
        """The selection on each base, for the Compare targets view."""
        from workbench.app.loader import compare_session_targets
        from workbench.core.images.compare import cheapest

        session = self.session
        if session is None:  # nothing loaded yet: nothing to compare
            return
        try:
            rows = compare_session_targets(session.snapshot(), bases, offline=self.offline)
        except Exception as exc:  # shown in place
            self.post_message(WorkFailed("compare", one_line(exc)))
        else:
            self.post_message(TargetsCompared(rows, cheapest(rows)))

    @on(BasesFound)
    @on(VersionsFound)
    @on(TargetsCompared)
    def _to_modal(self, message) -> None:
        if self.screen_stack:  # the picker or the compare view, when still open
            self.screen.post_message(message)

    @on(LoadProgress)
    def _load_progress(self, message: LoadProgress) -> None:
        if self.screen_stack:
            self.screen.post_message(message)

    @on(WorkFailed)
    def _work_failed(self, message: WorkFailed) -> None:
        self.notify(message.error, title=f"{message.what} failed", severity="error", timeout=10)
        if message.what == "load":
            self.load_error = message.error
            self.session_changed.publish(None)

    def mark_changed(self) -> None:
        """Called by screens after they change the session: updates the title's unsaved mark."""
        if self.session is not None:
            self.sub_title = self.session.name + (" ●" if self.session.dirty else "")

    def action_save(self) -> None:
        if self.session is not None:
            self.save_session()

    @work(thread=True, exit_on_error=False, exclusive=True, group="save")
    def save_session(self, force: bool = False) -> None:
        """Write the recipe (atomic, backup kept) off the UI thread; a recipe changed on disk
        since it was opened is not overwritten without asking."""
        if self.session is None:
            return
        try:
            path = save_session(self.session, force=force)
        except ChangedOnDisk as exc:
            self.post_message(SaveConflict(str(exc)))
        except Exception as exc:  # shown in place; the app keeps working
            self.post_message(WorkFailed("save", one_line(exc)))
        else:
            self.post_message(Saved(str(path)))

    @on(SaveConflict)
    def _save_conflict(self, message: SaveConflict) -> None:
        question = f"{message.error}. Overwrite it anyway (the file on disk is kept as .bak)?"

        def answered(overwrite: bool | None) -> None:
            if overwrite:
                self.save_session(force=True)

        self.push_screen(ConfirmModal(question, "Overwrite", "Keep theirs"), answered)

    def run(self, *args, **kwargs):
        """Run the app; after an unhandled error its one line goes to stderr."""
        result = super().run(*args, **kwargs)
        if self.crash:
            print(self.crash, file=sys.stderr)
        return result

    def _fatal_error(self) -> None:
        """An unhandled error ends the app with exit code 1 and one line on stderr (the
        traceback with WORKBENCH_DEBUG=1); files are written atomically, so none is left
        half-written."""
        if os.environ.get("WORKBENCH_DEBUG") or self._exception is None:
            super()._fatal_error()
            return
        error = self._exception
        self.bell()
        self.crash = (
            f"workbench: internal error: {type(error).__name__}: {one_line(error)} "
            "(WORKBENCH_DEBUG=1 shows the traceback; please report it)"
        )
        self._close_messages_no_wait()

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        self.mark_changed()
        self.notify(f"saved {message.path} (the previous file is kept as .bak)", title="Saved")

    @property
    def building(self) -> bool:
        """True while the Build screen runs a build."""
        try:
            stack = self.get_screen_stack("build")
        except KeyError:  # the Build screen was never shown
            return False
        return any(getattr(screen, "building", False) for screen in stack)

    async def action_quit(self) -> None:
        """Quit; asks first while a build runs (quitting cancels it) or changes are unsaved."""
        dirty = self.session is not None and self.session.dirty
        question = _QUIT_QUESTIONS.get((self.building, dirty))
        if question:
            self.push_screen(
                ConfirmModal(question, "Quit", "Stay"), lambda yes: self.exit() if yes else None
            )
        else:
            self.exit()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, label in SCREENS:
            yield SystemCommand(
                f"Show {label}", f"Switch to the {label} screen", partial(self.switch_mode, mode)
            )
        yield SystemCommand(
            "Save recipe", "Write workbench.toml (a backup is kept)", self.action_save
        )
        for entry in ENTRIES:
            yield SystemCommand(
                entry.title, entry.help, partial(self.run_screen_action, entry.mode, entry.action)
            )

    async def run_screen_action(self, mode: str, action: str) -> bool:
        """Show the ``mode`` screen and run its ``action`` as its key would (a palette entry);
        says so when the screen refuses it now (e.g. cancel with no build running)."""
        await self.switch_mode(mode)
        if await self.run_action(action, self.screen):
            return True
        self.notify(f"{action.split('(')[0].replace('_', ' ')}: not available now", timeout=3)
        return False


_QUIT_QUESTIONS = {  # (building, unsaved changes) -> the question before quitting
    (True, False): "A build is running. Cancel it and quit?",
    (False, True): "Unsaved changes. Quit without saving?",
    (True, True): "A build is running and changes are unsaved. Cancel the build and quit "
    "without saving?",
}
