"""``workbench dockerfile``: render a recipe into a Dockerfile (and its build context)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.files import one_line, os_reason
from workbench.core.project import Project
from workbench.core.recipe.dockerfile import Resolution
from workbench.core.trims.registry import TrimContext


def add_parser(subparsers) -> None:
    """Register ``dockerfile``."""
    p = subparsers.add_parser("dockerfile", help="render the recipe's Dockerfile")
    p.add_argument("--recipe", required=True, metavar="FILE")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the Dockerfile here, and the files it COPYs beside it (default: stdout)",
    )
    p.add_argument(
        "--resolution",
        metavar="JSON",
        help='pinned versions {"versions": {name: version}, "no_wheel": [...]} '
        "(default: resolved by the size engine)",
    )
    p.add_argument("--trim-context", metavar="JSON", help="TrimContext JSON (default: analysis)")
    p.add_argument("--offline", action="store_true", help="use cached/embedded data only")
    p.add_argument(
        "--lock",
        action="store_true",
        help="install from a hashed lock of the resolved files (pip --require-hashes)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args) -> int:
    """Render; write with -o (backups kept), else print the Dockerfile."""
    project = Project.open(args.recipe, offline=args.offline)
    built = project.build_context(
        resolution=_read_json(args.resolution, Resolution.from_json) if args.resolution else None,
        trim_context=(
            _read_json(args.trim_context, TrimContext.from_json) if args.trim_context else None
        ),
        lock=args.lock,
    )
    written = None
    if args.output:
        out = Path(args.output)
        written = str(built.write(out.parent, out.name, keep=[Path(args.recipe)]))
    if args.json:
        print(
            json.dumps(
                {"dockerfile": built.dockerfile, "files": sorted(built.files), "written": written},
                indent=2,
            )
        )
    elif written:
        print(f"wrote {written} and {len(built.files)} build context file(s)", file=sys.stderr)
    else:
        sys.stdout.write(built.dockerfile)
    return 0


def _read_json(path: str, parse):
    """``parse`` of the JSON in ``path``; every problem is one line naming the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkbenchError(f"{path} not found") from None
    except IsADirectoryError:
        raise WorkbenchError(f"{path} is a directory; name a JSON file") from None
    except OSError as exc:
        raise WorkbenchError(f"cannot read {path}: {os_reason(exc)}") from None
    except (ValueError, RecursionError) as exc:
        raise WorkbenchError(f"{path}: not valid JSON ({one_line(exc)})") from None
    try:
        return parse(data)
    except WorkbenchError as exc:
        raise WorkbenchError(f"{path}: {exc}") from None
