"""Save SVG screenshots of the workbench's screens into docs/screenshots/ for the README.

Drives the real app headless (``App.run_test``) on the embedded default session (offline, the
shipped size snapshot) at 140x40 in the workbench-dark theme, in a scratch folder: the Layers
screen analyses a small hand-made image archive, the History screen reads three history
records written with ``core.history.append_record``. Run: ``python scripts/screenshots.py``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
SIZE = (140, 40)
THEME = "workbench-dark"
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # layer_archives builds archives in memory

from layer_archives import layer_tar, legacy_archive  # noqa: E402

from workbench.app.app import WorkbenchApp  # noqa: E402
from workbench.core.engine.history import append_record, new_record  # noqa: E402

LAYERS = (
    ("ADD file:debian in /", [("dir", "usr"), ("file", "usr/lib/libc.so.6", b"c" * 1_900_000)]),
    ("RUN apt-get install ca-certificates", [("file", "etc/ssl/certs.pem", b"s" * 200_000)]),
    (
        "RUN pip install azure-cli",
        [
            ("dir", "opt"),
            ("file", "opt/az/core.py", b"a" * 3_000_000),
            ("file", "tmp/x", b"t" * 900_000),
        ],
    ),
    ("RUN rm -rf /tmp/x", [("whiteout", "tmp/x")]),
)
NEEDED = ("azure-cli", "azure-mgmt-compute", "azure-mgmt-resource")
BUILDS = (  # tag, added MB, install mode, packages
    ("try-1", 363, "venv", (*NEEDED, "azure-mgmt-network")),
    ("try-2", 251, "venv", NEEDED),
    ("try-3", 188, "multistage", NEEDED),
)


async def settle(pilot, wait: float = 0.0) -> None:
    """Let timers fire (``wait`` seconds), then wait until no worker runs."""
    await pilot.pause(wait)
    for _ in range(100):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            return


def shoot(app: WorkbenchApp, name: str) -> None:
    path = app.save_screenshot(f"{name}.svg", str(OUT))
    print(path)


async def main_screens(work: Path) -> None:
    """Packages, Scripts, Dockerfile, and Layers on a small archive."""
    archive = work / "image.tar"
    archive.write_bytes(legacy_archive([layer_tar(m) for _, m in LAYERS], [c for c, _ in LAYERS]))
    app = WorkbenchApp(theme=THEME, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        shoot(app, "packages")
        await pilot.press("2")
        await settle(pilot)
        shoot(app, "scripts")
        await pilot.press("3")
        await settle(pilot, 0.5)  # the render is debounced
        shoot(app, "dockerfile")
        await pilot.press("5")
        await settle(pilot)
        app.screen.query_one("#layers-source").value = archive.name
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#layers-table").move_cursor(row=2)  # the pip layer
        await settle(pilot)
        shoot(app, "layers")


def _record(n: int, tag: str, added_mb: int, mode: str, packages: tuple[str, ...]) -> dict:
    added = added_mb * 1_000_000
    pins = " ".join(f"{p}==1.0" for p in packages)
    dockerfile = (
        f'FROM python:3.12-slim\nLABEL dev.workbench.mode="{mode}"\nRUN pip install {pins}\n'
    )
    record = new_record(
        status="ok",
        dockerfile=dockerfile,
        base_image="python:3.12-slim",
        tag=f"workbench/tag-disks:{tag}",
        image_id="sha256:" + f"{n}" * 64,
        estimate_bytes=added - 4_000_000,
        size_bytes=130_000_000 + added,
        base_size_bytes=130_000_000,
        added_bytes=added,
        layers=[{"size_bytes": added, "command": f"RUN pip install {len(packages)} packages"}],
        comparison={
            "estimate_bytes": added - 4_000_000,
            "actual_bytes": added - 2_000_000,
            "difference_bytes": 2_000_000,
            "difference_ratio": 2 / (added_mb - 4),
            "explanation": [],
        },
        smoke={"passed": True, "commands": []},
        failure=None,
    )
    record.update(time=f"2026-11-30T10:0{n}:00Z", epoch=1_796_000_000 + n)
    return record


async def history_screen(work: Path) -> None:
    """History with three builds of the embedded default, the first and last compared."""
    for n, build in enumerate(BUILDS, 1):
        append_record(work / "workbench.toml", _record(n, *build))
    app = WorkbenchApp(theme=THEME, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("space", "down", "down", "space", "c")  # compare #1 with #3
        await settle(pilot)
        shoot(app, "history")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["WORKBENCH_CONFIG_DIR"] = str(Path(scratch) / "config")  # theme not saved
        for step, name in ((main_screens, "screens"), (history_screen, "history")):
            work = Path(scratch) / name
            work.mkdir()
            os.chdir(work)  # the embedded default's history lives in ./.workbench
            asyncio.run(step(work))


if __name__ == "__main__":
    main()
