"""Benchmark: what the run tier and the traced script cost on top of the help + no-login smoke.

Run as ``python bench/smoke_run.py [--image TAG] [--script FILE]``. The image defaults to the
blog sample's all-trims build that the docker tests tag (``workbench-test/run-tier:blog``);
build it first with ``workbench build --recipe ... --tag ...``. Each variant runs once in its
own container on the same image, in one go, so the ratios hold under the same machine load.
Prints wall seconds, the summed seconds of each tier's az processes, and the ratio to the
help + no-login smoke.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import table
from workbench.core.analysis.scripts import analyze
from workbench.core.engine.build import connect
from workbench.core.engine.smoke import SmokeCall, smoke_test

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", default="workbench-test/run-tier:blog")
    parser.add_argument("--script", default=str(ROOT / "sample-scripts" / "tag-disks.sh"))
    args = parser.parse_args()
    analysis = analyze([args.script], "2.91.0")
    calls = [SmokeCall(c.path, c.args, c.where) for c in analysis.commands]
    client = connect()
    variants = {
        "help + no_login": {"run": False},
        "+ run tier": {"run": True},
        "+ run tier + script": {"run": True, "scripts": [args.script]},
    }
    rows, first = [], None
    for name, options in variants.items():
        started = time.monotonic()
        report = smoke_test(
            client, args.image, (c.path for c in calls), calls, version_runs=0, **options
        )
        wall = time.monotonic() - started
        first = first or wall
        tiers: Counter[str] = Counter()
        for check in report.checks:
            tiers[check.kind] += check.seconds
        scripts = sum(r.seconds for r in report.run_script)
        rows.append(
            [
                name,
                wall,
                tiers["help"],
                tiers["call"],
                tiers["run"],
                scripts,
                wall / first,
                "pass" if report.passed else "FAIL",
            ]
        )
    print(f"image {args.image}, {len(calls)} calls, load {os.getloadavg()[0]:.1f}")
    header = ["variant", "wall s", "help s", "no_login s", "run s", "script s", "ratio", "smoke"]
    print(table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
