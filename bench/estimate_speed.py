"""Estimate speed. Reference measured in the same run: `pip install --dry-run
--ignore-installed --report` of azure-cli 2.91.0 with a cold pip cache (it gives no sizes).

Rows: cold-cache estimate of the full closure (fresh cache dir, resolve + range reads);
warm CLI runs (snapshot; disk cache); in-process load + estimate; and the TUI's toggle path
(re-estimate of the full set after one toggle). Targets: cold ratio < 1.0, warm < 0.3 s,
toggle < 16 ms. Run: .venv/bin/python bench/estimate_speed.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median_time, table
from workbench.core.sizes.model import load_size_model
from workbench.core.sizes.target import make_target

WORKBENCH = [sys.executable, "-m", "workbench", "estimate", "--all", "--json"]
TARGET_311 = ["--base", "python:3.11-slim-bookworm"]


def run(command: list[str], env: dict | None = None) -> None:
    """Run to completion; a workbench run that fell back to the snapshot (a ``note:`` that
    the index could not be reached) would time the wrong thing, so it stops the benchmark."""
    done = subprocess.run(
        command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True
    )
    if "using the snapshot instead" in done.stderr:
        raise SystemExit(f"not a valid timing, the index was unreachable: {done.stderr.strip()}")


def timed_cold(command_for, repeat: int) -> float:
    """Median over fresh temporary directories (a new cache each time)."""
    times = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            command, env = command_for(tmp)
            start = time.perf_counter()
            run(command, env)
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat

    def pip_cold(tmp):
        return (
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--quiet",
                "--no-cache-dir",
                "--report",
                f"{tmp}/report.json",
                "azure-cli==2.91.0",
            ],
            None,
        )

    def ours_cold(tmp):  # our cache and uv's both empty
        env = {**os.environ, "WORKBENCH_CACHE_DIR": tmp, "UV_CACHE_DIR": f"{tmp}/uv"}
        return ([*WORKBENCH, *TARGET_311, "--refresh"], env)

    pip_s = timed_cold(pip_cold, repeat)
    cold_s = timed_cold(ours_cold, repeat)
    warm_snapshot = median_time(lambda: run([*WORKBENCH, *TARGET_311]), repeat)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "WORKBENCH_CACHE_DIR": tmp}
        trixie = ["--base", "python:3.11-slim-trixie"]
        run([*WORKBENCH, *trixie], env)  # fill the cache for a target with no snapshot
        warm_cache = median_time(lambda: run([*WORKBENCH, *trixie], env), repeat)

    target = make_target("python:3.11-slim-bookworm")
    in_process = median_time(
        lambda: load_size_model(target).estimate(load_size_model(target).cli_requirements()), repeat
    )
    model = load_size_model(target)
    full = model.cli_requirements()
    model.estimate(full)
    toggled = [n for n in full if n != "azure-mgmt-network"]
    toggle = median_time(lambda: model.estimate(toggled if len(full) % 2 else full), 20)

    print(
        table(
            ["measurement", "seconds", "ratio to pip --dry-run", "target"],
            [
                ["pip install --dry-run --report (cold pip cache)", pip_s, 1.0, "reference"],
                [
                    "workbench estimate --all --refresh (cold cache)",
                    cold_s,
                    cold_s / pip_s,
                    "< 1.0",
                ],
                [
                    "workbench estimate --all (warm, snapshot), process",
                    warm_snapshot,
                    warm_snapshot / pip_s,
                    "< 0.3 s",
                ],
                [
                    "workbench estimate --all (warm, disk cache), process",
                    warm_cache,
                    warm_cache / pip_s,
                    "< 0.3 s",
                ],
                [
                    "load_size_model + estimate, in process",
                    in_process,
                    in_process / pip_s,
                    "< 0.3 s",
                ],
                ["toggle: estimate() of the full set", toggle, toggle / pip_s, "< 0.016 s"],
            ],
        )
    )


if __name__ == "__main__":
    main()
