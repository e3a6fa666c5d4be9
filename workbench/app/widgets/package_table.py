"""The package checklist: one row per distribution azure-cli may pull in."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from workbench.app.widgets.format import bar, fmt_bytes

BAR_WIDTH = 12
COLUMNS = (
    ("", "check", 3),
    ("package", "name", 30),
    ("version", "version", 12),
    ("pin", "pin", 4),
    ("size", "size", 9),
    ("marginal", "marginal", 9),
    ("cumulative", "cumulative", BAR_WIDTH + 10),
    ("why", "why", None),
)
PIN_MARKS = {"exact": "==", "compatible": "~=", "none": "any"}
SORTS = ("checklist", "size", "name")


class PackageTable(DataTable):
    """Rows keyed by package name. ``fill`` (re)builds rows; ``apply`` updates them in place."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.sort_mode = SORTS[0]
        self._order: dict[str, int] = {}

    def on_mount(self) -> None:
        for label, key, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def current_name(self) -> str | None:
        """The package under the cursor."""
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def fill(self, session, estimate, names: list[str]) -> None:
        """Show exactly ``names`` (already filtered), with values from ``estimate``."""
        keep = self.current_name
        self.clear()
        rows = _rows(session, estimate)
        for name in names:
            self.add_row(*rows.cells(name), key=name)
        self._resort(session, estimate, keep)

    def apply(self, session, estimate) -> None:
        """Update the shown rows from a new estimate: the hot path of a toggle.

        ``update_cell`` refreshes the widget once per call (150 rows x 8 cells is ~25 ms);
        here only changed cells are written and the table refreshes once.
        """
        keep = self.current_name
        rows = _rows(session, estimate)
        changed = False
        for row_key, cells in self._data.items():
            for (_, column, _), value in zip(COLUMNS, rows.cells(row_key.value), strict=True):
                if cells[column] != value:
                    cells[column] = value
                    changed = True
        if changed:
            self._update_count += 1  # invalidates DataTable's row render caches
            self.refresh()
        self._resort(session, estimate, keep)

    def _resort(self, session, estimate, keep: str | None) -> None:
        if self.sort_mode == "checklist":
            order = checklist_order(session, estimate)
            self.sort("name", key=lambda name: order.get(name, len(order)))
        elif self.sort_mode == "size":
            sizes = {p.name: p.bytes for p in estimate.packages}
            self.sort("name", key=lambda name: (-sizes.get(name, session.own_bytes(name)), name))
        else:
            self.sort("name")
        if keep is not None and keep in self._row_locations:
            row = self.get_row_index(keep)
            if row != self.cursor_row:
                self.move_cursor(row=row, animate=False)


def checklist_order(session, estimate) -> dict[str, int]:
    """Closure members in the estimate's order, then every other package by name."""
    order = {p.name: i for i, p in enumerate(estimate.packages)}
    for name in sorted(session.model.names()):
        order.setdefault(name, len(order))
    return order


class _rows:
    """Cell values of each row for one estimate (built once per update)."""

    def __init__(self, session, estimate) -> None:
        self.session = session
        self.by_name = {p.name: p for p in estimate.packages}
        self.total = estimate.total_bytes or 1

    def cells(self, name: str) -> tuple:
        s, p = self.session, self.by_name.get(name)
        pin = PIN_MARKS[s.pin(name)]
        if p is None:
            size = Text(f"{fmt_bytes(s.own_bytes(name)):>9}", style="dim")
            return (
                _check(s, name, False),
                name,
                s.model.version_of(name),
                pin,
                size,
                "",
                "",
                s.why(name),
            )
        cumulative = (
            f"{bar(p.cumulative_bytes / self.total, BAR_WIDTH)} {fmt_bytes(p.cumulative_bytes):>9}"
        )
        why = s.why(name)
        if not why and not p.requested:
            parent = s.pulled_in_by(name, self.by_name)
            why = f"dependency of {parent}" if parent else "azure-cli"
        return (
            _check(s, name, True),
            name,
            p.version,
            pin,
            f"{fmt_bytes(p.bytes):>9}",
            f"{fmt_bytes(p.marginal_bytes):>9}",
            cumulative,
            why,
        )


def _check(session, name: str, in_closure: bool) -> Text:
    """The checkbox: [x] script-needed, [+] hand-added, [-] needed but unchecked, · pulled in."""
    origin = session.origin(name)
    if name in session.checked or name in session.always_installed:
        return Text("[x]" if origin == "script" else "[+]", style="bold")
    if origin == "script":
        return Text("[-]", style="bold")
    return Text(" · " if in_closure else "[ ]", style="dim")
