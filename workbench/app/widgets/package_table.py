"""The package checklist: one row per distribution azure-cli may pull in.

A line-API widget (``ScrollView.render_line``): a toggle rewrites row values and repaints only
the visible lines as plain segments, so the frame after a toggle stays well inside 16 ms on
the full azure-cli set (DataTable re-renders every visible cell through Rich: ~25 ms).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip

from workbench.app.widgets.cursor_list import CursorList
from workbench.app.widgets.format import bar
from workbench.core.units import fmt_bytes

BAR_WIDTH = 12
# key, label, width, right-aligned
COLUMNS = (
    ("check", "", 3, False),
    ("name", "package", 30, False),
    ("version", "version", 12, False),
    ("pin", "pin", 3, False),
    ("size", "size", 9, True),
    ("marginal", "marginal", 9, True),
    ("cumulative", "cumulative", BAR_WIDTH + 10, False),
    ("why", "why", 70, False),
)
_INDEX = {key: i for i, (key, *_) in enumerate(COLUMNS)}
_MARKS = ("dim", "needed", "hand")
PIN_MARKS = {"exact": "==", "compatible": "~=", "none": "any"}
SORTS = ("checklist", "size", "name")


class PackageTable(CursorList):
    """Rows keyed by package name. ``fill`` (re)builds rows; ``apply`` updates them in place."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "package-table--header",
        "package-table--cursor",
        "package-table--odd",
        "package-table--dim",
        "package-table--needed",
        "package-table--hand",
    }
    DEFAULT_CSS = """
    PackageTable {
        background: $surface;
        color: $foreground;
        & > .package-table--header { background: $panel; text-style: bold; }
        & > .package-table--odd { background: $surface-lighten-1 50%; }
        & > .package-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .package-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .package-table--dim { color: $text-muted; }
        & > .package-table--needed { color: $success; text-style: bold; }
        & > .package-table--hand { color: $accent; text-style: bold; }
    }
    """
    BINDINGS: ClassVar[list] = [
        Binding("enter", "select", "Toggle", show=False),
    ]

    class RowSelected(Message):
        """Enter on a row, a click on the highlighted row, or a click on its checkbox."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sort_mode = SORTS[0]
        self.names: list[str] = []  # shown rows, in display order
        self._cells: dict[str, tuple[str, ...]] = {}
        self._marks: dict[str, str] = {}  # name -> style of the check cell
        self._width = sum(w + 1 for _, _, w, _ in COLUMNS)
        self._palette_key: tuple | None = None
        self._palette_cache: dict[str, Style] = {}

    # -- data ------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.names)

    @property
    def current_name(self) -> str | None:
        """The package under the cursor."""
        return self.names[self.cursor_row] if self.names else None

    def get_row_index(self, name: str) -> int:
        return self.names.index(name)

    def get_cell(self, name: str, column: str) -> str:
        """The text of one cell (for tests and tools)."""
        return self._cells[name][_INDEX[column]]

    def move_cursor(self, *, row: int) -> None:
        self.cursor_row = row

    def fill(self, session, estimate, names: list[str]) -> None:
        """Show exactly ``names`` (already filtered), with values from ``estimate``."""
        keep = self.current_name
        self.names = list(names)
        self._update(session, estimate, keep)

    def apply(self, session, estimate) -> None:
        """Update the shown rows from a new estimate: the hot path of a toggle."""
        self._update(session, estimate, self.current_name)

    def _update(self, session, estimate, keep: str | None) -> None:
        rows = _Rows(session, estimate)
        self._cells = {name: rows.cells(name) for name in self.names}
        self._marks = {name: rows.mark(name) for name in self.names}
        self._sort(session, estimate)
        self.virtual_size = Size(self._width, len(self.names) + 1)
        row = (
            self.names.index(keep)
            if keep in self._cells
            else min(self.cursor_row, len(self.names) - 1)
        )
        self.cursor_row = max(row, 0)
        self.refresh()

    def _sort(self, session, estimate) -> None:
        if self.sort_mode == "checklist":
            order = checklist_order(session, estimate)
            self.names.sort(key=lambda name: order.get(name, len(order)))
        elif self.sort_mode == "size":
            sizes = {p.name: p.bytes for p in estimate.packages}
            self.names.sort(key=lambda name: (-sizes.get(name, session.own_bytes(name)), name))
        else:
            self.names.sort()

    # -- rendering -------------------------------------------------------------------------

    def _palette(self) -> dict[str, Style]:
        """Rich styles of the parts, computed once per theme and focus state."""
        key = (self.app.theme, self.has_focus)
        if self._palette_key != key:
            base = self.rich_style
            self._palette_key = key
            self._palette_cache = {"": base}
            for part in self.COMPONENT_CLASSES:
                style = self.get_component_rich_style(part)
                name = part.rsplit("--", 1)[1]
                if name in _MARKS:  # foreground only: drawn over any row background
                    self._palette_cache[name] = Style(color=style.color, bold=style.bold)
                else:
                    self._palette_cache[name] = base + style
        return self._palette_cache

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        palette = self._palette()
        base = palette[""]
        if y == 0:
            segments = self._segments(
                [label for _, label, _, _ in COLUMNS], palette["header"], None
            )
        else:
            index = int(self.scroll_y) + y - 1
            if index >= len(self.names):
                return Strip.blank(width, base)
            name = self.names[index]
            if index == self.cursor_row:
                style = palette["cursor"]
            else:
                style = palette["odd"] if index % 2 else base
            segments = self._segments(self._cells[name], style, palette[self._marks[name]])
        scroll_x = int(self.scroll_x)
        return Strip(segments, self._width).crop_extend(scroll_x, scroll_x + width, base)

    def _segments(self, cells, style, mark) -> list[Segment]:
        out = []
        for (key, _, width, right), text in zip(COLUMNS, cells, strict=True):
            text = text[:width].rjust(width) if right else text[:width].ljust(width)
            cell_style = style + mark if mark is not None and key in ("check", "name") else style
            out.append(Segment(text + " ", cell_style))
        return out

    def page_lines(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    # -- cursor and mouse ------------------------------------------------------------------

    def action_select(self) -> None:
        if self.names:
            self.post_message(self.RowSelected(self.names[self.cursor_row]))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y - 1
        if event.y < 1 or index >= len(self.names):
            return
        on_checkbox = int(self.scroll_x) + event.x < COLUMNS[0][2] + 1
        if index == self.cursor_row or on_checkbox:
            self.cursor_row = index
            self.post_message(self.RowSelected(self.names[index]))
        else:
            self.cursor_row = index


def checklist_order(session, estimate) -> dict[str, int]:
    """Closure members in the estimate's order, then every other package by name."""
    order = {p.name: i for i, p in enumerate(estimate.packages)}
    for name in sorted(session.model.names()):
        order.setdefault(name, len(order))
    return order


