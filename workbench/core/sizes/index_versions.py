"""Versions of a distribution on the package index the user's pip configuration names (pip's
own ``index versions``: no index host is built in)."""

from __future__ import annotations

import re
import subprocess
import sys

from packaging.version import InvalidVersion, Version

from workbench.core.errors import IndexUnreachable

TIMEOUT_S = 60


def available_versions(name: str, *, minimum: str | None = None) -> list[str]:
    """Released versions of ``name``, newest first (``minimum`` and older left out). Raises
    one line when the index cannot be asked."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "index", "versions", name, "--disable-pip-version-check"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise IndexUnreachable(
            f"cannot list {name} versions on the package index ({exc})"
        ) from None
    match = re.search(r"^Available versions: (.+)$", done.stdout, re.M)
    if done.returncode != 0 or not match:
        last = (done.stderr.strip().splitlines() or ["no answer"])[-1]
        raise IndexUnreachable(f"cannot list {name} versions on the package index ({last})")
    floor = Version(minimum) if minimum else None
    out = []
    for text in match.group(1).split(", "):
        try:
            version = Version(text.strip())
        except InvalidVersion:
            continue
        if not version.is_prerelease and (floor is None or version >= floor):
            out.append(str(version))
    return out
