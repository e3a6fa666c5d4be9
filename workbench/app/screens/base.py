"""What every workbench screen shares: title bar, screen tabs, footer, session updates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header

from workbench.app.widgets.nav import NavTabs

if TYPE_CHECKING:
    from workbench.app.app import WorkbenchApp
    from workbench.app.session import Session


class WorkbenchScreen(Screen):
    """A top-level screen (app mode). Subclasses set ``MODE`` and write ``compose_body``."""

    MODE = ""

    if TYPE_CHECKING:

        @property
        def app(self) -> WorkbenchApp:
            """The running workbench (typed: screens read its session and signals)."""
            ...

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="▣")
        yield NavTabs(self.MODE)
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets, between the tabs and the footer."""
        yield from ()

    def on_mount(self) -> None:
        self.app.session_changed.subscribe(self, self._on_session_changed)
        self._on_session_changed(self.app.session)

    def on_screen_resume(self) -> None:
        self.query_one(NavTabs).active = self.MODE
        if self.app.session is not None:
            self.show_session(self.app.session)

    def _on_session_changed(self, session: Session | None) -> None:
        if session is not None:
            self.show_session(session)
        elif self.app.load_error:
            self.show_load_error(self.app.load_error)

    def show_session(self, session: Session) -> None:
        """Bring the screen up to date with the session (called when it changes or is shown)."""

    def show_load_error(self, error: str) -> None:
        """The session could not be opened: say so in place (screens with a notice)."""
