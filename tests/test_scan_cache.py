"""The scan's result cache: a hit serves the stored result, changed bytes (of the script or of
a script it sources) are a miss, a corrupt entry is scanned again without a traceback."""

from __future__ import annotations

import dataclasses
import gc

import orjson
import pytest

from workbench.core import cache
from workbench.core.scan import memo
from workbench.core.scan.scanner import scan_file, scan_files

SCRIPT = "#!/bin/bash\naz group list\n"


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def entries(cache_dir):
    return sorted((cache_dir / memo.KIND).glob("*/*.bin"))


def test_a_second_scan_of_the_same_bytes_is_served_from_the_cache(tmp_path, cache_dir):
    script = tmp_path / "deploy.sh"
    script.write_text(SCRIPT)
    first = scan_file(script)
    [entry] = entries(cache_dir)
    key = entry.stem
    # Rewrite the stored entry (with a valid digest): a hit must return what is stored.
    stored = orjson.loads(cache.get_bytes(memo.KIND, key) or b"")
    stored["result"]["calls"][0]["line"] = 99
    cache.put_bytes(memo.KIND, key, orjson.dumps(stored))
    again = scan_file(script)
    assert [c.line for c in first.calls] == [2]
    assert [c.line for c in again.calls] == [99]
    assert again.calls[0] == dataclasses.replace(first.calls[0], line=99)


def test_changed_bytes_are_a_miss(tmp_path, cache_dir):
    script = tmp_path / "deploy.sh"
    script.write_text(SCRIPT)
    assert [c.words for c in scan_file(script).calls] == [("group", "list")]
    script.write_text(SCRIPT + "az vm list\n")
    assert [c.words for c in scan_file(script).calls] == [("group", "list"), ("vm", "list")]
    assert len(entries(cache_dir)) == 2


def test_a_changed_or_new_sourced_script_is_a_miss(tmp_path):
    script = tmp_path / "deploy.sh"
    script.write_text("#!/bin/bash\nsource ./lib.sh\nmake_rg\n")
    missing = scan_file(script)
    assert not missing.calls and "not found" in missing.unresolved[0].reason
    lib = tmp_path / "lib.sh"
    lib.write_text("make_rg() { az group create -n rg; }\n")
    assert [c.words for c in scan_file(script).calls] == [("group", "create")]
    lib.write_text("make_rg() { az vm create -n vm; }\n")
    assert [c.words for c in scan_file(script).calls] == [("vm", "create")]


@pytest.mark.parametrize(
    "damage",
    [
        lambda body: body[:-7],  # cut short: its digest no longer matches
        lambda body: b"not a cache entry",
        lambda body: b"",
    ],
)
def test_a_corrupt_entry_is_scanned_again(tmp_path, cache_dir, damage):
    script = tmp_path / "deploy.sh"
    script.write_text(SCRIPT)
    first = scan_file(script)
    [entry] = entries(cache_dir)
    entry.write_bytes(damage(entry.read_bytes()))
    assert scan_file(script) == first
    assert scan_file(script) == first  # stored again, whole


def test_an_entry_of_another_shape_is_scanned_again(tmp_path, cache_dir):
    script = tmp_path / "deploy.sh"
    script.write_text(SCRIPT)
    first = scan_file(script)
    [entry] = entries(cache_dir)
    cache.put_bytes(memo.KIND, entry.stem, orjson.dumps({"result": {"calls": [{"file": 1}]}}))
    assert scan_file(script) == first


def test_an_unwritable_cache_still_scans(tmp_path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(blocked))
    script = tmp_path / "deploy.sh"
    script.write_text(SCRIPT)
    assert [c.words for c in scan_file(script).calls] == [("group", "list")]


def test_scans_at_once_leave_the_cycle_collector_as_it_was(tmp_path):
    scripts = []
    for n in range(6):
        scripts.append(tmp_path / f"s{n}.sh")
        scripts[-1].write_text(SCRIPT * (n + 1))
    assert gc.isenabled()
    results = scan_files(scripts)
    assert gc.isenabled()
    assert [len(r.calls) for r in results] == [1, 2, 3, 4, 5, 6]
    gc.disable()
    try:
        scan_files(scripts)
        assert not gc.isenabled()
    finally:
        gc.enable()
