"""BuildKit's progress stream decoded into build events, on streams recorded from real builds
(``tests/fixtures/buildkit``, made by ``python -m tests.support.buildkit_streams``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.core.engine.buildkit import (
    IMAGE_ID,
    TRACE_ID,
    KitProgress,
    decode_status,
    dockerfile_steps,
    logical_lines,
)
from workbench.core.engine.events import (
    BuildFailed,
    BuildResult,
    BuildWarning,
    LogLine,
    StepCached,
    StepStarted,
)

FIXTURES = Path(__file__).parent / "fixtures" / "buildkit"
MULTISTAGE = (
    "FROM",  # builder
    "WORKDIR /out",
    "RUN echo making /out/a",
    "COPY hello.txt /out/",
    "FROM",  # final
    "COPY --from=builder /out /out",
    "RUN ls",
)


def replay(name: str, cancelled: bool = False):
    """Feed a recorded stream to ``KitProgress`` as ``build_image`` does: its events and the
    recorded stream's chunks."""
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    progress = KitProgress(data["dockerfile"], tag="t")
    events, error = [], None
    for chunk in data["chunks"]:
        if "error" in chunk:
            error = chunk["error"]
            break
        events += progress.feed(chunk)
    return [*events, progress.end(error, cancelled=cancelled)], data["chunks"]


def test_the_trace_decodes_into_vertices_with_names_times_and_logs():
    _, chunks = replay("multistage-first")
    statuses = [decode_status(c["aux"]) for c in chunks if c.get("id") == TRACE_ID]
    vertices = [v for s in statuses for v in s.vertexes]
    assert all(v.digest.startswith("sha256:") for v in vertices)
    names = {v.name for v in vertices}
    assert {"[builder 2/4] WORKDIR /out", "[stage-1 2/3] COPY --from=builder /out /out"} <= names
    done = [v for v in vertices if v.HasField("completed")]
    assert done and all(v.completed.seconds >= v.started.seconds > 1_700_000_000 for v in done)
    logs = b"".join(log.msg for s in statuses for log in s.logs)
    assert b"making /out/a\n" in logs and b"warning: a warning line\n" in logs
    assert {log.stream for s in statuses for log in s.logs} == {1, 2}  # stdout and stderr


def test_a_first_build_streams_every_step_in_order_and_its_lines():
    events, chunks = replay("multistage-first")
    started = [e for e in events if isinstance(e, StepStarted)]
    # both stages start FROM one image: BuildKit runs it once, named after either stage
    assert [e.n for e in started if not e.instruction.startswith("FROM")] == [2, 3, 4, 6, 7]
    assert len([e for e in started if e.instruction.startswith("FROM")]) == 1
    assert {e.total for e in started} == {7}
    assert all(e.instruction.startswith(want) for e in started for want in [MULTISTAGE[e.n - 1]])
    assert not [e for e in events if isinstance(e, StepCached)]
    run = next(e.n for e in started if e.instruction.startswith("RUN echo making"))
    assert LogLine("making /out/a", run) in events
    assert BuildWarning("warning: a warning line", run) in events
    result = events[-1]
    assert isinstance(result, BuildResult) and result.cached == ()
    image = next(c["aux"]["ID"] for c in chunks if c.get("id") == IMAGE_ID)
    assert result.image_id == image and result.tag == "t"
    assert [t.split()[0] for t in result.instructions] == [w.split()[0] for w in MULTISTAGE]
    assert len(result.step_seconds) == 7 and result.step_seconds[run - 1] > 0


def test_a_rebuild_reports_the_steps_from_the_cache():
    events, _ = replay("multistage-rebuild")
    cached = [e.n for e in events if isinstance(e, StepCached)]
    assert cached == [2, 3, 4, 6]  # all but the FROMs (images, not the cache) and the new RUN
    result = events[-1]
    assert isinstance(result, BuildResult)
    assert result.cached == (2, 3, 4, 6) and result.cached_steps == 4
    assert [n for n, _, _, from_cache in result.steps() if not from_cache] == [1, 5, 7]
    assert result.instructions[-1] == "RUN ls -l /out"


def test_a_failing_step_is_named_with_its_own_last_lines():
    events, _ = replay("failing-step")
    failure = events[-1]
    assert isinstance(failure, BuildFailed)
    assert (failure.kind, failure.step, failure.total) == ("step", 2, 2)
    assert failure.line() == (
        "step 2/2 (RUN echo about to fail && echo the reason >&2 && exit 3): "
        "command failed with exit code 3"
    )
    assert failure.last_lines == ("about to fail", "the reason")


def test_a_cancelled_build_says_so_at_the_running_step():
    events, _ = replay("cancelled", cancelled=True)
    failure = events[-1]
    assert isinstance(failure, BuildFailed) and failure.line() == "build cancelled at step 2/2"
    assert failure.last_lines == ("started",)
    # without the cancel flag the engine's "context canceled" is an engine failure, not a step's
    uncancelled, _ = replay("cancelled")
    assert uncancelled[-1].kind == "engine" and "context canceled" in uncancelled[-1].message


@pytest.mark.parametrize(
    ("dockerfile", "names"),
    [
        ("FROM a\nENV X=1\nRUN x\nLABEL l=1\n", {("", 1): 1, ("", 2): 2}),
        (
            "ARG V=1\nFROM a AS build\nRUN x\nFROM build\nCOPY y /\n"
            "FROM scratch\nCOPY --from=build /z /\n",
            {("build", 1): 1, ("build", 2): 2, ("stage-1", 1): 3, ("stage-2", 1): 4},
        ),
    ],
)
def test_steps_are_the_instructions_buildkit_makes_a_vertex_of(dockerfile, names):
    steps, by_vertex = dockerfile_steps(dockerfile)
    assert {key: step.n for key, step in by_vertex.items()} == names
    assert [s.n for s in steps] == list(range(1, len(names) + 1))


def test_logical_lines_join_continuations_and_drop_comments():
    text = "# top\nFROM a\nRUN one \\\n  # inside\n    && two\n\nENV A=1\n"
    assert logical_lines(text) == ["FROM a", "RUN one && two", "ENV A=1"]
