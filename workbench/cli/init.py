"""``workbench init``: write a recipe (workbench.toml) from scripts and choices."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from workbench.cli.common import add_list_option
from workbench.core.analysis.runtime import guess_runtime_packages
from workbench.core.defaults import DEFAULT_LOGIN, LOGIN_ROUTES
from workbench.core.errors import WorkbenchError
from workbench.core.recipe import fields
from workbench.core.recipe.recipe import (
    DEFAULT_AZURE_CLI,
    DEFAULT_BASE_IMAGE,
    FAMILIES,
    MODES,
    Package,
    PipSettings,
    Recipe,
)
from workbench.core.trims.registry import TRIMS, all_trims, ordered


def add_parser(subparsers) -> None:
    """Register ``init``."""
    p = subparsers.add_parser("init", help="write a recipe (workbench.toml)")
    add_list_option(p, "--script", metavar="S", help="az scripts to analyse")
    add_list_option(p, "--package", metavar="NAME", help="packages to select")
    p.add_argument("--base", default=DEFAULT_BASE_IMAGE, metavar="IMAGE", help="base image")
    p.add_argument("--family", choices=FAMILIES, help="OS package family, if the base hides it")
    p.add_argument("--mode", choices=MODES, default="multistage", help="install mode")
    add_list_option(
        p,
        "--trim",
        metavar="NAME",
        help=f"all | none | trims from: {', '.join(TRIMS)} (default all)",
    )
    p.add_argument("--azure-cli", default=DEFAULT_AZURE_CLI, metavar="VER")
    add_list_option(
        p,
        "--runtime-package",
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
    p.add_argument(
        "--trace",
        action="store_true",
        help="run the scripts in a full azure-cli image of the base against the fake Azure "
        "and record the az paths they ran that the analysis missed (observed_paths)",
    )
    p.add_argument("-o", "--output", default="workbench.toml", metavar="FILE")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an existing recipe (kept as FILE.bak; older backups as FILE.bak.N)",
    )
    p.add_argument("--json", action="store_true", help="print the recipe as JSON")
    p.set_defaults(run=run)


def run(args) -> int:
    """Write the recipe; an existing file is refused without --force (then kept as a backup)."""
    out = Path(args.output)
    if out.is_dir():
        raise WorkbenchError(f"cannot write {out}: it is a directory; name a file")
    problem = fields.image_reference(args.base)  # before anything asks an engine about it
    if problem:
        raise WorkbenchError(f"--base: {problem}")
    if not args.force and (out.exists() or out.is_symlink()):
        raise WorkbenchError(
            f"{out} already exists; pass --force to replace it (the old file is kept as "
            f"{out.name}.bak)"
        )
    for script in args.script:
        if Path(script).is_dir():
            raise WorkbenchError(f"script {script} is a directory; name the script file")
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
        trims=choose_trims(args.trim or ["all"], args.mode),
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
    if args.trace:
        trace(recipe, args.script, analysis)
    if analysis is not None and args.runtime_package is None:
        from workbench.core.images.programs import fill_runtime_packages

        for line in fill_runtime_packages(recipe, analysis.external_commands):
            print(f"note: {line}", file=sys.stderr)
    recipe.validate(str(out))
    recipe.save(out, overwrite=args.force, backup="numbered")
    if args.json:
        print(json.dumps({"recipe": str(out), **recipe.to_data()}, indent=2))
    else:
        print(f"wrote {out}")
    return 0


def trace(recipe: Recipe, scripts: list[str], analysis) -> None:
    """Record what the scripts ran, traced in the reference image, in ``observed_paths``; the
    packages those paths need join the selection. ``analysis``: the scripts' static one."""
    from workbench.core.engine.build import connect
    from workbench.core.engine.smoke import observe_scripts

    if not scripts or analysis is None:
        raise WorkbenchError("--trace needs --script: there is nothing to run")
    observed, runs = observe_scripts(
        connect(),
        recipe.base,
        recipe.azure_cli,
        scripts,
        [" ".join(c.path) for c in analysis.commands],
        progress=lambda line: print(f"trace: {line}", file=sys.stderr),
    )
    for run in runs:
        print(f"traced {run.script}: exit {run.exit_code}, {len(run.seen)} paths", file=sys.stderr)
    print(
        f"observed at run time: {', '.join(observed) or 'nothing new'} (branches the run did "
        "not take are not covered)",
        file=sys.stderr,
    )
    recipe.observed_paths = observed
    known = {p.name for p in recipe.packages}
    extra = analyse(scripts, recipe.azure_cli, recipe.login, observed).package_names()
    recipe.packages += [Package(n) for n in dict.fromkeys(extra) if n not in known]


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
        return all_trims(system=mode == "system")
    return ordered(words)


def analyse(scripts: list[str], version: str, login: str, observed: list[str] | None = None):
    """The scripts' analysis (with the paths a traced run ``observed``): the packages their
    az commands need, the programs they run; a script that cannot be read is one line."""
    from workbench.core.analysis.scripts import analyze

    analysis = analyze(scripts, version, login=login, observed=observed or ())
    if analysis.errors:
        raise WorkbenchError(analysis.errors[0])
    return analysis
