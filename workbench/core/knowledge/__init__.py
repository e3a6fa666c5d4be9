"""The azure-cli knowledge, read statically from its wheels (never imported): command table, module
-> SDK distributions, module imports, API profile, baseline, and the static load plan of a set
of commands."""

from workbench.core.exports import lazy_exports

__all__ = [
    "Knowledge",
    "LoadPlan",
    "build_knowledge",
    "load_knowledge",
    "plan_load",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "model": ("Knowledge", "load_knowledge"),
        "load_plan": ("LoadPlan", "plan_load"),
        "build": ("build_knowledge",),
    },
)
