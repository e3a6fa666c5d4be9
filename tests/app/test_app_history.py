"""History screen: real history records (``core.history.append_record``, shaped like
``core.pipeline`` writes them) read in a worker; table, chart, compare, refresh, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from workbench.app.compare import layer_changes, package_changes
from workbench.app.widgets.size_chart import bar_cells
from workbench.core.engine.history import append_record, history_path, new_record

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "apt-testbase-venv-ca.Dockerfile"
BASE = "workbench-test/debian-python:bookworm"
SIZE = (130, 34)


PACKAGES = {
    "azure-cli": "2.91.0",
    "azure-cli-core": "2.91.0",
    "azure-common": "1.1.28",
    "azure-mgmt-compute": "34.1.0",
    "azure-mgmt-monitor": "7.0.0",
    "azure-mgmt-resource": "24.0.0",
    "semver": "3.0.4",
}
SETTINGS = {
    "base image": BASE,
    "python": "3.11",
    "install mode": "venv",
    "trims": "no-compile, prune-modules, prune-aaz, trim-api-versions, drop-pip",
    "azure-cli": "2.91.0",
}


def record(n: int, *, dockerfile: str | None = None, **fields) -> dict:
    """A successful build record like ``pipeline._record`` makes, with a fixed time."""
    added = 70_000_000 - n * 10_000_000
    data = new_record(
        packages=PACKAGES,
        settings=SETTINGS,
        status="ok",
        recipe_hash="sha256:" + "0" * 64,
        dockerfile=dockerfile or GOLDEN.read_text(),
        target={"python": "3.11", "libc": "glibc", "arch": "x86_64"},
        base_image=BASE,
        tag=f"workbench/tag-disks:try-{n}",
        image_id="sha256:" + f"{n}" * 64,
        estimate_bytes=60_000_000,
        size_bytes=190_000_000 + added,
        base_size_bytes=190_000_000,
        added_bytes=added,
        python_layer_bytes=added - 1_000_000,
        layers=[
            {"size_bytes": 1_000_000, "command": "RUN : && apt-get update"},
            {"size_bytes": added - 1_000_000, "command": "COPY dir:abc in /opt/az"},
            {"size_bytes": 0, "command": "WORKDIR /scripts"},
        ],
        comparison={
            "estimate_bytes": 60_000_000,
            "actual_bytes": 61_000_000,
            "difference_bytes": 1_000_000,
            "difference_ratio": 1 / 60,
            "explanation": ["site-packages measured 61.0 MB vs estimate 60.0 MB"],
        },
        smoke={"passed": True, "commands": [{"path": "disk list", "ok": True, "detail": "ok"}]},
        durations={"build_s": 30.0, "total_s": 41.5},
        failure=None,
    )
    data.update(time=f"2026-11-30T10:0{n}:00Z", epoch=1_796_000_000 + n, **fields)
    return data


def second(n: int, **fields) -> dict:
    """Build ``n`` with one package dropped, one re-pinned and multistage mode."""
    packages = {k: v for k, v in PACKAGES.items() if k != "azure-mgmt-monitor"}
    packages["semver"] = "3.0.5"
    settings = {**SETTINGS, "install mode": "multistage"}
    return record(n, packages=packages, settings=settings, **fields)


def failed(n: int) -> dict:
    line = "step 2/2 (RUN exit 3): command failed with exit code 3"
    return record(
        n,
        status="failed",
        image_id=None,
        size_bytes=None,
        base_size_bytes=None,
        added_bytes=None,
        python_layer_bytes=None,
        layers=[],
        comparison=None,
        smoke=None,
        failure={"kind": "step", "line": line, "step": 2, "command": "RUN exit 3"},
    )


@pytest.fixture
def recipe(tmp_path, monkeypatch) -> Path:
    """The embedded default's recipe path (./workbench.toml) in a fresh directory, with three
    builds: two images (the second smaller, other packages) and one failure."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "workbench.toml"
    append_record(path, record(1))
    append_record(path, second(2, smoke={"passed": False}))
    append_record(path, failed(3))
    return path


