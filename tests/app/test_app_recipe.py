"""Session <-> recipe: ctrl+s writes workbench.toml (atomic, backup kept, comments kept) and
``--recipe`` opens it again with the same choices, on the real size model."""

from __future__ import annotations

from workbench.app.app import WorkbenchApp
from workbench.app.loader import RECIPE_FILE
from workbench.core.recipe.recipe import Recipe


async def _save(pilot) -> None:
    await pilot.press("ctrl+s")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_save_then_reopen_keeps_choices(make_app, ready, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+end", "space", "home", "down", "down", "p", "m", "c")
        assert app.session.dirty
        await _save(pilot)
        assert not app.session.dirty and not app.sub_title.endswith("●")
    saved = Recipe.load(tmp_path / RECIPE_FILE)
    assert saved.mode == "multistage" and "no-compile" in saved.trims
    assert {p.name for p in saved.packages} >= {"azure-mgmt-storage", "azure-mgmt-compute"}
    pins = {p.name: p.pin for p in saved.packages}

    reopened = WorkbenchApp(tmp_path / RECIPE_FILE, theme="workbench-dark")
    async with reopened.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        session = reopened.session
        assert session.checked == app.session.checked
        assert {n: session.pin(n) for n in pins} == pins
        assert session.install_mode == "multistage" and session.compile is False


async def test_save_keeps_backup_and_comments(ready, tmp_path):
    recipe = tmp_path / RECIPE_FILE
    recipe.write_text(
        '# my team recipe\nbase = "python:3.12-alpine"\nmode = "venv"\n\n'
        '[packages]\nazure-cli = "exact"\nazure-cli-core = "exact"\n'
        'azure-mgmt-compute = "none"  # disks\n'
    )
    before = recipe.read_text()
    app = WorkbenchApp(recipe, theme="workbench-dark")
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        assert app.session.checked == {"azure-mgmt-compute"}
        assert app.session.pin("azure-mgmt-compute") == "none"
        await pilot.press("m")  # venv -> multistage
        await _save(pilot)
    text = recipe.read_text()
    assert text.startswith("# my team recipe") and "# disks" in text
    assert 'mode = "multistage"' in text
    assert (tmp_path / f"{RECIPE_FILE}.bak").read_text() == before


async def test_bad_recipe_shows_one_line_in_place(ready, tmp_path):
    recipe = tmp_path / RECIPE_FILE
    recipe.write_text('mode = "sideways"\n[packages]\nazure-cli = "exact"\n')
    app = WorkbenchApp(recipe, theme="workbench-dark")
    async with app.run_test() as pilot:
        await ready(pilot)
        notice = str(app.screen.query_one("#notice").render())
        assert "mode must be one of system, venv, multistage" in notice


async def test_an_unchanged_session_renders_the_recipe_it_opened(tmp_path):
    """Same recipe, same digest (the Dockerfile diff against the last build stays empty);
    saving keeps the file's package order."""
    from workbench.app.loader import open_session, session_recipe
    from workbench.cli import main

    script = tmp_path / "s.sh"
    script.write_text("az login\naz disk list\n")
    recipe = tmp_path / RECIPE_FILE
    assert main(["init", "--script", str(script), "--trim", "all", "-o", str(recipe)]) == 0
    session = open_session(recipe, offline=True)
    again = session_recipe(session)
    assert again.digest() == Recipe.load(recipe).digest()
    assert again.to_toml() == recipe.read_text()
