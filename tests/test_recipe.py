"""Recipe: load, validate (one-line errors), rewrite keeping comments, atomic save + backup."""

from __future__ import annotations

import argparse

import pytest

from workbench.cli import init as init_cli
from workbench.core.errors import WorkbenchError
from workbench.core.recipe.recipe import Package, Recipe, family_of
from workbench.core.trims.registry import all_trims

TEXT = """\
# my team's az image
base = "python:3.11-slim-bookworm"  # glibc
mode = "venv"
scripts = ["job.sh"]
trims = ["no-compile", "drop-pip"]

[packages]
# needed for disk commands
azure-mgmt-compute = "exact"  # the big one
azure-mgmt-resource = {pin = "compatible", version = "24.0.0"}
"""


@pytest.fixture
def recipe_file(tmp_path):
    (tmp_path / "job.sh").write_text("#!/bin/bash\naz disk list | jq .\n")
    path = tmp_path / "workbench.toml"
    path.write_text(TEXT)
    return path


def load(tmp_path, text):
    path = tmp_path / "workbench.toml"
    path.write_text(text)
    return Recipe.load(path)


def test_load_reads_every_setting(recipe_file):
    r = Recipe.load(recipe_file)
    assert (r.base, r.mode, r.scripts, r.trims) == (
        "python:3.11-slim-bookworm",
        "venv",
        ["job.sh"],
        ["no-compile", "drop-pip"],
    )
    assert r.packages == [
        Package("azure-mgmt-compute"),
        Package("azure-mgmt-resource", "compatible", "24.0.0"),
    ]
    assert r.package_family() == "apt"


def test_rewrite_keeps_comments_and_backs_up(recipe_file):
    r = Recipe.load(recipe_file)
    r.mode = "multistage"
    r.packages.append(Package("semver", "none"))
    r.save()
    text = recipe_file.read_text()
    assert "# my team's az image" in text and "# the big one" in text and "# glibc" in text
    assert 'mode = "multistage"' in text and 'semver = "none"' in text
    assert (recipe_file.parent / "workbench.toml.bak").read_text() == TEXT
    assert Recipe.load(recipe_file) == r
    assert sorted(p.name for p in recipe_file.parent.iterdir()) == [
        "job.sh",
        "workbench.toml",
        "workbench.toml.bak",
    ]


def test_unchanged_save_is_byte_identical(recipe_file):
    Recipe.load(recipe_file).save()
    assert recipe_file.read_text() == TEXT


def test_fresh_recipe_round_trips(tmp_path):
    r = Recipe(packages=[Package("azure-cli-core")], trims=["no-compile"])
    path = r.save(tmp_path / "new.toml")
    assert path.read_text().startswith("# workbench recipe")
    assert Recipe.load(path) == r


def test_digest_ignores_comments_but_not_meaning(recipe_file):
    a = Recipe.load(recipe_file)
    b = Recipe.from_toml("# other comment\n" + TEXT, recipe_file)
    assert a.digest() == b.digest()
    b.mode = "system"
    assert a.digest() != b.digest()


