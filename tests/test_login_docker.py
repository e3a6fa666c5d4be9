"""A script that never calls ``az login`` still gets an image where the login works: built
with every trim on the local base, ``az login``/``az account`` answer in the container; the
``bc`` it pipes into (missing on the base) is found by ``init`` and installed."""

from __future__ import annotations

import json
import tomllib

import pytest

from tests.test_build_docker import _workbench

pytestmark = [pytest.mark.docker, pytest.mark.network]  # network: pip inside the build


def test_all_trims_keep_the_login(tmp_path, docker_client, base_image):
    script = tmp_path / "groups.sh"
    script.write_text(
        "#!/bin/bash\naz group list -o tsv --query [].name | wc -l | paste -sd+ | bc\n"
    )
    init = _workbench(
        "init", "--script", "groups.sh", "--base", base_image, "--family", "apt",
        "--mode", "multistage", "--trim", "all", "-o", "w.toml", cwd=tmp_path,
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    assert "bc" in tomllib.loads((tmp_path / "w.toml").read_text())["runtime_packages"]
    tag = "workbench-test/h17-login:all-trims"
    done = _workbench(
        "build", "--recipe", "w.toml", "--tag", tag, "--smoke", "--json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    smoke = {c["path"]: c["ok"] for c in json.loads(done.stdout)["smoke"]["commands"]}
    assert smoke["login"] and smoke["logout"] and smoke["account"], smoke
    for path in (["login"], ["account"], ["account", "show"]):
        out = docker_client.containers.run(
            tag, ["az", *path, "--help"], network_mode="none", remove=True, stderr=True
        ).decode()
        assert "misspelled or not recognized" not in out and "Command" in out, out[-500:]
    found = docker_client.containers.run(
        tag, ["sh", "-c", "command -v bc"], network_mode="none", remove=True
    )
    assert found.decode().strip().endswith("/bc")
