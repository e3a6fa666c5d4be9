"""Text helpers shared by the widgets: sizes and bars."""

from __future__ import annotations

_BAR_CELLS = " ▏▎▍▌▋▊▉█"


def fmt_bytes(n: int | None, *, signed: bool = False) -> str:
    """Bytes as a short decimal size (``12.3 MB``); ``signed`` adds + or −."""
    if n is None:
        return ""
    sign = ("+" if n > 0 else "−" if n < 0 else "") if signed else ("-" if n < 0 else "")
    n = abs(n)
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{sign}{n / scale:.1f} {unit}"
    return f"{sign}{n} B"


def bar(fraction: float, width: int) -> str:
    """A horizontal bar ``width`` cells wide, filled to ``fraction`` (eighths of a cell)."""
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_BAR_CELLS[part] if part else "")
    return text.ljust(width)
