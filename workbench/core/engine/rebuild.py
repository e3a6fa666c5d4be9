"""Expected rebuild times of each install mode, from the steps of a measured build.

A multistage builder stage is cached layers (tools; azure-cli and core; the SDK set; the trims,
always its last ``RUN``), so a trim toggle reruns the trim layer and the final stage from its
``COPY --from=builder`` on, and an added package reruns everything after the core layer. A
single-stage image (modes system, venv) has one install ``RUN``: any change reruns all of it,
which a multistage build's steps also tell (its builder ``RUN`` steps plus the final stage's).
A step the engine took from its cache has no time of its own; ``known`` (instruction ->
seconds, from earlier builds of the session) fills it in, or the figure is unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workbench.core.engine.build import BuildResult

SINGLE_STAGE_WHY = (
    "modes system and venv install in one RUN: splitting it would leave every file a later "
    "step deletes in the image, so any change reruns the whole install"
)


@dataclass(frozen=True)
class RebuildEstimate:
    """Seconds a rebuild is expected to take after one change (None: not measured)."""

    trim_toggle_s: float | None = None  # multistage: a trim or [keep] changed
    package_added_s: float | None = None  # multistage: a package added, removed or re-pinned
    single_stage_s: float | None = None  # system / venv: any change

    def lines(self, mode: str) -> list[str]:
        """What the Build screen says, for a recipe in ``mode``."""
        multi = (
            f"multistage (cached layers): a trim toggle ~{_s(self.trim_toggle_s)}, "
            f"an added package ~{_s(self.package_added_s)}"
        )
        single = f"system / venv: any change ~{_s(self.single_stage_s)} ({SINGLE_STAGE_WHY})"
        here = "multistage" if mode == "multistage" else "system / venv"
        return [
            f"Expected rebuild, from this build's steps (this recipe: {mode}):",
            f"{'>' if here == 'multistage' else ' '} {multi}",
            f"{'>' if here != 'multistage' else ' '} {single}",
        ]


def measured_seconds(result: BuildResult) -> dict[str, float]:
    """Instruction -> seconds of the steps this build ran (not those from the cache)."""
    return {
        text: seconds
        for _, text, seconds, cached in result.steps()
        if seconds is not None and not cached
    }


def estimate_rebuilds(
    result: BuildResult, known: Mapping[str, float] | None = None
) -> RebuildEstimate:
    """Expected rebuild seconds per kind of change from ``result``'s steps."""
    seconds = {**(known or {}), **measured_seconds(result)}
    steps = list(result.instructions)
    starts = [i for i, text in enumerate(steps) if _keyword(text) == "FROM"]
    if not starts:
        return RebuildEstimate()
    final = steps[starts[-1] + 1 :]
    copy = next((i for i, t in enumerate(final) if "--from=builder" in t), None)
    if len(starts) < 2 or copy is None:  # one stage: its install RUN and what follows
        first = next((i for i, t in enumerate(final) if "pip install" in t), None)
        return RebuildEstimate(
            single_stage_s=_sum(final[first:], seconds) if first is not None else None
        )
    builder = steps[starts[-2] + 1 : starts[-1]]
    tail = final[copy:]
    runs = [i for i, t in enumerate(builder) if _keyword(t) == "RUN"]
    core = next((i for i in runs if "azure-cli==" in builder[i] or "core.lock" in builder[i]), None)
    last = runs[-1] if runs else None
    trims = None
    if last is not None:
        start = last - 1 if last and _keyword(builder[last - 1]) == "COPY" else last
        trims = _sum(builder[start:] + tail, seconds)
    added = _sum(builder[core + 1 :] + tail, seconds) if core is not None else None
    single = _sum([builder[i] for i in runs] + final, seconds)
    return RebuildEstimate(trims, added, single)


def _keyword(instruction: str) -> str:
    return instruction.split(None, 1)[0].upper() if instruction.strip() else ""


def _sum(instructions: list[str], seconds: Mapping[str, float]) -> float | None:
    if any(t not in seconds for t in instructions):
        return None
    return sum(seconds[t] for t in instructions)


def _s(value: float | None) -> str:
    return "not measured yet" if value is None else f"{value:.0f} s"
