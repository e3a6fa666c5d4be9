"""Snapshot tests (SVG, reviewed in snapshot_report.html): fixed size, theme and data.

Plain ``def`` tests: ``snap_compare`` runs the app itself. Update with
``pytest tests/app --snapshot-update`` after reviewing the report.
"""

from __future__ import annotations

SIZE = (130, 32)


async def _wait(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_packages_dark(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_wait)


def test_packages_light_after_toggles(snap_compare, make_app):
    async def run_before(pilot) -> None:
        await _wait(pilot)
        await pilot.press("ctrl+end", "space", "up", "p", "m", "c")  # storage in, pin, mode, .pyc

    assert snap_compare(
        make_app(theme="workbench-light"), terminal_size=SIZE, run_before=run_before
    )


def test_packages_filtered_by_size(snap_compare, make_app):
    async def run_before(pilot) -> None:
        await _wait(pilot)
        await pilot.press("o", "slash", *"mgmt")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)


def test_quit_confirmation(snap_compare, make_app):
    async def run_before(pilot) -> None:
        await _wait(pilot)
        await pilot.press("ctrl+end", "space", "q")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)
