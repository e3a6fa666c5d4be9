"""Helpers shared by subcommands: target options, progress on stderr, JSON output."""

from __future__ import annotations

import argparse
import json
import sys

from workbench.core.sizes.target import ARCHES, LIBCS, Target, make_target


def add_list_option(parser, flag: str, metavar: str, help: str, **extra) -> None:
    """``flag`` taking one or more values; repeated, the values add up (the last does not win)."""
    extra.setdefault("default", [])
    parser.add_argument(flag, action="extend", nargs="+", metavar=metavar, help=help, **extra)


def add_target_options(parser: argparse.ArgumentParser) -> None:
    """--base/--python/--libc/--arch, as estimate and friends take them."""
    group = parser.add_argument_group("target (default: python:3.12-alpine, x86_64)")
    group.add_argument("--base", metavar="IMAGE", help="base image to derive the target from")
    group.add_argument("--python", metavar="X.Y", help="target Python version")
    group.add_argument("--libc", choices=LIBCS, help="target C library")
    group.add_argument("--arch", choices=ARCHES, help="target CPU architecture")


def target_from_args(args: argparse.Namespace) -> Target:
    """The Target the target options describe."""
    return make_target(args.base, args.python, args.libc, args.arch)


class StderrProgress:
    """A one-line progress bar on stderr (only when stderr is a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.active = sys.stderr.isatty()
        self.shown = False

    def __call__(self, done: int, total: int, what: str) -> None:
        if not self.active:
            return
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "." * (width - filled)
        sys.stderr.write(f"\r{self.label} [{bar}] {done}/{total} {what[:30]:<30}")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        """Clear the bar line."""
        if self.shown:
            sys.stderr.write("\r" + " " * 100 + "\r")
            sys.stderr.flush()


def print_json(data) -> None:
    """Machine output: JSON on stdout and nothing else there."""
    json.dump(data, sys.stdout, indent=2)
    sys.stdout.write("\n")
