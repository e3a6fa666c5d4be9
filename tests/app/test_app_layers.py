"""The Layers screen over the real layer analysis: archives built by the tests, one engine image.

The archive (sizes in bytes):
  layer 0 ADD   etc/os-release 100_000, etc/conf 200_000, usr/lib/libbig.so 2_000_000 (and a
                symlink etc/localtime, size 0)
  layer 1 COPY  data/blob 1_000_000
  layer 2 RUN   data/blob rewritten 1_500_000, etc/conf rewritten 250_000
  layer 3 RUN   data/blob deleted, app/new.py 300_000 added
Per path (sizes seen; removal = 0): data/blob 1.0M, 1.5M, 0; etc/conf 200k, 250k; the rest once.
  cumulative 5_350_000, minimum 2_600_000 -> efficiency 48.6 %
  honest waste 2_500_000 (blob) + 200_000 (old conf) = 2_700_000; dive's 2_500_000 + 450_000
  user bytes (layers 1..3) 3_050_000 -> user wasted 88.5 %
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from layer_archives import layer_tar, legacy_archive, oci_dir
from textual.color import Color

from workbench.app.screens.layers import SEARCH_DELAY, LayersScreen
from workbench.app.widgets.file_tree import EXPAND_ALL, FileTreeView
from workbench.app.widgets.layer_table import LayerTable, WasteTable
from workbench.core.engine import history
from workbench.core.layers import analysis as layers
from workbench.core.units import fmt_bytes

LAYERS = [
    [
        ("dir", "etc"),
        ("file", "etc/os-release", b"o" * 100_000),
        ("file", "etc/conf", b"c" * 200_000),
        ("symlink", "etc/localtime", "/usr/share/zoneinfo/UTC"),
        ("dir", "usr"),
        ("dir", "usr/lib"),
        ("file", "usr/lib/libbig.so", b"l" * 2_000_000),
    ],
    [("dir", "data"), ("file", "data/blob", b"1" * 1_000_000)],
    [("file", "data/blob", b"2" * 1_500_000), ("file", "etc/conf", b"C" * 250_000)],
    [("whiteout", "data/blob"), ("dir", "app"), ("file", "app/new.py", b"p" * 300_000)],
]
COMMANDS = [
    "/bin/sh -c #(nop) ADD file:base in / ",
    "COPY blob /data/blob # buildkit",
    "RUN /bin/sh -c rewrite # buildkit",
    "RUN /bin/sh -c rm /data/blob && write app # buildkit",
]
WASTED, WASTED_DIVE = 2_700_000, 2_950_000
COMPRESSION = ["gzip", "zstd", "plain", "gzip"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty folder: the default session's history (./.workbench) starts empty."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("layers") / "image.tar"
    path.write_bytes(legacy_archive([layer_tar(m) for m in LAYERS], COMMANDS))
    return path


async def settle(pilot, typed: bool = False) -> None:
    """Wait until no worker runs (an analysis starts a tree worker when it lands); after
    ``typed`` search text, first until the search starts."""
    if typed:
        await pilot.pause(SEARCH_DELAY + 0.05)
    for _ in range(50):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            return


async def open_layers(pilot, source=None) -> LayersScreen:
    await settle(pilot)
    await pilot.press("5")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, LayersScreen)
    if source is not None:
        screen.query_one("#layers-source").value = str(source)
        await pilot.press("enter")  # the chooser has the focus: no build in the history
        await settle(pilot)
    return screen


def text(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def tree_rows(screen) -> dict[str, str]:
    """path -> the mark letter shown at the start of its row."""
    view = screen.query_one(FileTreeView)
    return {node.path: view.line_text(i)[0] for i, (_, node) in enumerate(view.rows)}


async def test_archive_figures_layers_waste_and_marks(make_app, archive):
    app = make_app()
    async with app.run_test(size=(130, 32)) as pilot:
        screen = await open_layers(pilot, archive)
        summary = text(screen, "#layers-summary")
        assert f"{fmt_bytes(5_350_000)} in 4 layers" in summary
        assert "efficiency 48.6%" in summary  # 2_600_000 / 5_350_000
        assert f"wasted {fmt_bytes(WASTED)} (dive's figure {fmt_bytes(WASTED_DIVE)})" in summary
        assert "user wasted 88.5%" in summary  # 2_700_000 / 3_050_000
        table = screen.query_one(LayerTable)
        assert [[str(c).strip() for c in table.get_row_at(i)] for i in range(4)] == [
            ["0", "2.3 MB", "ADD file:base in /"],
            ["1", "1.0 MB", "COPY blob /data/blob"],
            ["2", "1.8 MB", "RUN rewrite"],
            ["3", "300.0 kB", "RUN rm /data/blob && write app"],
        ]
        assert table.cursor_row == 3  # the top layer is shown first
        waste = screen.query_one(WasteTable)
        assert [[str(c).strip() for c in waste.get_row_at(i)] for i in range(2)] == [
            ["3", "2.5 MB", "data/blob"],
            ["2", "200.0 kB", "etc/conf"],
        ]
        assert waste.row_count == 2
        assert "A 1 (300.0 kB) · M 0 · D 1 (1.5 MB)" in text(screen, "#layers-detail")
        # layer 3's own changes: the deleted blob and the added file, marked in text
        assert tree_rows(screen) == {"app": "A", "app/new.py": "A", "data": "M", "data/blob": "D"}
        view = screen.query_one(FileTreeView)
        assert "1.5 MB" in view.line_text(3) and view.line_text(3).endswith("blob")
        # ...and in colour, from the theme: the removed row is $error, the added one $success
        colours = {
            view.rows[i][1].mark: next(iter(view.render_line(i))).style.color for i in (1, 3)
        }
        theme = app.current_theme
        assert _near(colours["D"], theme.error) and _near(colours["A"], theme.success)
        waste.focus()
        await pilot.press("down", "enter")  # the tree shows where etc/conf is
        await settle(pilot, typed=True)
        assert screen.query_one("#layers-search").value == r"^etc/conf$"
        assert tree_rows(screen) == {} and screen.focused is view  # layer 3 leaves it alone
        assert "0 paths" in text(screen, "#layers-tree-title")
        await pilot.press("a")
        await settle(pilot)
        assert tree_rows(screen) == {"etc": "M", "etc/conf": "M"}


def _near(colour, hex_colour: str) -> bool:
    """A Rich colour equals a theme colour (Textual's blending may be off by one)."""
    want = Color.parse(hex_colour)
    got = colour.triplet
    return max(abs(got.red - want.r), abs(got.green - want.g), abs(got.blue - want.b)) <= 1


async def test_layer_choice_aggregated_kind_filters_search_and_sort(make_app, archive):
    app = make_app()
    async with app.run_test(size=(130, 32)) as pilot:
        screen = await open_layers(pilot, archive)
        await pilot.press("up")  # layer 2 rewrote both files
        await settle(pilot)
        assert tree_rows(screen) == {"data": "M", "data/blob": "M", "etc": "M", "etc/conf": "M"}
        assert "Changes of layer 2 · 4 paths" in text(screen, "#layers-tree-title")
        await pilot.press("down", "a")  # everything up to layer 3, against layer 0
        await settle(pilot)
        assert tree_rows(screen) == {
            "app": "A",
            "app/new.py": "A",
            "data": "A",
            "etc": "M",
            "etc/conf": "M",
            "etc/localtime": " ",
            "etc/os-release": " ",
            "usr": " ",
            "usr/lib": " ",
            "usr/lib/libbig.so": " ",
        }
        await pilot.press("U", "A")  # hide unchanged and added
        await settle(pilot)
        assert tree_rows(screen) == {"etc": "M", "etc/conf": "M"}
        assert "showing -MD-" in text(screen, "#layers-tree-title")
        await pilot.press("U", "A", "o")  # all kinds again, by size
        await settle(pilot)
        view = screen.query_one(FileTreeView)
        assert [n.name for d, n in view.rows if d == 0] == ["usr", "etc", "app", "data"]
        await pilot.press("slash", *"lib")
        await settle(pilot, typed=True)
        assert list(tree_rows(screen)) == ["usr", "usr/lib", "usr/lib/libbig.so"]
        await pilot.press("escape")
        await settle(pilot, typed=True)
        assert len(tree_rows(screen)) == 10 and screen.focused is view
        link = next(i for i, (_, n) in enumerate(view.rows) if n.name == "localtime")
        assert view.line_text(link).endswith("localtime → /usr/share/zoneinfo/UTC")
        assert view.current_path == "usr/lib/libbig.so"  # the cursor stayed on its path
        await pilot.click(view, offset=(5, 0))  # a click on another row moves the cursor...
        assert view.current_path == "usr" and len(view.rows) == 10
        await pilot.click(view, offset=(5, 0))  # ...one on the cursor row closes "usr"
        assert "libbig.so" not in [n.name for _, n in view.rows] and len(view.rows) == 8
        await pilot.press("a", "A", "M", "U")  # back to layer 3's own changes, removals only
        await settle(pilot)
        assert tree_rows(screen) == {"data": "M", "data/blob": "D"}


async def test_bad_search_is_one_line_in_place(make_app, archive):
    app = make_app()
    async with app.run_test(size=(130, 32)) as pilot:
        screen = await open_layers(pilot, archive)
        before = tree_rows(screen)
        await pilot.press("slash", "(")
        await settle(pilot, typed=True)
        error = screen.query_one("#layers-tree-error")
        assert error.display and text(screen, "#layers-tree-error").startswith("bad path filter")
        assert "\n" not in text(screen, "#layers-tree-error")
        assert tree_rows(screen) == before
        await pilot.press("backspace")
        await settle(pilot, typed=True)
        assert not error.display


async def test_no_build_asks_and_bad_sources_show_one_line(make_app, in_tmp):
    app = make_app()
    async with app.run_test(size=(130, 32)) as pilot:
        screen = await open_layers(pilot)
        assert "No build of this recipe yet" in text(screen, "#layers-notice")
        assert screen.focused is screen.query_one("#layers-source")
        notice = screen.query_one("#layers-notice")
        (in_tmp / "garbage.tar").write_bytes(b"this is not a tar archive" * 40)
        for source, reason in [
            ("missing/image.tar", "no such file"),
            ("garbage.tar", "unreadable image archive"),
        ]:
            screen.query_one("#layers-source").value = source
            await pilot.press("enter")
            await settle(pilot)
            said = text(screen, "#layers-notice")
            assert notice.has_class("-error") and reason in said and "\n" not in said
            assert said.startswith(f"Could not analyse {source}: ")
            assert not screen.query_one("#layers-body").display
        oci = oci_dir(in_tmp / "oci", [layer_tar(m) for m in LAYERS], COMMANDS, COMPRESSION)
        screen.query_one("#layers-source").value = str(oci)  # an OCI layout directory
        await pilot.press("enter")
        await settle(pilot)
        assert not notice.display and screen.query_one("#layers-body").display
        summary = text(screen, "#layers-summary")
        assert "efficiency 48.6%" in summary and f"wasted {fmt_bytes(WASTED)}" in summary


async def test_opens_the_last_build_of_the_recipe(make_app, archive, in_tmp):
    recipe = in_tmp / "workbench.toml"  # where the embedded default session's recipe would go
    history.append_record(recipe, history.new_record(status="ok", tag="old:1", image_id="x"))
    record = history.new_record(status="ok", tag=str(archive), image_id="sha256:abc")
    history.append_record(recipe, record)
    app = make_app()
    async with app.run_test(size=(130, 32)) as pilot:
        screen = await open_layers(pilot)
        assert screen.query_one("#layers-source").value == str(archive)
        assert f"wasted {fmt_bytes(WASTED)}" in text(screen, "#layers-summary")
        assert screen.focused is screen.query_one(LayerTable)
        newer = in_tmp / "newer.tar"  # a later build (e.g. from the Build screen)
        newer.write_bytes(legacy_archive([layer_tar(m) for m in LAYERS[:2]], COMMANDS[:2]))
        record = history.new_record(status="ok", tag=str(newer), image_id="sha256:def")
        history.append_record(recipe, record)
        await pilot.press("1", "5")
        await settle(pilot)
        assert screen.query_one("#layers-source").value == str(newer)
        assert "3.3 MB in 2 layers" in text(screen, "#layers-summary")
        await pilot.press("i")  # the user's own choice...
        screen.query_one("#layers-source").value = str(archive)
        await pilot.press("enter")
        await settle(pilot)
        history.append_record(recipe, history.new_record(status="ok", tag="x", image_id="y"))
        await pilot.press("1", "5")
        await settle(pilot)
        assert screen.source == str(archive)  # ...stays
        assert "5.3 MB in 4 layers" in text(screen, "#layers-summary")


def _big_archive(path, dirs: int, files: int):
    """One layer with ``dirs`` x ``files`` empty files under srv/, then one that changes one."""
    members = [("dir", "srv")]
    for d in range(dirs):
        members.append(("dir", f"srv/d{d:03}"))
        members += [("file", f"srv/d{d:03}/f{f:03}.py", b"") for f in range(files)]
    top = [("file", "srv/d000/f000.py", b"changed")]
    path.write_bytes(legacy_archive([layer_tar(members), layer_tar(top)], ["ADD big", "RUN x"]))
    return path


async def test_big_tree_opens_lazily_and_stays_fast(make_app, in_tmp, monkeypatch):
    archive = _big_archive(in_tmp / "big.tar", 250, 200)  # 50_251 paths
    gate = threading.Event()  # holds the (real) analysis until the keys below are handled
    analyze_image = layers.analyze_image
    monkeypatch.setattr(
        layers, "analyze_image", lambda *args: gate.wait(10) and analyze_image(*args)
    )
    app = make_app()
    async with app.run_test(size=(130, 32)) as pilot:
        screen = await open_layers(pilot)
        screen.query_one("#layers-source").value = str(archive)
        await pilot.press("enter", *"typing")  # keys keep working while the analysis runs
        assert any(w.is_running and w.group == "layers-analysis" for w in app.workers)
        gate.set()
        assert text(screen, "#layers-notice").startswith("Analysing ")
        assert screen.query_one("#layers-progress").has_class("-shown")
        assert screen.query_one("#layers-source").value == f"{archive}typing"
        await settle(pilot)
        bar = screen.query_one("#layers-progress")
        assert bar.progress == bar.total == archive.stat().st_size  # streamed to the end
        assert not bar.has_class("-shown")
        await pilot.press("a")  # aggregated: all 50k paths
        await settle(pilot)
        view = screen.query_one(FileTreeView)
        assert view.file_tree.count == 50_251 > EXPAND_ALL
        assert [n.path for _, n in view.rows] == ["srv"]  # one level at a time
        view.focus()
        await pilot.press("enter")  # open srv: its 250 directories, still closed
        assert len(view.rows) == 251
        await pilot.press("down", "enter")  # open srv/d000: its 200 files
        assert len(view.rows) == 451
        await pilot.press("end", "pageup", "pagedown")
        assert view.current_path == "srv/d249"
        marks = tree_rows(screen)  # aggregated: layers 0..1 against layer 0
        assert (marks["srv"], marks["srv/d000/f000.py"], marks["srv/d000/f001.py"]) == (
            ("M", "M", " ")
        )
        # the UI-thread work of a key: open a directory and render a screenful of lines
        view.cursor_row = view.rows.index(next(r for r in view.rows if r[1].path == "srv/d100"))
        started = time.perf_counter()
        view.action_toggle()
        lines = [view.render_line(y) for y in range(view.size.height)]
        elapsed = time.perf_counter() - started
        assert len(view.rows) == 651 and len(lines) == view.size.height
        assert elapsed < 0.016, f"open + one frame on a 50k-path tree took {elapsed:.4f}s"
        await pilot.press("a")  # layer 1's own change: small, opened fully
        await settle(pilot)
        assert tree_rows(screen) == {"srv": "M", "srv/d000": "M", "srv/d000/f000.py": "M"}


def test_layers_snapshot(snap_compare, make_app, archive, in_tmp):
    (in_tmp / "image.tar").write_bytes(archive.read_bytes())

    async def run_before(pilot) -> None:
        await open_layers(pilot, "image.tar")
        await pilot.press("a")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(130, 32), run_before=run_before)


