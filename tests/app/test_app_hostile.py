"""The TUI against crashes and hangs: a non-zero exit with one line after an unhandled error,
bad settings and history, an unwritable config dir, a never-answering engine, an OCI index
cycle, a huge script, the keyboard on the Layers screen, and a recipe edited outside."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

from tests.app.conftest import sample_opener
from tests.app.test_app_build import SIZE, _start, _text, _until, plan_builder
from tests.app.test_app_layers import open_layers, settle, text
from tests.support.fake_engine import FakeEngine
from tests.test_hostile_layers import _cycle
from workbench.app.app import WorkbenchApp
from workbench.app.loader import RECIPE_FILE, scripts_view
from workbench.core.analysis.scripts import analyze
from workbench.core.engine import history
from workbench.core.knowledge import load_plan


def test_unhandled_error_exits_1_with_one_line(tmp_path):
    script = textwrap.dedent(
        """
        import sys
        from tests.app.conftest import sample_opener
        from workbench.app.app import WorkbenchApp

        class Boom(WorkbenchApp):
            def on_mount(self):
                super().on_mount()
                self.set_timer(0.3, self.boom)

            def boom(self):
                raise RuntimeError("boom\\nsecond line")

        app = Boom(theme="workbench-dark", opener=sample_opener)
        app.run(headless=True)
        sys.exit(app.return_code)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={"WORKBENCH_CONFIG_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [
        "workbench: internal error: RuntimeError: boom (WORKBENCH_DEBUG=1 shows the traceback; "
        "please report it)"
    ], done.stderr
    assert list(tmp_path.iterdir()) == [] or all(
        not p.name.endswith(".tmp") for p in tmp_path.rglob("*")
    )


async def test_settings_of_the_wrong_type_are_ignored(config_dir):
    config_dir.mkdir(parents=True)
    (config_dir / "tui.json").write_text(json.dumps({"theme": ["x"], "other": {"a": 1}}))
    app = WorkbenchApp(opener=sample_opener)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "workbench-dark"


async def test_unwritable_config_dir_is_a_warning(tmp_path, monkeypatch, make_app):
    (tmp_path / "plain").write_text("a file where the config dir should be")
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "plain" / "config"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.theme = "workbench-light"
        await pilot.pause()
        assert app.is_running and app.return_code in (None, 0)
        titles = [n.title for n in app._notifications]
        assert "Theme not remembered" in titles


