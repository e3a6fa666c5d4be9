"""One header toggle per trim: on/off mark, the trim's estimated saving, or why it cannot apply."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static

from workbench.core.units import fmt_bytes


class TrimToggle(Static, can_focus=True):
    """Click, or focus (``t``) and press space/enter, to run the screen's ``trim`` action."""

    BINDINGS: ClassVar[list] = [
        Binding("space,enter", "flip", "Toggle trim", id="toggle-trim"),
        Binding("left", "step(-1)", "Previous trim", show=False),
        Binding("right", "step(1)", "Next trim", show=False),
        Binding("escape", "leave", "Back to packages", show=False),
    ]

    def __init__(self, trim: str) -> None:
        super().__init__(trim, classes="trim", id=f"trim-{trim}")
        self.trim = trim

    def show(self, on: bool, saves: int | None, problem: str | None) -> None:
        """``[x]``/``[ ]`` and the saving (on: its share; off: what turning it on saves);
        ``[-] … n/a`` and the reason as tooltip when it cannot apply."""
        self.set_class(problem is not None, "-disabled")
        self.set_class(on and problem is None, "-on")
        self.tooltip = problem
        if problem is not None:
            self.update(Content.assemble("[-] ", self.trim, (" n/a", "italic")))
            return
        self.update(Content.assemble("[x] " if on else "[ ] ", self.trim, f" −{fmt_bytes(saves)}"))

    async def on_click(self) -> None:
        await self.action_flip()

    async def action_flip(self) -> None:
        await self.screen.run_action(f"trim({self.trim!r})")

    def action_step(self, delta: int) -> None:
        toggles = list(self.screen.query(TrimToggle))
        toggles[(toggles.index(self) + delta) % len(toggles)].focus()

    def action_leave(self) -> None:
        self.screen.set_focus(self.screen.query_one("PackageTable"))
