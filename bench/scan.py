"""Benchmark: scanning bash scripts for `az` calls, against a plain `bash -n` syntax check.

Builds scripts of 500 / 2,000 / 8,000 lines from the realistic CI fixtures, then times
``scan_file`` (read + parse + resolution; CPU of this process *and* of the shfmt parser it
runs) and ``bash -n`` (a syntax check only, in a subprocess) on the same file, best of several
runs. With ``--reference REV`` (default ``main``) the scanner of that git revision is timed in
the same run on the same files (``git archive`` into a temp dir, run in a child process; skipped
when that revision's parser is not installed). Last row: ``analyze`` of a 100-script folder in
one call (wall-clock; the target is under 3 s).
Run: ``.venv/bin/python bench/scan.py [--reference main]``.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.core.analysis.scripts import analyze  # noqa: E402
from workbench.core.scan.scanner import scan_file  # noqa: E402
from workbench.core.scan.syntax import shfmt_version  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "scripts"
SIZES = (500, 2000, 8000)
RUNS = 5
FOLDER = 100
# Run in a child process against another revision's scanner: prints its best CPU ms per file.
_REFERENCE_TIMER = """
import json, sys, time, resource
from workbench.core.scan.scanner import scan_file
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
out = []
for path in sys.argv[2:]:
    scan_file(path)
    best = []
    for _ in range(int(sys.argv[1])):
        start = cpu(); scan_file(path); best.append((cpu() - start) * 1000)
    out.append(min(best))
print(json.dumps(out))
"""


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


def cpu() -> float:
    """CPU seconds of this process and its finished children (user + system)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best_ms(action, clock) -> float:
    """Best of RUNS timings of ``action`` on ``clock`` (seconds), in milliseconds."""
    timings = []
    for _ in range(RUNS):
        start = clock()
        action()
        timings.append((clock() - start) * 1000)
    return min(timings)


def reference_ms(revision: str, paths: list[Path]) -> list[float] | None:
    """Best CPU ms of ``revision``'s scanner on each path; None when it cannot run here."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "workbench"], capture_output=True
    )
    if archive.returncode != 0:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        done = subprocess.run(
            [sys.executable, "-c", _REFERENCE_TIMER, str(RUNS), *map(str, paths)],
            capture_output=True,
            text=True,
            cwd=tmp,
            env={"PYTHONPATH": tmp, "PATH": "/usr/bin:/bin"},
        )
    return json.loads(done.stdout) if done.returncode == 0 else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default="main", metavar="REV")
    args = parser.parse_args()
    bash = shutil.which("bash")
    if bash is None:
        print("bash not found: cannot measure the reference", file=sys.stderr)
        return 1
    scan_file(FIXTURES / "tricky-shell.sh")  # warm up: imports
    print(f"parser: shfmt {shfmt_version()}; CPU ms, best of {RUNS} (wall-clock in brackets)")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for size in SIZES:
            path = Path(tmp) / f"bench-{size}.sh"
            path.write_text(build_script(size))
            paths.append(path)
        reference = reference_ms(args.reference, paths)
        ref_name = f"{args.reference} ms"
        print(
            f"{'lines':>6} {'calls':>6} {'scan ms':>17} {ref_name:>10} {'scan/ref':>9} "
            f"{'bash -n ms':>11} {'scan/bash-n':>12}"
        )
        for n, path in enumerate(paths):
            lines = path.read_text().count("\n")
            calls = len(scan_file(path).calls)
            scan_cpu = best_ms(lambda p=path: scan_file(p), cpu)
            scan_wall = best_ms(lambda p=path: scan_file(p), time.perf_counter)
            check_cpu = best_ms(lambda p=path: subprocess.run([bash, "-n", str(p)]), cpu)
            ref = f"{reference[n]:>10.1f} {scan_cpu / reference[n]:>8.1f}x" if reference else (
                f"{'n/a':>10} {'':>9}"
            )  # fmt: skip
            print(
                f"{lines:>6} {calls:>6} {scan_cpu:>7.1f} [{scan_wall:>7.1f}] {ref} "
                f"{check_cpu:>11.1f} {scan_cpu / max(check_cpu, 0.1):>11.1f}x"
            )
        folder = Path(tmp) / "folder"
        folder.mkdir()
        fixtures = sorted(FIXTURES.glob("*.sh"))
        for i in range(FOLDER):
            shutil.copy(fixtures[i % len(fixtures)], folder / f"script-{i:03}.sh")
        scripts = sorted(folder.glob("*.sh"))
        start = time.perf_counter()
        analysis = analyze(scripts)
        wall = time.perf_counter() - start
        lines = sum(p.read_text().count("\n") for p in scripts)
        print(
            f"analyze of a {FOLDER}-script folder ({lines} lines, {len(analysis.commands)} "
            f"calls): {wall:.2f} s wall (target < 3 s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