async def test_history_with_wrong_types_shows_the_good_records(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    good = history.new_record(status="ok", tag="good:1", image_id="sha256:1", size_bytes=5)
    path = history.history_path(tmp_path / RECIPE_FILE)
    path.parent.mkdir(parents=True)
    bad = [
        {**good, "smoke": "passed"},
        {**good, "time": None},
        {**good, "comparison": {"difference_ratio": "x"}},
        "[" * 50_000,
    ]
    lines = [json.dumps(good), *(b if isinstance(b, str) else json.dumps(b) for b in bad)]
    path.write_text("\n".join(lines) + "\n")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        assert app.is_running and app.current_mode == "history"
        assert len(history.load_history(tmp_path / RECIPE_FILE)) == 1


async def test_cancel_against_a_never_answering_engine_ends(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with FakeEngine("stall-build") as engine:
        monkeypatch.setenv("DOCKER_HOST", engine.url)
        app = make_app(builder=plan_builder("FROM scratch\nLABEL a=b\n"))
        async with app.run_test(size=SIZE) as pilot:
            await _start(pilot)
            screen = app.screen
            await _until(pilot, lambda: "1/2" in _text(screen, "#build-step"), seconds=30)
            started = time.monotonic()
            await pilot.press("x")
            await _until(pilot, lambda: not screen.building, seconds=30)
            assert time.monotonic() - started < 15
            await pilot.pause()
            assert _text(screen, "#build-status") == "Cancelled."
    assert history.load_history(tmp_path / RECIPE_FILE)[-1]["status"] == "cancelled"


async def test_oci_index_cycle_is_one_line_on_the_layers_screen(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    layout = tmp_path / "cycle"
    for name, data in _cycle().items():
        (layout / name).parent.mkdir(parents=True, exist_ok=True)
        (layout / name).write_bytes(data)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_layers(pilot, layout)
        said = text(screen, "#layers-notice")
        assert said.startswith(f"Could not analyse {layout}: ") and "\n" not in said


async def test_layers_screen_without_a_build_can_be_left_by_keyboard(
    make_app, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_layers(pilot)
        assert screen.focused is screen.query_one("#layers-source")
        await pilot.press("escape", "1")
        await pilot.pause()
        assert app.current_mode == "packages"
        assert screen.query_one("#layers-source").value == ""


def test_scripts_view_plans_each_distinct_call_once(tmp_path, monkeypatch):
    script = tmp_path / "big.sh"
    calls = ["az group list", "az disk list", "az vm show -n x -g y"]
    script.write_text("\n".join(calls[i % 3] for i in range(50_000)) + "\n")
    analysis = analyze([str(script)], "2.91.0")
    planned = []
    real = load_plan.plan_load

    def counting(knowledge, paths):
        planned.append(tuple(map(tuple, paths)))
        return real(knowledge, paths)

    monkeypatch.setattr(load_plan, "plan_load", counting)
    view = scripts_view([script], analysis)
    assert len(view.commands) == 50_000
    assert len(planned) == len(set(planned)) == 3


async def test_ctrl_s_after_an_outside_edit_asks(tmp_path):
    recipe = tmp_path / RECIPE_FILE
    recipe.write_text('base = "python:3.12-alpine"\n\n[packages]\nazure-mgmt-compute = "exact"\n')
    app = WorkbenchApp(recipe, theme="workbench-dark")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("m")
        theirs = recipe.read_text() + "# edited in another editor\n"
        recipe.write_text(theirs)
        await pilot.press("ctrl+s")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert "changed on disk" in str(app.screen.query_one("#question").render())
        assert recipe.read_text() == theirs
        await pilot.press("escape")  # keep theirs
        await pilot.pause()
        assert recipe.read_text() == theirs and app.session.dirty
        await pilot.press("ctrl+s")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("y")  # overwrite
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    mine = recipe.read_text()
    assert "mode = " in mine and "another editor" not in mine
    assert (tmp_path / f"{RECIPE_FILE}.bak").read_text() == theirs


def test_a_trim_shown_as_not_applicable_is_not_saved(tmp_path):
    from tests.app.conftest import sample_session
    from workbench.app.loader import session_recipe

    session = sample_session()
    session.install_mode = "system"
    session.trims = {"drop-pip", "prune-modules"}
    assert session.trim_problem("drop-pip")
    recipe = session_recipe(session, tmp_path / RECIPE_FILE)
    assert "drop-pip" not in recipe.trims
    recipe.validate()


async def test_quitting_during_a_stalled_build_ends(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with FakeEngine("stall-build") as engine:
        monkeypatch.setenv("DOCKER_HOST", engine.url)
        app = make_app(builder=plan_builder("FROM scratch\nLABEL a=b\n"))
        started = None
        async with app.run_test(size=SIZE) as pilot:
            await _start(pilot)
            screen = app.screen
            await _until(pilot, lambda: "1/2" in _text(screen, "#build-step"), seconds=30)
            started = time.monotonic()
            await pilot.press("ctrl+q")
            await pilot.pause()
            await pilot.press("y")  # cancel the build and quit
            await pilot.pause()
        assert time.monotonic() - started < 20
        deadline = time.monotonic() + 15  # the build's thread ends and records the cancel
        while not history.load_history(tmp_path / RECIPE_FILE) and time.monotonic() < deadline:
            time.sleep(0.2)
    assert history.load_history(tmp_path / RECIPE_FILE)[-1]["status"] == "cancelled"
