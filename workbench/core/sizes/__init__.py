"""Sizes on a target without installing: target, resolution (uv), wheel reading, installed layout
(.pyc model), the size model and its estimates, the venv seed."""

from workbench.core.exports import lazy_exports

__all__ = [
    "Dist",
    "Estimate",
    "PackageEstimate",
    "SizeModel",
    "Target",
    "TrimEstimate",
    "load_size_model",
    "venv_seed",
]
__getattr__ = lazy_exports(
    __name__,
    {
        "target": ("Target",),
        "model": ("SizeModel", "Dist", "load_size_model"),
        "estimate": ("Estimate", "PackageEstimate", "TrimEstimate"),
        "venv_seed": ("venv_seed",),
    },
)
