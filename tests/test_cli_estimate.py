"""The estimate command as users run it: JSON contract, table, bad input."""

import json
import subprocess
import sys

import pytest


def _run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], capture_output=True, text=True, env=env
    )


def test_json_contract_offline():
    out = _run(
        "estimate",
        "azure-mgmt-compute",
        "--base",
        "python:3.11-slim-bookworm",
        "--no-compile",
        "--offline",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) >= {"target", "total_bytes", "packages", "trims"}
    assert data["target"]["python"] == "3.11" and data["target"]["libc"] == "glibc"
    row_keys = {"name", "version", "bytes", "marginal_bytes", "cumulative_bytes", "requested"}
    assert all(set(p) >= row_keys for p in data["packages"])
    assert data["packages"][0]["name"] == "azure-cli"
    assert data["packages"][-1]["cumulative_bytes"] == data["total_bytes"]
    assert [t["name"] for t in data["trims"]] == ["no-compile"]
    assert {p["name"] for p in data["packages"] if p["requested"]} == {"azure-mgmt-compute"}


def test_table_has_total_line():
    out = _run("estimate", "--all", "--offline")
    assert out.returncode == 0, out.stderr
    assert "total:" in out.stdout.splitlines()[-1]
    assert "snapshot" in out.stdout.splitlines()[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--python", "three"], "not X.Y"),
        (["--base", "busybox"], "cannot tell Python/libc"),
        (["not a package!"], "is not a package name"),
        (["--base", "python:3.10-alpine", "--offline"], "without the network"),
        (["nosuchpackagexyz", "--offline"], "nosuchpackagexyz: not in the offline size data"),
    ],
)
def test_bad_input_is_one_line(args, message, tmp_path):
    import os

    env = {**os.environ, "WORKBENCH_CACHE_DIR": str(tmp_path)}
    out = _run("estimate", *args, env=env)
    assert out.returncode == 2 or out.returncode == 1
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_unreachable_index_falls_back_to_the_snapshot_and_says_so(tmp_path):
    import os

    closed = "http://127.0.0.1:9/simple"  # the discard port: connection refused at once
    env = {**os.environ, "UV_DEFAULT_INDEX": closed, "WORKBENCH_CACHE_DIR": str(tmp_path)}
    out = _run("estimate", "semver", "--refresh", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["source"] == "snapshot"
    assert "cannot reach the package index" in out.stderr and "using the snapshot" in out.stderr
    out = _run("estimate", "--base", "python:3.10-alpine", env=env)
    assert out.returncode == 1
    assert out.stderr.strip().count("\n") == 0 and "cannot reach the package index" in out.stderr
