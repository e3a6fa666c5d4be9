"""The History screen: the builds recorded beside the session's recipe, a bar chart of their
sizes, and a comparison of two builds (packages, settings and layers that differ)."""

from __future__ import annotations

import os
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Static

from workbench.app import compare
from workbench.app.build_messages import HistoryLoaded
from workbench.app.build_runner import recipe_path
from workbench.app.screens.base import WorkbenchScreen
from workbench.app.widgets.build_result import verdict
from workbench.app.widgets.notice import Notice
from workbench.app.widgets.size_chart import SizeChart
from workbench.core.files import one_line
from workbench.core.units import fmt_bytes

COLUMNS = ("#", "time UTC", "status", "tag", "size", "added", "estimate", "actual", "Δ", "smoke")
MARK_STYLE = {"A": "$success", "D": "$error", "M": "$warning"}
STATUS_STYLE = {"ok": "$success", "cancelled": "$warning"}
HINT = "Mark two builds (space), then c to compare them; c alone: this build vs the one before."


def _mark_cell(mark: str) -> Content:
    return Content.styled(mark, "bold $accent")


def _row(number: int, record: dict, mark: str) -> tuple:
    comparison = record.get("comparison") or {}
    smoke = record.get("smoke")
    status = record.get("status", "?")
    diff = ""
    if comparison:
        diff = (
            f"{fmt_bytes(comparison['difference_bytes'], signed=True)} "
            f"{comparison['difference_ratio']:+.1%}"
        )
    return (
        _mark_cell(mark),
        str(number),
        (record.get("time") or "?").replace("T", " ").removesuffix("Z")[:16],
        Content.styled(status, STATUS_STYLE.get(status, "$error")),
        record.get("tag") or "-",
        fmt_bytes(record.get("size_bytes")) or "-",
        fmt_bytes(record.get("added_bytes"), signed=True) or "-",
        fmt_bytes(record.get("estimate_bytes")) or "-",
        fmt_bytes(comparison.get("actual_bytes")) or "-",
        diff or "-",
        verdict(None if smoke is None else bool(smoke.get("passed"))),
    )


def _marked(mark: str) -> Content:
    return Content.styled(mark, f"bold {MARK_STYLE[mark]}")


def comparison_text(first: int, a: dict, second: int, b: dict) -> Content:
    """Build ``first`` (record ``a``) against build ``second`` (``b``), as lines of text."""
    lines = [
        Content.assemble(
            (f"#{first} → #{second}", "bold"),
            f"   size {_change(a.get('size_bytes'), b.get('size_bytes'))}",
            f"   added {_change(a.get('added_bytes'), b.get('added_bytes'))}",
        )
    ]
    settings = compare.changes(compare.settings(a), compare.settings(b))
    packages = compare.package_changes(a, b)
    layers = compare.layer_changes(a, b)
    lines.append(Content.styled(f"Settings ({len(settings)} differ)", "bold"))
    lines += [
        Content.assemble("  ", _marked(c.mark), f" {c.name}: {c.before or '-'} → {c.after or '-'}")
        for c in settings
    ]
    if packages is None:
        lines.append(Content.styled("Packages: installed from a lock, not recorded", "bold"))
    else:
        lines.append(Content.styled(f"Packages ({len(packages)} differ)", "bold"))
        lines += [
            Content.assemble("  ", _marked(c.mark), f" {c.name} {_versions(c)}") for c in packages
        ]
    lines.append(Content.styled(f"Layers ({len(layers)} differ)", "bold"))
    lines += [
        Content.assemble(
            "  ",
            _marked(c.mark),
            f" {fmt_bytes(c.delta, signed=True):>10}  "
            f"{fmt_bytes(c.before) or '-'} → {fmt_bytes(c.after) or '-'}  ",
            (c.command, "$text-muted"),
        )
        for c in layers
    ]
    return Content("\n").join(lines)


def _versions(change) -> str:
    if change.mark == "M":
        return f"{change.before or '(unpinned)'} → {change.after or '(unpinned)'}"
    return change.after or change.before


def _change(before: int | None, after: int | None) -> str:
    if before is None or after is None:
        return f"{fmt_bytes(before) or '-'} → {fmt_bytes(after) or '-'}"
    return f"{fmt_bytes(before)} → {fmt_bytes(after)} ({fmt_bytes(after - before, signed=True)})"


