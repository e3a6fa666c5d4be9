"""dive-compatible CI rules: defaults, ``.dive-ci`` files, evaluation.

Rules and defaults as in dive: ``lowestEfficiency`` 0.9, ``highestWastedBytes`` disabled,
``highestUserWastedPercent`` 0.1. A value of "", "disabled", "off" or "false" disables a
rule; comparisons are strict (FAIL if efficiency < threshold, waste > threshold). The waste
rules use the honest waste figure (see ``workbench.core.layers.analysis``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from workbench.core.errors import WorkbenchError
from workbench.core.files import one_line, os_reason

DEFAULT_CONFIG = ".dive-ci"
DISABLED = frozenset({"", "disabled", "off", "false"})
RULE_KEYS = {  # accepted spellings -> canonical rule name
    "lowestEfficiency": "lowestEfficiency",
    "lowest-efficiency": "lowestEfficiency",
    "lowest_efficiency": "lowestEfficiency",
    "highestWastedBytes": "highestWastedBytes",
    "highest-wasted-bytes": "highestWastedBytes",
    "highest_wasted_bytes": "highestWastedBytes",
    "highestUserWastedPercent": "highestUserWastedPercent",
    "highest-user-wasted-percent": "highestUserWastedPercent",
    "highest_user_wasted_percent": "highestUserWastedPercent",
}
DEFAULTS = {"lowestEfficiency": "0.9", "highestWastedBytes": "disabled"}
DEFAULTS["highestUserWastedPercent"] = "0.1"
_UNITS = {  # go-humanize ParseBytes units (SI powers of 1000, IEC powers of 1024)
    "": 1, "b": 1,
    "k": 10**3, "kb": 10**3, "ki": 2**10, "kib": 2**10,
    "m": 10**6, "mb": 10**6, "mi": 2**20, "mib": 2**20,
    "g": 10**9, "gb": 10**9, "gi": 2**30, "gib": 2**30,
    "t": 10**12, "tb": 10**12, "ti": 2**40, "tib": 2**40,
}  # fmt: skip


@dataclass(frozen=True)
class RuleResult:
    """One evaluated rule: status "PASS", "FAIL" or "SKIP" and a short explanation."""

    name: str
    status: str
    message: str


def parse_bytes(text: str) -> int:
    """ "20MB" -> 20000000, "1.5 GiB" -> 1610612736, "1024" -> 1024 (as go-humanize does)."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(text))
    unit = match and match.group(2).lower()
    if not match or unit not in _UNITS:
        raise WorkbenchError(f"highestWastedBytes: cannot read {text!r} as a size (e.g. 20MB)")
    return int(float(match.group(1)) * _UNITS[unit])


def load_rules(config: str | None, overrides: dict[str, object]) -> dict[str, str]:
    """Rule thresholds as text: defaults, then the config file, then non-None ``overrides``.

    ``config`` None means ``.dive-ci`` in the current directory when it exists.
    """
    rules = dict(DEFAULTS)
    path = Path(config) if config else Path(DEFAULT_CONFIG)
    if config or path.is_file():
        rules.update(_read_config(path))
    rules.update({RULE_KEYS[k]: str(v) for k, v in overrides.items() if v is not None})
    return rules


def _read_config(path: Path) -> dict[str, str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WorkbenchError(f"{path}: cannot read CI config ({os_reason(exc)})") from None
    except UnicodeDecodeError:
        raise WorkbenchError(f"{path}: not a text file (a CI config is YAML)") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise WorkbenchError(f"{path}: not valid YAML ({one_line(exc)})") from None
    data = data or {}
    if not isinstance(data, dict) or not isinstance(data.get("rules", {}), dict):
        raise WorkbenchError(f"{path}: expected a mapping with a 'rules:' section")
    found = {**data, **(data.get("rules") or {})}
    return {RULE_KEYS[k]: _as_text(v) for k, v in found.items() if k in RULE_KEYS}


def _as_text(value: object) -> str:
    if value is None or value is False:
        return "disabled"
    return str(value)


def _ratio(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise WorkbenchError(f"{name}: {text!r} is not a number between 0 and 1") from None
    if not 0 <= value <= 1:
        raise WorkbenchError(f"{name}: {value} is outside 0..1 (a ratio, 0.1 = 10 %)")
    return value


def evaluate(analysis, rules: dict[str, str]) -> list[RuleResult]:
    """Evaluate the rules against an ImageAnalysis, sorted by rule name (as dive prints them).

    Raises WorkbenchError for a threshold that cannot be read.
    """
    results = []
    for name in sorted(rules):
        text = rules[name].strip()
        if text.lower() in DISABLED:
            results.append(RuleResult(name, "SKIP", "rule disabled"))
            continue
        if name == "lowestEfficiency":
            limit = _ratio(name, text)
            value = analysis.efficiency
            failed, what = limit > value, f"efficiency={value:.4f} threshold={limit}"
        elif name == "highestWastedBytes":
            limit = parse_bytes(text)
            value = analysis.wasted_bytes
            failed, what = value > limit, f"wasted-bytes={value} threshold={limit}"
        else:
            limit = _ratio(name, text)
            value = analysis.user_wasted_percent
            failed, what = value > limit, f"user-wasted-ratio={value:.4f} threshold={limit}"
        results.append(RuleResult(name, "FAIL" if failed else "PASS", what))
    return results
