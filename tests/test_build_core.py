"""Fast tier for the build/smoke/history core: no engine needed."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import threading

import pytest

from tests.support.fixtures import ROOT
from workbench.cli import main
from workbench.core.engine import build, history
from workbench.core.engine.build import (
    BuildFailed,
    BuildResult,
    BuildWarning,
    LogLine,
    StepCached,
    StepStarted,
    make_context,
)
from workbench.core.engine.image_report import clean_command
from workbench.core.engine.payloads import smoke_driver
from workbench.core.engine.smoke import Check, SmokeCall, report_from_driver, smoke_spec
from workbench.core.project import Project

MULTI = """FROM example/base:1 AS builder
RUN make
FROM builder AS tested
FROM scratch AS empty
FROM example/final:2
COPY --from=builder /opt /opt
"""


def test_context_holds_dockerfile_and_files(tmp_path):
    host = tmp_path / "ca.crt"
    host.write_text("CA")
    host.chmod(0o600)
    data = make_context("FROM x\n", {"a/b.sh": "echo", "ca": host})
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = {m.name: m for m in tar.getmembers()}
        assert set(names) == {"Dockerfile", "a/b.sh", "ca"}
        assert tar.extractfile("Dockerfile").read() == b"FROM x\n"
        assert names["a/b.sh"].mode == 0o755 and names["ca"].mode == 0o600
        assert tar.extractfile("ca").read() == b"CA"


def _stream(chunks, cancel=None):
    state = build._State()
    return list(build._events(iter(chunks), state, cancel or threading.Event(), 0.0, "t:1"))


def test_events_from_classic_builder_chunks():
    events = _stream(
        [
            {"stream": "Step 1/2 : FROM base\n"},
            {"stream": " ---> abc\n"},
            {"stream": "Step 2/2 : RUN pip install x\n"},
            {"stream": " ---> Running in 0123456789ab\n"},
            {"stream": "\x1b[91mWARNING: Running pip as root\n\x1b[0m"},
            {"stream": "done\n"},
            {"aux": {"ID": "sha256:feed"}},
            {"stream": "Successfully built feed\n"},
        ]
    )
    assert [e for e in events if isinstance(e, StepStarted)] == [
        StepStarted(1, 2, "FROM base"),
        StepStarted(2, 2, "RUN pip install x"),
    ]
    assert BuildWarning("WARNING: Running pip as root", 2) in events
    assert LogLine("done", 2) in events
    assert isinstance(events[-1], BuildResult) and events[-1].image_id == "sha256:feed"
    assert len(events[-1].step_seconds) == 2


def test_steps_from_the_cache_are_events_and_in_the_result():
    events = _stream(
        [
            {"stream": "Step 1/3 : FROM base\n"},
            {"stream": " ---> abc\n"},
            {"stream": "Step 2/3 : RUN make\n"},
            {"stream": " ---> Using cache\n"},
            {"stream": " ---> def\n"},
            {"stream": "Step 3/3 : COPY x /x\n"},
            {"stream": " ---> 0a1b2c\n"},
            {"aux": {"ID": "sha256:feed"}},
        ]
    )
    assert [e for e in events if isinstance(e, StepCached)] == [StepCached(2)]
    result = events[-1]
    assert result.cached == (2,) and result.cached_steps == 1
    assert [(n, text, cached) for n, text, _, cached in result.steps()] == [
        (1, "FROM base", False),
        (2, "RUN make", True),
        (3, "COPY x /x", False),
    ]


def test_failing_step_reports_step_command_and_last_lines():
    events = _stream(
        [
            {"stream": "Step 1/2 : FROM base\n"},
            {"stream": "Step 2/2 : RUN false\n"},
            {"stream": " ---> Running in 0123456789ab\n"},
            {"stream": "boom\n"},
            {
                "errorDetail": {
                    "code": 7,
                    "message": "The command '/bin/sh -c false' returned a non-zero code: 7",
                },
                "error": "The command '/bin/sh -c false' returned a non-zero code: 7",
            },
        ]
    )
    failed = events[-1]
    assert isinstance(failed, BuildFailed)
    assert (failed.kind, failed.step, failed.command) == ("step", 2, "RUN false")
    assert failed.last_lines == ("boom",)
    assert failed.line() == "step 2/2 (RUN false): command failed with exit code 7"


def test_missing_base_is_its_own_kind():
    events = _stream(
        [
            {"stream": "Step 1/1 : FROM nosuch/image:1\n"},
            {"error": "pull access denied for nosuch/image", "errorDetail": {}},
        ]
    )
    assert events[-1].kind == "base-image"
    assert "nosuch/image:1" in events[-1].line() and "\n" not in events[-1].line()


def test_cancel_between_chunks():
    cancel = threading.Event()
    cancel.set()
    events = _stream([{"stream": "Step 1/1 : RUN sleep 9\n"}], cancel)
    assert events == [
        BuildFailed("cancelled", "build cancelled", None, None, None, (), events[0].duration_s)
    ]
    assert events[0].line() == "build cancelled"


def test_clean_command():
    assert clean_command("/bin/sh -c #(nop) COPY dir:ab in /opt/az ") == "COPY dir:ab in /opt/az"
    assert clean_command("/bin/sh -c apt-get  update") == "RUN apt-get update"
    assert clean_command("") == "(imported base)"


def _result(code, out="", err=""):
    return {"code": code, "out": out, "err": err, "seconds": 0.1}


@pytest.mark.parametrize(
    ("result", "ok", "detail"),
    [
        (_result(1, err="ERROR: Please run 'az login' to setup account."), True, "auth boundary"),
        (_result(2, err="ERROR: the following arguments are required: --name"), True, "argument"),
        (_result(2, err="ERROR: HTTPSConnectionPool: Max retries exceeded"), True, "network"),
        (_result(1, err="ERROR: The subscription of 'x' doesn't exist"), True, "handled"),
        (_result(1, err="ERROR: 'NoneType' object has no attribute '__name__'"), False, "NoneType"),
        (_result(1, err="Error loading command module 'storage': No module named 'x'"), False, ""),
        (
            _result(1, err="Traceback (most recent call last):\n  ImportError: y"),
            False,
            "ImportError: y",  # the telling line, not the traceback's header
        ),
        (_result(-1, err="timed out after 120 s"), False, "timed out"),
    ],
)
def test_judge_call(result, ok, detail):
    verdict, text = smoke_driver.judge_call(result)
    assert verdict is ok and detail in text


def test_judge_help_needs_clean_exit():
    assert smoke_driver.judge_help(_result(0, out="Group\n  az disk"))[0]
    assert not smoke_driver.judge_help(_result(2, err="ERROR: 'dsk' is misspelled"))[0]
    noisy = _result(0, err="ERROR: Error loading command module 'acs': No module named 'x'")
    assert not smoke_driver.judge_help(noisy)[0]


def test_spec_and_per_command_verdicts():
    calls = [
        SmokeCall(("disk", "list"), ("disk", "list", "-g", "<g>")),
        SmokeCall(("disk", "list"), ("disk", "list", "-g", "<g>")),  # same call again: one check
        SmokeCall(("tag", "update"), ("tag", "update", "--resource-id", "<id>")),
    ]
    spec = smoke_spec([("group", "list")], calls, ["azure.mgmt.compute"])
    assert spec["paths"] == [["group", "list"], ["disk", "list"], ["tag", "update"]]
    assert len(spec["calls"]) == 2 and spec["run"] == spec["calls"]
    assert spec["login"] == "secret" and spec["certifi"] and spec["fake"]["ca"].endswith("ca.pem")

    def check(kind, target, ok, detail):
        return {"kind": kind, "target": target, "ok": ok, "detail": detail, "seconds": 1}

    checks = [
        check("help", "group list", True, "help loads"),
        check("help", "disk list", True, "help loads"),
        check("help", "tag update", True, "help loads"),
        check("call", "disk list -g <g>", True, "auth"),
        check("call", "tag update --resource-id <id>", True, "auth"),
        check("run", "disk list -g <g>", True, "exit 0"),
        check("run", "tag update --resource-id <id>", False, "No module named 'humanfriendly'"),
        check("import", "azure.mgmt.compute", True, ""),
    ]
    report = report_from_driver(
        "img", spec, {"checks": checks, "startup": {"runs": [1, 2, 3], "median": 2}}
    )
    verdicts = {c.path: (c.ok, c.detail) for c in report.commands}
    assert verdicts == {
        "group list": (True, "help loads"),
        "disk list": (True, "help loads; auth; exit 0"),
        "tag update": (False, "run: No module named 'humanfriendly'"),
    }
    assert not report.passed and report.startup_median_s == 2
    tag = report.to_json()["commands"][2]
    assert tag["path"] == "tag update" and tag["ok"] is False
    assert tag["tiers"] == {
        "help": {"ok": True, "detail": "help loads"},
        "no_login": {"ok": True, "detail": "auth"},
        "run": {"ok": False, "detail": "No module named 'humanfriendly'"},
    }
    assert report.to_json()["commands"][0]["tiers"]["run"]["ok"] is None  # no call: not run


def test_a_failure_the_full_install_shares_is_shown_not_counted():
    from dataclasses import replace

    from workbench.core.engine.smoke import _passed, _per_command

    calls = [SmokeCall(("disk", "list"), ("disk", "list"))]
    spec = smoke_spec([], calls, [])
    failed = Check("run", "disk list", False, "exit 2: ERROR: --resource-group required", 1)
    assert not _passed(None, (failed,), ())
    excused = replace(failed, excused="exit 2: ERROR: --resource-group required")
    assert _passed(None, (excused,), ())
    (command,) = _per_command(spec, (excused,))
    assert command.ok and "the full install fails too" in command.tiers["run"]["detail"]


def test_traced_script_runs_name_missed_paths_and_failures():
    from workbench.core.engine.smoke import script_run

    def resolve(words):
        return tuple(words[:2])

    raw = {
        "script": "dyn.sh",
        "exit_code": 1,
        "calls": [
            {"argv": ["group", "list", "-o", "json"], "line": "3", "code": 0, "failure": []},
            {"argv": ["vm", "list"], "line": "7", "code": 0, "failure": []},
            {"argv": ["vm", "list"], "line": "7", "code": 0, "failure": []},
            {
                "argv": ["disk", "show", "-n", "x"],
                "line": "9",
                "code": 3,
                "failure": ["ERROR: (FakeAzureNotFound) FakeAzure: no disk"],
            },
            {
                "argv": ["tag", "update"],
                "line": "11",
                "code": 1,
                "failure": ["The command failed with an unexpected error"],
            },
        ],
    }
    run = script_run(raw, {"group list", "disk show", "tag update"}, resolve)
    assert run.seen == (("group list", 1), ("vm list", 2), ("disk show", 1), ("tag update", 1))
    assert run.missed_by_analysis == ("vm list",)
    assert [(f.path, f.line) for f in run.failures] == [("tag update", "11")]  # service error ok
    assert not run.passed
    assert run.to_json()["seen"][1] == {"path": "vm list", "count": 2}


def test_a_program_the_image_lacks_fails_the_run_even_at_exit_0():
    from workbench.core.engine.smoke import script_run

    raw = {
        "script": "sum.sh",
        "exit_code": 0,  # no set -e: the script goes on after bc is missing
        "calls": [{"argv": ["storage", "blob", "list"], "line": "40", "code": 0, "failure": []}],
        "not_found": [
            "/scripts/sum.sh: line 47: bc: command not found",
            "ls: cannot access 'x': No such file or directory",  # a hint, not a program
        ],
    }
    run = script_run(raw, {"storage blob list"})
    [failure] = run.failures
    assert (failure.program, failure.line, failure.label) == ("bc", "47", "program bc")
    assert "runtime_packages" in failure.detail and not run.passed
    assert run.to_json()["failures"][0]["program"] == "bc"


def test_history_append_is_atomic_and_survives_a_torn_line(tmp_path):
    recipe = tmp_path / "workbench.toml"
    recipe.write_text("base = 'x'\n")
    path = history.append_record(recipe, history.new_record(status="ok", added_bytes=1))
    assert path == tmp_path / ".workbench" / "history.jsonl"
    with path.open("a") as handle:
        handle.write('{"status": "torn"')  # a crash mid-write by some other tool
    history.append_record(recipe, history.new_record(status="failed"))
    records = history.load_history(recipe)
    assert [r["status"] for r in records] == ["ok", "failed"]
    assert records[0]["time"].endswith("Z")
    assert not list(path.parent.glob("*.tmp"))


def test_history_cli(tmp_path, capsys):
    recipe = tmp_path / "workbench.toml"
    assert main(["history", "--recipe", str(recipe)]) == 1
    assert "no builds recorded" in capsys.readouterr().err
    history.append_record(
        recipe, history.new_record(status="ok", added_bytes=61_000_000, estimate_bytes=60_000_000)
    )
    assert main(["history", "--recipe", str(recipe), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["added_bytes"] == 61_000_000
    assert main(["history", "--recipe", str(recipe)]) == 0
    assert "61.0 MB" in capsys.readouterr().out


def test_build_plan_offline(tmp_path):
    """The plan of the blog recipe with all trims: Dockerfile, smoke calls, estimate."""
    script = shutil.copy(ROOT / "sample-scripts" / "tag-disks.sh", tmp_path)
    recipe = tmp_path / "workbench.toml"
    base = "python:3.11-slim-bookworm"
    assert (
        main(["init", "--script", str(script), "--base", base, "--trim", "all", "-o", str(recipe)])
        == 0
    )
    plan = Project.open(recipe, offline=True).build_plan()
    assert "azure-cli==2.91.0" in plan.dockerfile and "--no-deps" in plan.dockerfile
    assert {"disk list", "tag update", "rest"} <= {" ".join(p) for p in plan.paths}
    assert "azure-mgmt-compute" in plan.probe_packages
    assert 30_000_000 < plan.estimate_bytes < 64 * 1024 * 1024


def test_plan_counts_the_venv_seed_unless_drop_pip(tmp_path):
    script = shutil.copy(ROOT / "sample-scripts" / "tag-disks.sh", tmp_path)
    plans = {}
    for trims in ("none", "drop-pip"):
        recipe = tmp_path / f"{trims}.toml"
        argv = ["init", "--script", str(script), "--base", "python:3.11-slim-bookworm"]
        assert main([*argv, "--mode", "venv", "--trim", trims, "-o", str(recipe)]) == 0
        plans[trims] = Project.open(recipe, offline=True).build_plan()
    seed = plans["none"].estimate_bytes - plans["drop-pip"].estimate_bytes
    assert seed == 20_680_548  # pip 24.0 + setuptools 65.5.0 with .pyc, on 3.11
