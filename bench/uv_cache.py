"""Benchmark: a uv cache mount in the builder stage, for the first build of a new recipe.

Run as ``python bench/uv_cache.py [--tag-prefix P]`` (BuildKit only: ``RUN --mount`` is not
classic-builder syntax). The blog sample's layered Dockerfile is built on BuildKit four times,
each ``FROM`` a fresh copy of the base (so no layer is reused): without a mount; with
``--mount=type=cache`` on the uv installs and a cache id new to this run (cold); the recipe with
one package added, as a new recipe would be, with the same cache id (warm: the wheels of the
first are there) and without a mount. uv copies from the cache (``--link-mode=copy``), so the
image holds the same files. Prints wall and install seconds, the load average, and the image
bytes of each (the base copies differ by the run's tag only).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import table
from bench.rebuild import BASE, INIT, ROOT, SCRIPT, _untag, base_copy, build, edit, render
from workbench.core.engine.build import connect

CACHE = "/root/.cache/uv"


def cache_mounted(dockerfile: str, cache_id: str) -> str:
    """The Dockerfile with a uv cache mount on every RUN that installs with uv."""
    out = []
    for block in dockerfile.split("\nRUN "):
        if "uv pip install" in block.split("\n\n")[0]:
            block = f"--mount=type=cache,id={cache_id},target={CACHE} " + block.replace(
                "--no-cache", f"--cache-dir {CACHE} --link-mode=copy"
            )
        out.append(block)
    return "\nRUN ".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tag-prefix", default="workbench-bench/uv-cache", help="image tags")
    args = parser.parse_args()
    client = connect()
    run = uuid.uuid4().hex[:8]
    cache_id = f"workbench-bench-uv-{run}"
    builds = [  # label, recipe change, mounted
        ("no mount", None, False),
        ("mount, cold cache", None, True),
        ("new recipe (+1 package), mount, warm cache", "add", True),
        ("new recipe (+1 package), no mount", "add", False),
    ]
    rows, made = [], []
    with tempfile.TemporaryDirectory(prefix="bench-uv-cache-") as tmp:
        work = Path(tmp)
        (work / "sample-scripts").mkdir()
        (work / SCRIPT).write_bytes((ROOT / SCRIPT).read_bytes())
        init = [sys.executable, "-m", "workbench", "init", "--script", SCRIPT, "--base", BASE]
        subprocess.run([*init, *INIT], cwd=work, check=True, capture_output=True)
        recipe = (work / "r.toml").read_text()
        try:
            for i, (label, change, mounted) in enumerate(builds):
                path = work / f"r-{i}.toml"
                path.write_text(edit(recipe, change))
                files = render(path, work / f"ctx-{i}", one_run=False)
                if mounted:
                    text = files["Dockerfile"].read_text()
                    files["Dockerfile"].write_text(cache_mounted(text, cache_id))
                made.append(base_copy(client, f"{args.tag_prefix}-base:{run}-{i}"))
                load = os.getloadavg()[0]
                made.append(f"{args.tag_prefix}:{run}-{i}")
                figure = build(files, made[-2], made[-1], False, client, None)
                rows.append(
                    [
                        label,
                        f"{figure['s']:.1f}",
                        f"{figure['uv_s']:.1f}",
                        f"{load:.1f}",
                        f"{figure['bytes']:,}",
                    ]
                )
                print(f"{label}: {figure['s']:.1f} s", file=sys.stderr)
        finally:
            _untag(client, made)
    print(table(["first build", "wall s", "uv install steps s", "load", "image bytes"], rows))
    print(f"cache mount id {cache_id} stays in the engine's build cache (docker builder prune)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
