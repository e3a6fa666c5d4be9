"""The real ``workbench`` binary in a real terminal (tmux): start, toggle a package, see the
total change, quit (confirming the unsaved change)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

WORKBENCH = Path(sys.executable).with_name("workbench")
TOTAL = re.compile(r"Total ([\d.]+ [kMG]?B)")

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


# A tmux server of our own: a shared default server can be killed by anyone on the machine.
SOCKET = f"workbench-test-{uuid.uuid4().hex[:8]}"


def _tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=True
    ).stdout


def _wait_for(session: str, pattern: re.Pattern, timeout: float = 30) -> re.Match:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        match = pattern.search(screen)
        if match:
            return match
        time.sleep(0.2)
    raise AssertionError(f"{pattern.pattern!r} not on screen:\n{screen}")


def _alive(session: str) -> bool:
    return (
        subprocess.run(
            ["tmux", "-L", SOCKET, "has-session", "-t", session], capture_output=True
        ).returncode
        == 0
    )


def test_real_binary_toggle_changes_total_then_quit(tmp_path):
    session = f"wb-{uuid.uuid4().hex[:8]}"
    command = f"env -u COLUMNS -u LINES WORKBENCH_CONFIG_DIR={tmp_path / 'config'} {WORKBENCH} tui"
    _tmux("new-session", "-d", "-s", session, "-x", "140", "-y", "40", "-c", str(tmp_path), command)
    try:
        before = _wait_for(session, TOTAL).group(1)
        _tmux("send-keys", "-t", session, "/", "azure-mgmt-compute", "Enter")
        _wait_for(session, re.compile(r"\[x\]\s+azure-mgmt-compute"))
        _tmux("send-keys", "-t", session, "Space")
        after = _wait_for(session, re.compile(rf"Total (?!{re.escape(before)})([\d.]+ [kMG]?B)"))
        assert after.group(1) != before
        _wait_for(session, re.compile(r"\[-\]\s+azure-mgmt-compute"))
        _tmux("send-keys", "-t", session, "q")
        _wait_for(session, re.compile("Unsaved changes"))
        _tmux("send-keys", "-t", session, "y")
        deadline = time.monotonic() + 10
        while _alive(session) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(session), "workbench did not exit"
    finally:
        if _alive(session):
            _tmux("kill-session", "-t", session)


@pytest.mark.docker
@pytest.mark.network
def test_real_binary_change_base_to_debian_changes_target_and_total(tmp_path, base_image):
    session = f"wb-{uuid.uuid4().hex[:8]}"
    command = f"env -u COLUMNS -u LINES WORKBENCH_CONFIG_DIR={tmp_path / 'config'} {WORKBENCH} tui"
    _tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "45", "-c", str(tmp_path), command)
    try:
        before = _wait_for(session, TOTAL).group(1)
        _wait_for(session, re.compile(r"Target python:3\.12-alpine"))
        _tmux("send-keys", "-t", session, "b")
        _wait_for(session, re.compile(r"type a base and Enter"))
        _tmux("send-keys", "-t", session, "C-u")  # the base field has the focus: clear it
        _wait_for(session, re.compile(r"▊  base image "))  # cleared: the field has the keys
        _tmux("send-keys", "-t", session, "-l", base_image)
        _wait_for(session, re.compile(rf"▊  {re.escape(base_image)} "))
        _tmux("send-keys", "-t", session, "Enter")
        _wait_for(
            session, re.compile(rf"Target {re.escape(base_image)} · Python 3\.11 · glibc"), 120
        )
        after = _wait_for(session, re.compile(rf"Total (?!{re.escape(before)})([\d.]+ [kMG]?B)"))
        assert after.group(1) != before
        _wait_for(session, re.compile(r"image ~ base [\d.]+ MB \+ OS [\d.]+ MB \+ Python"), 120)
    finally:
        if _alive(session):
            _tmux("kill-session", "-t", session)
