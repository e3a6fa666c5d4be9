"""Themes: bundled dark and light load, user theme files add to them, the choice is remembered."""

from __future__ import annotations

from workbench.app.paths import bundled_dir
from workbench.app.settings import load_settings
from workbench.app.themes import load_themes, theme_from_file


def test_bundled_themes_are_dark_and_light():
    themes, failures = load_themes(bundled_dir("themes"))
    assert failures == []
    by_name = {t.name: t for t in themes}
    assert by_name["workbench-dark"].dark is True
    assert by_name["workbench-light"].dark is False


def test_user_theme_is_loaded_and_bad_one_reported(tmp_path):
    (tmp_path / "mine.toml").write_text('primary = "#ff00ff"\ndark = true\n')
    (tmp_path / "broken.toml").write_text('primary = "not-a-colour"\n')
    (tmp_path / "typo.toml").write_text('primry = "#ffffff"\n')
    themes, failures = load_themes(tmp_path)
    assert [t.name for t in themes] == ["mine"]
    reasons = {f.path.name: f.reason for f in failures}
    assert reasons["broken.toml"].startswith("bad colour")
    assert "unknown keys primry" in reasons["typo.toml"]


def test_theme_file_variables_are_kept(tmp_path):
    path = tmp_path / "v.toml"
    path.write_text('name = "v"\nprimary = "#0000ff"\n[variables]\nwb-bar = "#00ff00"\n')
    assert theme_from_file(path).variables == {"wb-bar": "#00ff00"}


async def test_theme_option_applies_and_is_remembered(make_app, ready, config_dir):
    app = make_app(theme="workbench-light")
    async with app.run_test() as pilot:
        await ready(pilot)
        assert app.theme == "workbench-light"
    assert load_settings()["theme"] == "workbench-light"
    again = make_app(theme=None)
    async with again.run_test() as pilot:
        await ready(pilot)
        assert again.theme == "workbench-light"


async def test_user_theme_dir_and_unknown_theme(make_app, ready, config_dir):
    (config_dir / "themes").mkdir(parents=True)
    (config_dir / "themes" / "pink.toml").write_text('primary = "#ff00ff"\n')
    app = make_app(theme="pink")
    async with app.run_test() as pilot:
        await ready(pilot)
        assert app.theme == "pink"
    app = make_app(theme="no-such-theme")
    async with app.run_test() as pilot:
        await ready(pilot)
        assert app.theme == "workbench-dark"
