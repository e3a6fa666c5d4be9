"""The engine side: builds through BuildKit (the classic builder where there is none),
streamed as events (steps from the build cache included), the pipeline (build, report, smoke,
history), smoke tests run inside the image, the image report, the history and the expected
rebuild time of each install mode. ``payloads/`` holds the code that runs inside containers
(standard library only)."""

from workbench.core.exports import lazy_exports

__all__ = [
    "BuildOutcome",
    "BuildPlan",
    "ImageReport",
    "RebuildEstimate",
    "SmokeCall",
    "SmokeReport",
    "append_record",
    "build_image",
    "connect",
    "estimate_rebuilds",
    "image_report",
    "last_image",
    "load_history",
    "run_plan",
    "smoke_test",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "build": ("connect", "build_image"),
        "pipeline": ("BuildPlan", "BuildOutcome", "run_plan"),
        "smoke": ("SmokeCall", "SmokeReport", "smoke_test"),
        "history": ("append_record", "load_history", "last_image"),
        "image_report": ("ImageReport", "image_report"),
        "rebuild": ("RebuildEstimate", "estimate_rebuilds"),
    },
)
