"""Layer analysis like dive's: image sources (engine export, ``docker save``/OCI archives), tar
streams scanned while they stream, the layer stack, file tree, efficiency and honest waste, CI
rules."""

from workbench.core.exports import lazy_exports

__all__ = [
    "ImageAnalysis",
    "analyze_image",
    "evaluate",
    "load_image",
    "load_rules",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "analysis": ("ImageAnalysis", "analyze_image"),
        "sources": ("load_image",),
        "ci_rules": ("load_rules", "evaluate"),
    },
)
