"""``workbench tui``: the interactive workbench (also what bare ``workbench`` opens)."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.app.loader import RECIPE_FILE
from workbench.core.errors import WorkbenchError


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "tui",
        help="open the interactive workbench (the default command)",
        description="Open the interactive workbench on a recipe, the workbench.toml in the "
        "current folder, or the embedded default (sample script + shipped size snapshot).",
    )
    parser.add_argument("--recipe", type=Path, metavar="FILE", help="recipe to open")
    parser.add_argument("--theme", metavar="NAME", help="theme to use (remembered)")
    parser.add_argument(
        "--offline", action="store_true", help="never fetch sizes; use the snapshot and cache"
    )
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def find_recipe(explicit: Path | None) -> Path | None:
    """The recipe to open: ``--recipe``, else ``workbench.toml`` here, else None (the default)."""
    if explicit is not None:
        if not explicit.is_file():
            raise WorkbenchError(f"recipe {explicit} not found; pass an existing workbench.toml")
        return explicit
    here = Path.cwd() / RECIPE_FILE
    return here if here.is_file() else None


def run(args) -> int:
    if args.json:
        raise WorkbenchError("the interactive workbench has no JSON output; use another command")
    recipe = find_recipe(args.recipe)
    from workbench.app.app import WorkbenchApp  # textual loads only for the interactive face

    app = WorkbenchApp(recipe, theme=args.theme, offline=args.offline)
    app.run()
    return app.return_code or 0
