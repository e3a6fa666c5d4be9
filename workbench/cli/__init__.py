"""Command line: one module per subcommand, each with ``add_parser`` and ``run``."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import traceback

from workbench import __version__
from workbench.core.errors import WorkbenchError
from workbench.core.files import one_line, os_reason

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


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as one line (the usage is one ``--help`` away)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser with every subcommand registered (or just ``only``: a command
    then imports only its own module, which keeps ``workbench estimate`` quick to start)."""
    parser = _Parser(
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
    """Entry point of the ``workbench`` console script: every failure is one line on stderr
    (``WORKBENCH_DEBUG=1`` adds the traceback of an unexpected one)."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["tui", *argv]  # bare `workbench [--recipe F] [--theme T]` opens the workbench
    parser = build_parser(argv[0] if argv[0] in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    name = f"workbench {args.command}"
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except WorkbenchError as exc:
        return _fail(name, str(exc), exc.exit_code)
    except KeyboardInterrupt:
        return _fail(name, "interrupted", 130)
    except BrokenPipeError:  # `workbench ... | head`: the reader left; that is not an error
        _silence_stdout()
        return 141
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        return _fail(name, f"cannot use{where}: {os_reason(exc)}", 1)
    except Exception as exc:  # a bug: still one line, the traceback on request
        if os.environ.get("WORKBENCH_DEBUG"):
            traceback.print_exc()
        return _fail(
            name,
            f"internal error: {type(exc).__name__}: {one_line(exc)} (WORKBENCH_DEBUG=1 shows "
            "the traceback; please report it)",
            70,
        )


def _fail(name: str, message: str, code: int) -> int:
    with contextlib.suppress(BrokenPipeError, ValueError):  # stderr gone too
        print(f"{name}: error: {message}", file=sys.stderr)
    _silence_stdout()
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so flushing a closed pipe at exit raises nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (captured in tests)
        pass
