"""Quitting while a build runs asks first; saying yes cancels the build."""

from __future__ import annotations

import threading

from textual.widgets import Static

SIZE = (140, 40)


def blocking_builder(started: threading.Event, cancelled: threading.Event):
    """A ``builder`` that runs until it is cancelled, like a long build."""

    def build(session, request, *, cancel, on_event, on_progress):
        started.set()
        if cancel.wait(30):
            cancelled.set()
        raise RuntimeError("build cancelled")

    return build


async def _start_build(pilot, started: threading.Event) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("4", "b")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert started.wait(5) and pilot.app.building


def _question(app) -> str:
    return str(app.screen.query_one("#question", Static).render())


async def test_quit_during_a_build_asks_then_cancels_it(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    started, cancelled = threading.Event(), threading.Event()
    app = make_app(builder=blocking_builder(started, cancelled))
    async with app.run_test(size=SIZE) as pilot:
        assert not app.building  # the Build screen was never shown
        await _start_build(pilot, started)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert _question(app) == "A build is running. Cancel it and quit?"
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.MODE == "build" and app.building and not cancelled.is_set()
        await pilot.press("1", "m", "q")  # an unsaved change too: one question for both
        await pilot.pause()
        assert _question(app).startswith("A build is running and changes are unsaved.")
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0
    assert cancelled.wait(5)
