"""The few things the app remembers between runs (the theme), stored as JSON in the config dir."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from workbench.app.paths import config_dir

_FILE_NAME = "tui.json"


def _path() -> Path:
    return config_dir() / _FILE_NAME


def load_settings() -> dict:
    """The remembered settings; an unreadable or missing file means none."""
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_setting(key: str, value) -> None:
    """Remember one setting (atomic write: temp file then ``os.replace``)."""
    data = load_settings()
    data[key] = value
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tui-", suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.replace(tmp, path)
