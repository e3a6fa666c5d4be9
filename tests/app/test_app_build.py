"""Build screen on the REAL engine: a hand-made tiny plan run by the real ``run_plan`` (build,
image report, in-image smoke test, history), the batched bounded log, cancel, engine down."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
from textual.widgets import DataTable, Input, Log

from workbench.app.app import WorkbenchApp
from workbench.app.build_messages import BuildEvents, BuildFinished
from workbench.app.build_runner import EventBatcher, recipe_path, tag_error
from workbench.app.screens.build import LOG_LINES
from workbench.core.engine.history import load_history
from workbench.core.engine.pipeline import BuildPlan, run_plan

BASE = "workbench-test/debian-python:bookworm"
SIZE = (130, 40)
# An `az` that answers --help, so the real smoke driver has something to pass.
FAKE_AZ = (
    r"printf '#!/bin/sh\necho \"Group: list\"\n' > /usr/local/bin/az"
    " && chmod +x /usr/local/bin/az"
)


def plan_builder(dockerfile: str, **plan_fields):
    """A ``builder`` running the real pipeline on a hand-made plan, recording the build in
    the session's history like the default builder does."""

    def build(session, request, *, cancel, on_event, on_progress):
        return run_plan(
            BuildPlan(dockerfile, **plan_fields),
            recipe_path(session),
            tag=request.tag,
            smoke=request.smoke,
            probe=request.probe,
            cancel=cancel,
            on_event=on_event,
            on_progress=on_progress,
        )

    return build


@pytest.fixture
def nonce(tmp_path, monkeypatch) -> str:
    """A fresh working directory (history goes to ./.workbench) and a value that keeps the
    engine's cache from skipping the RUN step."""
    monkeypatch.chdir(tmp_path)
    return f"{time.time_ns()}"


@pytest.fixture
def image_tag(docker_client, nonce):
    tag = f"workbench-test/tui-build:{nonce}"
    yield tag
    with contextlib.suppress(Exception):  # the build may not have made it
        docker_client.images.remove(tag, force=True)


