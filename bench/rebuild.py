"""Benchmark: rebuild times after a toggle, today's single-RUN builder stage against the layers.

Run as ``python bench/rebuild.py [--tag-prefix P]``. One run builds the blog sample
(``sample-scripts/tag-disks.sh``, multistage, all trims, the local Debian base) through the same
scenarios: a first build (no cache), a rebuild with nothing changed, a trim toggled off, one
package added, one pin changed. Every scenario starts from the first build's recipe, so it
measures what a tuning session pays for one change. Three builds per scenario, taking turns (so
all meet the same machine load), each ``FROM`` its own per-run copy of the base (``base_copy``:
one layer with a file naming the run, the same size for every column; BuildKit reuses steps
across images of the same layers, so a LABEL alone would not do), so no step of an earlier run
or of another column is reused:

- today: the reference, the shape before the layers: pip installs, and the builder stage's
  inputs COPYed first and all its RUNs as one (``single_run``), on the classic builder;
- layered, classic: this tree's Dockerfile (uv, cached layers) on the classic builder;
- layered, BuildKit: the same on BuildKit, as ``workbench build`` does.

(The renderer of the last single-RUN commit cannot read today's recipes, so the reference is
this tree's recipe put back in that shape.) Prints one table: wall time and steps reused per
scenario for each, BuildKit's ratio to the reference, the load average when the scenario
started (the machine is shared), the issue's targets and figures; then the final image bytes
and layers of the first builds against the layered classic one.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import table
from workbench.core.engine.build import (
    BuildFailed,
    BuildResult,
    StepStarted,
    build_image,
    connect,
)
from workbench.core.engine.buildkit import logical_lines

ROOT = Path(__file__).resolve().parent.parent
BASE = os.environ.get("WORKBENCH_TEST_BASE", "workbench-test/debian-python:bookworm")
SCRIPT = "sample-scripts/tag-disks.sh"
INIT = ["--family", "apt", "--mode", "multistage", "--trim", "all", "-o", "r.toml"]
ADDED = "azure-mgmt-msi"  # small, and in the embedded snapshot (rendering stays offline)
# name, recipe edit, build without cache, target seconds, the issue's figure for today
SCENARIOS = [
    ("first build", None, True, 18.0, 27.0),
    ("rebuild, nothing changed", None, False, None, None),
    ("trim toggled (prune-aaz off)", "trim", False, 6.0, 26.6),
    (f"one package added ({ADDED})", "add", False, 10.0, None),
    ("one pin changed (monitor ~=)", "pin", False, None, None),
]


def edit(recipe: str, change: str | None) -> str:
    """The blog recipe's text with one change applied."""
    if change == "trim":
        return recipe.replace('"prune-aaz", ', "")
    if change == "add":
        return recipe.replace("[packages]\n", f'[packages]\n{ADDED} = "exact"\n')
    if change == "pin":
        return recipe.replace('azure-mgmt-monitor = "exact"', 'azure-mgmt-monitor = "compatible"')
    return recipe


def single_run(dockerfile: str) -> str:
    """The Dockerfile with its builder stage in today's shape: the stage's inputs COPYed first
    and all its RUNs as one; the stages before it and the final stage as they are."""
    lines = logical_lines(dockerfile)
    starts = [i for i, line in enumerate(lines) if _keyword(line) == "FROM"]
    head, builder, final = lines[: starts[-2]], lines[starts[-2] : starts[-1]], lines[starts[-1] :]
    staged = [line for line in builder if _keyword(line) == "COPY" and "--from=" not in line]
    copies = [s for line in staged for s in json.loads(line[5:])[:-1]]
    runs = [line[4:] for line in builder if _keyword(line) == "RUN"]
    rest = [line for line in builder[1:] if _keyword(line) != "RUN" and line not in staged]
    copy = [f"COPY {json.dumps([*copies, '/tmp/workbench/'])}"] * bool(copies)
    out = [*head, builder[0], *rest, *copy, f"RUN {' && '.join(runs)}", *final]
    return "\n".join(out) + "\n"


def _keyword(line: str) -> str:
    return line.split(" ", 1)[0].upper()


def render(recipe: Path, out: Path, one_run: bool) -> dict[str, Path]:
    """Render ``recipe`` into ``out`` (``one_run``: in today's shape); the build context
    files (Dockerfile first)."""
    out.mkdir(parents=True, exist_ok=True)
    dockerfile = out / "Dockerfile"
    cmd = [sys.executable, "-m", "workbench", "dockerfile", "--recipe", str(recipe)]
    subprocess.run(
        [*cmd, "--offline", "-o", str(dockerfile)],
        check=True,
        capture_output=True,
        cwd=recipe.parent,
    )
    if one_run:
        dockerfile.write_text(single_run(dockerfile.read_text()))
    return {str(p.relative_to(out)): p for p in sorted(out.rglob("*")) if p.is_file()}


# column -> (its title, today's shape, builder: None is BuildKit)
BUILDS = {
    "today": ("today (pip, one RUN), classic s (reused)", True, "classic"),
    "layered": ("layered, classic", False, "classic"),
    "kit": ("layered, BuildKit", False, None),
}


