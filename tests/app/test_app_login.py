"""The login choice on the Packages screen (real core): shown with what ``login = "none"``
saves; ``l`` analyses the scripts again without the login and the recipe keeps the choice."""

from __future__ import annotations

from workbench.app.loader import open_session, session_recipe


def _recipe(tmp_path):
    (tmp_path / "accounts.sh").write_text("#!/bin/bash\naz storage account list\n")
    path = tmp_path / "workbench.toml"
    path.write_text(
        'base = "python:3.12-alpine"\nscripts = ["accounts.sh"]\ntrims = ["prune-modules"]\n'
        '[packages]\nazure-cli = "exact"\nazure-mgmt-storage = "exact"\n'
        'azure-mgmt-managementgroups = "exact"\n'
    )
    return path


async def test_l_switches_the_login_and_shows_its_saving(tmp_path, make_app, ready):
    app = make_app(recipe=_recipe(tmp_path), opener=open_session, offline=True)
    async with app.run_test(size=(150, 40)) as pilot:
        await ready(pilot)
        session = app.session
        assert session.login == "service-principal" and session.login_saving > 1_000_000
        saved = f"{session.login_saving / 1e6:.1f} MB"
        toggle = str(app.screen.query_one("#login").render())
        assert toggle == f"Login service-principal (l) · none saves {saved}"
        before = session.estimate().total_bytes
        await pilot.press("l")
        await ready(pilot)
        assert session.login == "none" and "azure-mgmt-managementgroups" not in session.checked
        assert session.estimate().total_bytes < before
        assert "none (l) · the image never logs in itself" in str(
            app.screen.query_one("#login").render()
        )
        assert session_recipe(session).login == "none" and session.dirty
