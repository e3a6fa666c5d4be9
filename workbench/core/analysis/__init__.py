"""Script analysis: scripts -> command paths -> modules -> packages, each with its reasons; the
trim context (what trims must keep) derived from it."""

from workbench.core.exports import lazy_exports

__all__ = [
    "Command",
    "Reasoned",
    "ScriptAnalysis",
    "Spot",
    "analyze",
    "api_versions",
    "guess_runtime_packages",
    "trim_context",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "scripts": ("ScriptAnalysis", "Command", "Reasoned", "Spot", "analyze"),
        "trim_context": ("trim_context", "api_versions"),
        "runtime": ("guess_runtime_packages",),
    },
)
