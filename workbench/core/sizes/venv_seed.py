"""What ``python -m venv`` puts into site-packages before anything is installed: pip, and
setuptools up to Python 3.11, their .pyc included. drop-pip removes it; otherwise a venv or
multistage image carries it, so the estimate of such an image counts it.

Official ``python:X.Y`` images seed from ensurepip's bundled wheels (the latest patch release of
each minor); sized by the size engine over those wheels. Debian's ``python3-venv`` seeds from
Debian's own wheels (python3-pip-whl, python3-setuptools-whl): measured in a real venv on the
bookworm base (``du -sb`` of pip, setuptools, pkg_resources, _distutils_hack and dist-info).
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.sizes.target import Target


@dataclass(frozen=True)
class Seed:
    """The seed packages of a venv and their installed bytes."""

    what: str
    bytes: int
    how: str  # "measured" in a real venv, or "estimated" from the wheels


_ENSUREPIP = {
    "3.10": Seed("pip 23.0.1 + setuptools 65.5.0", 17_656_219, "estimated"),
    "3.11": Seed("pip 24.0 + setuptools 65.5.0", 20_680_548, "estimated"),
    "3.12": Seed("pip 25.0.1", 10_765_879, "estimated"),
    "3.13": Seed("pip 25.0.1", 10_718_646, "estimated"),
}
_DISTRO = {  # (glibc version, Python) of the distro's own python3-venv
    ("2.36", "3.11"): Seed(
        "pip 23.0.1 + setuptools 66.1.1 (Debian bookworm)", 22_325_178, "measured"
    ),
}


def supported_pythons() -> list[str]:
    """The Python versions whose venv seed is known (the versions the picker offers)."""
    return sorted(_ENSUREPIP, key=lambda v: tuple(map(int, v.split("."))))


def venv_seed(target: Target, mode: str, trims: list[str] | tuple[str, ...] = ()) -> Seed | None:
    """The seed a recipe's image keeps: None for system installs, with drop-pip, or when the
    base's Python is not known."""
    if mode == "system" or "drop-pip" in trims:
        return None
    base = (target.base_image or "").rsplit("/", 1)[-1]
    if base.startswith("python:") or base == "python" or target.libc != "glibc":
        return _ENSUREPIP.get(target.python)
    return _DISTRO.get((target.libc_version, target.python), _ENSUREPIP.get(target.python))
