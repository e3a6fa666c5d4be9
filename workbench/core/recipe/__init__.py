"""The recipe (``workbench.toml``, validated where values enter) and the Dockerfile with its build
context."""

from workbench.core.exports import lazy_exports

__all__ = [
    "BuildContext",
    "Package",
    "Recipe",
    "Resolution",
    "build_context",
    "canonical",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "recipe": ("Recipe", "Package", "canonical"),
        "dockerfile": ("BuildContext", "Resolution", "build_context"),
    },
)
