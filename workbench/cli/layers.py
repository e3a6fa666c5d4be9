"""``workbench layers IMAGE|ARCHIVE``: dive-style layer analysis, JSON export and CI rules."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from workbench.core.files import write_atomic
from workbench.core.layers.analysis import ImageAnalysis, analyze_image
from workbench.core.layers.ci_rules import evaluate, load_rules
from workbench.core.units import fmt_bytes

TOP_FILES = 10


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "layers",
        help="analyse an image's layers like dive (efficiency, honest waste, CI rules)",
        description="Analyse an engine image, a `docker save` archive (legacy or OCI layout) "
        "or an OCI layout directory: layer sizes and changes, efficiency, wasted bytes.",
    )
    parser.add_argument("image", metavar="IMAGE|ARCHIVE", help="image name, archive or OCI dir")
    parser.add_argument("--json", metavar="FILE", help="write the analysis as JSON ('-': stdout)")
    parser.add_argument("--ci", action="store_true", help="evaluate dive's CI rules (1 = FAIL)")
    parser.add_argument("--ci-config", metavar="FILE", help="rules file (default: ./.dive-ci)")
    parser.add_argument("--lowest-efficiency", metavar="F", help="CI: fail below this ratio")
    parser.add_argument("--highest-wasted-bytes", metavar="N", help="CI: fail above (e.g. 20MB)")
    parser.add_argument(
        "--highest-user-wasted-percent", metavar="F", help="CI: fail above this waste ratio"
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    overrides = {
        "lowest-efficiency": args.lowest_efficiency,
        "highest-wasted-bytes": args.highest_wasted_bytes,
        "highest-user-wasted-percent": args.highest_user_wasted_percent,
    }
    rules = load_rules(args.ci_config, overrides) if args.ci else None  # bad config: fail early
    analysis = analyze_image(args.image, progress=_progress if sys.stderr.isatty() else None)
    results = evaluate(analysis, rules) if rules is not None else []
    out = sys.stderr if args.json == "-" else sys.stdout
    if args.json == "-":
        json.dump(analysis.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.json:
        _write_json(Path(args.json), analysis.to_json())
    if not args.json or args.ci:
        print(render_summary(analysis), file=out)
    if args.ci:
        print(render_evaluation(results), file=out)
        return 1 if any(r.status == "FAIL" for r in results) else 0
    return 0


def _progress(done: int, total: int | None, what: str) -> None:
    of = f" of ~{fmt_bytes(total)}" if total else ""
    end = "\n" if total is not None and done >= total else ""
    print(f"\rreading {what}: {fmt_bytes(done)}{of}   ", end=end, file=sys.stderr)


def _write_json(path: Path, document: dict) -> None:
    """Atomic write; an existing file is kept as FILE.bak."""
    write_atomic(path, json.dumps(document, indent=2) + "\n", backup="single")


def _size(n: int) -> str:
    return fmt_bytes(n)


def render_summary(a: ImageAnalysis) -> str:
    """Image summary, layer table and the top inefficient files, as plain text."""
    width = shutil.get_terminal_size((100, 20)).columns
    pct = a.user_wasted_percent
    lines = [
        f"Image        {a.name}",
        f"Size         {_size(a.size_bytes)} in {len(a.layers)} layer(s)"
        " (sum of file sizes, uncompressed)",
        f"Efficiency   {a.efficiency * 100:.2f} %",
        f"Wasted       {_size(a.wasted_bytes)} ({a.wasted_bytes:,} bytes in layers but not"
        " visible in the final image)",
        f"Wasted (dive) {_size(a.wasted_bytes_dive)} (dive's figure: counts the kept copy too)",
        f"User wasted  {'n/a' if pct == float('inf') else f'{pct * 100:.2f} %'}"
        f" of {_size(a.user_size_bytes)} added above layer 0",
        "",
        f"{'#':>3} {'Size':>9} {'Added':>7} {'Modified':>8} {'Removed':>7}  {'Digest':<12}"
        "  Command",
    ]
    for layer in a.layers:
        c = layer.changes
        digest = layer.digest.rpartition(":")[2][:12]
        head = (
            f"{layer.index:>3} {_size(layer.size_bytes):>9} {c.added:>7,} {c.modified:>8,}"
            f" {c.removed:>7,}  {digest:<12}  "
        )
        command = layer.command.replace("\n", "↵")
        room = max(width - len(head), 20)
        lines.append(head + (command if len(command) <= room else command[: room - 1] + "…"))
    lines.append("")
    if a.inefficient:
        shown = a.inefficient[:TOP_FILES]
        lines.append(f"Inefficient files (top {len(shown)} of {len(a.inefficient)}):")
        lines.append(f"{'Count':>5}  {'Wasted':>9}  Path")
        lines += [f"{w.count:>5}  {_size(w.wasted):>9}  /{w.path}" for w in shown]
    else:
        lines.append("Inefficient files: none")
    return "\n".join(lines)


def render_evaluation(results) -> str:
    """dive-style ``PASS|FAIL|SKIP rule (detail)`` lines and the overall verdict."""
    lines = ["", "Evaluation:"]
    lines += [f"  {r.status} {r.name} ({r.message})" for r in results]
    counts = {s: sum(r.status == s for r in results) for s in ("PASS", "FAIL", "SKIP")}
    verdict = "FAIL" if counts["FAIL"] else "PASS"
    tally = " ".join(f"{s.lower()}:{n}" for s, n in counts.items() if n)
    lines.append(f"{verdict} [{tally}]")
    return "\n".join(lines)
