"""Estimate accuracy against real `pip install`s into fresh venvs (CPython 3.11, glibc 2.36).

For azure-cli 2.91.0 full and the blog post's set (azure-cli --no-deps + azure-cli-core
azure-common azure-mgmt-compute azure-mgmt-monitor azure-mgmt-resource semver, pinned to
azure-cli's own versions), each with and without --no-compile. The actual figure is the sum
of the sizes of every file pip's RECORDs list for those distributions (site-packages plus
bin/ scripts). Target: within 2%. Run: .venv/bin/python bench/accuracy.py
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import table
from workbench.core.sizes.model import load_size_model
from workbench.core.sizes.target import make_target

BLOG = [
    "azure-cli-core",
    "azure-common",
    "azure-mgmt-compute",
    "azure-mgmt-monitor",
    "azure-mgmt-resource",
    "semver",
]
SKIP = {"pip", "setuptools", "wheel"}


def installed_bytes(venv: Path) -> int:
    site = next(venv.glob("lib/python*/site-packages"))
    total = 0
    for dist_info in site.glob("*.dist-info"):
        if dist_info.name.split("-")[0].lower() in SKIP:
            continue
        for row in csv.reader((dist_info / "RECORD").read_text().splitlines()):
            path = (site / row[0]).resolve()
            if path.is_file():
                total += path.stat().st_size
    return total


def pip_install(venv: Path, steps: list[list[str]], compile_flag: str) -> int:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    for step in steps:
        subprocess.run(
            [str(venv / "bin/pip"), "install", "--quiet", compile_flag, *step], check=True
        )
    return installed_bytes(venv)


def main() -> None:
    target = make_target(python=f"{sys.version_info[0]}.{sys.version_info[1]}", libc="glibc")
    target = make_target("python:3.11-slim-bookworm") if target.python == "3.11" else target
    model = load_size_model(target)
    pins = [f"{n}=={model.version_of(n)}" for n in BLOG]
    cases = {
        "azure-cli full": ([["azure-cli==2.91.0"]], model.cli_requirements()),
        "blog set": ([["--no-deps", "azure-cli==2.91.0"], pins], BLOG),
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, (steps, requested) in cases.items():
            for compile_flag in ("--compile", "--no-compile"):
                venv = Path(tmp) / f"{label}-{compile_flag}".replace(" ", "_")
                actual = pip_install(venv, steps, compile_flag)
                estimate = model.estimate(requested, compile=compile_flag == "--compile")
                error = (estimate.total_bytes - actual) / actual * 100
                rows.append([label, compile_flag, actual, estimate.total_bytes, f"{error:+.2f}%"])
                print(
                    table(["set", "pip", "actual bytes", "estimate bytes", "error"], rows[-1:]),
                    file=sys.stderr,
                )
    print(f"target {target.describe()}; estimate source: {model.source}")
    print(table(["set", "pip", "actual bytes", "estimate bytes", "error"], rows))


if __name__ == "__main__":
    main()
