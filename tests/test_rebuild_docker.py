"""The layered builder stage on the real engine: a trim toggle reuses the install layers (told
by the engine's build events), and the final image is the size of the single-RUN builder's."""

from __future__ import annotations

import contextlib
import os
import re
import time

import pytest

from bench.rebuild import base_copy, single_run
from tests.test_dockerfile import ALL, instructions, make_recipe
from workbench.core.engine.build import BuildResult, StepCached, StepStarted, build_image
from workbench.core.recipe.dockerfile import Resolution, build_context
from workbench.core.recipe.recipe import Package, PipSettings
from workbench.core.sizes.model import load_size_model
from workbench.core.trims.registry import TrimContext

pytestmark = [pytest.mark.docker, pytest.mark.network]
CONTEXT = TrimContext(modules=frozenset({"profile", "util"}))
SDK = "azure-mgmt-msi"  # one small SDK package, so the SDK layer exists


def recipe_for(tmp_path, base, trims):
    ca = os.environ.get("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt")
    return make_recipe(
        tmp_path,
        base=base,
        family="apt",
        mode="multistage",
        trims=trims,
        runtime_packages=[],
        packages=[Package("azure-cli-core"), Package(SDK)],
        pip=PipSettings(ca_bundle=ca),
    )


def build(docker_client, ctx, tag, nocache=False):
    """Build ``ctx``; (instruction of every step, numbers of the cached steps, image)."""
    steps, cached, result = {}, set(), None
    for event in build_image(ctx.dockerfile, ctx.files, tag=tag, nocache=nocache):
        if isinstance(event, StepStarted):
            steps[event.n] = " ".join(event.instruction.split())
        elif isinstance(event, StepCached):
            cached.add(event.n)
        elif isinstance(event, BuildResult):
            result = event
    assert result is not None, f"the build of {tag} failed"
    return steps, cached, docker_client.images.get(result.image_id)


def from_copy(ctx, base: str, copy: str):
    """``ctx`` built ``FROM`` a copy of its base: BuildKit's cache is by content, so a base no
    earlier run used keeps their layers out of this run's cached steps."""
    return type(ctx)(ctx.dockerfile.replace(f"FROM {base}", f"FROM {copy}"), ctx.files)


@pytest.fixture
def tags(docker_client):
    made: list[str] = []
    yield lambda name: made.append(f"workbench-test/rebuild-{name}:{time.time_ns()}") or made[-1]
    for tag in reversed(made):  # children first: the base copy goes with them
        with contextlib.suppress(Exception):
            docker_client.images.remove(tag, force=True)


def test_trim_toggle_reuses_the_install_layers_and_size_matches_one_run(
    tmp_path, docker_client, base_image, tags
):
    recipe = recipe_for(tmp_path, base_image, ALL)
    model = load_size_model(recipe.target_of(), recipe.azure_cli, offline=True)
    resolution = Resolution.from_size_model(model, [p.name for p in recipe.packages])
    copy = base_copy(docker_client, tags("base"))
    first = from_copy(build_context(recipe, resolution, CONTEXT), base_image, copy)
    _, _, image = build(docker_client, first, tags("first"), nocache=True)

    # any trim but strip-binaries (binutils joins the tools layer with it)
    fewer = [t for t in ALL if t != "prune-pygments"]
    toggled = build_context(recipe_for(tmp_path, base_image, fewer), resolution, CONTEXT)
    toggled = from_copy(toggled, base_image, copy)
    again, cached, toggled_image = build(docker_client, toggled, tags("toggled"))
    install = [n for n, s in again.items() if re.search(r"uv pip install|-m pip install", s)]
    assert len(install) == 3  # uv itself (tools), azure-cli + core, the SDK set
    assert set(install) <= cached, f"install steps {install} not from the cache: {cached}"
    trim = next(n for n, s in again.items() if "trim.py" in s and s.startswith("RUN"))
    assert trim not in cached  # the toggled trim layer ran again, and so did the final copy
    assert next(n for n, s in again.items() if "--from=builder" in s) not in cached
    assert toggled_image.labels["dev.workbench.trims"] == ",".join(fewer)

    one = from_copy(build_context(recipe, resolution, CONTEXT), base_image, copy)
    one = type(one)(single_run(one.dockerfile), one.files)
    steps = instructions(one.dockerfile)
    [builder] = [n for n, k, a in steps if k == "FROM" and a.endswith(" AS builder")]
    assert [k for n, k, _ in steps if n == builder].count("RUN") == 1  # uv: a stage of its own
    _, _, reference = build(docker_client, one, tags("one-run"), nocache=True)
    assert len(image.history()) == len(reference.history())  # no layer more
    size, expected = image.attrs["Size"], reference.attrs["Size"]
    assert abs(size - expected) <= expected * 0.001, (size, expected)
    check = "az rest --help >/dev/null && test ! -e /opt/az/bin/pip && echo ok"
    assert docker_client.containers.run(image.id, ["bash", "-c", check], remove=True) == b"ok\n"