class _Rows:
    """Cell texts of each row for one estimate (built once per update)."""

    def __init__(self, session, estimate) -> None:
        self.session = session
        self.by_name = {p.name: p for p in estimate.packages}
        self.total = estimate.total_bytes or 1

    def cells(self, name: str) -> tuple[str, ...]:
        s, p = self.session, self.by_name.get(name)
        pin = PIN_MARKS[s.pin(name)]
        check = _check(s, name, p is not None)
        if p is None:
            own = fmt_bytes(s.own_bytes(name))
            return (check, name, s.model.version_of(name), pin, own, "", "", s.why(name))
        why = s.why(name)
        if not why and not p.requested:
            parent = s.pulled_in_by(name, self.by_name)
            why = f"dependency of {parent}" if parent else "azure-cli"
        cumulative = bar(p.cumulative_bytes / self.total, BAR_WIDTH)
        return (
            check,
            name,
            p.version,
            pin,
            fmt_bytes(p.bytes),
            fmt_bytes(p.marginal_bytes),
            f"{cumulative} {fmt_bytes(p.cumulative_bytes):>9}",
            why,
        )

    def mark(self, name: str) -> str:
        """Style of the checkbox and name: needed, hand or dim."""
        origin = self.session.origin(name)
        if name in self.session.always_installed:
            return "needed"
        if name in self.session.checked:
            return "needed" if origin == "script" else "hand"
        return "needed" if origin == "script" else "dim"


def _check(session, name: str, in_closure: bool) -> str:
    """The checkbox: [x] script-needed, [+] hand-added, [-] needed but unchecked, · pulled in."""
    origin = session.origin(name)
    if name in session.always_installed:
        return "[x]"
    if name in session.checked:
        return "[x]" if origin == "script" else "[+]"
    if origin == "script":
        return "[-]"
    return " · " if in_closure else "[ ]"
