"""Pilot tests of the Packages screen: live totals, pins, install mode, .pyc, filter, sort."""

from __future__ import annotations

from workbench.app.widgets.package_table import PackageTable


def _table(app) -> PackageTable:
    return app.screen.query_one(PackageTable)


def _cell(app, name: str, column: str) -> str:
    return _table(app).get_cell(name, column)


async def _goto(pilot, name: str) -> None:
    table = _table(pilot.app)
    table.focus()
    table.move_cursor(row=table.get_row_index(name))
    await pilot.pause()


async def test_loads_sample_and_shows_script_needed_packages(make_app, ready):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        assert _table(app).row_count == 9
        assert _cell(app, "azure-mgmt-compute", "check") == "[x]"
        assert _cell(app, "azure-mgmt-compute", "why").startswith("az disk list")
        assert _cell(app, "knack", "check") == " · "  # pulled in by azure-cli-core
        assert _cell(app, "azure-mgmt-network", "check") == "[ ]"
        assert app.session.dirty is False


async def test_toggle_updates_total_and_marks_hand_added(make_app, ready):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        before = app.session.estimate().total_bytes
        await _goto(pilot, "azure-mgmt-network")
        await pilot.press("space")
        after = app.session.estimate().total_bytes
        assert after > before + 30_000_000
        assert _cell(app, "azure-mgmt-network", "check") == "[+]"
        assert _cell(app, "azure-mgmt-network", "why") == "hand-added"
        totals = str(app.screen.query_one("#totals").render())
        assert f"{app.session.total_bytes(app.session.estimate()) / 1e6:.1f} MB" in totals
        assert app.session.dirty and app.sub_title.endswith("●")
        await pilot.press("space")  # and back
        assert app.session.estimate().total_bytes == before


async def test_unchecking_a_script_package_is_marked(make_app, ready):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        await _goto(pilot, "azure-mgmt-compute")
        await pilot.press("space")
        assert _cell(app, "azure-mgmt-compute", "check") == "[-]"
        assert "azure-mgmt-compute" not in app.session.checked


async def test_pin_install_mode_and_pyc(make_app, ready):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        await _goto(pilot, "azure-mgmt-resource")
        await pilot.press("p")
        assert app.session.pin("azure-mgmt-resource") == "compatible"
        assert _cell(app, "azure-mgmt-resource", "pin") == "~="
        await pilot.press("p", "p")
        assert _cell(app, "azure-mgmt-resource", "pin") == "=="
        await pilot.press("m")
        assert app.session.install_mode == "multistage"
        with_pyc = app.session.estimate().total_bytes
        await pilot.press("c")
        assert app.session.compile is False
        assert app.session.estimate().total_bytes < with_pyc
        assert ".pyc off" in str(app.screen.query_one("#pyc").render())


async def test_filter_and_sort(make_app, ready):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        await pilot.press("slash", *"storage")
        await pilot.pause()
        assert _table(app).names == ["azure-mgmt-storage"]
        await pilot.press("enter", "space")  # submitting focuses the table; space toggles
        assert "azure-mgmt-storage" in app.session.checked
        await pilot.press("escape")
        await pilot.pause()
        assert _table(app).row_count == 9
        await pilot.press("o")  # checklist -> size
        assert _table(app).names[0] == "azure-mgmt-network"  # the largest, checked or not


async def test_quit_with_unsaved_changes_asks(make_app, ready):
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        await _goto(pilot, "azure-mgmt-network")
        await pilot.press("space", "q")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("n")
        await pilot.pause()
        assert type(app.screen).__name__ == "PackagesScreen"
        await pilot.press("ctrl+q", "y")
        await pilot.pause()
    assert app.return_code == 0


async def test_clean_session_quits_at_once(make_app, ready):
    app = make_app()
    async with app.run_test() as pilot:
        await ready(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app._exit_renderables == [] and app.return_code == 0


async def test_load_failure_shows_in_place_and_app_keeps_working(make_app, ready):
    from workbench.core.errors import WorkbenchError

    def broken(recipe=None, *, offline=False, progress=None):
        raise WorkbenchError("no size data for azure-cli 9.9.9 on CPython 3.12; drop --offline")

    app = make_app(opener=broken)
    async with app.run_test() as pilot:
        await ready(pilot)
        notice = str(app.screen.query_one("#notice").render())
        assert "no size data for azure-cli 9.9.9" in notice
        await pilot.press("2")
        await pilot.pause()
        assert app.current_mode == "scripts"