MB1 = 1_000_000
DOCKER_TAG = "workbench-test/layers-screen:latest"


@pytest.fixture(scope="module")
def engine_image(docker_client, base_image, tmp_path_factory):
    """A 1 MB file added by one layer and deleted by the next, on the Debian base."""
    ctx = tmp_path_factory.mktemp("ctx")
    (ctx / "one.bin").write_bytes(random.Random(7).randbytes(MB1))
    (ctx / "Dockerfile").write_text(
        f"FROM {base_image}\nCOPY one.bin /data/one.bin\nRUN rm /data/one.bin\n"
    )
    docker_client.images.build(path=str(ctx), tag=DOCKER_TAG, rm=True, forcerm=True)
    yield DOCKER_TAG
    docker_client.images.remove(DOCKER_TAG, force=True)


@pytest.mark.docker
async def test_engine_image_added_then_deleted(make_app, engine_image):
    app = make_app()
    async with app.run_test(size=(130, 32)) as pilot:
        screen = await open_layers(pilot, engine_image)
        analysis = screen.analysis
        assert [layer.size_bytes for layer in analysis.layers[-2:]] == [MB1, 0]
        base = analysis.size_bytes - MB1
        summary = text(screen, "#layers-summary")
        assert f"efficiency {base / (base + MB1):.1%}" in summary
        assert f"wasted {fmt_bytes(MB1)} (dive's figure {fmt_bytes(MB1)})" in summary
        waste = screen.query_one(WasteTable)
        assert [str(c).strip() for c in waste.get_row_at(0)] == ["2", "1.0 MB", "data/one.bin"]
        table = screen.query_one(LayerTable)
        assert str(table.get_row_at(table.row_count - 1)[2]) == "RUN rm /data/one.bin"
        assert tree_rows(screen) == {"data": "M", "data/one.bin": "D"}
