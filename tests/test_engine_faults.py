"""Engine faults from a fake engine on loopback: one line, bounded time, outcome recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.fake_engine import FakeEngine
from workbench.core.engine.build import BuildResult, BuildWarning, StepStarted, build_image

WORKBENCH = [sys.executable, "-m", "workbench"]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A recipe (made by ``workbench init`` from the shipped snapshot) and its script."""
    root = tmp_path_factory.mktemp("faults")
    (root / "s.sh").write_text("#!/bin/bash\naz group list\n")
    subprocess.run(
        [*WORKBENCH, "init", "--script", "s.sh"], cwd=root, check=True, capture_output=True
    )
    return root


def _run(args, cwd, engine, timeout=60, **env):
    environ = {**os.environ, "DOCKER_HOST": engine.url, **env}
    return subprocess.run(
        [*WORKBENCH, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=timeout
    )


def _records(root: Path) -> list[dict]:
    path = root / ".workbench" / "history.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, stderr
    return errors[0]


@pytest.mark.parametrize(
    ("mode", "args", "code", "message", "status"),
    [
        ("500-after-build", ["build"], 1, "the engine failed: 500 Server Error", "failed"),
        ("stall-build", ["build"], 1, "no word from it for 2 s", "failed"),
        ("silent", ["build"], 3, "no Docker engine answers", "failed"),
        ("silent", ["smoke", "x:1", "--script", "s.sh"], 3, "no Docker engine answers", None),
        ("stall-export", ["layers", "x:1"], 1, "no word from the engine for 2 s", None),
    ],
)
def test_engine_fault_is_one_line_bounded_and_recorded(project, mode, args, code, message, status):
    before = (project / "workbench.toml").read_bytes()
    if args[0] == "build":
        args = [*args, "--recipe", "workbench.toml", "--offline"]
    old = len(_records(project))
    started = time.monotonic()
    with FakeEngine(mode) as engine:
        done = _run(args, project, engine, WORKBENCH_ENGINE_TIMEOUT="2")
    assert time.monotonic() - started < 40
    assert done.returncode == code, done.stderr
    assert message in _one_error_line(done.stderr)
    assert (project / "workbench.toml").read_bytes() == before
    if status:
        records = _records(project)
        assert len(records) == old + 1 and records[-1]["status"] == status


def test_ctrl_c_during_a_stalled_build_exits_130_and_is_recorded(project):
    old = len(_records(project))
    with FakeEngine("stall-build") as engine:
        proc = subprocess.Popen(
            [*WORKBENCH, "build", "--recipe", "workbench.toml", "--offline"],
            cwd=project,
            env={**os.environ, "DOCKER_HOST": engine.url},
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        # the fake answers a BuildKit request with the classic builder's output: said first
        assert "building with the classic builder" in proc.stderr.readline()
        assert "[1/2]" in proc.stderr.readline()
        proc.send_signal(signal.SIGINT)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)  # a second Ctrl-C still lets the outcome be recorded
        stderr = proc.stderr.read()
        assert proc.wait(timeout=30) == 130, stderr
    assert "Traceback" not in stderr
    records = _records(project)
    assert len(records) == old + 1 and records[-1]["status"] == "cancelled"


def test_an_engine_without_buildkit_builds_with_the_classic_builder_and_says_so(monkeypatch):
    with FakeEngine("old-api") as engine:
        monkeypatch.setenv("DOCKER_HOST", engine.url)
        events = list(build_image("FROM scratch\nLABEL a=b\n"))
    assert events[0] == BuildWarning(
        "building with the classic builder: the engine (API 1.38, linux) has no BuildKit; "
        "rebuilds are slower"
    )
    assert [e.n for e in events if isinstance(e, StepStarted)] == [1, 2]
    assert isinstance(events[-1], BuildResult)