async def _history(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("6")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _row(table: DataTable, n: int) -> list[str]:
    return [str(cell) for cell in table.get_row_at(n)]


async def test_table_and_chart_show_each_build(make_app, recipe):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _history(pilot)
        table = app.screen.query_one("#history-table", DataTable)
        assert table.row_count == 3
        first, second, third = (_row(table, n) for n in range(3))
        assert first[1:7] == [
            "1",
            "2026-11-30 10:01",
            "ok",
            "workbench/tag-disks:try-1",
            "250.0 MB",
            "+60.0 MB",
        ]
        assert first[7:] == ["60.0 MB", "61.0 MB", "+1.0 MB +1.7%", "pass"]
        assert second[5] == "240.0 MB" and second[-1] == "FAIL"
        assert third[3] == "failed" and third[5] == "-" and third[-1] == "-"
        chart = str(app.screen.query_one("#size-chart").render())
        assert "#1 ░" in chart and "250.0 MB +60.0 MB" in chart and "240.0 MB +50.0 MB" in chart
        assert "#3 no image: step 2/2 (RUN exit 3)" in chart
        summary = str(app.screen.query_one("#history-summary").render())
        assert summary == "3 build(s) of workbench.toml · 2 with an image · smallest #2 (240.0 MB)"


async def test_compare_two_marked_builds(make_app, recipe):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _history(pilot)
        await pilot.press("space", "down", "space", "c")
        await pilot.pause()
        text = str(app.screen.query_one("#compare").render())
    assert "#1 → #2   size 250.0 MB → 240.0 MB (−10.0 MB)" in text
    assert "M install mode: venv → multistage" in text
    assert "Packages (2 differ)" in text
    assert "D azure-mgmt-monitor 7.0.0" in text and "M semver 3.0.4 → 3.0.5" in text
    assert "Layers (1 differ)" in text and "59.0 MB → 49.0 MB  COPY dir:abc in /opt/az" in text


async def test_mouse_marks_a_row_by_clicking_it_twice(make_app, recipe):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _history(pilot)
        table = app.screen.query_one("#history-table", DataTable)
        await pilot.click("#history-table", offset=(10, 2))  # header, row 1, row 2
        await pilot.pause()
        assert table.cursor_row == 1 and _row(table, 1)[0] == ""
        await pilot.click("#history-table", offset=(10, 2))
        await pilot.pause()
        assert _row(table, 1)[0] == "*" and _row(table, 0)[0] == ""


async def test_compare_without_marks_uses_the_build_before(make_app, recipe):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _history(pilot)
        await pilot.press("c")  # first row: nothing before it
        await pilot.pause()
        assert "Mark two builds" in str(app.screen.query_one("#compare").render())
        await pilot.press("down", "down", "c")  # the failure against #2
        await pilot.pause()
        text = str(app.screen.query_one("#compare").render())
        assert text.startswith("#2 → #3   size 240.0 MB → -")
        assert "Layers (3 differ)" in text
        await pilot.press("escape")
        await pilot.pause()
        assert "Mark two builds" in str(app.screen.query_one("#compare").render())


async def test_refreshes_after_a_build_finishes(make_app, recipe):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _history(pilot)
        append_record(recipe, record(4))
        app.build_finished.publish(None)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#history-table", DataTable)
        assert table.row_count == 4 and _row(table, 3)[5] == "220.0 MB"


async def test_no_builds_yet_says_so_in_place(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _history(pilot)
        notice = app.screen.query_one("#notice")
        assert notice.display
        assert str(notice.render()).startswith("No builds of workbench.toml yet")
        assert app.screen.query_one("#history-table", DataTable).row_count == 0


async def test_unreadable_history_is_one_line_in_place(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    history_path(tmp_path / "workbench.toml").mkdir(parents=True)  # a directory, not a file
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _history(pilot)
        text = str(app.screen.query_one("#notice").render())
        assert text.startswith("Could not read the history of workbench.toml:")
        assert "\n" not in text and "Traceback" not in text
        await pilot.press("1")  # the app keeps working
        await pilot.pause()
        assert app.current_mode == "packages"


def test_package_changes_read_the_recorded_packages():
    got = [(c.mark, c.name, c.before, c.after) for c in package_changes(record(1), second(2))]
    assert got == [("D", "azure-mgmt-monitor", "7.0.0", ""), ("M", "semver", "3.0.4", "3.0.5")]
    assert package_changes({"dockerfile": "FROM x\n"}, record(1)) is None  # not recorded


def test_layer_changes_marks():
    a = {"layers": [{"command": "RUN a", "size_bytes": 5}, {"command": "RUN b", "size_bytes": 7}]}
    b = {"layers": [{"command": "RUN a", "size_bytes": 6}, {"command": "COPY c", "size_bytes": 2}]}
    got = [(c.mark, c.command, c.before, c.after, c.delta) for c in layer_changes(a, b)]
    assert got == [("M", "RUN a", 5, 6, 1), ("M", "COPY c", 7, 2, -5)]
    got = [(c.mark, c.command) for c in layer_changes(a, {"layers": a["layers"][:1]})]
    assert got == [("D", "RUN b")]


def test_bars_keep_an_added_cell_and_scale_to_the_largest():
    assert bar_cells(190, 200, 200, 20) == (19, 1)
    assert bar_cells(190, 191, 200, 20) == (18, 1)  # tiny addition still visible
    assert bar_cells(100, 100, 200, 20) == (10, 0)
    assert bar_cells(0, 0, 0, 20) == (0, 0)


def test_history_snapshot(snap_compare, make_app, recipe):
    async def run_before(pilot) -> None:
        await _history(pilot)
        await pilot.press("space", "down", "space", "c")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=run_before)
