"""The Dockerfile screen: the session's rendered Dockerfile, its diff against the last built
one, and writing it out (with the build-context files it COPYs)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Static, TextArea

from workbench.app.screens.base import WorkbenchScreen
from workbench.app.widgets.notice import Notice
from workbench.core.files import one_line

if TYPE_CHECKING:
    from workbench.app.session import Session

DEBOUNCE_S = 0.2
_DIFF_STYLES = {"+": "$success", "-": "$error", "@": "$accent"}


@dataclass
class Rendered(Message):
    """A render finished: ``generation`` tells stale results apart."""

    generation: int
    recipe_path: str
    dockerfile: str
    files: int
    diff: list[str] | None  # unified diff lines; None: no build yet
    last: str  # the last build, in words ("" if none)


@dataclass
class RenderFailed(Message):
    """A render (or write) failed: one line for the user."""

    generation: int
    error: str


@dataclass
class Written(Message):
    """The Dockerfile was written to ``path`` with ``files`` build-context files."""

    path: str
    files: int


class DockerfileScreen(WorkbenchScreen):
    """The rendered Dockerfile (re-rendered in a worker, debounced, when the session changes)."""

    MODE = "dockerfile"
    AUTO_FOCUS = "#dockerfile-text"
    BINDINGS: ClassVar[list] = [
        Binding("w", "write", "Write out", id="write-dockerfile"),
        Binding("d", "toggle_diff", "Diff vs last build", id="toggle-diff"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.generation = 0
        self._timer: Timer | None = None
        self._shown: Rendered | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("Rendering the Dockerfile…", id="dockerfile-status")
        notice = Notice(id="notice")
        notice.display = False
        yield notice
        with ContentSwitcher(initial="dockerfile-text", id="dockerfile-views"):
            yield TextArea(
                id="dockerfile-text",
                language="bash",
                read_only=True,
                show_line_numbers=True,
                soft_wrap=False,
            )
            with VerticalScroll(id="dockerfile-diff"):
                yield Static(id="diff-text")

    # -- rendering ----------------------------------------------------------------------

    def show_session(self, session: Session) -> None:
        """Render again shortly (changes in a burst make one render)."""
        self.generation += 1
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_S, self._start_render)

    def show_load_error(self, error: str) -> None:
        self.query_one(Notice).show(f"Could not open the session: {error}", kind="error")

    def _start_render(self) -> None:
        if self.app.session is not None:
            self.render_dockerfile(self.app.session.snapshot(), self.generation)

    @work(thread=True, exit_on_error=False, exclusive=True, group="dockerfile-render")
    def render_dockerfile(self, session: Session, generation: int) -> None:
        """Render the snapshot's Dockerfile and diff it against the last build."""
        from workbench.app.loader import last_build, render_build_context

        try:
            recipe, built = render_build_context(session)
            last = last_build(recipe)
        except Exception as exc:  # shown in place; the app keeps working
            self.post_message(RenderFailed(generation, one_line(exc)))
            return
        diff, when = None, ""
        if last is not None:
            when = (
                f"{last.get('time', '?')} ({last.get('status')}, {last.get('tag') or 'untagged'})"
            )
            diff = list(
                difflib.unified_diff(
                    last["dockerfile"].splitlines(),
                    built.dockerfile.splitlines(),
                    f"last build {when}",
                    "now",
                    lineterm="",
                )
            )
        assert recipe.path is not None  # session_recipe always places the recipe
        self.post_message(
            Rendered(
                generation, _shown(recipe.path), built.dockerfile, len(built.files), diff, when
            )
        )

    @on(Rendered)
    def _rendered(self, message: Rendered) -> None:
        if message.generation != self.generation:
            return  # the session changed again: a newer render is on its way
        self.query_one(Notice).display = False
        text = self.query_one("#dockerfile-text", TextArea)
        if text.text != message.dockerfile:
            text.load_text(message.dockerfile)
        self._shown = message
        self.query_one("#diff-text", Static).update(_diff_content(message.diff))
        self.query_one("#dockerfile-status", Static).update(_status(message))

    @on(RenderFailed)
    def _failed(self, message: RenderFailed) -> None:
        if message.generation == self.generation:
            self.query_one(Notice).show(f"Cannot render: {message.error}", kind="error")

    # -- actions ------------------------------------------------------------------------

    def action_toggle_diff(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        diff = switcher.current == "dockerfile-text"
        switcher.current = "dockerfile-diff" if diff else "dockerfile-text"
        self.set_focus(self.query_one("#dockerfile-diff" if diff else "#dockerfile-text"))

    def action_write(self) -> None:
        if self.app.session is not None:
            self.write_dockerfile(self.app.session.snapshot())

    @work(thread=True, exit_on_error=False, exclusive=True, group="dockerfile-write")
    def write_dockerfile(self, session) -> None:
        """Render the session as it is now and write it beside the recipe (backups kept)."""
        from workbench.app.loader import render_build_context

        try:
            recipe, built = render_build_context(session)
            path = built.write(recipe.root)
        except Exception as exc:  # shown in place; the app keeps working
            self.post_message(RenderFailed(self.generation, f"write failed: {one_line(exc)}"))
            return
        self.post_message(Written(str(path), len(built.files)))

    @on(Written)
    def _written(self, message: Written) -> None:
        self.notify(
            f"wrote {message.path} and {message.files} build-context file(s); "
            "files it replaced are kept as .bak",
            title="Dockerfile written",
        )


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it."""
    path = path.resolve()
    cwd = Path.cwd().resolve()
    return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)


def _status(message: Rendered) -> Content:
    lines = message.dockerfile.count("\n")
    parts: list[str | tuple[str, str]] = [
        ("Dockerfile", "bold"),
        f" for {message.recipe_path} · {lines} lines · {message.files} build-context file(s) · ",
    ]
    if message.diff is None:
        parts.append(("no build yet", "$text-muted"))
    else:
        added = sum(1 for ln in message.diff if ln.startswith("+") and not ln.startswith("+++"))
        removed = sum(1 for ln in message.diff if ln.startswith("-") and not ln.startswith("---"))
        change = f"+{added} −{removed} lines" if message.diff else "unchanged"
        parts.append(f"vs last build {message.last}: {change} (d)")
    return Content.assemble(*parts)


def _diff_content(diff: list[str] | None) -> Content:
    if diff is None:
        return Content("No build yet: the diff appears after the first build of this recipe.")
    if not diff:
        return Content("Same as the last build.")
    return Content("\n").join(Content.styled(line, _diff_style(line)) for line in diff)


def _diff_style(line: str) -> str:
    """File headers bold; added, removed and hunk lines in their colours (+/-/@ as text)."""
    return "bold" if line[:3] in ("---", "+++") else _DIFF_STYLES.get(line[:1], "")