class HistoryScreen(WorkbenchScreen):
    """Builds of this recipe, loaded in a worker; refreshed when shown and after each build."""

    MODE = "history"
    AUTO_FOCUS = "#history-table"
    BINDINGS: ClassVar[list] = [
        Binding("space", "mark", "Mark", id="history-mark"),
        Binding("c", "compare", "Compare", id="history-compare"),
        Binding("escape", "clear", "Clear marks", id="history-clear"),
        Binding("r", "reload", "Reload", id="history-reload"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._records: list[dict] = []
        self._marks: list[int] = []  # marked record indexes (two at most, newest mark last)

    def compose_body(self) -> ComposeResult:
        yield Static(id="history-summary")
        yield Notice(id="notice")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="history-bottom"):
            with VerticalScroll(id="chart-box"):
                yield SizeChart(id="size-chart")
            with VerticalScroll(id="compare-box"):
                yield Static(HINT, id="compare")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("", width=1, key="mark")
        table.add_columns(*COLUMNS)
        self.query_one("#chart-box").border_title = "Image size per build"
        self.query_one("#compare-box").border_title = "Compare"
        self.query_one(Notice).show("Loading the build history…")
        self.app.build_finished.subscribe(self, lambda _outcome: self.action_reload())

    def show_session(self, session) -> None:
        self.action_reload()

    def show_load_error(self, error: str) -> None:
        self.query_one(Notice).show(f"Could not open the session: {error}", kind="error")

    def action_reload(self) -> None:
        if self.app.session is not None:
            self._load(recipe_path(self.app.session))

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def _load(self, path) -> None:
        """Read the history file off the UI thread."""
        from workbench.core.engine.history import load_history

        try:
            records = load_history(path)
        except Exception as exc:  # shown in place; the app keeps working
            self.post_message(HistoryLoaded(str(path), error=one_line(exc)))
        else:
            self.post_message(HistoryLoaded(str(path), records))

    @on(HistoryLoaded)
    def _loaded(self, message: HistoryLoaded) -> None:
        notice = self.query_one(Notice)
        name = os.path.relpath(message.path)
        if message.error:
            notice.show(f"Could not read the history of {name}: {message.error}", kind="error")
            return
        records = message.records
        self._records = records
        self._marks = [i for i in self._marks if i < len(records)]
        self.query_one(SizeChart).show(records)
        self._fill()
        if not records:
            notice.show(
                f"No builds of {name} yet (.workbench/history.jsonl beside it). "
                "Build one on the Build screen: 4, then b."
            )
            self.query_one("#history-summary", Static).update("")
            return
        notice.display = False
        built = [(r["size_bytes"], i) for i, r in enumerate(records, 1) if r.get("size_bytes")]
        smallest = f" · smallest #{min(built)[1]} ({fmt_bytes(min(built)[0])})" if built else ""
        self.query_one("#history-summary", Static).update(
            Content.assemble(
                (f"{len(records)} build(s) of {name}", "bold"),
                f" · {len(built)} with an image{smallest}",
            )
        )

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for index, record in enumerate(self._records):
            table.add_row(*_row(index + 1, record, self._mark_of(index)), key=str(index))
        if self._records:
            table.move_cursor(row=min(max(row, 0), len(self._records) - 1))

    def _mark_of(self, index: int) -> str:
        return "*" if index in self._marks else ""

    # -- marks and compare --------------------------------------------------------------

    def _cursor_index(self) -> int | None:
        table = self.query_one(DataTable)
        return table.cursor_row if self._records and table.row_count else None

    def action_mark(self) -> None:
        index = self._cursor_index()
        if index is None:
            return
        if index in self._marks:
            self._marks.remove(index)
        else:
            self._marks = [*self._marks, index][-2:]
        table = self.query_one(DataTable)
        for i in range(len(self._records)):
            table.update_cell(str(i), "mark", _mark_cell(self._mark_of(i)))

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        """Enter, or a click on the highlighted row, marks it too."""
        self.action_mark()

    def action_compare(self) -> None:
        index = self._cursor_index()
        if index is None:
            return
        pair = list(self._marks)
        if len(pair) < 2:
            other = pair[0] if pair else index - 1
            pair = [other, index] if other != index else []
        if len(pair) < 2 or min(pair) < 0:
            self.notify("mark two builds (space) to compare", severity="warning", timeout=4)
            return
        first, second = sorted(pair)
        self.query_one("#compare", Static).update(
            comparison_text(first + 1, self._records[first], second + 1, self._records[second])
        )
        self.query_one("#compare-box").border_title = f"Compare #{first + 1} → #{second + 1}"

    def action_clear(self) -> None:
        self._marks = []
        self._fill()
        self.query_one("#compare", Static).update(HINT)
        self.query_one("#compare-box").border_title = "Compare"
