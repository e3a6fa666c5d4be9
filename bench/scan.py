"""Benchmark: scanning bash scripts for `az` calls, cold and warm, against a reference revision.

Builds scripts of 500 / 2,000 / 8,000 lines from the realistic CI fixtures, then times
``scan_file`` (read + parse + resolution; CPU of this process *and* of the shfmt parser it
runs), best of several runs: *cold* with an empty result cache each run (what the first scan
of a file costs, storing its result included), *warm* with the result cached (every later
scan of the same bytes). ``shfmt`` is the part of the cold CPU spent in the parser process.
``--reference REV`` (default e9d5217, the tree-sitter scanner) times that revision's scanner in
the same run on the same files: ``git archive`` into a temp dir, run in a child process with
a throwaway venv holding that revision's parser packages (made once under the workbench
cache dir, never in the project's venv). Last rows: ``analyze`` of a 100-script folder in one
call, cold and warm (wall-clock; the target is under 3 s).
Run: ``.venv/bin/python bench/scan.py [--reference e9d5217]``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import table  # noqa: E402
from workbench.core.analysis.scripts import analyze  # noqa: E402
from workbench.core.cache import cache_dir  # noqa: E402
from workbench.core.scan import syntax  # noqa: E402
from workbench.core.scan.scanner import scan_file  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "scripts"
SIZES = (500, 2000, 8000)
RUNS = 5
FOLDER = 100
# The packages a revision's scanner may import (its pins are read from its pyproject.toml).
SCANNER_PACKAGES = frozenset(
    {"tree-sitter", "tree-sitter-bash", "shfmt-py", "orjson", "platformdirs"}
)
# Run in a child process against another revision's scanner: prints its best cold CPU ms per
# file (a fresh result cache each run, for revisions that have one).
_REFERENCE_TIMER = """
import json, os, sys, tempfile, resource
try:
    from workbench.core.scan.scanner import scan_file
except ImportError:  # before the scan room (e9d5217): one module
    from workbench.core.scan import scan_file
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
out = []
for path in sys.argv[3:]:
    scan_file(path)
    best = []
    for _ in range(int(sys.argv[1])):
        os.environ["WORKBENCH_CACHE_DIR"] = tempfile.mkdtemp(dir=sys.argv[2])
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
    return own_cpu() + child_cpu()


def own_cpu() -> float:
    """CPU seconds of this process."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def child_cpu() -> float:
    """CPU seconds of this process's finished children (the shfmt parser)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def best_ms(action: Callable[[], object], clock, setup: Callable[[], object] = lambda: None):
    """Best of RUNS timings of ``action`` on ``clock`` (seconds), in ms; ``setup`` runs untimed
    before each. Also gives the children's CPU ms of that best run."""
    timings = []
    for _ in range(RUNS):
        setup()
        start, start_children = clock(), child_cpu()
        action()
        timings.append(((clock() - start) * 1000, (child_cpu() - start_children) * 1000))
    return min(timings)


def cold_cache(scratch: Path) -> Callable[[], None]:
    """A setup for cold runs: an empty result cache, no short text parsed in this process."""

    def setup() -> None:
        os.environ["WORKBENCH_CACHE_DIR"] = tempfile.mkdtemp(dir=scratch)
        syntax.forget_parses()

    return setup


def reference_python(revision: str) -> Path | str:
    """Python of a throwaway venv with ``revision``'s parser packages; why not, as a string."""
    shown = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:pyproject.toml"],
        capture_output=True,
        text=True,
    )
    if shown.returncode != 0:
        return f"no pyproject.toml at {revision}"
    pins = sorted(
        dep
        for dep in tomllib.loads(shown.stdout)["project"]["dependencies"]
        if re.match(r"[\w.-]+", dep)[0].lower() in SCANNER_PACKAGES  # type: ignore[index]
    )
    venv = (
        cache_dir()
        / "bench"
        / f"scan-reference-{hashlib.sha256(str(pins).encode()).hexdigest()[:12]}"
    )
    python = venv / "bin" / "python"
    if (venv / ".ready").is_file():
        return python
    shutil.rmtree(venv, ignore_errors=True)
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    if made.returncode == 0:
        made = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *pins], capture_output=True, text=True
        )
    if made.returncode != 0:
        lines = (made.stderr or made.stdout).strip().splitlines()
        return f"cannot install {' '.join(pins)}: {lines[-1] if lines else made.returncode}"
    (venv / ".ready").touch()
    return python


