"""Run every benchmark under bench/ (or those named): `python -m bench [NAME ...]`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
SKIP = {"__init__", "__main__", "common"}


def main() -> int:
    names = sys.argv[1:] or sorted(p.stem for p in HERE.glob("*.py") if p.stem not in SKIP)
    failed = 0
    for name in names:
        print(f"\n== bench/{name}.py ==", flush=True)
        failed += (
            subprocess.run([sys.executable, str(HERE / f"{name}.py")], check=False).returncode != 0
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