async def _start(pilot, tag: str | None = None, *, smoke: bool = False) -> None:
    """Open the Build screen, press b, fill in the confirmation and confirm."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("4", "b")
    await pilot.pause()
    modal = pilot.app.screen
    if tag is not None:
        modal.query_one("#tag", Input).value = tag
    modal.query_one("#smoke").value = smoke
    await pilot.press("enter")
    await pilot.pause()


async def _until(pilot, condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def _text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


@pytest.mark.docker
async def test_build_streams_batched_log_then_result_and_smoke_table(
    make_app, base_image, image_tag, nonce
):
    dockerfile = (
        f"FROM {base_image}\n"
        f"RUN {FAKE_AZ} && head -c 2000000 /dev/zero > /blob && echo {nonce} && seq 1 8000\n"
    )
    builder = plan_builder(
        dockerfile, estimate_bytes=1_900_000, paths=(("group", "list"),), imports=("json", "nope")
    )
    messages: list = []
    app = make_app(builder=builder)
    async with app.run_test(size=SIZE, message_hook=messages.append) as pilot:
        started = time.monotonic()
        await _start(pilot, image_tag, smoke=True)
        screen = app.screen
        assert screen.building and not screen.check_action("build", ())
        await _until(pilot, lambda: not screen.building)
        took = time.monotonic() - started
        await pilot.pause()
        assert _text(screen, "#build-status") == "Built."
        summary = _text(screen, "#result-summary")
        assert f"tag {image_tag}" in summary
        assert "added over base +2.0 MB (2,000,0" in summary  # 2 MB blob + the fake az
        assert "Estimate 1.9 MB vs actual" in summary and "Smoke FAIL  2/3 checks passed" in summary
        table = screen.query_one("#smoke-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        # per path its three tiers: help loads, no call to replay or run (no script)
        assert rows[0] == ["az group list", "pass", "pass", "-", "-", "help loads"]
        assert rows[1][:2] == ["import json", "pass"] and rows[2][:2] == ["import nope", "FAIL"]
        assert "Smoke test failed" in _text(screen, "#notice")
        log = screen.query_one(Log)
        assert log.line_count == LOG_LINES  # bounded: 8000 lines of seq and more went through
        assert log.lines[-1].startswith("# ")  # the smoke test's progress came last
        assert screen.query_one("#build-steps").percentage == 1.0
        assert _text(screen, "#build-step").startswith("step 2/2: RUN printf")
        batches = [m for m in messages if isinstance(m, BuildEvents)]
        assert sum(len(b.items) for b in batches) > 8000
        assert len(batches) <= took / 0.05 + 2  # one message per ~50 ms, not one per line
        [finished] = [m for m in messages if isinstance(m, BuildFinished)]
        assert finished.outcome.exit_code == 4
        await pilot.press("6")  # the History screen shows the build just made
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        history = app.screen.query_one("#history-table", DataTable)
        assert history.row_count == 1 and str(history.get_row_at(0)[4]) == image_tag
    [record] = load_history("workbench.toml")
    assert record["status"] == "smoke-failed" and record["added_bytes"] >= 2_000_000


@pytest.mark.docker
async def test_rebuild_shows_the_steps_from_the_cache_and_the_rebuild_hint(
    make_app, base_image, image_tag, nonce
):
    # BuildKit's steps: FROM and the RUNs (an ENV changes the config only: no step of its own)
    dockerfile = f"FROM {base_image}\nRUN echo {nonce}\nENV X={nonce}\nRUN echo $X\n"
    app = make_app(builder=plan_builder(dockerfile))
    async with app.run_test(size=SIZE) as pilot:
        screen = None
        for _ in range(2):
            await _start(pilot, image_tag)
            screen = app.screen
            await _until(pilot, lambda s=screen: not s.building)
            await pilot.pause()
        table = screen.query_one("#steps-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[:2] for r in rows] == [["1/3", "ran"], ["2/3", "cache"], ["3/3", "cache"]]
        assert rows[1][3] == f"RUN echo {nonce}"
        summary = _text(screen, "#result-summary")
        assert "2/3 steps from the cache" in summary
        assert "system / venv: any change" in summary and "one RUN" in summary


@pytest.mark.docker
async def test_cancel_stops_the_build_in_place(make_app, base_image, nonce):
    builder = plan_builder(f"FROM {base_image}\nRUN echo {nonce} && sleep 120\n")
    app = make_app(builder=builder)
    async with app.run_test(size=SIZE) as pilot:
        await _start(pilot)
        screen = app.screen
        await _until(pilot, lambda: "step 2/2" in _text(screen, "#build-step"))
        started = time.monotonic()
        await pilot.press("x")
        await _until(pilot, lambda: not screen.building, seconds=30)
        assert time.monotonic() - started < 30
        await pilot.pause()
        assert _text(screen, "#build-status") == "Cancelled."
        assert _text(screen, "#notice") == "build cancelled at step 2/2"
        assert screen.check_action("build", ()) and not screen.check_action("cancel", ())
    assert load_history("workbench.toml")[-1]["status"] == "cancelled"


@pytest.mark.docker
async def test_failed_step_shows_its_line_and_last_log_lines(make_app, base_image, nonce):
    builder = plan_builder(f"FROM {base_image}\nRUN echo about-to-fail-{nonce} && exit 3\n")
    app = make_app(builder=builder)
    async with app.run_test(size=SIZE) as pilot:
        await _start(pilot)
        await _until(pilot, lambda: not app.screen.building)
        await pilot.pause()
        notice = _text(app.screen, "#notice")
        assert notice.endswith("): command failed with exit code 3")
        assert notice.startswith("step 2/2 (RUN echo about-to-fail") and "\n" not in notice
        last = _text(app.screen, "#result-summary")
        assert last.startswith("Last lines of step 2/2") and f"about-to-fail-{nonce}" in last


async def test_engine_unreachable_is_one_line_in_place(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    app = make_app(builder=plan_builder(f"FROM {BASE}\nRUN true\n"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("4", "b")
        await pilot.pause()
        assert _text(app.screen, "#engine").endswith("tcp://127.0.0.1:1")
        await pilot.press("enter")
        await _until(pilot, lambda: not app.screen.building, seconds=30)
        await pilot.pause()
        notice = _text(app.screen, "#notice")
        assert notice.startswith("no Docker engine answers at tcp://127.0.0.1:1")
        assert "\n" not in notice and "Traceback" not in notice
        assert _text(app.screen, "#build-status") == "Build failed."
        await pilot.press("1")  # the app keeps working
        await pilot.pause()
        assert app.current_mode == "packages"
    assert load_history("workbench.toml")[-1]["failure"]["kind"] == "engine"


async def test_default_builder_plans_the_session_on_the_real_core(tmp_path, monkeypatch):
    """The real builder: the embedded default's recipe planned offline (analysis, size
    estimate, Dockerfile), then the unreachable engine; the history keeps the plan."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    app = WorkbenchApp(theme="workbench-dark", offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await _start(pilot)
        await _until(pilot, lambda: not app.screen.building, seconds=60)
        await pilot.pause()
        assert _text(app.screen, "#notice").startswith("no Docker engine answers at tcp://")
    [record] = load_history(tmp_path / "workbench.toml")
    assert record["status"] == "failed" and record["estimate_bytes"] > 1_000_000
    assert record["dockerfile"].startswith("# Generated by workbench from workbench.toml")
    assert "azure-mgmt-compute==" in record["dockerfile"]  # the sample script needs it


async def test_bad_tag_is_refused_in_the_dialog(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    started = threading.Event()

    def builder(*args, **kwargs):
        started.set()

    app = make_app(builder=builder)
    async with app.run_test(size=SIZE) as pilot:
        await _start(pilot, "Not A Tag")
        assert "Not a valid tag" in _text(app.screen, "#tag-error")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.MODE == "build" and not app.screen.building
    assert not started.is_set()
    assert tag_error("workbench/tag-disks:try-2") is None and tag_error("") is None
    assert tag_error("localhost:5000/a/b:c") is None and tag_error("UPPER") is not None


def test_batcher_posts_in_order_in_few_batches():
    posted: list[list] = []
    with EventBatcher(posted.append, interval=0.05) as batch:
        for i in range(10_000):
            batch.add(i)
        time.sleep(0.12)
        batch.add("last")
    assert [x for b in posted for x in b] == [*range(10_000), "last"]
    assert len(posted) <= 4


def test_confirmation_snapshot(snap_compare, make_app, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)

    async def run_before(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("4", "b")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)
