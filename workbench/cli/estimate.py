"""``workbench estimate``: installed size of a package selection on the target image."""

from __future__ import annotations

import argparse
import sys

from packaging.requirements import InvalidRequirement, Requirement

from workbench.cli.common import (
    StderrProgress,
    add_list_option,
    add_target_options,
    print_json,
    target_from_args,
)
from workbench.core.defaults import (
    DEFAULT_AZURE_CLI,
    DEFAULT_BASE_IMAGE,
    DEFAULT_LOGIN,
    LOGIN_ROUTES,
    NO_COMPILE,
    NO_LOGIN,
)
from workbench.core.errors import WorkbenchError
from workbench.core.files import one_line
from workbench.core.project import Project
from workbench.core.sizes.estimate import Estimate
from workbench.core.sizes.model import load_size_model
from workbench.core.trims.registry import TRIMS, all_trims, ordered, path_trims
from workbench.core.units import fmt_bytes

_SOURCES = {
    "snapshot": "embedded snapshot (offline)",
    "cache": "local cache",
    "index": "package index",
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "estimate",
        help="estimate the installed size of Azure CLI packages on a target image",
        description="Per-package, marginal and cumulative installed size of azure-cli "
        "(--no-deps) + azure-cli-core + PACKAGEs (or what --script needs), resolved for the "
        "target, without installing; --trim shows each trim's saving and the total after.",
    )
    parser.add_argument("packages", nargs="*", metavar="PACKAGE", help="distributions to add")
    parser.add_argument(
        "--all",
        action="store_true",
        help="everything azure-cli requires (plain `pip install azure-cli`)",
    )
    parser.add_argument("--azure-cli", default=DEFAULT_AZURE_CLI, metavar="VER")
    parser.add_argument("--no-compile", action="store_true", help="pip --no-compile (no .pyc)")
    add_list_option(
        parser,
        "--script",
        metavar="SCRIPT",
        help="select exactly the packages the analysis of these az scripts needs (+ baseline)",
    )
    add_list_option(
        parser,
        "--trim",
        metavar="NAME",
        help=f"apply trims: all, or any of {', '.join(TRIMS)} (module and AAZ trims keep "
        "what the --script analysis needs)",
    )
    parser.add_argument(
        "--login",
        choices=LOGIN_ROUTES,
        default=DEFAULT_LOGIN,
        help="with --script: keep az login/logout/account (default) or not (none: the image "
        "never logs in itself); the other choice's saving is shown",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="never touch the network (embedded snapshot or cache only)",
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="resolve against the index again instead of the snapshot/cache",
    )
    parser.add_argument(
        "--image",
        action="store_true",
        help="estimate the whole image: base (engine or registry) + OS packages + Python",
    )
    add_list_option(
        parser,
        "--compare-targets",
        metavar="BASE",
        help="estimate the same selection on each base image, the cheapest marked",
    )
    add_list_option(
        parser,
        "--os-package",
        default=None,
        metavar="PKG",
        help="runtime OS packages of the image (default: what the --script scripts call)",
    )
    parser.add_argument("--json", action="store_true", help="machine output on stdout")
    add_target_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    target = target_from_args(args)
    wanted = [_requirement(spec) for spec in args.packages]
    progress = StderrProgress("reading wheels")
    try:
        project = Project.for_scripts(
            args.script,
            target=target,
            azure_cli=args.azure_cli,
            packages=[str(r) for r in wanted],
            login=args.login,
            offline=args.offline,
            refresh=args.refresh,
            progress=progress,
        )
    finally:
        progress.close()
    analysis = project.analysis
    if analysis is not None and analysis.errors:
        raise WorkbenchError(analysis.errors[0])
    names = [r.name for r in wanted]
    names += [n for n in project.package_names() if n not in names]
    requested = project.model.cli_requirements() + names if args.all else names
    trims = chosen_trims(args.trim)
    if args.no_compile and "sourceless" in trims:
        raise WorkbenchError("--no-compile and trim sourceless are alternatives: choose one")
    compile_ = not (args.no_compile or NO_COMPILE in trims)
    bound = path_trims(trims, project.trim_context) if trims else []
    estimate = project.model.estimate(requested, compile=compile_, trims=bound)
    selection = image_selection(args, requested, compile_, bound, trims)
    if args.compare_targets:
        return compare(args, selection, progress)
    image = None
    if args.image:
        from workbench.core.images.compare import engine_or_none, image_of, python_bytes

        image = image_of(
            target.base_image or args.base or DEFAULT_BASE_IMAGE,
            selection,
            python_bytes(project.model, selection),
            project.model,
            client=engine_or_none(),
            offline=args.offline,
        )
    saving = None
    if analysis is not None:
        saving = project.login_saving(requested, trims, compile=compile_)
    if args.json:
        data = estimate.to_json()
        data["untrimmed_bytes"] = estimate.untrimmed_bytes
        if image is not None:
            data["image"] = image.to_json()
        if saving is not None:
            data["login"] = {"route": args.login, "none_saves_bytes": saving}
        print_json(data)
    else:
        print(render_table(estimate))
        if saving is not None:
            print(login_line(args.login, saving))
        if image is not None:
            print(image.line())
            for key, source in image.sources.items():
                print(f"  {key}: {source}")
    for line in notes(project.model.note, estimate):
        print(f"note: {line}", file=sys.stderr)
    return 0


