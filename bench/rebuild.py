"""Benchmark: rebuild times after a toggle, today's single-RUN renderer against the layered one.

Run as ``python bench/rebuild.py [--reference REV] [--tag-prefix P]``. One run builds the blog
sample (``sample-scripts/tag-disks.sh``, multistage, all trims, the local Debian base) with the
renderer of ``--reference`` (default: the last commit with the single-RUN builder stage, checked
out with ``git archive`` into a temp dir) and with this tree's renderer, each through the same
scenarios: a first build (no cache), a rebuild with nothing changed, a trim toggled off, one
package added, one pin changed. Every scenario starts from the first build's recipe, so it
measures what a tuning session pays for one change. The renderers take turns scenario by
scenario (so both meet the same machine load), each ``FROM`` its own per-run copy of the base
(one LABEL layer, same bytes): no step of an earlier run or of the other renderer is reused.

Prints one table: wall time and steps reused per scenario for both renderers, the ratio, the
issue's targets and figures, and the final image bytes of both first builds.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tarfile
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

ROOT = Path(__file__).resolve().parent.parent
BASE = os.environ.get("WORKBENCH_TEST_BASE", "workbench-test/debian-python:bookworm")
REFERENCE = "3e9afbc"  # the renderer with one install RUN in the builder stage
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


def render(tree: Path | None, recipe: Path, out: Path) -> dict[str, Path]:
    """Render ``recipe`` with the workbench in ``tree`` (None: this one) into ``out``; the
    build context files (Dockerfile first)."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    out.mkdir(parents=True, exist_ok=True)
    dockerfile = out / "Dockerfile"
    cmd = [sys.executable, "-m", "workbench", "dockerfile", "--recipe", str(recipe)]
    subprocess.run(
        [*cmd, "--offline", "-o", str(dockerfile)],
        env=env,
        check=True,
        capture_output=True,
        cwd=recipe.parent,
    )
    return {str(p.relative_to(out)): p for p in sorted(out.rglob("*")) if p.is_file()}


def build(files: dict[str, Path], base: str, tag: str, nocache: bool, client) -> dict:
    """Build one rendered context FROM the per-run base; seconds, steps, reused, bytes."""
    text = files.pop("Dockerfile").read_text().replace(f"FROM {BASE}", f"FROM {base}")
    started, steps, result = time.monotonic(), 0, None
    for event in build_image(text, files, tag=tag, nocache=nocache, client=client):
        if isinstance(event, StepStarted):
            steps = event.total
        elif isinstance(event, BuildFailed):
            raise SystemExit(f"build of {tag} failed: {event.line()}")
        elif isinstance(event, BuildResult):
            result = event
    seconds = time.monotonic() - started
    size = client.images.get(result.image_id).attrs["Size"]
    timed = [(t, " ".join(text.split())[:60]) for _, text, t, _ in result.steps() if t]
    return {
        "s": seconds,
        "steps": steps,
        "reused": result.cached_steps,
        "bytes": size,
        "slowest": sorted(timed, reverse=True)[:3],
    }


def _slowest(figure: dict) -> str:
    """The build's wall time and its three slowest steps, for the log."""
    steps = "; ".join(f"{t:.1f} s {text}" for t, text in figure["slowest"])
    return f"{figure['s']:.1f} s ({steps})"


def _untag(client, tags: list[str]) -> None:
    """Remove the run's tags; one that something else still uses stays, said in one line."""
    for tag in reversed(tags):
        try:
            client.images.remove(tag, noprune=True)
        except Exception as exc:  # e.g. a container someone started from it
            print(f"left {tag} tagged: {str(exc).splitlines()[0][:120]}", file=sys.stderr)


def reference_tree(rev: str, into: Path) -> Path:
    """``git archive`` of ``rev``'s workbench package into ``into``."""
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "workbench"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reference", default=REFERENCE, help="git revision of today's renderer")
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
        trees = {"today": reference_tree(args.reference, work / "reference"), "layered": None}
        bases = {name: f"{args.tag_prefix}-base:{run}-{name}" for name in trees}
        for name, base in bases.items():  # one each: no step of one renderer is the other's
            label = f"LABEL dev.workbench.bench.run={run}-{name}"
            client.images.build(fileobj=io.BytesIO(f"FROM {BASE}\n{label}\n".encode()), tag=base)
        figures: dict[str, list[dict]] = {name: [] for name in trees}
        made = list(bases.values())
        try:  # scenario by scenario, both renderers in turn: they meet the same machine load
            for i, (label, change, nocache, _, _) in enumerate(SCENARIOS):
                for name, tree in trees.items():
                    path = work / f"{name}-{i}.toml"
                    path.write_text(edit(recipe, change))
                    files = render(tree, path, work / f"ctx-{name}-{i}")
                    made.append(f"{args.tag_prefix}-{name}:{run}-{i}")
                    figures[name].append(build(files, bases[name], made[-1], nocache, client))
                    print(f"{name}: {label}: {_slowest(figures[name][-1])}", file=sys.stderr)
        finally:
            _untag(client, made)
    rows = []
    for i, (label, _, _, target, issue) in enumerate(SCENARIOS):
        old, new = figures["today"][i], figures["layered"][i]
        rows.append(
            [
                label,
                f"{old['s']:.1f}",
                f"{old['reused']}/{old['steps']}",
                f"{new['s']:.1f}",
                f"{new['reused']}/{new['steps']}",
                f"{new['s'] / old['s']:.2f}x",
                f"<= {target:.0f} s" if target else "-",
                f"{issue} s" if issue else "-",
            ]
        )
    header = ["scenario", "today s", "reused", "layered s", "reused", "ratio", "target", "issue"]
    print(table(header, rows))
    old, new = figures["today"][0]["bytes"], figures["layered"][0]["bytes"]
    print(
        f"\nfinal image bytes: today {old:,}, layered {new:,} "
        f"({(new - old) / old:+.4%}; target within 0.1%)"
    )
    print(f"reference renderer: {args.reference} ({_subject(args.reference)})")
    return 0


def _subject(rev: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(ROOT), "log", "-1", "--format=%s", rev], capture_output=True, text=True
    ).stdout
    return re.sub(r"\s+", " ", out).strip()[:70]


if __name__ == "__main__":
    raise SystemExit(main())
