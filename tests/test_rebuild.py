"""Expected rebuild times per mode, from the steps of rendered Dockerfiles (no engine)."""

from __future__ import annotations

from tests.test_dockerfile import ALL, instructions, make_recipe, render
from workbench.core.engine.build import BuildResult
from workbench.core.engine.rebuild import estimate_rebuilds, measured_seconds, mode_note


def result_for(dockerfile: str, seconds: dict[str, float] | None = None, cached=()) -> BuildResult:
    """A BuildResult whose steps are the Dockerfile's instructions, 1 s each unless given."""
    steps = tuple(f"{k} {a}" for _, k, a in instructions(dockerfile))
    times = tuple((seconds or {}).get(s.split()[0], 1.0) for s in steps)
    return BuildResult("sha256:x", None, sum(times), times, tuple(cached), steps)


def test_multistage_steps_give_every_mode_a_figure(tmp_path):
    text = render(make_recipe(tmp_path, mode="multistage", trims=ALL)).dockerfile
    steps = [f"{k} {a}" for _, k, a in instructions(text)]
    estimate = estimate_rebuilds(result_for(text))
    copy = next(i for i, s in enumerate(steps) if "--from=builder" in s)
    tail = len(steps) - copy  # COPY --from, ENV, COPY scripts, WORKDIR, LABEL
    assert estimate.trim_toggle_s == 2 + tail  # COPY trim.py/trim.json, the trim RUN
    assert estimate.package_added_s == 1 + 2 + tail  # the SDK RUN too (and nothing of core)
    final = max(i for i, s in enumerate(steps) if s.startswith("FROM"))
    builder = next(i for i, s in enumerate(steps) if s.endswith(" AS builder"))
    builder_runs = sum(1 for s in steps[builder:final] if s.startswith("RUN"))
    assert builder_runs == 4  # tools, azure-cli + core, the SDK set, the trims (uv: a stage)
    assert estimate.single_stage_s == builder_runs + len(steps) - final - 1  # + final stage
    lines = estimate.lines("venv")
    assert lines[2].startswith("> system / venv: any change ~") and "one RUN" in lines[2]


def test_cached_steps_need_an_earlier_measure(tmp_path):
    text = render(make_recipe(tmp_path, mode="multistage", trims=ALL)).dockerfile
    first = result_for(text, {"RUN": 5.0})
    again = result_for(text, cached=range(1, len(first.instructions) + 1))
    assert estimate_rebuilds(again).trim_toggle_s is None
    assert "not measured yet" in estimate_rebuilds(again).lines("multistage")[1]
    known = measured_seconds(first)
    assert estimate_rebuilds(again, known) == estimate_rebuilds(first)


def test_single_stage_build_tells_its_own_rebuild_only(tmp_path):
    text = render(make_recipe(tmp_path, mode="venv", trims=ALL)).dockerfile
    estimate = estimate_rebuilds(result_for(text, {"RUN": 20.0}))
    assert estimate.trim_toggle_s is None and estimate.package_added_s is None
    assert estimate.single_stage_s == 20.0 + 4  # the RUN, then ENV, COPY, WORKDIR, LABEL


def test_mode_note_says_single_stage_modes_cannot_reuse_layers():
    assert "any change reruns the one install RUN" in mode_note("venv")
    assert "any change reruns the one install RUN" in mode_note("system")
    assert "trim toggle reruns only the trim layer" in mode_note("multistage")
