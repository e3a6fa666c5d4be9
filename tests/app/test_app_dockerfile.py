"""Pilot tests of the Dockerfile screen on the real core: render (worker, debounced, stale
results dropped), diff against the last build from the history, write out with backups."""

from __future__ import annotations

from workbench.app.loader import RECIPE_FILE, open_session, render_build_context
from workbench.app.screens.dockerfile import DEBOUNCE_S, Rendered
from workbench.core.engine.history import append_record, new_record

SIZE = (140, 40)


async def rendered(pilot) -> None:
    """Wait for the debounce, the render worker and the repaint."""
    await pilot.pause(DEBOUNCE_S + 0.1)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


def _dockerfile(app) -> str:
    return app.screen.query_one("#dockerfile-text").text


def _recipe(tmp_path, trims: str = "") -> object:
    (tmp_path / "tag-disks.sh").write_text("#!/bin/bash\naz group list\naz disk list\n")
    recipe = tmp_path / RECIPE_FILE
    recipe.write_text(
        f'base = "python:3.12-alpine"\nmode = "venv"\nscripts = ["tag-disks.sh"]\n{trims}'
        '[packages]\nazure-cli = "exact"\nazure-cli-core = "exact"\n'
        'azure-mgmt-compute = "exact"\n'
    )
    return recipe


async def test_renders_the_session_and_follows_its_changes(make_app, ready, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(opener=open_session, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await rendered(pilot)
        text = _dockerfile(app)
        assert "FROM python:3.12-alpine" in text and "azure-mgmt-compute==34.1.0" in text
        assert "install mode venv" in text and "No trims selected" in text
        status = _text(app, "#dockerfile-status")
        assert "for workbench.toml" in status and "no build yet" in status
        await pilot.press("1", "m", "t", "space", "3")  # multistage, prune-modules
        await rendered(pilot)
        text = _dockerfile(app)
        assert "install mode multistage" in text and "prune-modules" in text
        assert "workbench-build/trim.py" in text


async def test_stale_renders_are_dropped(make_app, ready, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(opener=open_session, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await rendered(pilot)
        screen = app.screen
        before = _dockerfile(app)
        screen.post_message(
            Rendered(screen.generation - 1, "old.toml", "FROM stale\n", 0, None, "")
        )
        await pilot.pause()
        assert _dockerfile(app) == before
        screen.show_session(app.session)  # a burst of changes: one render, the newest
        screen.show_session(app.session)
        stale = screen.generation - 1
        screen.post_message(Rendered(stale, "old.toml", "FROM stale\n", 0, None, ""))
        await rendered(pilot)
        assert _dockerfile(app) == before


async def test_diff_against_the_last_build(make_app, ready, tmp_path):
    recipe = _recipe(tmp_path)
    session = open_session(recipe, offline=True)
    _, built = render_build_context(session)
    old = built.dockerfile.replace("install mode venv", "install mode system")
    append_record(recipe, new_record(status="failed", dockerfile="FROM broken\n"))
    append_record(recipe, new_record(status="ok", dockerfile=old, tag="team/az:1"))
    app = make_app(recipe=recipe, opener=open_session, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await rendered(pilot)
        assert _dockerfile(app) == built.dockerfile
        status = _text(app, "#dockerfile-status")
        assert "vs last build" in status and "(ok, team/az:1): +1 −1 lines" in status
        await pilot.press("d")
        diff = _text(app, "#diff-text")
        assert (
            "-# Azure CLI 2.91.0 on python:3.12-alpine (apk packages), install mode system" in diff
        )
        assert "+# Azure CLI 2.91.0 on python:3.12-alpine (apk packages), install mode venv" in diff
        assert app.focused.id == "dockerfile-diff"
        await pilot.press("d")
        assert app.focused.id == "dockerfile-text"


async def test_write_out_beside_the_recipe_keeps_backups(make_app, ready, tmp_path):
    recipe = _recipe(tmp_path, 'trims = ["prune-modules"]\n')
    (tmp_path / "Dockerfile").write_text("FROM mine\n")
    app = make_app(recipe=recipe, opener=open_session, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await rendered(pilot)
        await pilot.press("w")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        written = (tmp_path / "Dockerfile").read_text()
        assert written == _dockerfile(app) and "prune-modules" in written
        assert (tmp_path / "Dockerfile.bak").read_text() == "FROM mine\n"
        assert (tmp_path / "workbench-build" / "trim.py").is_file()
        assert any(str(tmp_path / "Dockerfile") in n.message for n in app._notifications)


async def test_render_error_shows_in_place(make_app, ready, tmp_path):
    recipe = tmp_path / RECIPE_FILE
    recipe.write_text(  # no scripts: prune-modules cannot know what to keep
        'base = "python:3.12-alpine"\nmode = "venv"\ntrims = ["prune-modules"]\n'
        '[packages]\nazure-cli = "exact"\nazure-cli-core = "exact"\n'
    )
    app = make_app(recipe=recipe, opener=open_session, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await rendered(pilot)
        notice = _text(app, "#notice")
        assert notice.startswith("Cannot render: trim prune-modules needs every command module")
        await pilot.press("1", "t", "space", "3")  # drop the trim: renders again
        await rendered(pilot)
        assert not app.screen.query_one("#notice").display
        assert "FROM python:3.12-alpine" in _dockerfile(app)


def test_dockerfile_snapshot(snap_compare, make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("3")
        await rendered(pilot)

    assert snap_compare(make_app(), terminal_size=(130, 32), run_before=run_before)