def reference_ms(revision: str, paths: list[Path], scratch: Path) -> list[float] | str:
    """Best cold CPU ms of ``revision``'s scanner on each path; why not, as a string."""
    python = reference_python(revision)
    if isinstance(python, str):
        return python
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "workbench"], capture_output=True
    )
    if archive.returncode != 0:
        return f"git archive {revision} failed"
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        done = subprocess.run(
            [str(python), "-c", _REFERENCE_TIMER, str(RUNS), str(scratch), *map(str, paths)],
            capture_output=True,
            text=True,
            cwd=tmp,
            env={"PYTHONPATH": tmp, "PATH": f"{python.parent}:/usr/bin:/bin"},
        )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        return f"its scanner failed: {lines[-1] if lines else done.returncode}"
    return json.loads(done.stdout)


def load() -> str:
    """The 1-minute load average (the machine may be shared)."""
    return f"{os.getloadavg()[0]:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", default="e9d5217", metavar="REV")
    args = parser.parse_args()
    bash = shutil.which("bash")
    if bash is None:
        print("bash not found: cannot time bash -n", file=sys.stderr)
        return 1
    scan_file(FIXTURES / "tricky-shell.sh")  # warm up: imports, shfmt's path and version
    print(f"parser: shfmt {syntax.shfmt_version()}; CPU ms, best of {RUNS}; load {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        paths = []
        for size in SIZES:
            path = scratch / f"bench-{size}.sh"
            path.write_text(build_script(size))
            paths.append(path)
        reference = reference_ms(args.reference, paths, scratch)
        if isinstance(reference, str):
            print(f"reference {args.reference}: n/a ({reference})")
        cold = cold_cache(scratch)
        rows = []
        for n, path in enumerate(paths):
            cold()
            calls = len(scan_file(path).calls)
            cold_ms, shfmt_ms = best_ms(lambda p=path: scan_file(p), cpu, cold)
            cold_wall, _ = best_ms(lambda p=path: scan_file(p), time.perf_counter, cold)
            warm_ms, _ = best_ms(lambda p=path: scan_file(p), cpu)  # cached by the last run
            check_ms, _ = best_ms(lambda p=path: subprocess.run([bash, "-n", str(p)]), cpu)
            ref = reference[n] if not isinstance(reference, str) else None
            rows.append(
                [
                    path.read_text().count("\n"),
                    calls,
                    f"{cold_ms:.1f}",
                    f"{shfmt_ms:.1f}",
                    f"{cold_wall:.1f}",
                    f"{warm_ms:.1f}",
                    f"{ref:.1f}" if ref else "n/a",
                    f"{cold_ms / ref:.1f}x" if ref else "",
                    f"{warm_ms / ref:.2f}x" if ref else "",
                    f"{check_ms:.1f}",
                ]
            )
        header = ["lines", "calls", "cold ms", "shfmt ms", "cold wall", "warm ms",
                  f"{args.reference} ms", "cold/ref", "warm/ref", "bash -n ms"]  # fmt: skip
        print(table(header, rows))
        folder = scratch / "folder"
        folder.mkdir()
        fixtures = sorted(FIXTURES.glob("*.sh"))
        for i in range(FOLDER):
            shutil.copy(fixtures[i % len(fixtures)], folder / f"script-{i:03}.sh")
        scripts = sorted(folder.glob("*.sh"))
        lines = sum(p.read_text().count("\n") for p in scripts)
        cold()
        for state in ("cold", "warm"):
            start = time.perf_counter()
            analysis = analyze(scripts)
            wall = time.perf_counter() - start
            print(
                f"analyze of a {FOLDER}-script folder ({lines} lines, {len(analysis.commands)} "
                f"calls), {state}: {wall:.2f} s wall (target < 3 s)"
            )
    print(f"load at the end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
