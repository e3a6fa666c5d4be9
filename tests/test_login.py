"""The image's own login: ``az login``/``logout``/``account`` are kept unless the recipe says
``login = "none"``, whether or not the scripts log in."""

from __future__ import annotations

import json

import pytest

from tests.support.contexts import scripts_context
from workbench.cli import main
from workbench.core.analysis.login import LOGIN_SOURCE, NO_LOGIN
from workbench.core.analysis.scripts import analyze
from workbench.core.errors import WorkbenchError
from workbench.core.project import Project
from workbench.core.recipe.recipe import Recipe
from workbench.core.sizes.target import default_target


@pytest.fixture
def no_login_script(tmp_path):
    script = tmp_path / "groups.sh"
    script.write_text("#!/bin/bash\naz group list -o table\n")
    return script


def test_a_script_without_az_login_keeps_the_login(no_login_script):
    analysis = analyze([no_login_script])
    assert [c.path for c in analysis.commands] == [("group", "list")]
    assert [c.path for c in analysis.login_commands] == [("login",), ("logout",), ("account",)]
    profile = next(m for m in analysis.modules if m.name == "profile")
    assert profile.reasons[0].startswith(f"`az login` at {LOGIN_SOURCE}")
    assert scripts_context([no_login_script]).modules == {"resource", "profile"}


def test_login_none_drops_what_only_the_login_needs(no_login_script):
    kept, none = analyze([no_login_script]), analyze([no_login_script], login=NO_LOGIN)
    assert not none.login_commands and "profile" not in {m.name for m in none.modules}
    assert set(none.package_names()) < set(kept.package_names())
    target = default_target()
    project = Project.for_scripts([no_login_script], target=target, login=NO_LOGIN, offline=True)
    assert project.trim_context.modules == {"resource"}
    assert analyze([no_login_script]).to_json()["login"]["route"] == "service-principal"


def test_the_recipe_names_the_login(tmp_path, no_login_script):
    text = (
        f'scripts = ["{no_login_script.name}"]\nlogin = "none"\n[packages]\nazure-cli = "exact"\n'
    )
    recipe = Recipe.from_toml(text, tmp_path / "workbench.toml")
    assert recipe.login == NO_LOGIN
    assert Project.open(recipe, offline=True).trim_context.modules == {"resource"}
    assert 'login = "none"' in recipe.to_toml()
    default = Recipe.from_toml(text.replace('login = "none"\n', ""), tmp_path / "w.toml")
    assert recipe.digest() != default.digest()


def test_an_unknown_login_is_one_line(tmp_path):
    with pytest.raises(WorkbenchError, match=r"^recipe: login must be one of [a-z-]+, none, not"):
        Recipe.from_toml('login = "pasword"\n[packages]\nazure-cli = "exact"\n')


def test_estimate_shows_what_login_none_saves(tmp_path, capsys):
    script = tmp_path / "accounts.sh"
    script.write_text("az storage account list\n")  # needs neither profile nor resource
    totals = {}
    for route in ("service-principal", "none"):
        argv = ["estimate", "--script", str(script), "--trim", "all", "--offline"]
        assert main([*argv, "--login", route, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        totals[route] = data["total_bytes"]
        assert data["login"]["route"] == route
    saves = data["login"]["none_saves_bytes"]
    assert saves == totals["service-principal"] - totals["none"] > 1_000_000
    assert main(["estimate", "--script", str(script), "--offline"]) == 0
    assert 'login = "none" would save' in capsys.readouterr().out
