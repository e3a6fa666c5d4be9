"""The Layers screen's tables: layers (index, size, instruction) and inefficient files."""

from __future__ import annotations

from textual.widgets import DataTable

from workbench.core.units import fmt_bytes

WASTE_ROWS = 500  # the inefficient-files list shows the largest this many
COMMAND_CELLS = 160


class LayerTable(DataTable):
    """One row per layer, bottom first; the cursor row is the layer the tree shows."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)

    def on_mount(self) -> None:
        self.add_column("#", key="index")
        self.add_column("size", key="size")
        self.add_column("instruction", key="command")

    def fill(self, layers) -> None:
        """Show ``layers`` (core ``LayerInfo``s)."""
        self.clear()
        for layer in layers:
            self.add_row(
                str(layer.index),
                f"{fmt_bytes(layer.size_bytes):>9}",
                one_line(layer.command, COMMAND_CELLS) or "(no history)",
                key=str(layer.index),
            )


class WasteTable(DataTable):
    """Paths written in several layers or removed, largest waste first (dive's list)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)

    def on_mount(self) -> None:
        self.add_column("count", key="count")
        self.add_column("wasted", key="wasted")
        self.add_column("path", key="path")

    def fill(self, inefficient) -> None:
        """Show the first ``WASTE_ROWS`` of ``inefficient`` (core ``PathWaste``s, sorted)."""
        self.clear()
        for waste in inefficient[:WASTE_ROWS]:
            self.add_row(f"{waste.count:>5}", f"{fmt_bytes(waste.wasted):>9}", waste.path)


def one_line(text: str, width: int) -> str:
    """``text`` on one line (newlines as ↵, as dive shows them), cut to ``width`` cells."""
    flat = " ↵ ".join(part.strip() for part in text.strip().splitlines())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
