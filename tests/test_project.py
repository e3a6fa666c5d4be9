"""The ``Project``: opened once, it loads the knowledge once, analyses once, and answers every
face (estimate, Dockerfile, build plan) from the same state; hand-added packages outside
azure-cli's closure are sized and rendered."""

from __future__ import annotations

import shutil

import pytest

from tests.support.fixtures import ROOT
from workbench.cli import main
from workbench.core.analysis import scripts as analysis_scripts
from workbench.core.knowledge import load_plan
from workbench.core.knowledge import model as knowledge_model
from workbench.core.project import Project
from workbench.core.recipe.recipe import Package, Recipe

BASE = "python:3.11-slim-bookworm"


@pytest.fixture
def blog_recipe(tmp_path):
    script = shutil.copy(ROOT / "sample-scripts" / "tag-disks.sh", tmp_path)
    recipe = tmp_path / "workbench.toml"
    argv = ["init", "--script", str(script), "--base", BASE, "--trim", "all", "-o", str(recipe)]
    assert main(argv) == 0
    return recipe


def test_open_and_plan_load_the_knowledge_and_analyse_once(blog_recipe, monkeypatch):
    counts = {"read": 0, "analyze": 0, "plan_load": 0}

    def counted(name, real):
        def call(*args, **kwargs):
            counts[name] += 1
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(knowledge_model, "_LOADED", {})
    monkeypatch.setattr(knowledge_model, "read_data", counted("read", knowledge_model.read_data))
    monkeypatch.setattr(analysis_scripts, "plan_load", counted("plan_load", load_plan.plan_load))
    monkeypatch.setattr(analysis_scripts, "analyze", counted("analyze", analysis_scripts.analyze))
    project = Project.open(blog_recipe, offline=True)
    plan = project.build_plan()
    project.estimate()
    assert plan.paths and plan.estimate_bytes
    assert counts == {"read": 1, "analyze": 1, "plan_load": 1}


def test_with_recipe_shares_what_the_edit_leaves_valid(blog_recipe):
    project = Project.open(blog_recipe, offline=True)
    edited = Recipe.load(blog_recipe)
    edited.trims = [t for t in edited.trims if t != "prune-aaz"]
    again = project.with_recipe(edited)
    assert again.analysis is project.analysis and again.model is project.model
    assert again.estimate().total_bytes > project.estimate().total_bytes  # prune-aaz off


def test_the_plan_records_packages_and_settings_as_data(blog_recipe):
    plan = Project.open(blog_recipe, offline=True).build_plan()
    assert plan.packages["azure-cli"] == "2.91.0" and "azure-mgmt-compute" in plan.packages
    assert plan.settings["install mode"] == "multistage"
    assert plan.settings["base image"] == BASE and "prune-modules" in plan.settings["trims"]
    assert plan.recipe_digest == Recipe.load(blog_recipe).digest()


@pytest.mark.network
def test_a_hand_added_package_outside_the_closure_renders(blog_recipe, capsys):
    """flask is nothing azure-cli pulls in: the project sizes it from the index and the
    Dockerfile pins it (this used to end in a KeyError)."""
    recipe = Recipe.load(blog_recipe)
    recipe.packages.append(Package("flask"))
    recipe.save(blog_recipe)
    assert main(["dockerfile", "--recipe", str(blog_recipe)]) == 0
    dockerfile = capsys.readouterr().out
    assert "flask==" in dockerfile and "werkzeug==" in dockerfile.lower()
    project = Project.open(blog_recipe)
    names = [p.name for p in project.estimate().packages]
    assert "flask" in names and project.build_plan().packages["flask"]
