"""Trims: the registry (names, order, what each needs), the ``TrimContext`` of what they keep, and
the stdlib-only rules that also run inside images (``rules.py``)."""

from workbench.core.exports import lazy_exports

__all__ = [
    "TRIMS",
    "TrimContext",
    "ordered",
    "path_trims",
    "trim_script",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "registry": ("TRIMS", "TrimContext", "ordered", "path_trims", "trim_script"),
    },
)