def build(files: dict[str, Path], base: str, tag: str, nocache: bool, client, builder) -> dict:
    """Build one rendered context FROM the per-run base with ``builder`` (None: BuildKit);
    seconds, steps, reused, bytes, layers."""
    text = files.pop("Dockerfile").read_text().replace(f"FROM {BASE}", f"FROM {base}")
    started, steps, result = time.monotonic(), 0, None
    events = build_image(text, files, tag=tag, nocache=nocache, client=client, builder=builder)
    for event in events:
        if isinstance(event, StepStarted):
            steps = event.total
        elif isinstance(event, BuildFailed):
            raise SystemExit(f"build of {tag} failed: {event.line()}")
        elif isinstance(event, BuildResult):
            result = event
    seconds = time.monotonic() - started
    image = client.images.get(result.image_id)
    timed = [(t, " ".join(text.split())[:60]) for _, text, t, _ in result.steps() if t]
    return {
        "s": seconds,
        "steps": steps,
        "reused": result.cached_steps,
        "bytes": image.attrs["Size"],
        "layers": len(image.attrs["RootFS"]["Layers"]),
        "history": len(image.history()),
        "uv_s": sum(t or 0 for _, text, t, hit in result.steps() if "uv pip" in text and not hit),
        "slowest": sorted(timed, reverse=True)[:3],
    }


def base_copy(client, tag: str) -> str:
    """A copy of the base image under ``tag`` that no build has used yet: one small layer
    holding the tag (same length for tags of the same shape); the tag."""
    dockerfile = f"FROM {BASE}\nRUN echo {tag} > /etc/workbench-bench-run\n"
    client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True)
    return tag


def _slowest(figure: dict) -> str:
    """The build's wall time and its three slowest steps, for the log."""
    steps = "; ".join(f"{t:.1f} s {text}" for t, text in figure["slowest"])
    return f"{figure['s']:.1f} s ({steps})"


def _untag(client, tags: list[str]) -> None:
    """Remove the run's tags; one that something else still uses stays, said in one line."""
    for tag in reversed(tags):
        try:
            client.images.remove(tag)  # its untagged parents: this run's steps
        except Exception as exc:  # e.g. a container someone started from it
            print(f"left {tag} tagged: {str(exc).splitlines()[0][:120]}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tag-prefix", default="workbench-bench/rebuild", help="image tags")
    args = parser.parse_args()
    client = connect()
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="bench-rebuild-") as tmp:
        work = Path(tmp)
        (work / "sample-scripts").mkdir()
        (work / SCRIPT).write_bytes((ROOT / SCRIPT).read_bytes())
        subprocess.run(
            [sys.executable, "-m", "workbench", "init", "--script", SCRIPT, "--base", BASE, *INIT],
            cwd=work,
            check=True,
            capture_output=True,
        )
        recipe = (work / "r.toml").read_text()
        bases = {
            name: base_copy(client, f"{args.tag_prefix}-base:{run}-{i}")
            for i, name in enumerate(BUILDS)
        }
        figures: dict[str, list[dict]] = {name: [] for name in BUILDS}
        loads: list[float] = []
        made = list(bases.values())
        try:  # scenario by scenario, the builds in turn: they meet the same machine load
            for i, (label, change, nocache, _, _) in enumerate(SCENARIOS):
                loads.append(os.getloadavg()[0])
                for name, (_, one_run, builder) in BUILDS.items():
                    path = work / f"{name}-{i}.toml"
                    text = edit(recipe, change)
                    if one_run:  # today's installer
                        text = text.replace("[pip]\n", '[pip]\ninstaller = "pip"\n')
                    path.write_text(text)
                    files = render(path, work / f"ctx-{name}-{i}", one_run)
                    made.append(f"{args.tag_prefix}-{name}:{run}-{i}")
                    figure = build(files, bases[name], made[-1], nocache, client, builder)
                    figures[name].append(figure)
                    print(f"{name}: {label}: {_slowest(figure)}", file=sys.stderr)
        finally:
            _untag(client, made)
    rows = []
    for i, (label, _, _, target, issue) in enumerate(SCENARIOS):
        old, mid, new = (figures[name][i] for name in BUILDS)
        rows.append(
            [
                label,
                *(f"{f['s']:.1f} ({f['reused']}/{f['steps']})" for f in (old, mid, new)),
                f"{new['s'] / old['s']:.2f}x",
                f"{loads[i]:.1f}",
                f"<= {target:.0f} s" if target else "-",
                f"{issue} s" if issue else "-",
            ]
        )
    header = ["scenario", *(title for title, _, _ in BUILDS.values())]
    header += ["ratio", "load", "target", "issue"]
    print(table(header, rows))
    ref = figures["layered"][0]
    for name in ("today", "kit"):
        new = figures[name][0]
        change = (new["bytes"] - ref["bytes"]) / ref["bytes"]
        print(
            f"final image bytes, {BUILDS[name][0].split(' s (')[0]}: {new['bytes']:,} against "
            f"layered, classic {ref['bytes']:,} ({change:+.4%}"
            f"; target within 0.1%); layers {new['layers']} (history {new['history']}) against "
            f"{ref['layers']} ({ref['history']})"
        )
    print(f"load average: {os.getloadavg()[0]:.1f} at the end; cores: {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