@pytest.mark.parametrize(
    "change, message",
    [
        ('mode = "venv"\nmode = [', r"workbench.toml:\d+:\d+: invalid TOML"),
        ("colour = 1", r"unknown key 'colour' \(known: base, family"),
        (
            "[pip]\nproxy = 'x'",
            r"unknown key 'pip.proxy' \(known: index_url, ca_bundle, installer\)",
        ),
        ("[pip]\ninstaller = 'conda'", "pip.installer must be one of uv, pip, not 'conda'"),
        ('mode = "fast"', "mode must be one of system, venv, multistage, not 'fast'"),
        ('family = "rpm"', "family must be one of apk, apt"),
        ('trims = ["shrink"]', "unknown trim 'shrink'"),
        ('mode = "system"\ntrims = ["drop-pip"]', "drop-pip conflicts with mode 'system'"),
        ('scripts = ["missing.sh"]', "script missing.sh not found"),
        ('base = "fedora:40"', "cannot tell the package family.*apk for Alpine, apt for Debian"),
        ("[packages]\nx = 'loose'", "packages.x: pin must be one of exact, compatible, none"),
        ("[azcopy]\nversion = '10'\nurl = 'u'", "azcopy.sha256 is missing"),
        ("[pip]\nca_bundle = 'nope.pem'", "pip.ca_bundle nope.pem not found"),
        ("scripts = 'job.sh'", "scripts must be an array"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, change, message):
    base = 'base = "alpine:3.20"\n' if "base =" not in change else ""
    packages = "[packages]\nazure-cli-core = 'exact'\n" if "[packages]" not in change else ""
    lines = change.splitlines()
    cut = next((i for i, line in enumerate(lines) if line.startswith("[")), len(lines))
    text = "\n".join([base + "\n".join(lines[:cut]), packages, *lines[cut:]]) + "\n"
    with pytest.raises(WorkbenchError, match=message) as exc:
        load(tmp_path, text)
    assert "\n" not in str(exc.value)


def test_malformed_toml_names_line_and_column(tmp_path):
    with pytest.raises(WorkbenchError, match=r"workbench.toml:2:8: invalid TOML"):
        load(tmp_path, 'base = "x"\nmode = = 1\n')


def test_explicit_family_covers_unknown_base_names(tmp_path):
    r = load(
        tmp_path,
        'base = "workbench-test/debian-python:bookworm"\nfamily = "apt"\n'
        "[packages]\nazure-cli-core = 'exact'\n",
    )
    assert r.package_family() == "apt"


@pytest.mark.parametrize(
    "base, family",
    [
        ("python:3.12-alpine", "apk"),
        ("python:3.10.8-alpine3.16", "apk"),
        ("alpine:3.20", "apk"),
        ("docker.io/library/alpine", "apk"),
        ("debian:bookworm-slim", "apt"),
        ("ubuntu:24.04", "apt"),
        ("python:3.11-slim-bookworm", "apt"),
        ("python:3.12-slim", "apt"),
        ("python:3.13-trixie", "apt"),
        ("python:3.12", None),
        ("workbench-test/debian-python:bookworm", None),
    ],
)
def test_family_from_base_name(base, family):
    assert family_of(base) == family


def run_init(argv):
    parser = argparse.ArgumentParser()
    init_cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(["init", *argv])
    return args.run(args)


def test_init_writes_a_loadable_recipe_and_keeps_the_old_one(tmp_path, monkeypatch):
    monkeypatch.delenv("PIP_CERT", raising=False)
    (tmp_path / "job.sh").write_text("az disk list | jq -r .\n")
    out = tmp_path / "sub" / "workbench.toml"
    out.parent.mkdir()
    out.write_text("# old\n")
    argv = ["--script", str(tmp_path / "job.sh"), "--package", "azure-mgmt-compute"]
    argv += ["--mode", "system", "--base", "debian:bookworm", "-o", str(out)]
    with pytest.raises(WorkbenchError, match="already exists; pass --force"):
        run_init(argv)
    assert out.read_text() == "# old\n"
    assert run_init([*argv, "--force"]) == 0
    r = Recipe.load(out)
    assert r.scripts == ["../job.sh"] and r.runtime_packages == ["jq"]
    assert r.trims == all_trims(system=True)  # every trim a system install allows
    assert (out.parent / "workbench.toml.bak").read_text() == "# old\n"
    assert run_init([*argv, "--force", "--mode", "venv"]) == 0  # twice: nothing is lost
    assert (out.parent / "workbench.toml.bak.1").read_text() == "# old\n"
    assert 'mode = "system"' in (out.parent / "workbench.toml.bak").read_text()


def test_repeated_list_options_add_up_instead_of_the_last_winning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.sh").write_text("az disk list\n")
    (tmp_path / "b.sh").write_text("az group list\n")
    argv = ["--script", "a.sh", "--script", "b.sh", "--trim", "drop-docs", "--trim", "drop-tests"]
    argv += ["--runtime-package", "bash", "--runtime-package", "jq", "-o", "w.toml"]
    assert run_init(argv) == 0
    r = Recipe.load(tmp_path / "w.toml")
    assert r.scripts == ["a.sh", "b.sh"] and r.runtime_packages == ["bash", "jq"]
    assert set(r.trims) == {"drop-docs", "drop-tests"}


def test_init_rejects_missing_scripts_and_empty_selections(tmp_path):
    with pytest.raises(WorkbenchError, match=r"script nope\.sh not found"):
        run_init(["--script", "nope.sh", "-o", str(tmp_path / "w.toml")])
    with pytest.raises(WorkbenchError, match="no packages"):
        run_init(["-o", str(tmp_path / "w.toml")])
    assert not (tmp_path / "w.toml").exists()
