"""Command line: one module per subcommand, each with ``add_parser`` and ``run``."""

from __future__ import annotations

import argparse
import importlib
import sys

from workbench import __version__
from workbench.core.errors import WorkbenchError

# Subcommand modules under workbench.cli; each defines add_parser(subparsers) and run(args).
SUBCOMMANDS = [
    "tui",
    "estimate",
    "analyze",
    "init",
    "dockerfile",
    "build",
    "smoke",
    "history",
    "layers",
]


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered (or just ``only``: a command
    then imports only its own module, which keeps ``workbench estimate`` quick to start)."""
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Trim container images that include the Azure CLI.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS if only is None else [only]:
        module = importlib.import_module(f"workbench.cli.{name}")
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``workbench`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["tui", *argv]  # bare `workbench [--recipe F] [--theme T]` opens the workbench
    parser = build_parser(argv[0] if argv[0] in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except WorkbenchError as exc:
        print(f"workbench {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"workbench {args.command}: interrupted", file=sys.stderr)
        return 130
