"""Hostile recipes: every bad field is one line, and no field value becomes an instruction."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.errors import WorkbenchError
from workbench.core.recipe.dockerfile import Resolution, build_context
from workbench.core.recipe.recipe import AzCopy, Package, PipSettings, Recipe, TargetOverride

SHA = "a" * 64
GOOD = """\
base = "python:3.12-alpine"
scripts = ["s.sh"]
[packages]
azure-cli-core = "exact"
"""
RESOLUTION = Resolution({"azure-cli-core": "2.91.0", "azure-cli": "2.91.0"})
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('base = "python:3.11-slim\\nRUN curl evil | sh"', "base: .* is not an image reference"),
        ('base = "Python:3.11"', "base: .* is not an image reference"),
        ('runtime_packages = ["x; rm -rf /"]', "runtime_packages: .* is not an apk package"),
        ('runtime_packages = ["$(touch /tmp/pwned)"]', "is not an apk package"),
        ('azure_cli = "2.91.0 && curl x | sh #"', "azure_cli: .* is not a version"),
        ('azure_cli = "2.91.0\\n"', "azure_cli: .* is not a version"),
        ("[packages.'a b']\npin = 'none'", "packages.a b: .* is not a package name"),
        (
            "[packages.semver]\npin = 'exact'\nversion = '1 && id'",
            "packages.semver.version: .* is not a version",
        ),
        ("[packages.semver]\npin = 'compatible'\nversion = '3'", "needs two release numbers"),
        ('[pip]\nindex_url = "file:///etc"', "pip.index_url: .* is not an http"),
        ('[pip]\nindex_url = "https://x/s\\nRUN id"', "pip.index_url"),
        (f'[azcopy]\nversion = "10"\nurl = "https://x/{{0}}"\nsha256 = "{SHA}"', "field {0}"),
        (f'[azcopy]\nversion = "10"\nurl = "https://x/{{nope}}"\nsha256 = "{SHA}"', "{nope}"),
        (f'[azcopy]\nversion = "10"\nurl = "https://x/{{"\nsha256 = "{SHA}"', "bad template"),
        (f'[azcopy]\nversion = "1\\n0"\nurl = "https://x/"\nsha256 = "{SHA}"', "azcopy.version"),
        ('[target]\nlibc_version = "2"', "target.libc_version: '2' is not a libc version"),
        ("[target]\nlibc_version = 2.36", "target.libc_version must be a string"),
        ('[target]\narch = "sparc"', "target.arch"),
        ('base = "a"\nbase = "b"', "invalid TOML: .*already exists"),
        ("x = " + "[" * 3000 + "]" * 3000, "invalid TOML"),
    ],
)
def test_bad_field_is_one_line(tmp_path, text, message):
    (tmp_path / "s.sh").write_text("az disk list\n")
    path = tmp_path / "r.toml"
    lines = GOOD.splitlines(keepends=True)
    head = "".join(line for line in lines[:2] if not text.startswith(line.split(" ")[0]))
    path.write_text(head + text + "\n" + "".join(lines[2:] if "[packages" not in text else []))
    before = path.read_bytes()
    with pytest.raises(WorkbenchError) as info:
        Recipe.load(path)
    assert "\n" not in str(info.value)
    assert re.search(message, str(info.value)), str(info.value)
    assert path.read_bytes() == before


def test_utf8_bom_is_read(tmp_path):
    (tmp_path / "s.sh").write_text("az disk list\n")
    path = tmp_path / "r.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert Recipe.load(path).base == "python:3.12-alpine"


def test_binary_and_directory_recipes_are_one_line(tmp_path):
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(WorkbenchError, match="not UTF-8"):
        Recipe.load(tmp_path / "bin.toml")
    with pytest.raises(WorkbenchError, match="is a directory"):
        Recipe.load(tmp_path)


def test_save_refuses_a_file_changed_on_disk(tmp_path):
    (tmp_path / "s.sh").write_text("az disk list\n")
    path = tmp_path / "r.toml"
    path.write_text(GOOD)
    recipe = Recipe.load(path)
    path.write_text(GOOD + "# edited elsewhere\n")
    recipe.trims = ["no-compile"]
    with pytest.raises(WorkbenchError, match="changed on disk"):
        recipe.save()
    assert path.read_text().endswith("# edited elsewhere\n")
    recipe.save(force=True)
    assert "no-compile" in path.read_text()
    assert (tmp_path / "r.toml.bak").read_text().endswith("# edited elsewhere\n")


def test_symlinked_recipe_saves_its_target_and_keeps_mode(tmp_path):
    (tmp_path / "s.sh").write_text("az disk list\n")
    real = tmp_path / "real.toml"
    real.write_text(GOOD)
    real.chmod(0o644)
    link = tmp_path / "workbench.toml"
    link.symlink_to(real)
    recipe = Recipe.load(link)
    recipe.trims = ["no-compile"]
    recipe.save()
    assert link.is_symlink() and "no-compile" in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o644


def test_index_credentials_stay_in_the_builder_stage(tmp_path):
    (tmp_path / "s.sh").write_text("az disk list\n")
    recipe = _recipe(tmp_path, mode="venv", pip=PipSettings(index_url="https://u:secret@idx/s"))
    ctx = build_context(recipe, RESOLUTION)
    assert "secret" not in ctx.dockerfile
    assert ctx.build_args == {"PIP_INDEX_URL": "https://u:secret@idx/s"}
    final = ctx.dockerfile.rsplit("\nFROM ", 1)[1]
    assert "ARG" not in final and "PIP_INDEX_URL" in ctx.dockerfile.split("\nFROM ")[1]


def test_script_names_with_spaces_and_quotes_copy(tmp_path):
    name = 'my script\'s "x".sh'
    (tmp_path / name).write_text("az disk list\n")
    ctx = build_context(_recipe(tmp_path, scripts=[name]), RESOLUTION)
    assert 'COPY ["my script\'s \\"x\\".sh", "/scripts/"]' in ctx.dockerfile


# ---- the renderer: no field value adds an instruction ----------------------------------------
def _recipe(tmp_path, **changes) -> Recipe:
    (tmp_path / "s.sh").write_text("az disk list\n")
    recipe = Recipe(
        packages=[Package("azure-cli-core")],
        scripts=["s.sh"],
        runtime_packages=["jq"],
        path=tmp_path / "workbench.toml",
    )
    return replace(recipe, **changes)


def _keywords(dockerfile: str) -> list[str]:
    """The instruction keywords, as Docker's line parser sees them."""
    text = re.sub(r"\\\n", "", dockerfile)
    return [
        line.split(None, 1)[0].upper()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


HOSTILE = st.lists(
    st.sampled_from([*"ab1.-_:/@ \n\r\t\\'\"$`;&|(){}#=~<>*", "RUN ", "\nRUN x", "https://"]),
    max_size=12,
).map("".join)
FIELDS = {
    "base": lambda v: {"base": v, "family": "apk"},
    "azure_cli": lambda v: {"azure_cli": v},
    "runtime": lambda v: {"runtime_packages": [v]},
    "name": lambda v: {"packages": [Package(v, "none")]},
    "version": lambda v: {"packages": [Package("azure-cli-core", "exact", v)]},
    "index": lambda v: {"pip": PipSettings(index_url=v)},
    "azcopy_version": lambda v: {"azcopy": AzCopy(v, "https://x/{version}", SHA)},
    "azcopy_url": lambda v: {"azcopy": AzCopy("10", v, SHA)},
    "libc_version": lambda v: {"target": TargetOverride(libc_version=v)},
}
BENIGN = {
    "base": "python:3.12-alpine",
    "azure_cli": "2.91.0",
    "runtime": "jq",
    "name": "semver",
    "version": "2.91.0",
    "index": "https://idx/simple",
    "azcopy_version": "10",
    "azcopy_url": "https://x/{version}",
    "libc_version": "2.36",
}


@pytest.mark.parametrize("field", sorted(FIELDS))
@pytest.mark.parametrize("checked", [True, False], ids=["validated", "renderer-alone"])
@FUZZ
@given(value=HOSTILE)
def test_no_value_adds_an_instruction(tmp_path, monkeypatch, field, checked, value):
    if not checked:  # the renderer's own quoting must hold even without the field grammars
        monkeypatch.setattr(Recipe, "check_values", lambda self, where="recipe": None)
    expected = _keywords(
        build_context(_recipe(tmp_path, **FIELDS[field](BENIGN[field])), RESOLUTION).dockerfile
    )
    try:
        ctx = build_context(_recipe(tmp_path, **FIELDS[field](value)), RESOLUTION)
    except WorkbenchError as exc:
        assert "\n" not in str(exc)
        return
    assert _keywords(ctx.dockerfile) == expected


@FUZZ
@given(text=st.text(max_size=200))
def test_recipe_parser_never_raises_anything_else(tmp_path, text):
    try:
        Recipe.from_toml(text, tmp_path / "r.toml")
    except WorkbenchError as exc:
        assert "\n" not in str(exc)


@FUZZ
@given(
    key=st.sampled_from(["base", "azure_cli", "mode", "family", "trims", "runtime_packages"]),
    value=st.one_of(st.text(max_size=20), st.integers(), st.lists(st.text(max_size=5))),
)
def test_recipe_values_of_any_type_are_one_line(tmp_path, key, value):
    import tomlkit

    text = tomlkit.dumps({key: value}) + '[packages]\nazure-cli-core = "exact"\n'
    try:
        Recipe.from_toml(text, tmp_path / "r.toml")
    except WorkbenchError as exc:
        assert "\n" not in str(exc)
