"""API versions beyond the profile that must survive trim-api-versions, found statically.

- Re-exports: a multi-API SDK's ``models.py`` (and ``__init__.py``) does
  ``from .v2024_11_30.models import *``; deleting that folder breaks ``import <prefix>``.
  azure-cli's own scripts/trim_sdk.py keeps these too.
- Explicit references: azure-cli code naming a version folder directly
  (``azure.mgmt.security.v2023_01_01``) needs it whatever the profile says.

Versions are API version strings ("2024-11-30", "2022-07-01-preview"), the form the profile
uses; the trim rule maps them back to folder names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping

FOLDER = r"v\d{4}_\d{2}_\d{2}(?:_\w+)?"
_FOLDER_RE = re.compile(rf"^{FOLDER}$")
_REEXPORT_RE = re.compile(rf"^\s*from \.({FOLDER})(?:\.models)? import", re.MULTILINE)
_EXPLICIT_RE = re.compile(rf"\b(azure(?:\.\w+)+?)\.({FOLDER})\b")
_MEMBERS = ("models.py", "__init__.py")


def folder_version(folder: str) -> str:
    """``v2022_07_01_preview`` -> ``2022-07-01-preview``."""
    return "-".join(folder[1:].split("_"))


def reexport_candidates(
    dist_files: Mapping[str, Iterable[str]],
) -> Iterator[tuple[str, tuple[str, ...], str]]:
    """(distribution, members to read, import prefix) of each multi-API package."""
    for dist, paths in sorted(dist_files.items()):
        paths = set(paths)
        prefixes = set()
        for path in paths:
            parts = path.split("/")
            if len(parts) > 2 and _FOLDER_RE.match(parts[-2]) and parts[0] == "azure":
                prefixes.add("/".join(parts[:-2]))
        for root in sorted(prefixes):
            members = tuple(f"{root}/{m}" for m in _MEMBERS if f"{root}/{m}" in paths)
            if members:
                yield dist, members, root.replace("/", ".")


def reexports(texts: Iterable[str]) -> list[str]:
    """API versions the given package files import from their version folders."""
    return sorted({folder_version(f) for text in texts for f in _REEXPORT_RE.findall(text)})


def reexport_table(
    dist_files: Mapping[str, Iterable[str]], read_member: Callable[[str, str], str | None]
) -> dict[str, list[str]]:
    """Import prefix -> re-exported API versions, over every multi-API package."""
    out = {}
    for dist, members, prefix in reexport_candidates(dist_files):
        versions = reexports(read_member(dist, m) or "" for m in members)
        if versions:
            out[prefix] = versions
    return out


def explicit_versions(texts: Iterable[str]) -> dict[str, list[str]]:
    """Import prefix -> API versions azure-cli code names by folder."""
    out: dict[str, set[str]] = {}
    for text in texts:
        for prefix, folder in _EXPLICIT_RE.findall(text):
            out.setdefault(prefix, set()).add(folder_version(folder))
    return {k: sorted(v) for k, v in sorted(out.items())}
