"""Layer metrics, file trees and the ``workbench layers`` CLI on archives the tests build.

The scenario (tests/layer_archives.py), sizes in bytes:
  layer 0 adds etc/a 100, etc/link, etc/hl (hardlink to etc/a), data/big 1000, keep/f1 10,
          keep/f2 20, keep2/g 50 and an empty file with a long PAX name      -> size 1180
  layer 1 overwrites data/big (new content), re-adds etc/a and keep2/g unchanged, deletes
          keep/f1 (whiteout), adds new/n 5                                  -> size 1155
  layer 2 deletes data/big, makes keep opaque (keep/f2 gone) adding keep/f3 7, deletes the
          directory etc (whiteout)                                          -> size 7
Per path (sizes seen; removal = 0): etc/a 100,100,0  data/big 1000,1000,0  keep/f1 10,0
  keep/f2 20,0  keep2/g 50,50  keep/f3 7  new/n 5  (links and the empty file: 0)
  cumulative 2342, minimum 62 -> efficiency 62/2342
  honest waste = cumulative - kept copy = 200 + 2000 + 10 + 20 + 50 = 2280
  dive's waste = cumulative of paths seen twice or more = 200 + 2000 + 10 + 20 + 100 = 2330
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from layer_archives import COMMANDS, LONG, legacy_archive, oci_archive, scenario_layers

from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.layers.analysis import analyze_image, clean_command

EFFICIENCY = 62 / 2342
WASTED, WASTED_DIVE = 2280, 2330


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("img") / "image.tar"
    path.write_bytes(legacy_archive(scenario_layers(), COMMANDS))
    return path


@pytest.fixture(scope="module")
def analysis(archive):
    return analyze_image(str(archive))


def test_image_metrics(analysis):
    assert analysis.size_bytes == 1180 + 1155 + 7
    assert analysis.efficiency == pytest.approx(EFFICIENCY, rel=1e-12)
    assert analysis.wasted_bytes == WASTED
    assert analysis.wasted_bytes_dive == WASTED_DIVE
    assert analysis.user_size_bytes == 1162
    assert analysis.user_wasted_percent == pytest.approx(WASTED / 1162)
    assert [(w.path, w.count, w.wasted) for w in analysis.inefficient] == [
        ("data/big", 3, 2000),
        ("etc/a", 3, 200),
        ("keep2/g", 2, 50),
        ("keep/f2", 2, 20),
        ("keep/f1", 2, 10),
    ]


def test_layer_changes_and_commands(analysis):
    rows = [
        (
            layer.size_bytes,
            layer.command,
            layer.changes.added,
            layer.changes.modified,
            layer.changes.removed,
            layer.changes.unchanged,
            layer.changes.removed_bytes,
        )
        for layer in analysis.layers
    ]
    assert rows == [
        (1180, "ADD file:abc in /", 8, 0, 0, 0, 0),
        (1155, "RUN echo y > /data/big", 1, 1, 1, 2, 10),
        (7, "RUN rm -rf /data/big /etc", 1, 0, 5, 0, 1120),
    ]
    assert analysis.layers[1].digest.startswith("sha256:")


def test_oci_archive_with_compressed_layers_gives_the_same_analysis(tmp_path, analysis):
    path = tmp_path / "oci.tar"
    path.write_bytes(oci_archive(scenario_layers(), COMMANDS, ["gzip", "zstd", "plain"]))
    other = analyze_image(str(path)).to_json()
    mine = analysis.to_json()
    other["image"]["name"] = mine["image"]["name"]
    assert other == mine


def _flat(tree):
    return {node.path: (node.mark, node.size) for _, node in tree.walk()}


def test_per_layer_tree_marks_and_sizes(analysis):
    tree = analysis.tree(1)
    assert _flat(tree) == {
        "data": ("M", 1000),  # not in the layer tar: shown as an ancestor, holds a change
        "data/big": ("M", 1000),
        "etc": ("U", 100),
        "etc/a": ("U", 100),
        "keep": ("M", 0),  # removed children do not count toward a directory's size
        "keep/f1": ("D", 10),
        "keep2": ("U", 50),
        "keep2/g": ("U", 50),
        "new": ("A", 5),
        "new/n": ("A", 5),
    }
    assert tree.root.size == analysis.layers[1].size_bytes
    by_size = [n.name for n in analysis.tree(1, sort="size").root.children]
    assert by_size == ["data", "etc", "keep2", "new", "keep"]
    assert analysis.tree(0).find(LONG).kind == "file"


def test_aggregated_tree_and_filters(analysis):
    tree = analysis.tree(2, aggregated=True)
    flat = _flat(tree)
    assert flat["etc"][0] == flat["etc/a"][0] == flat["etc/hl"][0] == "D"
    assert flat["data/big"] == ("D", 1000) and flat["keep/f3"] == ("A", 7)
    assert flat["keep2/g"] == ("U", 50) and flat["new/n"] == ("A", 5)
    assert tree.root.size == 62  # what the final image holds
    by_size = [n.name for n in analysis.tree(2, True, sort="size").root.children]
    assert by_size[:3] == ["etc", "keep2", "keep"]  # a removed directory keeps its size
    filtered = analysis.tree(2, aggregated=True, pattern=r"^keep/", changes={"D"})
    assert _flat(filtered) == {"keep": ("M", 0), "keep/f1": ("D", 10), "keep/f2": ("D", 20)}
    assert [n.path for _, n in tree.walk(collapsed={"etc", "data", "keep", "keep2", "new"})][
        :3
    ] == ["data", "etc", "keep"]
    assert analysis.tree(0, aggregated=True).root.mark == "U"
    with pytest.raises(WorkbenchError, match="bad path filter"):
        analysis.tree(1, pattern="(")
    with pytest.raises(WorkbenchError, match="unknown sort"):
        analysis.tree(1, sort="date")
    with pytest.raises(WorkbenchError, match="does not exist"):
        analysis.tree(3)


def test_clean_command():
    assert clean_command('/bin/sh -c #(nop)  CMD ["sh"]') == 'CMD ["sh"]'
    assert clean_command("|1 X=1 /bin/sh -c make") == "RUN make"
    assert clean_command("COPY a /b # buildkit") == "COPY a /b"


def test_cli_human_output(archive, capsys):
    assert main(["layers", str(archive)]) == 0
    out = capsys.readouterr().out
    assert f"{EFFICIENCY * 100:.2f} %" in out
    assert "2.3 kB (2,280 bytes" in out and "2.3 kB (dive's figure" in out
    assert "/data/big" in out and "RUN rm -rf /data/big /etc" in out


def test_cli_json_file_follows_the_contract(archive, tmp_path, capsys):
    out = tmp_path / "report.json"
    out.write_text("old")
    assert main(["layers", str(archive), "--json", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert (tmp_path / "report.json.bak").read_text() == "old"
    doc = json.loads(out.read_text())
    image_keys = {"size_bytes", "efficiency", "wasted_bytes", "wasted_bytes_dive"}
    assert image_keys | {"user_wasted_percent"} <= set(doc["image"])
    assert doc["image"]["wasted_bytes"] == WASTED
    assert doc["image"]["wasted_bytes_dive"] == WASTED_DIVE
    layer_keys = {"index", "digest", "size_bytes", "command", "added", "modified", "removed"}
    assert all(layer_keys <= set(layer) for layer in doc["layers"])
    assert [layer["size_bytes"] for layer in doc["layers"]] == [1180, 1155, 7]
    assert doc["inefficient_files"][0] == {"path": "data/big", "count": 3, "wasted_bytes": 2000}


def test_cli_json_stdout_is_pure(archive, capsys):
    assert main(["layers", str(archive), "--json", "-", "--ci", "--lowest-efficiency", "0"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["image"]["efficiency"] == pytest.approx(EFFICIENCY)
    assert "FAIL highestUserWastedPercent" in captured.err


def test_ci_defaults_fail(archive, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["layers", str(archive), "--ci"]) == 1
    out = capsys.readouterr().out
    assert "FAIL lowestEfficiency" in out and "SKIP highestWastedBytes" in out
    assert out.rstrip().endswith("FAIL [fail:2 skip:1]")


def test_ci_flags_pass(archive, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["layers", str(archive), "--ci", "--lowest-efficiency", "0.02"]
    argv += ["--highest-wasted-bytes", "2.28KB", "--highest-user-wasted-percent", "off"]
    assert main(argv) == 0  # 2280 > 2280 is false: dive's comparisons are strict
    out = capsys.readouterr().out
    assert "PASS highestWastedBytes" in out and "SKIP highestUserWastedPercent" in out
    assert out.rstrip().endswith("PASS [pass:2 skip:1]")


def test_dive_ci_file_in_cwd(archive, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".dive-ci").write_text(
        "rules:\n  lowestEfficiency: 0.02\n  highestWastedBytes: 2KB\n"
        "  highestUserWastedPercent: disabled\n"
    )
    assert main(["layers", str(archive), "--ci"]) == 1
    out = capsys.readouterr().out
    assert "FAIL highestWastedBytes (wasted-bytes=2280 threshold=2000)" in out
    assert "PASS lowestEfficiency" in out
    # a flag beats the file
    assert main(["layers", str(archive), "--ci", "--highest-wasted-bytes", "1MiB"]) == 0


def test_ci_bad_threshold_is_bad_input(archive, capsys, tmp_path):
    config = tmp_path / "rules.yaml"
    config.write_text("rules:\n  lowestEfficiency: 2\n")
    assert main(["layers", str(archive), "--ci", "--ci-config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "outside 0..1" in err


@pytest.mark.parametrize("case", ["truncated", "not-tar", "no-manifest"])
def test_bad_archive_through_the_cli_is_one_line(tmp_path, case):
    full = legacy_archive(scenario_layers(), COMMANDS)
    data = {
        "truncated": full[: len(full) // 2],
        "not-tar": b"\x89PNG\r\n" + b"\0" * 2000,
        "no-manifest": legacy_archive(scenario_layers(), COMMANDS, manifest=False),
    }[case]
    path = tmp_path / f"{case}.tar"
    path.write_bytes(data)
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "layers", str(path)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"workbench layers: error: {path}")
