"""Benchmark: scanning bash scripts for `az` calls, against a plain `bash -n` syntax check.

Builds scripts of 500 / 2,000 / 8,000 lines from the realistic CI fixtures, then times
``scan_file`` (read + parse + resolution, in process) and ``bash -n`` (a syntax check only, in
a subprocess, so it includes process start) on the same file, best of several runs. CPU time
is the headline (the machine is shared; wall-clock is shown too).
Run: ``.venv/bin/python bench/scan.py``.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.core.scan.scanner import scan_file  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "scripts"
SIZES = (500, 2000, 8000)
RUNS = 7


def build_script(lines: int) -> str:
    """A script of about ``lines`` lines: the fixtures' bodies, repeated."""
    bodies = [p.read_text().split("\n", 1)[1] for p in sorted(FIXTURES.glob("*.sh"))]
    out = ["#!/usr/bin/env bash"]
    while len(out) < lines:
        for body in bodies:
            out.extend(body.rstrip("\n").split("\n"))
            if len(out) >= lines:
                break
    return "\n".join(out) + "\n"


def best_ms(action, clock) -> float:
    """Best of RUNS timings of ``action`` on ``clock`` (seconds), in milliseconds."""
    timings = []
    for _ in range(RUNS):
        start = clock()
        action()
        timings.append((clock() - start) * 1000)
    return min(timings)


def children_cpu() -> float:
    """CPU seconds used by finished child processes (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    bash = shutil.which("bash")
    if bash is None:
        print("bash not found: cannot measure the reference", file=sys.stderr)
        return 1
    scan_file(FIXTURES / "tricky-shell.sh")  # warm up: parser, query, imports
    print("CPU ms (best of 7; wall-clock ms in brackets: inflated on a busy machine)")
    header = f"{'lines':>6} {'calls':>6} {'scan ms':>16} {'bash -n ms':>16} {'scan/bash-n':>12}"
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            path = Path(tmp) / f"bench-{size}.sh"
            path.write_text(build_script(size))
            lines = path.read_text().count("\n")
            calls = len(scan_file(path).calls)

            def scan(p=path):
                scan_file(p)

            def check(p=path):
                subprocess.run([bash, "-n", str(p)], check=True)

            scan_cpu, scan_wall = best_ms(scan, time.process_time), best_ms(scan, time.perf_counter)
            bash_cpu, bash_wall = best_ms(check, children_cpu), best_ms(check, time.perf_counter)
            print(
                f"{lines:>6} {calls:>6} {scan_cpu:>7.1f} [{scan_wall:>6.1f}] "
                f"{bash_cpu:>7.1f} [{bash_wall:>6.1f}] {scan_cpu / max(bash_cpu, 0.1):>11.1f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
