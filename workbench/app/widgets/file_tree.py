"""The file tree of one layer view (core ``FileTree``), dive-like: mark, mode, owner, size, path.

A line-API widget: it lists only the rows of expanded directories and renders only the lines on
screen. Trees up to ``EXPAND_ALL`` nodes open fully; bigger ones open one level per expansion,
so a view of 50k+ paths costs a short row list, never a widget per path.
"""

from __future__ import annotations

import stat
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.strip import Strip

from workbench.app.widgets.cursor_list import CursorList
from workbench.core.layers.filetree import FileTree, Node
from workbench.core.units import fmt_bytes

EXPAND_ALL = 2000
# Change mark -> (text shown, style part). The letter is the change for monochrome terminals.
MARKS = {
    "A": ("A", "added"),
    "M": ("M", "modified"),
    "D": ("D", "removed"),
    "U": (" ", "unchanged"),
}
_TYPE_BITS = {
    "dir": stat.S_IFDIR,
    "symlink": stat.S_IFLNK,
    "char": stat.S_IFCHR,
    "block": stat.S_IFBLK,
    "fifo": stat.S_IFIFO,
}
COLUMNS = f"  {'Permission':<10}  {'UID:GID':>11} {'Size':>9}  Path"
_PREFIX = len(COLUMNS) - len("Path")


def row_text(depth: int, node: Node, expanded: bool) -> str:
    """One row: mark letter, mode, uid:gid, size, indented name (▸/▾ for directories)."""
    mode = stat.filemode(node.mode | _TYPE_BITS.get(node.kind, stat.S_IFREG))
    owner = f"{node.uid}:{node.gid}"
    glyph = ("▾ " if expanded else "▸ ") if node.children else "  "
    link = f" → {node.link}" if node.link else ""
    size = fmt_bytes(node.size) if node.kind != "dir" or node.children else ""
    return (
        f"{MARKS[node.mark][0]} {mode}  {owner:>11} {size:>9}  "
        f"{'  ' * depth}{glyph}{node.name}{link}"
    )


class FileTreeView(CursorList):
    """Rows of a ``FileTree``; enter/space/click open and close directories."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "file-tree--cursor",
        "file-tree--added",
        "file-tree--modified",
        "file-tree--removed",
        "file-tree--unchanged",
    }
    DEFAULT_CSS = """
    FileTreeView {
        background: $surface;
        color: $foreground;
        & > .file-tree--added { color: $success; }
        & > .file-tree--modified { color: $warning; }
        & > .file-tree--removed { color: $error; }
        & > .file-tree--unchanged { color: $foreground; }
        & > .file-tree--cursor {
            background: $block-cursor-blurred-background;
            text-style: bold;
        }
        &:focus > .file-tree--cursor { background: $block-cursor-background; }
    }
    """
    BINDINGS: ClassVar[list] = [
        Binding("enter,space", "toggle", "Open/close", id="tree-toggle"),
        Binding("right", "expand", "Open", show=False),
        Binding("left", "collapse", "Close", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.file_tree: FileTree | None = None
        self.rows: list[tuple[int, Node]] = []
        self.collapsed: set[str] = set()
        self._lazy = False
        self._palette_key: tuple | None = None
        self._palette_cache: dict[str, Style] = {}

    # -- data ------------------------------------------------------------------------------

    def show(self, tree: FileTree, *, keep_state: bool = False) -> None:
        """Show ``tree``; ``keep_state`` keeps the open/closed directories (same view resorted)."""
        current = self.current_path
        self.file_tree = tree
        self._lazy = tree.count > EXPAND_ALL
        if not keep_state:
            top = tree.root.children
            self.collapsed = {n.path for n in top if n.children} if self._lazy else set()
        self._relist(current)

    def clear(self) -> None:
        self.file_tree, self.rows = None, []
        self.virtual_size = Size(0, 0)
        self.refresh()

    @property
    def current(self) -> Node | None:
        return self.rows[self.cursor_row][1] if self.rows else None

    @property
    def current_path(self) -> str | None:
        node = self.current
        return node.path if node else None

    def line_text(self, index: int) -> str:
        """The text of row ``index`` (for tests and tools)."""
        depth, node = self.rows[index]
        return row_text(depth, node, node.path not in self.collapsed)

    def _relist(self, keep: str | None) -> None:
        self.rows = list(self.file_tree.walk(self.collapsed)) if self.file_tree else []
        widest = max((2 * d + len(n.name) + len(n.link) + 6 for d, n in self.rows), default=0)
        self.virtual_size = Size(_PREFIX + widest, len(self.rows))
        paths = [n.path for _, n in self.rows] if keep else []
        row = paths.index(keep) if keep in paths else min(self.cursor_row, len(self.rows) - 1)
        self.cursor_row = max(row, 0)
        self.refresh()

    # -- opening and closing -----------------------------------------------------------------

    def _set_open(self, node: Node, want_open: bool) -> None:
        if not node.children or (node.path not in self.collapsed) == want_open:
            return
        if want_open:
            self.collapsed.discard(node.path)
            if self._lazy:  # one level at a time
                self.collapsed.update(c.path for c in node.children if c.children)
        else:
            self.collapsed.add(node.path)
        self._relist(node.path)

    def action_toggle(self) -> None:
        node = self.current
        if node is not None:
            self._set_open(node, node.path in self.collapsed)

    def action_expand(self) -> None:
        if self.current is not None:
            self._set_open(self.current, True)

    def action_collapse(self) -> None:
        """Close the directory under the cursor, or go to its parent."""
        node = self.current
        if node is None:
            return
        if node.children and node.path not in self.collapsed:
            self._set_open(node, False)
            return
        parent = node.path.rpartition("/")[0]
        for index in range(self.cursor_row - 1, -1, -1):
            if self.rows[index][1].path == parent:
                self.cursor_row = index
                break

    # -- rendering -------------------------------------------------------------------------

    def _palette(self) -> dict[str, Style]:
        """The widget's style ("") and each part's own rules, once per theme and focus."""
        key = (self.app.theme, self.has_focus)
        if self._palette_key != key:
            base = self.rich_style
            self._palette_key = key
            self._palette_cache = {
                part.rsplit("--", 1)[1]: self.get_component_rich_style(part, partial=True)
                for part in self.COMPONENT_CLASSES
            }
            self._palette_cache[""] = base
        return self._palette_cache

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        palette = self._palette()
        index = int(self.scroll_y) + y
        if index >= len(self.rows):
            return Strip.blank(width, palette[""])
        style = palette[""] + palette[MARKS[self.rows[index][1].mark][1]]
        if index == self.cursor_row:  # the cursor adds a background; the mark keeps its colour
            style += palette["cursor"]
        text = self.line_text(index)
        scroll_x = int(self.scroll_x)
        strip = Strip([Segment(text, style)])
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    @property
    def row_count(self) -> int:
        return len(self.rows)

    # -- cursor and mouse ------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y
        if index >= len(self.rows):
            return
        if index == self.cursor_row:
            self.action_toggle()
        else:
            self.cursor_row = index
