"""TUI benchmarks: first frame, and toggle -> totals repainted, with references run alongside.

``python -m bench.tui``. Everything runs the real program in a pseudo-terminal (120x40, output
drained as a terminal would), timing from the parent:

- first frame: process start -> first frame painted (shell) and -> first frame with the
  totals of the embedded default; reference: an empty Textual app started the same way.
- toggle: with the full azure-cli set checked (150 rows), a space key written to the terminal
  -> the next frame written back, which holds the new totals; reference: the 16 ms frame
  budget, and ``estimate()`` alone timed inside the same process.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import table

RUNS = 5
TOGGLES = 30
FRAME_BUDGET = 0.016

_EMPTY_APP = """
import os
from textual.app import App
FD = int(os.environ["BENCH_FD"])
class Empty(App):
    def on_mount(self):
        self.call_after_refresh(lambda: (os.write(FD, b"frame\\n"), self.exit()))
Empty().run()
"""

# Marks written on BENCH_FD: frame, totals; with BENCH_TOGGLE=1 then "ready <estimate s>" and
# "shown <packages checked>" per frame displayed after that (a toggle changes the count).
_WORKBENCH = """
import os, time
from workbench.app.app import WorkbenchApp
FD = int(os.environ["BENCH_FD"])
TOGGLE = os.environ.get("BENCH_TOGGLE") == "1"
class Timed(WorkbenchApp):
    armed = False
    def on_mount(self):
        super().on_mount()
        self.call_after_refresh(lambda: os.write(FD, b"frame\\n"))
        self.session_changed.subscribe(self, self._shown)
    def _shown(self, session):
        self.call_after_refresh(self._totals)
    def _totals(self):
        if not self.screen.query_one("PackageTable").row_count:  # screen not caught up yet
            self.call_after_refresh(self._totals)
            return
        os.write(FD, b"totals\\n")
        if not TOGGLE:
            self.exit()
            return
        session, screen = self.session, self.screen
        session.checked |= set(session.model.cli_requirements())
        screen.refresh_numbers()
        table = screen.query_one("PackageTable")
        table.move_cursor(row=table.get_row_index("azure-mgmt-compute"))
        start = time.perf_counter()
        session.estimate()
        took = time.perf_counter() - start
        self.call_after_refresh(self._arm, f"ready {took} {len(session.checked)}")
    def _arm(self, mark):
        self.armed = True
        os.write(FD, (mark + "\\n").encode())
    def _display(self, screen, renderable):
        super()._display(screen, renderable)
        if self.armed and renderable is not None:
            os.write(FD, f"shown {len(self.session.checked)}\\n".encode())
Timed().run()
"""


class PtyProgram:
    """A Python program on a 120x40 pseudo-terminal; reads the marks it writes on BENCH_FD."""

    def __init__(self, code: str, **env: str) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        self.marks, write_end = os.pipe()
        self.start = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            pass_fds=(write_end,),
            env={**os.environ, "TERM": "xterm-256color", "BENCH_FD": str(write_end), **env},
        )
        os.close(slave)
        os.close(write_end)
        self._pending = b""
        self.output = b""

    def next_mark(self, timeout: float = 30) -> tuple[str, float]:
        """The next mark and the seconds since the program started."""
        deadline = time.perf_counter() + timeout
        while b"\n" not in self._pending:
            if time.perf_counter() > deadline or self.proc.poll() is not None:
                tail = self.output.decode(errors="replace")[-1500:]
                raise RuntimeError(f"the program stopped sending marks; its terminal:\n{tail}")
            ready, _, _ = select.select([self.marks, self.master], [], [], 0.5)
            if self.master in ready:
                with contextlib.suppress(OSError):  # drain, so the app never blocks on output
                    self.output = (self.output + os.read(self.master, 1 << 16))[-4096:]
            if self.marks in ready:
                self._pending += os.read(self.marks, 4096)
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode(), time.perf_counter() - self.start

    def type(self, keys: bytes) -> float:
        """Write keys to the terminal; returns the time since start."""
        os.write(self.master, keys)
        return time.perf_counter() - self.start

    def close(self) -> None:
        """Wait for the program (kill it if it lingers) and release the terminal."""
        try:
            while self.proc.poll() is None and self.proc_wait_step():
                pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self.master)
            os.close(self.marks)

    def proc_wait_step(self) -> bool:
        ready, _, _ = select.select([self.master], [], [], 0.5)
        if ready:
            try:
                return bool(os.read(self.master, 1 << 16))
            except OSError:
                return False
        return True


def first_frames() -> dict[str, float]:
    """Median seconds to the first frame: empty app, workbench shell, workbench with totals."""
    empty, shell, totals = [], [], []
    for _ in range(RUNS):
        program = PtyProgram(_EMPTY_APP)
        empty.append(program.next_mark()[1])
        program.close()
        program = PtyProgram(_WORKBENCH)
        shell.append(program.next_mark()[1])
        totals.append(program.next_mark()[1])
        program.close()
    return {
        "empty Textual app, first frame": statistics.median(empty),
        "workbench, first frame": statistics.median(shell),
        "workbench, first frame w/ totals": statistics.median(totals),
    }


def toggles() -> tuple[list[float], float]:
    """Seconds from a space key to the next frame, per toggle; and estimate() alone."""
    program = PtyProgram(_WORKBENCH, BENCH_TOGGLE="1")
    try:
        mark = ""
        while not mark.startswith("ready"):
            mark, _ = program.next_mark()
        _, estimate, count = mark.split()
        checked = int(count)
        out = []
        for i in range(TOGGLES):
            time.sleep(0.05)  # let the previous frame settle
            sent = program.type(b" ")
            expect = f"shown {checked - 1 if i % 2 == 0 else checked}"
            while True:  # the first frame showing the toggled selection
                mark, shown = program.next_mark()
                if mark == expect:
                    break
            out.append(shown - sent)
    finally:
        program.proc.kill()
        program.close()
    return out, float(estimate)


def main() -> None:
    frames = first_frames()
    times, estimate = toggles()
    ref = next(iter(frames.values()))
    rows = [[name, seconds * 1000, f"{seconds / ref:.2f}x"] for name, seconds in frames.items()]
    for name, seconds in (
        ("frame budget (60 Hz)", FRAME_BUDGET),
        ("estimate() alone, full set", estimate),
        ("toggle key -> frame, median", statistics.median(times)),
        ("toggle key -> frame, max", max(times)),
    ):
        rows.append([name, seconds * 1000, f"{seconds / FRAME_BUDGET:.2f}x"])
    print(table(["measure", "ms", "ratio"], rows))
    print(
        "First frames: ratio to the empty Textual app. Toggle rows (full azure-cli set, 150"
        " rows): ratio to the 16 ms budget; key -> frame includes key parsing and Textual's"
        " frame tick (up to 1/60 s)."
    )


if __name__ == "__main__":
    main()
