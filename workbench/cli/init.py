"""``workbench init``: write a recipe (workbench.toml) from scripts and choices."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from workbench.core.analysis.login import DEFAULT_LOGIN, LOGIN_ROUTES
from workbench.core.errors import WorkbenchError
from workbench.core.recipe.recipe import (
    DEFAULT_AZURE_CLI,
    DEFAULT_BASE_IMAGE,
    FAMILIES,
    MODES,
    Package,
    PipSettings,
    Recipe,
)
from workbench.core.trims.registry import TRIMS, ordered


def add_parser(subparsers) -> None:
    """Register ``init``."""
    p = subparsers.add_parser("init", help="write a recipe (workbench.toml)")
    p.add_argument("--script", nargs="+", default=[], metavar="S", help="az scripts to analyse")
    p.add_argument("--package", nargs="+", default=[], metavar="NAME", help="packages to select")
    p.add_argument("--base", default=DEFAULT_BASE_IMAGE, metavar="IMAGE", help="base image")
    p.add_argument("--family", choices=FAMILIES, help="OS package family, if the base hides it")
    p.add_argument("--mode", choices=MODES, default="multistage", help="install mode")
    p.add_argument(
        "--trim",
        nargs="+",
        default=["all"],
        metavar="NAME",
        help=f"all | none | trims from: {', '.join(TRIMS)} (default all)",
    )
    p.add_argument("--azure-cli", default=DEFAULT_AZURE_CLI, metavar="VER")
    p.add_argument(
        "--runtime-package",
        nargs="+",
        default=None,
        metavar="PKG",
        help="OS packages for the image (default: those adding the programs the scripts run "
        "that the base lacks, found on the engine)",
    )
    p.add_argument(
        "--login",
        choices=LOGIN_ROUTES,
        default=DEFAULT_LOGIN,
        help="keep az login/logout/account (default) or not (none: the image never logs in)",
    )
    p.add_argument("--pip-ca", metavar="PATH", help="CA bundle for pip (default: $PIP_CERT)")
    p.add_argument("--index-url", metavar="URL", help="pip index URL for the build")
    p.add_argument("-o", "--output", default="workbench.toml", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the recipe as JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    """Write the recipe; an existing file is kept as <name>.bak."""
    out = Path(args.output)
    for script in args.script:
        if not Path(script).is_file():
            raise WorkbenchError(f"script {script} not found")
    packages = list(args.package)
    analysis = analyse(args.script, args.azure_cli, args.login) if args.script else None
    if analysis is not None:
        packages += analysis.package_names()
    if not packages:
        raise WorkbenchError("no packages: pass --script to analyse or --package NAME...")
    recipe = Recipe(
        base=args.base,
        family=args.family,
        azure_cli=args.azure_cli,
        mode=args.mode,
        scripts=[
            os.path.relpath(s, out.parent.resolve()) for s in map(os.path.abspath, args.script)
        ],
        packages=[Package(n) for n in dict.fromkeys(packages)],
        trims=choose_trims(args.trim, args.mode),
        runtime_packages=(
            args.runtime_package
            if args.runtime_package is not None
            else guess_runtime_packages(args.script)
        ),
        login=args.login,
        pip=PipSettings(args.index_url, args.pip_ca or os.environ.get("PIP_CERT") or None),
    )
    recipe.path = out
    probe_base(recipe)
    if analysis is not None and args.runtime_package is None:
        from workbench.core.engine.base_probe import fill_runtime_packages

        for line in fill_runtime_packages(recipe, analysis.external_commands):
            print(f"note: {line}", file=sys.stderr)
    recipe.validate(str(out))
    recipe.save(out)
    if args.json:
        print(json.dumps({"recipe": str(out), **recipe.to_data()}, indent=2))
    else:
        print(f"wrote {out}")
    return 0


def probe_base(recipe: Recipe) -> None:
    """A base whose name tells neither its Python/libc nor its package family is probed on the
    engine, and what it holds is recorded in the recipe (``family``, ``[target]``)."""
    from workbench.core.images.probe import complete_recipe

    if complete_recipe(recipe) is not None:
        print(
            f"probed {recipe.base}: recorded its target and OS family in the recipe",
            file=sys.stderr,
        )


def choose_trims(words: list[str], mode: str) -> list[str]:
    """``all`` (every trim the mode allows), ``none``, or named trims."""
    if words == ["none"]:
        return []
    if words == ["all"]:
        return [n for n, t in TRIMS.items() if not (t.venv_only and mode == "system")]
    return ordered(words)


def guess_runtime_packages(scripts: list[str]) -> list[str]:
    """OS packages the scripts visibly call (jq, curl) beyond what every base has."""
    text = "\n".join(Path(s).read_text(encoding="utf-8", errors="replace") for s in scripts)
    return [tool for tool in ("bash", "jq", "curl") if re.search(rf"\b{tool}\b", text)]


def analyse(scripts: list[str], version: str, login: str):
    """The scripts' ``Analysis``: the packages their az commands need, the programs they run."""
    from workbench.core.analysis.scripts import analyze

    return analyze(scripts, version, login=login)
