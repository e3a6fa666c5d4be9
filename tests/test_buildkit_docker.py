"""Builds through BuildKit on the real engine: step events and their lines, the steps a rebuild
takes from the cache, and the classic builder when asked for (one line says so), which makes
the same image: same bytes, same layers, the same instructions in the layer view."""

from __future__ import annotations

import contextlib
import time

import pytest

from workbench.core.engine.build import (
    BuildFailed,
    BuildResult,
    BuildWarning,
    LogLine,
    StepCached,
    StepStarted,
    build_image,
)
from workbench.core.engine.image_report import image_report

pytestmark = pytest.mark.docker
EMPTY_LAYER = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"  # empty tar

DOCKERFILE = """FROM {base} AS builder
RUN mkdir -p /out && echo marker-{mark} | tee /out/made
COPY hello.txt /out/
FROM {base}
ENV GREETING=hi
COPY --from=builder /out /opt/out
WORKDIR /opt/out
RUN {last}
LABEL dev.workbench.test=buildkit
"""


@pytest.fixture
def tags(docker_client):
    made: list[str] = []
    yield lambda name: made.append(f"workbench-test/buildkit-{name}:{time.time_ns()}") or made[-1]
    for tag in made:
        with contextlib.suppress(Exception):
            docker_client.images.remove(tag, force=True)


def build(dockerfile: str, tag: str, client, **kwargs) -> list:
    events = list(
        build_image(dockerfile, {"hello.txt": "hello\n"}, tag=tag, client=client, **kwargs)
    )
    assert isinstance(events[-1], BuildResult), events[-1]
    return events


def test_buildkit_streams_steps_and_their_lines_then_a_rebuild_reuses_the_cache(
    docker_client, base_image, tags
):
    mark = time.time_ns()
    text = DOCKERFILE.format(base=base_image, mark=mark, last="ls > /tmp/listing")
    first = build(text, tags("first"), docker_client, nocache=True)
    assert not [e for e in first if isinstance(e, BuildWarning) and "classic" in e.text]
    started = {e.n: e for e in first if isinstance(e, StepStarted)}
    assert {e.total for e in started.values()} == {7}  # FROM, RUN, COPY; FROM, COPY, WORKDIR, RUN
    run = next(n for n, e in started.items() if f"marker-{mark}" in e.instruction)
    assert LogLine(f"marker-{mark}", run) in first
    assert not [e for e in first if isinstance(e, StepCached)]

    again = build(text.replace("ls > /tmp/listing", "ls -l"), tags("again"), docker_client)
    result = again[-1]
    cached = [e.n for e in again if isinstance(e, StepCached)]
    assert cached == list(result.cached) and set(cached) == {2, 3, 5, 6}
    assert 7 not in result.cached and result.instructions[-1] == "RUN ls -l"
    assert f"marker-{mark}" not in [e.text for e in again if isinstance(e, LogLine)]


def test_the_classic_builder_says_so_and_makes_the_same_image(
    docker_client, base_image, tags, monkeypatch
):
    text = DOCKERFILE.format(base=base_image, mark=time.time_ns(), last="ls > /tmp/listing")
    kit = docker_client.images.get(build(text, tags("kit"), docker_client)[-1].image_id)
    monkeypatch.setenv("WORKBENCH_BUILDER", "classic")
    events = build(text, tags("classic"), docker_client)
    assert events[0] == BuildWarning("building with the classic builder: WORKBENCH_BUILDER=classic")
    assert any(isinstance(e, LogLine) and e.text.startswith(" ---> ") for e in events)
    classic = docker_client.images.get(events[-1].image_id)
    assert abs(kit.attrs["Size"] - classic.attrs["Size"]) <= classic.attrs["Size"] * 0.001
    # BuildKit (engine 20.10) makes a WORKDIR of a directory that exists an empty layer (the
    # empty tar's digest, 0 bytes) where the classic builder makes none: that one layer more
    # is the only difference
    extra = [d for d in kit.attrs["RootFS"]["Layers"] if d not in classic.attrs["RootFS"]["Layers"]]
    kit_only = [d for d in extra if d == EMPTY_LAYER]
    assert (
        len(kit.attrs["RootFS"]["Layers"]) - len(classic.attrs["RootFS"]["Layers"])
        == len(kit_only)
        <= 1
    )
    kit_layers = image_report(docker_client, kit.id, base_image, measure=False).layers
    classic_layers = image_report(docker_client, classic.id, base_image, measure=False).layers
    assert _keywords(kit_layers) == _keywords(classic_layers)
    assert _keywords(kit_layers, sized=True) == ["COPY", "RUN"]  # /tmp/listing; no WORKDIR layer
    assert not any("# buildkit" in layer.command for layer in kit_layers)


def _keywords(layers, sized: bool = False) -> list[str]:
    return [layer.command.split()[0] for layer in layers if layer.size_bytes or not sized]


def test_a_failing_step_under_buildkit_names_the_step_and_keeps_its_lines(
    docker_client, base_image
):
    text = f"FROM {base_image}\nENV A=1\nRUN echo first-{time.time_ns()} && echo why >&2 && false\n"
    *_, failure = build_image(text, client=docker_client)
    assert isinstance(failure, BuildFailed) and failure.kind == "step"
    assert failure.line().startswith("step 2/2 (RUN echo first-")
    assert failure.line().endswith("command failed with exit code 1")
    # stdout and stderr reach BuildKit through two pipes: their order is not kept
    assert "why" in failure.last_lines[-2:]
    assert any(line.startswith("first-") for line in failure.last_lines[-2:])


def test_build_args_reach_the_builder_stage_only(docker_client, base_image, tags):
    """An index URL with credentials is a build arg of the builder stage (the renderer's
    PIP_INDEX_URL): BuildKit passes it to that stage's RUN, and the final image's history
    and config never hold it."""
    secret = "http://user:pw@127.0.0.1:9/simple"
    text = (
        f"FROM {base_image} AS builder\nARG PIP_INDEX_URL\n"
        'RUN test "$PIP_INDEX_URL" = "' + secret + '" && echo seen > /seen\n'
        f"FROM {base_image}\nCOPY --from=builder /seen /seen\n"
    )
    events = build(text, tags("args"), docker_client, buildargs={"PIP_INDEX_URL": secret})
    image = docker_client.images.get(events[-1].image_id)
    assert secret not in str(image.history()) and secret not in str(image.attrs["Config"])
    out = docker_client.containers.run(image.id, ["cat", "/seen"], remove=True, network_mode="none")
    assert out == b"seen\n"
