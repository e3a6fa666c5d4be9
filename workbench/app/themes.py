"""Theme files (TOML) -> Textual ``Theme`` objects: the bundled ones and the user's own."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from textual.theme import Theme

from workbench.app.paths import bundled_dir, user_themes_dir

DEFAULT_THEME = "workbench-dark"
_ALLOWED = {f.name for f in fields(Theme)}


@dataclass(frozen=True)
class ThemeFailure:
    """A theme file that could not be used, and why (one line)."""

    path: Path
    reason: str


def theme_from_file(path: Path) -> Theme:
    """Parse one theme file; ``ValueError`` with a one-line reason if it is not a usable theme."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read: {exc}") from exc
    data.setdefault("name", path.stem)
    unknown = sorted(set(data) - _ALLOWED)
    if unknown:
        raise ValueError(f"unknown keys {', '.join(unknown)}")
    if "primary" not in data:
        raise ValueError("'primary' colour is required")
    try:
        theme = Theme(**data)
        theme.to_color_system().generate()  # parses every colour
    except Exception as exc:  # Textual raises several types for bad colours
        raise ValueError(f"bad colour: {exc}") from exc
    return theme


def load_themes(*folders: Path) -> tuple[list[Theme], list[ThemeFailure]]:
    """Every ``*.toml`` theme in the bundled folder then the user's (later names win)."""
    folders = folders or (bundled_dir("themes"), user_themes_dir())
    themes: list[Theme] = []
    failures: list[ThemeFailure] = []
    for folder in folders:
        for path in sorted(folder.glob("*.toml")) if folder.is_dir() else ():
            try:
                themes.append(theme_from_file(path))
            except ValueError as exc:
                failures.append(ThemeFailure(path, str(exc)))
    return themes, failures
