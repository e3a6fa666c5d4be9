"""A horizontal bar chart of image sizes over the builds of a recipe, drawn with block
characters: ``░`` the base image, ``█`` the bytes added over it, each bar labelled."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from workbench.core.units import fmt_bytes

BASE, ADDED = "░", "█"
_LABEL_WIDTH = 24  # "  192.8 MB  +12.3 MB" and the build number


def bar_cells(base: int, size: int, largest: int, width: int) -> tuple[int, int]:
    """Cells of base and of added bytes for one bar ``width`` cells at ``largest`` bytes
    (a build that added anything shows at least one added cell)."""
    if largest <= 0 or width <= 0:
        return 0, 0
    total = max(round(size / largest * width), 1)
    base_cells = min(round(base / largest * width), total)
    if size > base and base_cells == total:
        base_cells = total - 1
    return base_cells, total - base_cells


class SizeChart(Static):
    """One labelled bar per build (oldest first), scaled to the largest image."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._records: list[dict] = []

    def show(self, records: list[dict]) -> None:
        """Chart ``records`` (history records, oldest first)."""
        self._records = records
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        records = self._records
        digits = len(str(len(records)))
        width = max(self.content_size.width - digits - 2 - _LABEL_WIDTH, 4)
        largest = max((r.get("size_bytes") or 0 for r in records), default=0)
        lines = [
            Content.assemble(
                "  ",
                (BASE, "$text-muted"),
                " base   ",
                (ADDED, "$primary"),
                " added over it",
            )
        ]
        for number, record in enumerate(records, 1):
            label = f"#{number:<{digits}} "
            size = record.get("size_bytes")
            if size is None:
                why = (record.get("failure") or {}).get("line") or record.get("status") or "?"
                why = f"no image: {why}"[: width + _LABEL_WIDTH]
                lines.append(Content.assemble(label, (why, "$text-muted")))
                continue
            base = record.get("base_size_bytes") or 0
            base_cells, added_cells = bar_cells(base, size, largest, width)
            lines.append(
                Content.assemble(
                    label,
                    (BASE * base_cells, "$text-muted"),
                    (ADDED * added_cells, "$primary"),
                    " " * (width - base_cells - added_cells),
                    f" {fmt_bytes(size):>9} ",
                    (fmt_bytes(record.get("added_bytes") or 0, signed=True), "$text-muted"),
                )
            )
        self.update(Content("\n").join(lines))
