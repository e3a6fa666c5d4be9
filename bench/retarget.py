"""Target switch in the TUI: time to totals and the longest stall of the UI loop.

``python -m bench.retarget [BASE ...]``. The real app (headless ``run_test``) on the embedded
default, its own fresh cache; each BASE is chosen through the target picker as a user would,
each first while its size data is new (the index is asked), then each again (cached). Measured: time
from the choice to the repainted totals, the worker's share, the whole-image estimate, and
the longest gap between ticks of a 10 ms timer on the UI loop (input is served between
ticks). Reference, same run: the longest gap of the same timer while the app idles.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import table

DEFAULT_BASES = ["python:3.13-slim-trixie", "workbench-test/debian-python:bookworm"]
IDLE_S = 2.0


async def _run(bases: list[str]) -> list[list]:
    from workbench.app.app import WorkbenchApp

    app = WorkbenchApp(theme="workbench-dark")
    gaps: list[float] = []
    rows: list[list] = []
    async with app.run_test(size=(160, 45)) as pilot:
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        app.set_interval(0.01, tick)
        while app.session is None or (app.session.image is None and app.image_error is None):
            await asyncio.sleep(0.05)
        gaps.clear()
        await asyncio.sleep(IDLE_S)
        idle = max(gaps)
        rows.append(["idle (reference)", "", "", "", "", round(idle * 1000)])
        for base in [*bases, *bases]:  # each new, then each again (cached)
            await pilot.press("b")
            while type(app.screen).__name__ != "TargetModal":
                await asyncio.sleep(0.01)
            app.screen.query_one("#base").value = base
            app.image_error, app.session.image = None, None
            gaps.clear()
            start = time.perf_counter()
            app.screen._apply()
            while app.session.target.base_image != base:
                await asyncio.sleep(0.01)
                if app.last_retarget_s is None and time.perf_counter() - start > 600:
                    raise SystemExit(f"{base}: no totals after 600 s")
            totals = time.perf_counter() - start
            while app.session.image is None and app.image_error is None:
                await asyncio.sleep(0.01)
            whole = time.perf_counter() - start
            kind = "new" if not any(r[0] == base for r in rows) else "cached"
            rows.append([base, kind, totals, app.last_retarget_s, whole, round(max(gaps) * 1000)])
    return rows


def main() -> int:
    bases = sys.argv[1:] or DEFAULT_BASES
    with tempfile.TemporaryDirectory(prefix="bench-retarget-") as cache:
        os.environ["WORKBENCH_CACHE_DIR"] = cache
        rows = asyncio.run(_run(bases))
    print(
        table(
            ["target", "size data", "to totals s", "worker s", "whole image s", "max UI gap ms"],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