def image_selection(args, requested, compile_, path_trims_, trims):
    """The selection --image and --compare-targets estimate (multistage, the OS packages
    given or those the scripts visibly call)."""
    from workbench.core.analysis.runtime import guess_runtime_packages
    from workbench.core.images.compare import Selection

    runtime = (
        args.os_package if args.os_package is not None else guess_runtime_packages(args.script)
    )
    return Selection(
        tuple(requested),
        args.azure_cli,
        compile_,
        tuple(path_trims_),
        tuple(trims),
        runtime_packages=tuple(runtime),
    )


def compare(args, selection, progress) -> int:
    """``--compare-targets``: one row per base, the cheapest marked."""
    from workbench.core.images.compare import cheapest, compare_targets, engine_or_none

    overrides = {"python": args.python, "libc": args.libc, "arch": args.arch}
    rows = compare_targets(
        args.compare_targets,
        selection,
        lambda t: load_size_model(t, args.azure_cli, offline=args.offline, progress=progress),
        image=args.image,
        client=engine_or_none() if args.image or not args.offline else None,
        offline=args.offline,
        overrides=overrides,
    )
    best = cheapest(rows)
    if args.json:
        print_json(
            {"targets": [r.to_json() for r in rows], "cheapest": best.base if best else None}
        )
    else:
        size = fmt_bytes
        for row in rows:
            mark = "*" if row is best else " "
            if row.error or row.target is None:  # a row without a target says why
                print(f"{mark} {row.base}: {row.error}")
                continue
            whole = f"  {row.image.line()}" if row.image else ""
            python = size(row.python_bytes)
            print(f"{mark} {row.base}: {row.target.describe()}; Python {python}{whole}")
        print("(* = cheapest)")
    return 0 if best else 1


def notes(model_note: str | None, estimate: Estimate) -> list[str]:
    """What the user must know beside the figures: fallbacks and packages with no wheel."""
    out = [model_note] if model_note else []
    out += [
        f"{name} has no wheel for {estimate.target.describe()}: its size is not counted and "
        "the image needs build deps for it"
        for name in estimate.no_wheel
    ]
    return out


def login_line(route: str, saving: int) -> str:
    """The login choice and what ``login = "none"`` saves, as one line."""
    if route == NO_LOGIN:
        return f"login none: the image never logs in itself; saves {fmt_bytes(saving)}"
    return (
        f"login {route}: az login/logout/account kept; "
        f'login = "none" would save {fmt_bytes(saving)}'
    )


def chosen_trims(words: list[str]) -> list[str]:
    """``all`` or trim names, validated, in canonical order."""
    return all_trims() if "all" in words else ordered(words)


def _requirement(spec: str) -> Requirement:
    try:
        return Requirement(spec)
    except InvalidRequirement as exc:
        raise WorkbenchError(
            f"{spec!r} is not a package name or requirement such as azure-mgmt-compute==34.1.0 "
            f"({one_line(exc)})"
        ) from None


def render_table(estimate: Estimate) -> str:
    """The human table: name, version, size, marginal, cumulative, and a total line."""
    size = fmt_bytes
    header = ("package", "version", "size", "marginal", "cumulative")
    rows = [
        (
            p.name + (" *" if p.requested else ""),
            p.version,
            size(p.bytes),
            size(p.marginal_bytes),
            size(p.cumulative_bytes),
        )
        for p in estimate.packages
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]

    def line(cells) -> str:
        first, second, *numbers = cells
        return "  ".join(
            [
                first.ljust(widths[0]),
                second.ljust(widths[1]),
                *(n.rjust(w) for n, w in zip(numbers, widths[2:], strict=True)),
            ]
        )

    out = [
        f"target: {estimate.target.describe()}"
        + (f" ({estimate.target.base_image})" if estimate.target.base_image else "")
        + f"; azure-cli {estimate.azure_cli_version}; source: {_SOURCES[estimate.source]}",
        line(header),
        line(["-" * w for w in widths]),
    ]
    out += [line(r) for r in rows]
    if estimate.trims:
        out.append(f"before trims: {size(estimate.untrimmed_bytes)}")
    for trim in estimate.trims:
        label = "no .pyc (--no-compile)" if trim.name == NO_COMPILE else trim.name
        out.append(f"trim {label}: saves {size(trim.saves_bytes)}")
    out.append(
        f"total: {size(estimate.total_bytes)} ({estimate.total_bytes:,} bytes) "
        f"in {len(estimate.packages)} distributions  (* = requested)"
    )
    return "\n".join(out)
