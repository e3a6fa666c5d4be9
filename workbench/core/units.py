"""The one byte formatter every face uses (decimal units, as ``du --si`` and dive print)."""

from __future__ import annotations

import humanize


def fmt_bytes(n: int | None, *, signed: bool = False) -> str:
    """Bytes as a short decimal size (``12.3 MB``); ``signed`` adds + or −; None is ``""``."""
    if n is None:
        return ""
    sign = ("+" if n > 0 else "−" if n < 0 else "") if signed else ("-" if n < 0 else "")
    size = abs(n)
    return f"{sign}{size} B" if size < 1000 else sign + humanize.naturalsize(size)
