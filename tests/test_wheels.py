"""Range reads of real wheels over a real local HTTP server, and the sha256-keyed cache."""

import hashlib
import os

import pytest

from tests.support.wheels import WheelServer, build_wheel
from workbench.core import cache
from workbench.core.errors import WorkbenchError
from workbench.core.sizes.wheels import TAIL_BYTES, fetch_wheel, wheel_info


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _big_wheel(directory):
    """A wheel whose local members sit far before the tail, so METADATA needs a second range."""
    files = {f"pkg/mod{i}.py": b"x = '%s'\n" % os.urandom(6000).hex().encode() for i in range(40)}
    return build_wheel(
        directory,
        "big-pkg",
        "1.0",
        files,
        requires=["six>=1.0"],
        entry_points="[console_scripts]\nbig = pkg.mod0:main\n",
    )


def test_range_reads_fetch_only_the_tail_and_metadata(tmp_path):
    wheel = _big_wheel(tmp_path)
    assert wheel.stat().st_size > 3 * TAIL_BYTES
    with WheelServer(tmp_path) as server:
        info, cached = wheel_info(server.url(wheel.name), _sha(wheel))
        ranges = [r for _, r in server.requests]
    assert not cached
    assert ranges[0] == f"bytes=-{TAIL_BYTES}"
    assert all(r and r.startswith("bytes=") for r in ranges)
    assert len(ranges) <= 3
    assert info.entries["pkg/mod3.py"] == len("x = ''\n") + 12000
    assert "Requires-Dist: six>=1.0" in info.metadata
    assert "big = pkg.mod0:main" in info.entry_points


def test_server_without_ranges_falls_back_to_whole_file(tmp_path):
    wheel = _big_wheel(tmp_path)
    with WheelServer(tmp_path, honour_ranges=False) as server:
        info, _ = wheel_info(server.url(wheel.name), _sha(wheel))
        assert len(server.requests) == 1
    assert len(info.entries) == 40 + 4  # + METADATA, WHEEL, entry_points.txt, RECORD


def test_second_read_comes_from_cache_and_corruption_is_refetched(tmp_path):
    wheel = _big_wheel(tmp_path)
    sha = _sha(wheel)
    with WheelServer(tmp_path) as server:
        first, _ = wheel_info(server.url(wheel.name), sha)
        count = len(server.requests)
        again, cached = wheel_info(server.url(wheel.name), sha)
        assert cached and again == first and len(server.requests) == count
        entry = next((cache.cache_dir() / "wheel-info-v1").rglob(f"{sha}.json"))
        entry.write_bytes(entry.read_bytes().replace(b"mod3", b"modX"))
        healed, cached = wheel_info(server.url(wheel.name), sha)
        assert not cached and healed == first and len(server.requests) > count


def test_malformed_wheel_and_missing_file_are_one_line_errors(tmp_path):
    (tmp_path / "bad-1.0-py3-none-any.whl").write_bytes(b"not a zip at all" * 100)
    with WheelServer(tmp_path) as server:
        with pytest.raises(WorkbenchError, match="malformed wheel bad-1.0"):
            wheel_info(server.url("bad-1.0-py3-none-any.whl"), "0" * 64)
        with pytest.raises(WorkbenchError, match="HTTP 404"):
            wheel_info(server.url("gone-1.0-py3-none-any.whl"), "1" * 64)


def test_fetch_wheel_verifies_sha256_and_caches(tmp_path):
    wheel = build_wheel(tmp_path, "small", "1.0", {"small/__init__.py": b"x = 1\n"})
    with WheelServer(tmp_path) as server:
        path = fetch_wheel(server.url(wheel.name), _sha(wheel))
        assert path.read_bytes() == wheel.read_bytes()
        fetch_wheel(server.url(wheel.name), _sha(wheel))
        assert len(server.requests) == 1
        with pytest.raises(WorkbenchError, match="does not match its sha256"):
            fetch_wheel(server.url(wheel.name), "f" * 64)
