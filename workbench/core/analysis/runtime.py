"""OS packages a script's own commands need in the image, beyond what every base has."""

from __future__ import annotations

import re
from pathlib import Path


def guess_runtime_packages(scripts: list[str]) -> list[str]:
    """OS packages the scripts visibly call (bash, jq, curl)."""
    text = "\n".join(Path(s).read_text(encoding="utf-8", errors="replace") for s in scripts)
    return [tool for tool in ("bash", "jq", "curl") if re.search(rf"\b{tool}\b", text)]
