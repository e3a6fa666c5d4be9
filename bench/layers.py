"""Benchmark: ``workbench layers IMAGE --json FILE`` against ``docker save IMAGE > /dev/null``.

Run as ``python bench/layers.py [--image TAG] [--repeat N]``. Without ``--image`` it uses (and
builds once, cached by tag) full azure-cli 2.91.0 pip-installed into a venv on the local Debian
base image. Prints a table of median wall times, their ratio (target <= 1.25x) and the peak RSS
of each child process (resource.getrusage of the waited child).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_IMAGE = os.environ.get("WORKBENCH_TEST_BASE", "workbench-test/debian-python:bookworm")
BENCH_IMAGE = "workbench-bench/azure-cli-full:2.91.0"
DOCKERFILE = f"""\
FROM {BASE_IMAGE}
COPY host-ca.crt /tmp/host-ca.crt
RUN python3 -m venv /opt/az \\
 && /opt/az/bin/pip install --cert /tmp/host-ca.crt --no-cache-dir azure-cli==2.91.0 \\
 && rm /tmp/host-ca.crt
"""


def ensure_image(tag: str) -> None:
    """Build the benchmark image unless the engine already has ``tag``."""
    if subprocess.run(["docker", "image", "inspect", tag], capture_output=True).returncode == 0:
        return
    cert = os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt"
    with tempfile.TemporaryDirectory() as ctx:
        shutil.copyfile(cert, Path(ctx) / "host-ca.crt")
        (Path(ctx) / "Dockerfile").write_text(DOCKERFILE)
        print(f"building {tag} (full azure-cli; several minutes, once)", file=sys.stderr)
        subprocess.run(["docker", "build", "-q", "-t", tag, ctx], check=True)


def timed(cmd: list[str], stdout) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child run to completion."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default=BENCH_IMAGE)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.image == BENCH_IMAGE:
        ensure_image(args.image)
    size = int(
        subprocess.run(
            ["docker", "image", "inspect", "-f", "{{.Size}}", args.image],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    workbench = [sys.executable, "-m", "workbench", "layers", args.image]
    runs: dict[str, list[tuple[float, int]]] = {"docker save": [], "workbench layers": []}
    with tempfile.TemporaryDirectory() as tmp, open(os.devnull, "wb") as null:
        out = str(Path(tmp) / "layers.json")
        timed(["docker", "save", args.image], null)  # warm the page cache once
        for _ in range(args.repeat):  # interleaved, so both see the same machine load
            runs["docker save"].append(timed(["docker", "save", args.image], null))
            runs["workbench layers"].append(timed([*workbench, "--json", out], null))
    ref = statistics.median(t for t, _ in runs["docker save"])
    print(f"image {args.image}: {size / 1e6:.1f} MB (engine size), {args.repeat} runs each")
    print(
        f"{'command':<18} {'median s':>9} {'min s':>7} {'max s':>7} {'ratio':>6} {'peak RSS':>10}"
    )
    for name, samples in runs.items():
        times = [t for t, _ in samples]
        med = statistics.median(times)
        rss = max(r for _, r in samples)
        print(
            f"{name:<18} {med:>9.2f} {min(times):>7.2f} {max(times):>7.2f} "
            f"{med / ref:>5.2f}x {rss / 2**20:>8.0f} MB"
        )
    verdict = (
        "within"
        if statistics.median(t for t, _ in runs["workbench layers"]) <= 1.25 * ref
        else "OVER"
    )
    print(f"target <= 1.25x docker save: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
