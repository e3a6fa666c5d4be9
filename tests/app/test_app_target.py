"""The target picker and Compare targets in the real app: the picker lists the official
bases; offline, a target outside the shipped snapshots says it needs the index and keeps
the last numbers; on the engine, the Debian test base re-resolves in a worker and the header
shows the whole image."""

from __future__ import annotations

import time

import pytest

from workbench.app.app import WorkbenchApp
from workbench.app.loader import session_recipe
from workbench.app.screens.target import CompareModal, TargetModal


async def _until(pilot, check, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def test_picker_lists_official_bases_and_escape_keeps_the_target(make_app, ready):
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await ready(pilot)
        before = app.session.target
        await pilot.press("b")
        await _until(pilot, lambda: isinstance(app.screen, TargetModal))
        options = app.screen.query_one("#bases")
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert {
            "python:3.11-alpine",
            "python:3.13-slim-trixie",
            "python:3.12-slim-bookworm",
        } <= set(ids)
        await pilot.press("escape")
        await pilot.pause()
        assert app.session.target == before
        assert "not estimated" in str(app.screen.query_one("#image").render())


async def test_offline_target_outside_the_snapshot_keeps_the_last_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    app = WorkbenchApp(offline=True, theme="workbench-dark")
    async with app.run_test(size=(160, 45)) as pilot:
        await _until(pilot, lambda: "Total" in str(app.screen.query_one("#totals").render()))
        before = str(app.screen.query_one("#totals").render())
        await pilot.press("b")
        await _until(pilot, lambda: isinstance(app.screen, TargetModal))
        app.screen.query_one("#base").value = "python:3.13-slim-trixie"
        app.screen.query_one("#base").focus()
        await pilot.press("enter")
        await _until(
            pilot,
            lambda: (
                not app.workers._workers
                or all(w.group != "retarget" or w.is_finished for w in app.workers)
            ),
        )
        await pilot.pause(0.2)
        assert app.session.target.base_image == "python:3.12-alpine"
        assert str(app.screen.query_one("#totals").render()) == before
        failures = [n.message for n in app._notifications if n.title == "target failed"]
        assert failures and "\n" not in failures[0], failures


@pytest.mark.docker
@pytest.mark.network
async def test_switch_to_the_debian_base_repaints_totals_and_the_whole_image(base_image, tmp_path):
    app = WorkbenchApp(theme="workbench-dark")
    async with app.run_test(size=(160, 45)) as pilot:
        await _until(pilot, lambda: "Total" in str(app.screen.query_one("#totals").render()))
        total_before = str(app.screen.query_one("#totals").render())
        await pilot.press("b")
        await _until(pilot, lambda: isinstance(app.screen, TargetModal))
        app.screen.query_one("#base").value = base_image
        app.screen.query_one("#base").focus()
        await pilot.press("enter")
        started = time.perf_counter()
        await _until(pilot, lambda: app.session.target.base_image == base_image)
        took = time.perf_counter() - started
        print(f"time to totals: {took:.2f} s (worker {app.last_retarget_s:.2f} s)")
        await _until(pilot, lambda: "image ~" in str(app.screen.query_one("#image").render()))
        header = str(app.screen.query_one("#image").render())
        assert "base 190." in header or "base " in header
        assert str(app.screen.query_one("#totals").render()) != total_before
        assert "Python 3.11 · glibc 2.36" in str(app.screen.query_one("#target").render())
        assert app.session.dirty
        recipe = session_recipe(app.session, tmp_path / "workbench.toml")  # what save writes
        assert (recipe.base, recipe.family, recipe.target_of()) == (
            base_image,
            "apt",
            app.session.target,
        )
        await pilot.press("g")
        await _until(pilot, lambda: isinstance(app.screen, CompareModal))
        await _until(pilot, lambda: "cheapest" in str(app.screen.query_one("#title").render()))
        assert "★" in str(app.screen.query_one("#compare-chart").render())


async def test_found_bases_and_versions_reach_the_picker_once(make_app, ready):
    """The app forwards what its workers found to the open picker; the message must not
    bubble back to the app (it looped, adding duplicate options until a crash)."""
    from workbench.app.messages import BasesFound, VersionsFound

    app = make_app(offline=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await ready(pilot)
        await pilot.press("b")
        await _until(pilot, lambda: isinstance(app.screen, TargetModal))
        bases = app.screen.query_one("#bases").option_count
        app.post_message(VersionsFound(["2.91.0", "2.90.0"]))
        app.post_message(BasesFound([("workbench-test/h13-local:1", "CPython 3.11, glibc 2.36")]))
        await pilot.pause(0.3)
        assert app.screen.query_one("#versions").option_count == 2
        assert app.screen.query_one("#bases").option_count == bases + 1
        await pilot.press("tab", "tab", "enter")  # the versions list: pick 2.91.0
        assert app.screen.query_one("#azure_cli").value == "2.91.0"
