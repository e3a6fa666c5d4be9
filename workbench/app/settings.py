"""The few things the app remembers between runs (the theme), stored as JSON in the config dir."""

from __future__ import annotations

import json
from pathlib import Path

from workbench.app.paths import config_dir
from workbench.core.files import write_atomic

_FILE_NAME = "tui.json"


def _path() -> Path:
    return config_dir() / _FILE_NAME


_TYPES = {"theme": str}  # setting -> the type it must have; others are dropped


def load_settings() -> dict:
    """The remembered settings; an unreadable or missing file means none, and a setting of
    the wrong type is dropped."""
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in _TYPES and isinstance(v, _TYPES[k])}


def save_setting(key: str, value) -> None:
    """Remember one setting (``files.write_atomic``); WorkbenchError (one line) when the
    config directory cannot be written."""
    data = load_settings()
    data[key] = value
    write_atomic(_path(), json.dumps(data, indent=2) + "\n")
