"""Text helpers shared by the widgets: bars (sizes: ``workbench.core.units.fmt_bytes``)."""

from __future__ import annotations

_BAR_CELLS = " ▏▎▍▌▋▊▉█"


def bar(fraction: float, width: int) -> str:
    """A horizontal bar ``width`` cells wide, filled to ``fraction`` (eighths of a cell)."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_BAR_CELLS[part] if part else "")
    return text.ljust(width)
