"""Benchmark: loading the shipped knowledge and analysing the sample script.

Reference, measured in the same run: gunzip + json.loads of the same data file (the floor any
loader pays). Budget: load < 50 ms.
Run: .venv/bin/python bench/bench_knowledge.py
"""

from __future__ import annotations

import gzip
import json
import statistics
import time
from pathlib import Path

from workbench.core.analysis.scripts import analyze
from workbench.core.knowledge.model import DATA_DIR, EMBEDDED_VERSION, Knowledge, data_file_name

SAMPLE = Path(__file__).resolve().parent.parent / "sample-scripts" / "tag-disks.sh"
RUNS = 30


def _median_ms(fn) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    path = DATA_DIR / data_file_name(EMBEDDED_VERSION)
    raw = path.read_bytes()
    reference = _median_ms(lambda: json.loads(gzip.decompress(raw)))
    load = _median_ms(lambda: Knowledge(json.loads(gzip.decompress(path.read_bytes()))))
    knowledge = Knowledge(json.loads(gzip.decompress(raw)))
    whole = _median_ms(lambda: analyze([SAMPLE], knowledge=knowledge))
    print(f"data file {path.name}: {len(raw)} bytes, {len(gzip.decompress(raw))} unpacked")
    print(f"{'what':<34}{'median ms':>10}{'x reference':>13}")
    for what, ms in (
        ("gunzip + json.loads (reference)", reference),
        ("load knowledge", load),
        ("analyze tag-disks.sh (loaded)", whole),
    ):
        print(f"{what:<34}{ms:>10.2f}{ms / reference:>13.2f}")


if __name__ == "__main__":
    main()
