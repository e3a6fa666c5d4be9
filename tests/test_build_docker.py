"""Builds on the real engine: failures (failing RUN, missing base, cancel, engine down) each
give one clear line and a history record; the blog-post recipe builds and passes the smoke
test with and without trims (network: pip inside the build)."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.support.cli import workbench as _workbench
from workbench.cli import main
from workbench.core.engine.build import StepStarted
from workbench.core.engine.history import load_history
from workbench.core.engine.pipeline import BuildPlan, run_plan

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.docker


def _one_line(text: str) -> bool:
    return bool(text) and "\n" not in text and "Traceback" not in text


def test_failing_run_reports_step_command_last_lines(tmp_path, docker_client, base_image):
    recipe = tmp_path / "workbench.toml"
    plan = BuildPlan(f"FROM {base_image}\nRUN echo about to fail && exit 3\n")
    outcome = run_plan(plan, recipe, client=docker_client)
    assert outcome.exit_code == 1
    failure = outcome.failure
    assert (failure.kind, failure.step, failure.total) == ("step", 2, 2)
    assert (
        failure.line()
        == "step 2/2 (RUN echo about to fail && exit 3): command failed with exit code 3"
    )
    assert "about to fail" in failure.last_lines
    [record] = load_history(recipe)
    assert record["status"] == "failed" and record["failure"]["line"] == failure.line()


def test_missing_base_image(tmp_path, docker_client):
    recipe = tmp_path / "workbench.toml"
    outcome = run_plan(BuildPlan("FROM workbench-test/no-such-base:0\nRUN true\n"), recipe)
    assert outcome.exit_code == 2 and outcome.failure.kind == "base-image"
    assert (
        _one_line(outcome.failure.line())
        and "workbench-test/no-such-base:0" in outcome.failure.line()
    )
    assert load_history(recipe)[-1]["failure"]["kind"] == "base-image"


def test_smoke_of_a_missing_image_is_one_line(tmp_path, docker_client):
    script = tmp_path / "s.sh"
    script.write_text("az group list\n")
    done = _workbench(
        "smoke", "workbench-test/not-built:nope", "--script", str(script), cwd=tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "workbench smoke: error: image workbench-test/not-built:nope is not on the engine; "
        "build it first"
    )


def test_cancel_stops_a_silent_step_at_once(tmp_path, docker_client, base_image):
    recipe = tmp_path / "workbench.toml"
    cancel = threading.Event()

    def on_event(event):
        if isinstance(event, StepStarted) and event.instruction.startswith("RUN"):
            threading.Timer(1.0, cancel.set).start()

    started = time.monotonic()
    plan = BuildPlan(f"FROM {base_image}\nRUN echo start-{time.time()} && sleep 120\n")
    outcome = run_plan(plan, recipe, cancel=cancel, on_event=on_event, client=docker_client)
    assert time.monotonic() - started < 30  # not the 120 s of the step
    assert outcome.exit_code == 130 and outcome.failure.line() == "build cancelled at step 2/2"
    assert load_history(recipe)[-1]["status"] == "cancelled"
    leftovers = [
        c for c in docker_client.containers.list(all=True) if "sleep 120" in str(c.attrs["Config"])
    ]
    assert not leftovers  # the step's container was killed and removed


def test_engine_down_is_one_line_and_recorded(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    recipe = tmp_path / "workbench.toml"
    outcome = run_plan(BuildPlan("FROM x\n"), recipe)
    assert outcome.exit_code == 3 and outcome.failure.kind == "engine"
    assert (
        _one_line(outcome.failure.line()) and "unix:///nonexistent.sock" in outcome.failure.line()
    )
    assert load_history(recipe)[-1]["status"] == "failed"
    script = ROOT / "sample-scripts" / "tag-disks.sh"
    assert main(["smoke", "some-image", "--script", str(script)]) == 3
    err = capsys.readouterr().err.strip()
    assert _one_line(err) and "no Docker engine answers" in err


# ---- acceptance: the blog post's recipe, real pip inside the build --------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory, docker_client, base_image):
    """Both recipes (all trims / no trims, multistage) built once with --smoke --json."""
    work = tmp_path_factory.mktemp("acceptance")
    shutil.copy(ROOT / "sample-scripts" / "tag-disks.sh", work)
    results = {}
    for name, trims in (("trimmed", ["all"]), ("plain", ["none"])):
        recipe = f"{name}.toml"
        init = _workbench(
            "init",
            "--script",
            "tag-disks.sh",
            "--base",
            base_image,
            "--family",
            "apt",
            "--mode",
            "multistage",
            "--trim",
            *trims,
            "-o",
            recipe,
            cwd=work,
        )
        assert init.returncode == 0, init.stderr
        done = _workbench(
            "build",
            "--recipe",
            recipe,
            "--tag",
            f"workbench-test/acc:{name}",
            "--smoke",
            "--json",
            cwd=work,
        )
        assert done.returncode in (0, 4), done.stderr[-3000:]  # built; 4 = smoke failed
        results[name] = json.loads(done.stdout)
        results[name]["exit_code"] = done.returncode
    return work, results


@pytest.mark.network
def test_blog_recipe_with_all_trims_is_small_and_passes_smoke(built):
    _, results = built
    out = results["trimmed"]
    assert set(out) >= {
        "image_id",
        "size_bytes",
        "base_size_bytes",
        "added_bytes",
        "estimate_bytes",
        "layers",
        "smoke",
    }
    paths = {c["path"] for c in out["smoke"]["commands"]}
    assert {
        "login",
        "account set",
        "group list",
        "disk list",
        "tag update",
        "resource list",
        "rest",
    } <= paths
    assert all(c["ok"] for c in out["smoke"]["commands"])
    assert out["smoke"]["passed"] and out["exit_code"] == 0
    # the size floor (issue 15): every trim, the blog post's set, at most 50 MB of Python
    assert 0 < out["python_layer_bytes"] <= 50_000_000
    assert abs(out["comparison"]["difference_ratio"]) <= 0.01  # estimate vs actual


@pytest.mark.network
def test_trimmed_image_still_colours_output_and_loads_stripped_binaries(built, docker_client):
    """prune-pygments keeps knack's -o jsonc / -o yamlc colouring on a tty; strip-binaries'
    stripped extensions (cryptography's Rust core, libyaml, cffi) still load; sourceless is
    not in "all", so the sources stay and no .pyc was written (no-compile)."""
    _, results = built
    image = results["trimmed"]["image_id"]

    def run(*argv: str, tty: bool = False) -> str:
        out = docker_client.containers.run(
            image, list(argv), remove=True, network_mode="none", tty=tty
        )
        return out.decode()

    for fmt in ("jsonc", "yamlc"):
        assert "\x1b[" in run("az", "version", "-o", fmt, tty=True), fmt
    assert "Azure-cli" in run("az", "version", "-o", "table", tty=True)
    code = (
        "import cryptography.hazmat.bindings._rust, yaml._yaml, _cffi_backend, pathlib, site; "
        "from pygments.lexers import get_lexer_by_name; get_lexer_by_name('json'); "
        "p = pathlib.Path(site.getsitepackages()[0]); "
        "print(len(list(p.rglob('*.pyc'))), len(list(p.rglob('pygments/lexers/*.py'))))"
    )
    pyc, lexers = run("/opt/az/bin/python", "-c", code).split()
    assert pyc == "0" and int(lexers) <= 4


@pytest.mark.network
def test_blog_recipe_without_trims_passes_and_history_has_both(built):
    work, results = built
    assert all(c["ok"] for c in results["plain"]["smoke"]["commands"])
    assert results["plain"]["smoke"]["passed"]
    assert results["plain"]["added_bytes"] > results["trimmed"]["added_bytes"]
    # the venv keeps its own pip/setuptools here (no drop-pip): the estimate counts them
    assert abs(results["plain"]["comparison"]["difference_ratio"]) <= 0.03
    listed = _workbench("history", "--recipe", "trimmed.toml", "--json", cwd=work)
    records = json.loads(listed.stdout)
    by_image = {r["image_id"]: r for r in records}
    for name in ("trimmed", "plain"):
        record = by_image[results[name]["image_id"]]
        assert record["added_bytes"] == results[name]["added_bytes"] and record["layers"]
        assert record["smoke"]["passed"] == results[name]["smoke"]["passed"]


@pytest.mark.network
def test_probe_tells_needed_from_dead_weight(built):
    work, results = built
    done = _workbench(
        "smoke",
        results["trimmed"]["image_id"],
        "--script",
        "tag-disks.sh",
        "--probe",
        "--package",
        "azure-mgmt-imagebuilder",
        "azure-monitor-query",
        "azure-mgmt-storage",
        "--json",
        cwd=work,
    )
    assert done.returncode in (0, 4), done.stderr[-2000:]
    probe = {p["package"]: p for p in json.loads(done.stdout)["probe"]}
    assert probe["azure-mgmt-imagebuilder"]["needed"] is True  # vm/_params.py imports it
    # vm's loader names it, but no command the script runs touches it: dead weight, measured
    assert probe["azure-monitor-query"]["needed"] is False
    assert probe["azure-monitor-query"]["bytes"] > 0
    assert probe["azure-mgmt-storage"]["needed"] is None  # the analysis left it out: not probed


@pytest.mark.network
def test_network_script_with_all_trims_passes_smoke(tmp_path, docker_client, base_image):
    """prune-aaz keeps only the AAZ groups the network commands run in (and what the network
    module's code imports): the real image must still pass help and the auth boundary."""
    shutil.copy(ROOT / "tests" / "fixtures" / "scripts" / "network-setup.sh", tmp_path)
    argv = ["--script", "network-setup.sh", "--base", base_image, "--family", "apt"]
    init = _workbench(
        "init", *argv, "--mode", "venv", "--trim", "all", "-o", "net.toml", cwd=tmp_path
    )
    assert init.returncode == 0, init.stderr
    done = _workbench(
        "build",
        "--recipe",
        "net.toml",
        "--tag",
        "workbench-test/acc:network",
        "--smoke",
        "--json",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    paths = {c["path"] for c in out["smoke"]["commands"]}
    assert {"network vnet subnet create", "network nsg rule create"} <= paths
    assert out["smoke"]["passed"] and all(c["ok"] for c in out["smoke"]["commands"])
    # each call also ran against the fake Azure (past a fake login), and nothing left; the
    # image's own login paths (kept, never called by the script) are checked by help
    own_login = {"login", "logout", "account"}
    commands = out["smoke"]["commands"]
    assert all(c["tiers"]["help"]["ok"] for c in commands if c["path"] in own_login)
    assert all(c["tiers"]["run"]["ok"] for c in commands if c["path"] not in own_login), commands
    assert out["smoke"]["fake"]["escapes"] == []
    # the script never logs in (its pipeline does): the image keeps its own login, so the run
    # tier logs in for real instead of seeding the login files
    assert not any("the login was seeded" in n for n in out["smoke"]["notes"])
    assert abs(out["comparison"]["difference_ratio"]) <= 0.01
    assert 0 < out["python_layer_bytes"] <= 75_000_000  # the size floor (issue 15)
