"""Pilot tests of the Scripts screen on the real core: the analysed scripts with their az calls
marked, command paths -> modules/packages, unresolved spots, adding a script."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.app.loader import RECIPE_FILE, open_session, session_recipe
from workbench.app.paths import bundled_dir
from workbench.app.screens.scripts import CALL_MARK, SPOT_MARK
from workbench.app.widgets.package_table import PackageTable

SIZE = (140, 40)


def _real(make_app, recipe=None):
    return make_app(recipe=recipe, opener=open_session, offline=True)


async def _scripts(pilot) -> None:
    await pilot.press("2")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def _rows(app, table: str) -> list[list[str]]:
    data = app.screen.query_one(table)
    return [[str(c) for c in data.get_row_at(i)] for i in range(data.row_count)]


def _line(app, number: int) -> str:
    return next(
        ln for ln in _text(app, "#script-text").splitlines() if ln.startswith(f"{number:>4} ")
    )


async def test_calls_modules_and_packages_of_the_default_script(make_app, ready):
    app = _real(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await _scripts(pilot)
        assert "1 script(s) · 9 az call(s) · 5 module(s) · 22 package(s)" in _text(
            app, "#scripts-status"
        )
        rows = {r[0]: r for r in _rows(app, "#commands")}
        assert len(rows) == 9
        disk = rows["az disk list"]
        assert disk[1] == "tag-disks.sh:30" and disk[2] == "vm, monitor ← vm"
        assert "azure-mgmt-compute" in disk[3]
        assert rows["az rest"][2:] == ["util", "–"]
        assert _line(app, 30).startswith(f"  30 {CALL_MARK}     az disk list")
        assert _line(app, 29).startswith("  29       fi")  # not a call: no mark
        assert _rows(app, "#unresolved") == []


async def test_choosing_a_command_shows_its_line(make_app, ready):
    app = _real(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await _scripts(pilot)
        assert app.focused.id == "commands"
        await pilot.press("down", "down", "down", "down", "down")  # the sixth call
        assert app.screen.selected_line == 30
        await pilot.press("down")
        assert app.screen.selected_line == 33


def _one_script_app(make_app, tmp_path, name: str, text: str):
    """The app on a recipe whose only script is ``name`` with ``text``."""
    (tmp_path / name).write_text(text)
    recipe = tmp_path / RECIPE_FILE
    recipe.write_text(
        f'base = "python:3.12-alpine"\nscripts = ["{name}"]\n'
        '[packages]\nazure-cli = "exact"\nazure-cli-core = "exact"\n'
    )
    return _real(make_app, recipe)


async def test_unresolved_spots_are_listed_and_marked(make_app, ready, tmp_path):
    app = _one_script_app(
        make_app,
        tmp_path,
        "wrap.sh",
        '#!/bin/bash\naz group list\n# from the caller\naz "$sub" list --query "[0].id"\n',
    )
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await _scripts(pilot)
        (spot,) = _rows(app, "#unresolved")
        assert spot[0] == "wrap.sh:4" and "comes from <sub>" in spot[1]
        assert spot[2] == 'az "$sub" list --query "[0].id"'
        assert "Unresolved (1)" in _text(app, "#unresolved-title")
        assert _line(app, 4).startswith(f"   4 {SPOT_MARK} az")
        assert _line(app, 2).startswith(f"   2 {CALL_MARK} az group list")


async def test_add_script_reanalyses_and_checks_new_packages(make_app, ready, tmp_path):
    app = _real(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await _scripts(pilot)
        session = app.session
        before = set(session.needed)
        await pilot.press("a")
        await pilot.press(*str(bundled_dir("sample-scripts") / "vm-disk-snapshot.sh"), "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()  # the view of the new analysis
        await pilot.pause()
        assert [Path(s).name for s in session.scripts] == ["tag-disks.sh", "vm-disk-snapshot.sh"]
        new = set(session.needed) - before
        assert new and new <= session.checked and session.dirty
        assert "2 script(s)" in _text(app, "#scripts-status")
        assert any(r[0] == "az snapshot create" for r in _rows(app, "#commands"))
        assert app.screen.shown_script.endswith("vm-disk-snapshot.sh")
        assert [Path(s).name for s in session_recipe(session, tmp_path / RECIPE_FILE).scripts] == [
            "tag-disks.sh",
            "vm-disk-snapshot.sh",
        ]
        await pilot.press("1")  # the Packages screen saw the change
        table = app.screen.query_one(PackageTable)
        name = sorted(new)[0]
        assert table.get_cell(name, "check") == "[x]"
        assert table.get_cell(name, "why") == session.needed[name]


async def test_adding_a_missing_script_is_refused_in_place(make_app, ready):
    app = _real(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await _scripts(pilot)
        await pilot.press("a", *"no/such.sh", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert len(app.session.scripts) == 1 and not app.session.dirty
        assert any("no/such.sh: no such file" in n.message for n in app._notifications)
        await pilot.press("a", "escape")  # cancel: nothing happens
        assert len(app.session.scripts) == 1


def test_scripts_snapshot(snap_compare, make_app):
    async def run_before(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await _scripts(pilot)

    assert snap_compare(_real(make_app), terminal_size=(130, 32), run_before=run_before)


@pytest.mark.docker
@pytest.mark.network  # the Debian index of the base's release
async def test_programs_the_base_lacks_are_offered_with_their_size(
    make_app, ready, tmp_path, docker_client, base_image
):
    from workbench.core.ospkg.contents import debian_contents
    from workbench.core.ospkg.index import debian_index

    debian_contents("bookworm", "x86_64")  # fetched now: the app runs offline
    debian_index("bookworm", "x86_64")
    (tmp_path / "sum.sh").write_text("#!/bin/bash\ncat sizes | paste -sd+ | bc\nnosuchtool\n")
    recipe = tmp_path / RECIPE_FILE
    recipe.write_text(
        f'base = "{base_image}"\nfamily = "apt"\nscripts = ["sum.sh"]\n'
        '[target]\npython = "3.11"\nlibc = "glibc"\n[packages]\nazure-cli = "exact"\n'
    )
    app = _real(make_app, recipe)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await _scripts(pilot)
        line = _text(app, "#programs")
        assert "bc → bc 246.8 kB" in line and "nosuchtool: nothing provides it" in line
        assert "r: add 1 OS package(s), +246.8 kB" in line and "cat" not in line
        await pilot.press("r")
        assert app.session.added_runtime == ["bc"] and app.session.dirty
        assert "(in the runtime packages)" in _text(app, "#programs")
        assert session_recipe(app.session).runtime_packages == ["bc"]


async def test_verdict_line_says_how_sure_the_analysis_is(make_app, ready, tmp_path):
    app = _one_script_app(
        make_app,
        tmp_path,
        "run.sh",
        '#!/bin/bash\nrun() { eval "$1"; }\nrun "az keyvault list"\nrun "$NEXT_STEP"\n',
    )
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await _scripts(pilot)
        verdict = _text(app, "#scripts-verdict")
        assert "1 spot may hide az calls: trims that depend on the analysis are off" in verdict
        assert [r[0] for r in _rows(app, "#commands")] == ["az keyvault list"]
        (spot,) = _rows(app, "#unresolved")
        assert spot[0] == "run.sh:4" and "[keep]" in spot[1]


async def test_verdict_line_when_everything_resolved(make_app, ready):
    app = _real(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await _scripts(pilot)
        assert "every az call resolved" in _text(app, "#scripts-verdict")


async def test_paths_seen_only_at_run_time_are_marked(make_app, tmp_path):
    """A recipe's ``observed_paths`` (from ``init --trace``) are listed as calls seen only
    by a traced run, not as a line of a script."""
    script = tmp_path / "job.sh"
    script.write_text("#!/bin/bash\naz group list\ncmd=$(cat sub.txt)\naz $cmd\n")
    recipe = tmp_path / RECIPE_FILE
    recipe.write_text(
        'base = "python:3.12-alpine"\nscripts = ["job.sh"]\n'
        'observed_paths = ["storage account list"]\n'
        '[packages]\nazure-cli = "exact"\nazure-cli-core = "exact"\n'
    )
    app = _real(make_app, recipe)
    async with app.run_test(size=SIZE) as pilot:
        await _scripts(pilot)
        rows = {r[0]: r[1] for r in _rows(app, "#commands")}
    assert rows["az group list"] == "job.sh:2"
    assert rows["az storage account list"] == "seen at run time only (traced)"
