"""A recipe with a hand-added package azure-cli never pulls in (flask) builds for real: the
project sizes it from the index, pins it in the Dockerfile, and the image imports it."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.support.cli import workbench
from tests.support.fixtures import ROOT
from workbench.core.recipe.recipe import Package, Recipe

pytestmark = [pytest.mark.docker, pytest.mark.network]


def test_a_recipe_with_a_package_outside_the_closure_builds(tmp_path, docker_client, base_image):
    shutil.copy(ROOT / "sample-scripts" / "tag-disks.sh", tmp_path)
    argv = ["--script", "tag-disks.sh", "--base", base_image, "--family", "apt"]
    init = workbench(
        "init", *argv, "--mode", "venv", "--trim", "none", "-o", "w.toml", cwd=tmp_path
    )
    assert init.returncode == 0, init.stderr
    recipe = Recipe.load(tmp_path / "w.toml")
    recipe.packages.append(Package("flask"))
    recipe.save()
    tag = "workbench-test/project-flask:latest"
    done = workbench("build", "--recipe", "w.toml", "--tag", tag, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["estimate_bytes"] > 0
    out = docker_client.containers.run(
        tag, ["/opt/az/bin/python", "-c", "import flask; print('ok')"], remove=True
    )
    assert out == b"ok\n"
    docker_client.images.remove(tag, force=True)
