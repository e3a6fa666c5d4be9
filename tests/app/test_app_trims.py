"""Pilot tests of the trims row on the Packages screen, on the real core (embedded default:
the blog-post script and the shipped size snapshot, offline)."""

from __future__ import annotations

from workbench.app.app import WorkbenchApp
from workbench.app.loader import RECIPE_FILE, open_session
from workbench.app.widgets.trims import TrimToggle
from workbench.core.sizes.estimate import NO_COMPILE

SIZE = (140, 40)


def _real(make_app, recipe=None) -> WorkbenchApp:
    return make_app(recipe=recipe, opener=open_session, offline=True)


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_each_trim_shows_its_saving_and_toggles_the_total(make_app, ready):
    app = _real(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        session = app.session
        assert session.trim_context.modules  # the loader derived what trims keep
        before = session.estimate().total_bytes
        saving = session.trim_savings(session.estimate())["prune-modules"]
        assert saving > 50_000_000  # most of azure-cli's command modules go
        assert _text(app, "#trim-prune-modules").startswith("[ ] prune-modules −")
        await pilot.press("t")  # focus the trims row, first trim
        assert app.focused.id == "trim-prune-modules"
        await pilot.press("space")
        assert session.trims == {"prune-modules"} and session.dirty
        estimate = session.estimate()
        assert estimate.total_bytes == before - saving
        assert [t.name for t in estimate.trims] == ["prune-modules"]
        assert abs(estimate.trims[0].saves_bytes - saving) < 1_000  # its share once on
        assert _text(app, "#trim-prune-modules").startswith("[x] prune-modules −")
        assert f"Total {session.total_bytes(estimate) / 1e6:.1f} MB" in _text(app, "#totals")
        await pilot.press("right", "enter")  # the next trim, by keyboard too
        assert session.trims == {"prune-modules", "prune-aaz"}
        assert session.estimate().total_bytes < estimate.total_bytes
        await pilot.press("escape")
        assert app.focused.id == "packages"


async def test_drop_pip_saves_the_venv_seed(make_app, ready):
    """venv mode keeps the venv's own pip (10.8 MB on 3.12); drop-pip's saving says so."""
    app = _real(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        session = app.session
        assert session.install_mode == "venv"
        before = session.total_bytes(session.estimate())
        saving = session.trim_savings(session.estimate())["drop-pip"]
        assert saving >= 10_765_879
        assert "incl. venv pip 10.8 MB" in _text(app, "#totals")
        session.toggle_trim("drop-pip")
        app.screen.refresh_numbers()
        after = session.total_bytes(session.estimate())
        assert after == before - saving
        assert "incl. venv" not in _text(app, "#totals")


async def test_trim_toggles_with_the_mouse_and_pyc_shows_its_saving(make_app, ready):
    app = _real(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        session = app.session
        pyc = session.trim_savings(session.estimate())[NO_COMPILE]
        assert pyc > 0 and f"off saves {pyc / 1e6:.1f} MB" in _text(app, "#pyc")
        await pilot.click("#trim-trim-api-versions")
        assert session.trims == {"trim-api-versions"}
        await pilot.click("#trim-trim-api-versions")
        assert session.trims == set()


async def test_trim_that_cannot_apply_is_disabled_with_its_reason(make_app, ready, tmp_path):
    recipe = tmp_path / RECIPE_FILE
    recipe.write_text(  # no scripts: nothing says which command modules to keep
        'base = "python:3.12-alpine"\nmode = "venv"\n'
        'trims = ["prune-modules", "prune-aaz"]\n'
        '[packages]\nazure-cli = "exact"\nazure-cli-core = "exact"\n'
    )
    app = _real(make_app, recipe)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        session = app.session
        assert session.trim_context.modules is None
        assert session.active_trims() == ["prune-aaz"]  # chosen, but prune-modules cannot apply
        toggle = app.screen.query_one("#trim-prune-modules", TrimToggle)
        assert toggle.has_class("-disabled") and "n/a" in _text(app, "#trim-prune-modules")
        assert "prune-modules n/a: trim prune-modules needs every command module" in _text(
            app, "#trim-note"
        )
        assert [t.name for t in session.estimate().trims] == ["prune-aaz"]
        await pilot.press("t", "space")  # turning it off still works
        assert "prune-modules" not in session.trims
        await pilot.press("space")  # turning it on is refused in place
        assert "prune-modules" not in session.trims
        assert any("cannot apply" in (n.title or "") for n in app._notifications)


async def test_drop_pip_needs_a_venv(make_app, ready):
    app = _real(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.session.install_mode == "venv"
        assert not app.screen.query_one("#trim-drop-pip").has_class("-disabled")
        await pilot.press("m", "m")  # venv -> multistage -> system
        assert app.session.install_mode == "system"
        assert app.screen.query_one("#trim-drop-pip").has_class("-disabled")
        assert "drop-pip n/a" in _text(app, "#trim-note")


async def test_every_trim_has_a_toggle_with_its_saving_and_sourceless_needs_pyc(make_app, ready):
    from workbench.app.screens.packages import TRIM_ROWS
    from workbench.app.session import PATH_TRIMS

    assert sorted(n for row in TRIM_ROWS for n in row) == sorted(PATH_TRIMS)
    app = _real(make_app)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        session = app.session
        savings = session.trim_savings(session.estimate())
        for name in ("strip-binaries", "prune-pygments", "prune-aaz-commands"):
            assert savings[name] > 1_000_000, name  # embedded stripped sizes: no network
            assert _text(app, f"#trim-{name}").startswith(f"[ ] {name} −")
        await pilot.click("#trim-strip-binaries")
        estimate = session.estimate()
        assert (
            dict((t.name, t.saves_bytes) for t in estimate.trims)["strip-binaries"]
            == (savings["strip-binaries"])
        )
        await pilot.click("#trim-sourceless")
        assert "sourceless" in session.trims
        await pilot.press("c")  # .pyc off: sourceless (which keeps them) goes with it
        assert not session.compile and "sourceless" not in session.trims
        assert "n/a" in _text(app, "#trim-sourceless")
