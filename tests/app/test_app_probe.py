"""Build with the necessity probe: the confirmation's checkbox reaches the builder, and the
result panel lists each probed package (needed yes/no/not installed, bytes, detail) with the
total of dead-weight bytes."""

from __future__ import annotations

import contextlib
import time

import pytest
from test_app_build import plan_builder
from textual.widgets import DataTable

from workbench.core.engine.build import BuildResult, StepStarted
from workbench.core.engine.pipeline import BuildOutcome
from workbench.core.engine.smoke import Check, ProbeResult, SmokeReport

SIZE = (140, 40)
# An `az` whose help needs the `needme` distribution (installed beside `spare`).
NEEDS_AZ = (
    r"printf '#!/bin/sh\npython3 -m needme || exit 1\necho Group: list\n'"
    " > /usr/local/bin/az && chmod +x /usr/local/bin/az"
)


def _dist(name: str, code: str) -> dict[str, str]:
    """Build-context files of a minimal installed distribution (module + dist-info)."""
    info = f"{name}-1.0.dist-info"
    record = f"{name}.py,,\n{info}/METADATA,,\n{info}/RECORD,,\n"
    return {
        f"site/{name}.py": code,
        f"site/{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"site/{info}/RECORD": record,
    }


async def _build_with_probe(pilot, tag: str = "", box: str = "probe") -> None:
    """Press b on the Build screen, set the tag, tick the probe (or another ``box`` of the
    confirmation), confirm, wait for the result."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("4", "b")
    await pilot.pause()
    pilot.app.screen.query_one("#tag").value = tag
    pilot.app.screen.query_one(f"#{box}").value = True
    await pilot.press("enter")
    deadline = time.monotonic() + 120
    while pilot.app.building or not pilot.app.screen.query_one("#build-result").display:
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)
    await pilot.pause()


def _probe_rows(app) -> list[list[str]]:
    table = app.screen.query_one("#probe-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def _summary(app) -> str:
    return str(app.screen.query_one("#result-summary").render())


def _outcome() -> BuildOutcome:
    probe = (
        ProbeResult("azure-mgmt-compute", True, "help vm list: exit 1: No module", 900, 25_000_000),
        ProbeResult("azure-mgmt-network", False, "", 1200, 30_000_000),
        ProbeResult("azure-mgmt-storage", False, "", 400, 14_000_000),
        ProbeResult("azure-batch", None, "not installed", 0, 0),
    )
    check = Check("help", "vm list", True, "help loads", 0.4)
    smoke = SmokeReport("sha256:" + "ab" * 32, True, (), (check,), None, (), probe, 3.0)
    result = BuildResult("sha256:" + "ab" * 32, "workbench/t:1", 12.0)
    return BuildOutcome(result=result, smoke=smoke, record={"estimate_bytes": None})


async def test_probe_checkbox_reaches_the_builder_and_fills_the_table(
    make_app, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    requests = []

    def builder(session, request, **kwargs):
        requests.append(request)
        return _outcome()

    app = make_app(builder=builder)
    async with app.run_test(size=SIZE) as pilot:
        await _build_with_probe(pilot)
        assert requests[0].probe and requests[0].smoke
        assert _probe_rows(app) == [
            ["azure-mgmt-compute", "yes", "25.0 MB", "help vm list: exit 1: No module"],
            ["azure-mgmt-network", "no", "30.0 MB", ""],
            ["azure-mgmt-storage", "no", "14.0 MB", ""],
            ["azure-batch", "not installed", "-", "not installed"],
        ]
        assert (
            "Probe 4 package(s): 1 needed, 2 dead weight (44.0 MB, 44,000,000 B), "
            "1 not installed" in _summary(app)
        )


async def test_no_probe_no_probe_table(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome = _outcome()
    outcome.smoke = SmokeReport("x", True, (), outcome.smoke.checks, None, (), (), 1.0)
    app = make_app(builder=lambda *a, **k: outcome)
    async with app.run_test(size=SIZE) as pilot:
        await _build_with_probe(pilot)
        assert not app.screen.query_one("#probe-table").display
        assert app.screen.query_one("#smoke-table").display and "Probe" not in _summary(app)


@pytest.mark.docker
async def test_real_probe_finds_the_needed_package_and_dead_weight(
    make_app, base_image, docker_client, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    tag = f"workbench-test/tui-probe:{time.time_ns()}"
    builder = plan_builder(
        f"FROM {base_image}\nCOPY site/ /usr/lib/python3/dist-packages/\nRUN {NEEDS_AZ}\n",
        files={**_dist("needme", ""), **_dist("spare", "#" * 50_000)},
        paths=(("group", "list"),),
        probe_packages=dict.fromkeys(("needme", "spare", "no-such-dist"), ()),
    )
    app = make_app(builder=builder)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _build_with_probe(pilot, tag)
            rows = {r[0]: r for r in _probe_rows(app)}
            assert rows["needme"][1] == "yes" and rows["needme"][3].startswith("group list")
            assert rows["spare"][1:3] == ["no", "50.1 kB"]
            assert rows["no-such-dist"][1:3] == ["not installed", "-"]
            summary = _summary(app)
            assert "Smoke pass  1/1 checks passed" in summary
            assert "Probe 3 package(s): 1 needed, 1 dead weight (" in summary
            assert "1 not installed" in summary
    finally:
        with contextlib.suppress(Exception):  # the build may not have made it
            docker_client.images.remove(tag, force=True)


def test_probe_result_snapshot(snap_compare, make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def builder(session, request, *, on_event, **kwargs):
        on_event(StepStarted(1, 1, "FROM python:3.12-alpine"))  # a full, still progress bar
        return _outcome()

    app = make_app(builder=builder)
    assert snap_compare(app, terminal_size=SIZE, run_before=_build_with_probe)


async def test_dead_weight_is_dropped_with_one_key_and_the_recipe_says_why(
    make_app, tmp_path, monkeypatch
):
    """After a probe, d on the Packages screen unchecks the checked packages nothing needed,
    says what it saved, and the saved recipe's [dropped] table records why."""
    from workbench.app.loader import session_recipe
    from workbench.core.recipe.recipe import Recipe

    monkeypatch.chdir(tmp_path)
    outcome = _outcome()
    probe = (
        ProbeResult("azure-mgmt-compute", False, "", 900, 25_000_000),  # checked: dropped
        ProbeResult("azure-mgmt-resource", True, "group list: exit 1", 50, 2_000_000),
        ProbeResult("azure-mgmt-network", False, "", 1200, 30_000_000),  # not checked
    )
    outcome.smoke = SmokeReport("x", True, (), outcome.smoke.checks, None, (), probe, 1.0)
    app = make_app(builder=lambda *a, **k: outcome)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        session = app.session
        assert app.screen.check_action("drop_dead_weight", ()) is False  # no probe yet
        await _build_with_probe(pilot)
        assert session.dead_weight == {"azure-mgmt-compute": 25_000_000}
        await pilot.press("1")  # the Packages screen
        await pilot.pause()
        assert "probe: 25.0 MB dead weight (d drops it)" in str(
            app.screen.query_one("#totals").render()
        )
        await pilot.press("d")
        await pilot.pause()
        assert "azure-mgmt-compute" not in session.checked
        assert "azure-mgmt-resource" in session.checked
        assert any("−25.0 MB" in n.message for n in app._notifications)
        assert app.screen.check_action("drop_dead_weight", ()) is False  # done: not offered
        recipe = session_recipe(session, tmp_path / "workbench.toml")
        assert "azure-mgmt-compute" not in [p.name for p in recipe.packages]
        why = recipe.dropped["azure-mgmt-compute"]
        assert why.startswith("dead weight: the probe of sha256:abababab")
        recipe.save()
        assert Recipe.load(tmp_path / "workbench.toml").dropped == recipe.dropped
        assert "[dropped]" in (tmp_path / "workbench.toml").read_text()
