"""``workbench smoke``: smoke-test an existing image (inside it, never on the host)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence

from workbench.cli.build import add_run_script_flag, print_smoke
from workbench.cli.common import add_list_option, print_json
from workbench.core.defaults import DEFAULT_AZURE_CLI
from workbench.core.engine.build import connect
from workbench.core.engine.pipeline import EXIT_SMOKE_FAILED
from workbench.core.engine.reference import image_origin
from workbench.core.engine.smoke import SmokeCall, smoke_context, smoke_test
from workbench.core.errors import WorkbenchError
from workbench.core.project import Project
from workbench.core.sizes.target import default_target

EXIT_CODES = """exit codes:
  0  every check passed
  1  the checks could not run in the image (no python3 on its PATH)
  2  bad input (no scripts/recipe, image missing)
  3  no Docker engine answers
  4  a check failed"""


def add_parser(subparsers) -> None:
    """Register ``smoke``."""
    p = subparsers.add_parser(
        "smoke",
        help="smoke-test an image: az help, auth-boundary replay, SDK imports",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("image", metavar="IMAGE", help="image id or tag on the engine")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--recipe", metavar="FILE", help="take scripts and packages from it")
    add_list_option(source, "--script", metavar="S", help="az scripts to replay")
    p.add_argument("--azure-cli", default=DEFAULT_AZURE_CLI, metavar="VER")
    add_list_option(p, "--import", "MODULE", "modules to import in the image", dest="imports")
    p.add_argument("--probe", action="store_true", help="hide each package in turn")
    add_list_option(p, "--package", metavar="NAME", help="packages to probe")
    add_run_script_flag(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=run)


def run(args) -> int:
    """Gather the checks, run them in one container, print verdicts."""
    calls, imports, probe, scripts, version = _inputs(args)
    client = connect()
    base, labelled = image_origin(client, args.image)
    progress = lambda line: print(f"smoke: {line}", file=sys.stderr)  # noqa: E731
    report = smoke_test(
        client,
        args.image,
        (c.path for c in calls),
        calls,
        imports,
        probe=probe if args.probe else (),
        scripts=scripts if args.run_script else (),
        **smoke_context(client, base, labelled or version, progress),
        progress=progress,
    )
    if report.error:
        raise WorkbenchError(f"{args.image}: {report.error}", exit_code=1)
    print_smoke(report, sys.stderr)
    if args.json:
        print_json({"image": args.image, **report.to_json()})
    return 0 if report.passed else EXIT_SMOKE_FAILED


def _inputs(args) -> tuple[list[SmokeCall], list[str], Mapping[str, Sequence[str]], list[str], str]:
    """Calls, imports, packages to probe (with their installed files), scripts, version."""
    if args.recipe:
        project = Project.open(args.recipe)
        plan = project.build_plan()
        probe = project.probe_files(args.package) if args.package else plan.probe_packages
        imports = [*plan.imports, *args.imports]
        return list(plan.calls), imports, probe, list(plan.scripts), plan.azure_cli or ""
    target = default_target()  # sizes do not matter here: the embedded snapshot
    project = Project.for_scripts(args.script, target=target, azure_cli=args.azure_cli)
    if project.analysis is not None and project.analysis.errors:
        raise WorkbenchError(project.analysis.errors[0])
    calls = list(project.smoke_calls())
    probe = project.probe_files(args.package)
    return calls, list(args.imports), probe, list(args.script), args.azure_cli
