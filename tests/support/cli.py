"""Run the workbench CLI as a user would: a subprocess of this interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def workbench(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m workbench ARGS`` in ``cwd`` (output captured, never raises)."""
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
