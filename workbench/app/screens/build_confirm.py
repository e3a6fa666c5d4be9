"""The confirmation before a build: image tag, engine address, smoke test, necessity probe."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Static

from workbench.app.build_runner import BuildRequest, tag_error


class BuildConfirmModal(ModalScreen[BuildRequest | None]):
    """Asks before building; dismisses with a ``BuildRequest``, or None when called off."""

    BINDINGS: ClassVar[list] = [Binding("escape", "cancel", "Cancel", id="build-confirm-cancel")]

    def __init__(self, *, recipe: str, engine: str, tag: str, smoke: bool = True) -> None:
        super().__init__()
        self._recipe, self._engine, self._tag, self._smoke = recipe, engine, tag, smoke

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Content.from_markup("[b]Build the image[/b]"), id="title")
            yield Static(Content.assemble(("Recipe  ", "bold"), self._recipe), id="recipe")
            yield Static(Content.assemble(("Engine  ", "bold"), self._engine), id="engine")
            yield Static(Content.assemble(("Tag", "bold")))
            yield Input(self._tag, placeholder="empty: untagged", id="tag")
            yield Static(id="tag-error")
            yield Checkbox("Smoke-test the image afterwards", self._smoke, id="smoke")
            yield Checkbox(
                "Probe which packages the commands need (slower)",
                False,
                id="probe",
            )
            yield Checkbox(
                "Run the scripts in the image against the fake Azure, traced",
                False,
                id="run-script",
            )
            with Horizontal(id="buttons"):
                yield Button("Build", id="build", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#tag", Input).focus()

    @on(Input.Submitted, "#tag")
    @on(Button.Pressed, "#build")
    def _confirm(self) -> None:
        tag = self.query_one("#tag", Input).value.strip()
        error = tag_error(tag)
        if error:
            self.query_one("#tag-error", Static).update(f"Not a valid tag: {error}")
            return
        self.dismiss(
            BuildRequest(
                tag or None,
                self.query_one("#smoke", Checkbox).value,
                self.query_one("#probe", Checkbox).value,
                self.query_one("#run-script", Checkbox).value,
            )
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
