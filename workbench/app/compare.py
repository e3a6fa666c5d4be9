"""Compare two history records: the packages their plans installed, their settings (base,
Python, install mode, trims) and their added layers (sizes by instruction). Pure functions
over the records the engine's pipeline writes; the marks are A (added), D (dropped), M
(changed)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    """One difference: ``mark`` A/D/M, what it is, and its value in each build."""

    mark: str
    name: str
    before: str
    after: str


@dataclass(frozen=True)
class LayerChange:
    """A layer that differs: ``mark`` A/D/M, its instruction(s) and sizes in each build."""

    mark: str
    command: str
    before: int | None
    after: int | None

    @property
    def delta(self) -> int:
        """Bytes more (or fewer) in the later build."""
        return (self.after or 0) - (self.before or 0)


def settings(record: dict) -> dict[str, str]:
    """Base image, Python, install mode and trims of a build, as its plan recorded them."""
    recorded = record.get("settings")
    return dict(recorded) if isinstance(recorded, dict) else {}


def changes(before: dict[str, str], after: dict[str, str]) -> list[Change]:
    """What differs between two ``name -> value`` maps, by name."""
    out = []
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a == b:
            continue
        mark = "A" if a is None else "D" if b is None else "M"
        out.append(Change(mark, name, a or "", b or ""))
    return out


def package_changes(a: dict, b: dict) -> list[Change] | None:
    """Packages added, dropped or re-pinned from build ``a`` to ``b`` (None: not recorded)."""
    before, after = a.get("packages"), b.get("packages")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None  # a build recorded before packages were (or a hand-made plan)
    return changes(before, after)


def layer_changes(a: dict, b: dict) -> list[LayerChange]:
    """Added layers that differ, matched by instruction in order: same instruction with
    another size (M), only in ``b`` (A), only in ``a`` (D); a replaced run pairs up as M
    (shown with the later instruction)."""
    left, right = a.get("layers") or [], b.get("layers") or []
    matcher = difflib.SequenceMatcher(
        None, [x["command"] for x in left], [x["command"] for x in right], autojunk=False
    )
    out: list[LayerChange] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        olds, news = left[i1:i2], right[j1:j2]
        if op == "equal":
            out += [
                LayerChange("M", o["command"], o["size_bytes"], n["size_bytes"])
                for o, n in zip(olds, news, strict=True)
                if o["size_bytes"] != n["size_bytes"]
            ]
            continue
        for k in range(max(len(olds), len(news))):
            o = olds[k] if k < len(olds) else {}
            n = news[k] if k < len(news) else {}
            mark = "M" if o and n else "A" if n else "D"
            out.append(
                LayerChange(mark, (n or o)["command"], o.get("size_bytes"), n.get("size_bytes"))
            )
    return out
