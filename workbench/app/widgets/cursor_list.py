"""A line-API list with a row cursor: keys, paging and scrolling shared by the big tables."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding
from textual.reactive import reactive
from textual.scroll_view import ScrollView


class CursorList(ScrollView, can_focus=True):
    """Subclasses render rows with ``render_line`` and say how many there are (``row_count``)
    and how many fit on screen (``page_lines``); the cursor keeps itself in view."""

    BINDINGS: ClassVar[list] = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,ctrl+home", "edge(0)", "First", show=False),
        Binding("end,ctrl+end", "edge(1)", "Last", show=False),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=True)

    @property
    def row_count(self) -> int:
        """How many rows the list has."""
        raise NotImplementedError

    def page_lines(self) -> int:
        """How many rows fit in the visible region."""
        return max(1, self.scrollable_content_region.height)

    def watch_cursor_row(self, row: int) -> None:
        top = int(self.scroll_y)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + self.page_lines():
            self.scroll_to(y=row - self.page_lines() + 1, animate=False)
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        if self.row_count:
            self.cursor_row = min(max(self.cursor_row + delta, 0), self.row_count - 1)

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * self.page_lines())

    def action_edge(self, end: int) -> None:
        if self.row_count:
            self.cursor_row = self.row_count - 1 if end else 0
