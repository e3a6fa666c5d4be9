"""``workbench history``: the builds recorded beside a recipe."""

from __future__ import annotations

import sys

from workbench.cli.common import print_json
from workbench.core.engine.history import history_path, load_history
from workbench.core.errors import WorkbenchError
from workbench.core.units import fmt_bytes


def add_parser(subparsers) -> None:
    """Register ``history``."""
    p = subparsers.add_parser("history", help="list the builds recorded beside a recipe")
    p.add_argument("--recipe", default="workbench.toml", metavar="FILE")
    p.add_argument("--json", action="store_true", help="every record as a JSON list")
    p.set_defaults(run=run)


def run(args) -> int:
    """Print one line per build (or the records as JSON)."""
    problems: list[str] = []
    records = load_history(args.recipe, problems)
    for problem in problems:
        print(f"workbench history: warning: {problem}", file=sys.stderr)
    if args.json:
        print_json(records)
        return 0
    if not records:
        raise WorkbenchError(f"no builds recorded in {history_path(args.recipe)}", exit_code=1)
    print(
        f"{'time':20} {'status':12} {'image':14} {'added':>9} {'estimate':>9} "
        f"{'smoke':6} {'seconds':>7}  failure"
    )
    for r in records:
        smoke = r.get("smoke")
        verdict = "-" if not smoke else ("pass" if smoke.get("passed") else "FAIL")
        image = (r.get("image_id") or "-").removeprefix("sha256:")[:12]
        failure = (r.get("failure") or {}).get("line", "")
        print(
            f"{r.get('time', '?'):20} {r.get('status', '?'):12} {image:14} "
            f"{_mb(r.get('added_bytes')):>9} {_mb(r.get('estimate_bytes')):>9} {verdict:6} "
            f"{(r.get('durations') or {}).get('total_s', 0):7.1f}  {failure[:80]}"
        )
    print(f"{len(records)} build(s) in {history_path(args.recipe)}", file=sys.stderr)
    return 0


def _mb(value) -> str:
    return "-" if value is None else fmt_bytes(value)
