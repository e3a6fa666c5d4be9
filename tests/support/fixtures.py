"""The realistic CI scripts with hand-checked expected calls.

``tests/fixtures/scripts/<name>.expected.json`` lists every `az` call of ``<name>.sh`` as
``{"line": N, "path": "<full Azure CLI 2.91 command path>"}``. The script lives beside it, or
in ``sample-scripts/`` when it is also one of the shipped examples (kept once, not copied).
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "scripts"
SAMPLES = ROOT / "sample-scripts"


def _script_for(expected: Path) -> Path:
    name = expected.name.replace(".expected.json", ".sh")
    local = expected.with_name(name)
    return local if local.exists() else SAMPLES / name


SCRIPTS = sorted(_script_for(e) for e in FIXTURES.glob("*.expected.json"))


def expected_of(script: Path) -> list[dict]:
    """The expected calls of a fixture script."""
    return json.loads((FIXTURES / f"{script.stem}.expected.json").read_text())
