"""``workbench analyze SCRIPT... [--azure-cli VER] [--json]``: the packages scripts need, and why.

Exit status: 0 when the analysis ran (even if some scripts or commands were bad: each such
problem is one line on stderr and an entry in the output); 2 when nothing could be analysed
(no script could be read, or the azure-cli version is unknown) — what could be found is
still printed.
"""

from __future__ import annotations

import argparse
import json
import sys

from workbench.core.analysis.scripts import Reasoned, ScriptAnalysis, analyze
from workbench.core.defaults import DEFAULT_AZURE_CLI


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="find the az commands in scripts and the packages they need",
        description=__doc__.splitlines()[0].split(": ", 1)[1],
        epilog="Exit status: 0 if the analysis ran, 2 if nothing could be analysed.",
    )
    parser.add_argument("scripts", nargs="+", metavar="SCRIPT", help="bash scripts to analyse")
    parser.add_argument(
        "--azure-cli", default=DEFAULT_AZURE_CLI, metavar="VER", help="azure-cli version"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def _section(title: str, items: tuple[Reasoned, ...]) -> list[str]:
    if not items:
        return []
    width = max(len(i.name) for i in items)
    lines = [f"{title} ({len(items)})"]
    for item in items:
        for n, reason in enumerate(item.reasons):
            lines.append(f"  {(item.name if n == 0 else ''):<{width}}  ← {reason}")
    return [*lines, ""]


def render(analysis: ScriptAnalysis) -> str:
    """The human report: command paths, modules, packages with reasons, unresolved spots."""
    lines = [
        f"azure-cli {analysis.version}: {len(analysis.files)} script(s), "
        f"{len(analysis.commands)} az call(s), {len(analysis.packages)} package(s)",
        "",
    ]
    if analysis.commands:
        lines.append("Command paths")
        width = max(len(" ".join(c.path)) for c in analysis.commands) + 3
        for command in analysis.commands:
            lines.append(f"  {'az ' + ' '.join(command.path):<{width}}  {command.where}")
        lines.append("")
    lines += _section("Modules", analysis.modules)
    lines += _section("Packages", analysis.packages)
    if analysis.unresolved:
        lines.append(f"Unresolved ({len(analysis.unresolved)})")
        for spot in analysis.unresolved:
            lines.append(f"  {spot.file}:{spot.line}: {spot.reason}")
            lines.append(f"      {spot.text}")
        lines.append("")
    if analysis.files:
        lines.append("Scripts")
        width = max(len(s.file) for s in analysis.scripts())
        for script in analysis.scripts():
            lines.append(
                f"  {script.file:<{width}}  {script.resolved} call(s) resolved, "
                f"{script.hiding} spot(s) may hide calls"
            )
        lines += ["", f"Verdict: {analysis.verdict}"]
    return "\n".join(lines).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    analysis = analyze(args.scripts, args.azure_cli)
    for error in analysis.errors:
        print(f"workbench analyze: {error}", file=sys.stderr)
    if args.json:
        json.dump(analysis.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(analysis))
    return 0 if analysis.analysed else 2
