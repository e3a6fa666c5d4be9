"""The target picker (base image, Python/libc/arch overrides, azure-cli version) and the
Compare targets view (a table and a bar chart, the cheapest marked)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from workbench.app.messages import BasesFound, TargetsCompared, VersionsFound
from workbench.core.units import fmt_bytes

BAR = "█"


class TargetModal(ModalScreen[dict | None]):
    """Choose a base from the list (official images, engine images with a Python) or type
    one; optional overrides. Dismisses with the choice, or None."""

    BINDINGS: ClassVar[list] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: dict, bases: list[str]) -> None:
        super().__init__()
        self._current = current
        self._bases = list(bases)

    def compose(self) -> ComposeResult:
        with Vertical(id="target-dialog"):
            yield Static(
                Content.from_markup(
                    "[b]Target[/b] · type a base and Enter, or Tab to the lists (bases, azure-cli "
                    "versions) and the Python/libc/arch fields"
                ),
                id="title",
            )
            yield Input(value=self._current.get("base", ""), placeholder="base image", id="base")
            with Horizontal(id="lists"):
                yield OptionList(*[Option(b, id=b) for b in self._bases], id="bases")
                yield OptionList(id="versions")
            with Horizontal(id="overrides"):
                yield Input(
                    value=self._current.get("python", ""), placeholder="python X.Y", id="python"
                )
                yield Input(
                    value=self._current.get("libc", ""), placeholder="libc glibc|musl", id="libc"
                )
                yield Input(
                    value=self._current.get("arch", ""),
                    placeholder="arch x86_64|aarch64",
                    id="arch",
                )
                yield Input(
                    value=self._current.get("azure_cli", ""),
                    placeholder="azure-cli version",
                    id="azure_cli",
                )
            with Horizontal(id="buttons"):
                yield Button("Apply", id="apply", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#base", Input).focus()

    def add_bases(self, bases: list[tuple[str, str]]) -> None:
        """Add the engine's images (``(image, description)``) a worker found."""
        options = self.query_one("#bases", OptionList)
        for image, what in bases:
            if image not in self._bases:
                self._bases.append(image)
                options.add_option(Option(f"{image}  ({what})", id=image))

    @on(BasesFound)
    def _found(self, message: BasesFound) -> None:
        self.add_bases(message.bases)

    @on(VersionsFound)
    def _versions(self, message: VersionsFound) -> None:
        versions = self.query_one("#versions", OptionList)
        for version in message.versions:
            versions.add_option(Option(f"azure-cli {version}", id=version))

    @on(OptionList.OptionSelected, "#versions")
    def _version_picked(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#azure_cli", Input).value = event.option.id or ""
        self.query_one("#base", Input).focus()

    @on(OptionList.OptionSelected, "#bases")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#base", Input).value = event.option.id or ""
        self._apply()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._apply()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "apply":
            self._apply()
        else:
            self.dismiss(None)

    def _apply(self) -> None:
        choice = {
            key: self.query_one(f"#{key}", Input).value.strip()
            for key in ("base", "python", "libc", "arch", "azure_cli")
        }
        self.dismiss({k: v for k, v in choice.items() if v})

    def action_cancel(self) -> None:
        self.dismiss(None)


class CompareModal(ModalScreen[None]):
    """The selection estimated on several bases: table and bars, the cheapest marked."""

    BINDINGS: ClassVar[list] = [Binding("escape,q", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="compare-dialog"):
            yield Static(Content.from_markup("[b]Compare targets[/b] · estimating…"), id="title")
            yield DataTable(id="compare-table", cursor_type="row")
            yield Static(id="compare-chart")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", "base", "target", "base", "OS", "Python", "total")

    @on(TargetsCompared)
    def _compared(self, message: TargetsCompared) -> None:
        self.show_rows(message.rows, message.best)

    def show_rows(self, rows, best) -> None:
        """Fill the table and the chart from ``TargetRow``s; ``best`` is the cheapest."""
        table = self.query_one(DataTable)
        table.clear()
        largest = max((r.total_bytes or 0 for r in rows), default=0)
        bars = []
        for row in rows:
            mark = "★" if row is best else ""
            if row.error:
                table.add_row(mark, row.base, row.error[:60], "", "", "", "")
                bars.append(f"{row.base[:28]:<28} n/a")
                continue
            image = row.image
            table.add_row(
                mark,
                row.base,
                row.target.describe(),
                fmt_bytes(image.base.bytes) if image else "",
                fmt_bytes(image.os_bytes) if image else "",
                fmt_bytes(row.python_bytes),
                fmt_bytes(row.total_bytes) if image else "base unknown",
            )
            cells = max(round((row.total_bytes or 0) / largest * 50), 1) if largest else 0
            what = "" if image else " (Python only: base size unknown)"
            bars.append(
                f"{row.base[:28]:<28} {BAR * cells} {fmt_bytes(row.total_bytes)}{what} {mark}"
            )
        self.query_one("#compare-chart", Static).update(Content("\n".join(bars)))
        title = "[b]Compare targets[/b]"
        if best is not None:
            title += f" · cheapest ★ {best.base} ({fmt_bytes(best.total_bytes)})"
        self.query_one("#title", Static).update(Content.from_markup(title))

    def action_close(self) -> None:
        self.dismiss(None)
