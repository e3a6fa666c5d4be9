"""Hostile CLI arguments and history records: the exit code, one stderr line without a
traceback, and every file that was there before byte-identical or kept as a backup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from workbench.core.engine import history

WORKBENCH = [sys.executable, "-m", "workbench"]
RECIPE = 'base = "python:3.12-alpine"\nscripts = ["s.sh"]\n\n[packages]\nazure-cli-core = "exact"\n'


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "s.sh").write_text("#!/bin/bash\naz group list\n")
    (tmp_path / "workbench.toml").write_text(RECIPE)
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "binary").write_bytes(b"\x00\x01\x02\xff" * 64)
    (tmp_path / "dir").mkdir()
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


CASES = [
    (["init", "--script", "s.sh"], 2, "workbench.toml already exists; pass --force"),
    (["init", "--script", "s.sh", "-o", "."], 2, "is a directory; name a file"),
    (["init", "--script", "dir", "-o", "x.toml"], 2, "is a directory; name the script file"),
    (["init", "--script", "binary", "-o", "x.toml"], 2, "binary"),
    (["init", "--package", "x; rm -rf /", "-o", "x.toml"], 2, "not a package name"),
    (["init", "--script", "s.sh", "--base", "a\nRUN id", "-o", "x.toml"], 2, "image reference"),
    (["init", "--script", "s.sh", "--runtime-package", "$(id)", "-o", "x.toml"], 2, "apk"),
    (["dockerfile", "--recipe", "workbench.toml", "-o", "workbench.toml"], 2, "an input of"),
    (["dockerfile", "--recipe", "workbench.toml", "-o", "s.sh"], 2, "an input of this build"),
    (["dockerfile", "--recipe", "workbench.toml", "--resolution", "list.json"], 2, "list.json"),
    (["dockerfile", "--recipe", "workbench.toml", "--resolution", "binary"], 2, "not valid JSON"),
    (["dockerfile", "--recipe", "workbench.toml", "--trim-context", "list.json"], 2, "trim"),
    (["dockerfile", "--recipe", "dir"], 2, "is a directory"),
    (["dockerfile", "--recipe", "binary"], 2, "not UTF-8"),
    (["layers", "binary"], 2, "unreadable image archive"),
    (["layers", "x.tar", "--ci", "--ci-config", "binary"], 2, "not a text file"),
    (["estimate", "--nope"], 2, "unrecognized arguments: --nope"),
    (["history", "--recipe", "workbench.toml"], 1, "no builds recorded"),
]


@pytest.mark.parametrize(("args", "code", "message"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_argument_is_one_line_and_loses_nothing(project, args, code, message):
    before = _snapshot(project)
    done = subprocess.run(
        [*WORKBENCH, *args], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == code, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert message in done.stderr
    after = _snapshot(project)
    for name, data in before.items():
        assert after.get(name) == data or after.get(name + ".bak") == data, name


def test_output_into_a_closed_pipe_is_quiet(project):
    pipe = subprocess.run(
        f"{' '.join(WORKBENCH)} dockerfile --recipe workbench.toml --offline | head -c 1",
        shell=True,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in pipe.stderr and "BrokenPipe" not in pipe.stderr, pipe.stderr


def test_layers_json_keeps_mode_and_backup(project, tmp_path):
    from tests.layer_archives import COMMANDS, legacy_archive, scenario_layers

    (project / "image.tar").write_bytes(legacy_archive(scenario_layers(), COMMANDS))
    out = project / "out.json"
    out.write_text("old")
    out.chmod(0o644)
    done = subprocess.run(
        [*WORKBENCH, "layers", "image.tar", "--json", "out.json"], cwd=project, capture_output=True
    )
    assert done.returncode == 0
    assert out.stat().st_mode & 0o777 == 0o644 and (project / "out.json.bak").read_text() == "old"
    onto_dir = subprocess.run(
        [*WORKBENCH, "layers", "image.tar", "--json", "dir"], cwd=project, capture_output=True
    )
    assert onto_dir.returncode == 2 and b"is a directory" in onto_dir.stderr


# ---- history records --------------------------------------------------------------------------
GOOD = {"time": "2026-01-01T00:00:00Z", "status": "ok", "epoch": 1.0, "size_bytes": 5}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (json.dumps({**GOOD, "smoke": "passed"}), "smoke must be dict"),
        (json.dumps({**GOOD, "time": None}), "time must be a string"),
        (json.dumps({**GOOD, "size_bytes": "5"}), "size_bytes must be int"),
        (json.dumps({**GOOD, "size_bytes": True}), "size_bytes must be int"),
        (json.dumps({**GOOD, "comparison": {"difference_ratio": "x"}}), "difference_ratio"),
        (json.dumps({**GOOD, "failure": {"line": 5}}), "failure.line must be str"),
        (json.dumps({**GOOD, "layers": [1]}), "layers must be a list of objects"),
        (json.dumps([GOOD]), "not a JSON object"),
        ("[" * 100_000, "not valid JSON"),
        ('{"time": "x", "status": ', "not valid JSON"),
    ],
)
def test_bad_history_record_is_skipped_and_named(tmp_path, line, problem):
    recipe = tmp_path / "workbench.toml"
    path = history.history_path(recipe)
    path.parent.mkdir()
    path.write_text(json.dumps(GOOD) + "\n" + line + "\n" + json.dumps(GOOD) + "\n")
    problems: list[str] = []
    assert history.load_history(recipe, problems) == [GOOD, GOOD]
    assert len(problems) == 1 and problem in problems[0] and ":2:" in problems[0]
    done = subprocess.run(
        [*WORKBENCH, "history", "--recipe", str(recipe)], capture_output=True, text=True
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert done.stderr.count("warning:") == 1


def test_concurrent_appends_keep_every_record(tmp_path):
    recipe = tmp_path / "workbench.toml"

    def append(n: int) -> None:
        for i in range(25):
            history.append_record(recipe, history.new_record(status="ok", tag=f"{n}:{i}"))

    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from workbench.core.engine import history as h\n"
                "for i in range(25): h.append_record(sys.argv[1], "
                "h.new_record(status='ok', tag=f'p{sys.argv[2]}:{i}'))",
                str(recipe),
                str(n),
            ],
            env={**os.environ},
        )
        for n in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(p.wait(timeout=60) == 0 for p in procs)
    tags = {r["tag"] for r in history.load_history(recipe)}
    assert len(tags) == 150


def test_torn_last_line_does_not_swallow_the_next_append(tmp_path):
    recipe = tmp_path / "workbench.toml"
    path = history.history_path(recipe)
    path.parent.mkdir()
    path.write_text(json.dumps(GOOD) + "\n" + '{"time": "torn')
    history.append_record(recipe, history.new_record(status="ok", tag="after"))
    assert [r.get("tag") for r in history.load_history(recipe)] == [None, "after"]
