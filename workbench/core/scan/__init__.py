"""Scanning bash: the parser, scopes and variables, every ``az`` call with file:line, and the spots
that may hide one."""

from workbench.core.exports import lazy_exports

__all__ = [
    "AzCall",
    "ScanResult",
    "Unresolved",
    "scan_file",
    "scan_text",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "scanner": ("scan_file", "scan_text"),
        "model": ("AzCall", "ScanResult", "Unresolved"),
    },
)
