"""Where the app finds its bundled files and keeps the user's settings and themes."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def bundled_dir(name: str) -> Path:
    """A top-level resource folder (``themes``, ``sample-scripts``), in the wheel or checkout."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    return _PACKAGE_DIR / name


def config_dir() -> Path:
    """The user's workbench config folder (``WORKBENCH_CONFIG_DIR`` overrides platformdirs)."""
    override = os.environ.get("WORKBENCH_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir("workbench"))


def user_themes_dir() -> Path:
    """Folder where users drop their own ``*.toml`` theme files."""
    return config_dir() / "themes"
