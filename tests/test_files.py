"""The one atomic write and the one exception-as-one-line helper."""

from __future__ import annotations

import os
import stat

import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.files import ChangedOnDisk, Stamp, one_line, same_file, write_atomic


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_file_gets_umask_mode_and_no_temp_left(tmp_path):
    old = os.umask(0o022)
    try:
        written = write_atomic(tmp_path / "a.txt", "héllo")
    finally:
        os.umask(old)
    assert written.read_text(encoding="utf-8") == "héllo"
    assert _mode(written) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_existing_mode_is_kept(tmp_path):
    target = tmp_path / "run.sh"
    target.write_text("old")
    target.chmod(0o755)
    write_atomic(target, "new", backup="single")
    assert _mode(target) == 0o755
    assert _mode(tmp_path / "run.sh.bak") == 0o755
    assert (tmp_path / "run.sh.bak").read_text() == "old"


def test_symlink_is_followed_and_kept(tmp_path):
    real = tmp_path / "real.toml"
    real.write_text("old")
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    assert write_atomic(link, "new", backup="single") == real
    assert link.is_symlink()
    assert real.read_text() == "new"
    assert (tmp_path / "real.toml.bak").read_text() == "old"


def test_numbered_backups_lose_nothing(tmp_path):
    target = tmp_path / "r.toml"
    target.write_text("hand-written")
    write_atomic(target, "generated", backup="numbered")
    write_atomic(target, "generated again", backup="numbered")
    write_atomic(target, "third", backup="numbered")
    kept = {p.name: p.read_text() for p in tmp_path.iterdir()}
    assert kept == {
        "r.toml": "third",
        "r.toml.bak": "generated again",
        "r.toml.bak.1": "hand-written",
        "r.toml.bak.2": "generated",
    }


def test_same_content_makes_no_backup(tmp_path):
    target = tmp_path / "r.toml"
    target.write_text("same")
    write_atomic(target, "same", backup="numbered")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.toml"]


def test_overwrite_false_refuses_and_keeps_the_file(tmp_path):
    target = tmp_path / "r.toml"
    target.write_text("mine")
    with pytest.raises(WorkbenchError, match="already exists; not replaced"):
        write_atomic(target, "theirs", overwrite=False)
    assert target.read_text() == "mine"


def test_changed_on_disk_is_refused(tmp_path):
    target = tmp_path / "r.toml"
    target.write_text("v1")
    seen = Stamp.of(target)
    os.utime(target, ns=(1, 1))  # touched without change: still fine
    assert seen.still(target)
    target.write_text("v2 from an editor")
    with pytest.raises(ChangedOnDisk, match="changed on disk"):
        write_atomic(target, "v1 edited", expect=seen)
    assert target.read_text() == "v2 from an editor"
    assert Stamp.of(tmp_path / "none").still(tmp_path / "none")


@pytest.mark.parametrize("case", ["directory", "parent is a file"])
def test_unwritable_targets_are_one_line(tmp_path, case):
    if case == "directory":
        target = tmp_path
    else:
        (tmp_path / "plain").write_text("keep")
        target = tmp_path / "plain" / "x"
    with pytest.raises(WorkbenchError) as info:
        write_atomic(target, "x")
    assert "\n" not in str(info.value) and str(target) in str(info.value)


def test_one_line():
    assert one_line(ValueError("first\nsecond")) == "first"
    assert one_line(ValueError("first\n\nsecond\n"), last=True) == "second"
    assert one_line(KeyError()) == "KeyError"
    assert one_line(ValueError("x" * 50), width=10) == "x" * 9 + "…"
    assert one_line(OSError(13, "Permission denied")) == "[Errno 13] Permission denied"


def test_same_file(tmp_path):
    a = tmp_path / "a"
    a.write_text("x")
    (tmp_path / "b").symlink_to(a)
    assert same_file(a, tmp_path / "b")
    assert not same_file(a, tmp_path / "missing")
