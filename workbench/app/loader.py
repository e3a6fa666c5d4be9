"""Open and save a session: the recipe (or the embedded default), its script analysis and size
model. Runs in worker threads (file and network I/O); never call it from UI code."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.app.paths import bundled_dir
from workbench.app.session import NO_COMPILE, Session

if TYPE_CHECKING:
    from workbench.core.project import Project
    from workbench.core.recipe.dockerfile import BuildContext
    from workbench.core.recipe.recipe import Recipe

DEFAULT_SCRIPT = "tag-disks.sh"
RECIPE_FILE = "workbench.toml"


def open_session(recipe: Path | None, *, offline: bool = False, progress=None) -> Session:
    """Open the recipe's ``Project`` (or the embedded default's) and put the session's choices
    on it. Raises ``WorkbenchError`` (one line) on bad input."""
    from workbench.core.project import Project

    if recipe is None:
        from workbench.core.sizes.target import default_target

        project = Project.for_scripts(
            [bundled_dir("sample-scripts") / DEFAULT_SCRIPT],
            target=default_target(),
            name=f"{DEFAULT_SCRIPT} (embedded default)",
            offline=offline,
            progress=progress,
        )
    else:
        project = Project.open(recipe, offline=offline, progress=progress)
    session = Session(project)
    session.login = project.login
    if project.analysis is not None:
        session.notes.extend(project.analysis.errors)
    if not offline:  # strip-binaries' per-file savings for wheels the snapshot did not measure
        from workbench.core.sizes.strip import measure_unknown

        session.notes.extend(measure_unknown(project.model))
    apply_project(session, project)
    if project.recipe is not None:
        _apply_recipe(session, project.recipe)
    session.trim_savings(session.estimate())  # warms the estimate caches off the UI thread
    return session


def apply_project(session: Session, project: Project) -> None:
    """Put a (new) project on the session: packages its scripts now need and did not before
    get checked. Fast: call it on the UI thread."""
    analysis = project.analysis
    needed = (
        {p.name: p.reasons[0] if p.reasons else "" for p in analysis.packages} if analysis else {}
    )
    session.checked |= set(needed) - set(session.needed) - set(session.always_installed)
    session.project, session.needed = project, needed


def login_saving_of(session: Session) -> int | None:
    """What ``login = "none"`` saves for the session's choices (None without an analysis).
    Slow (analyses again, two estimates): worker threads only, after the first frame."""
    trims = session.active_trims() + ([] if session.compile else [NO_COMPILE])
    names = sorted({*session.checked, *session.always_installed})
    return session.project.login_saving(names, trims, compile=session.compile)


def change_login(session: Session, route: str) -> tuple[Project, int | None]:
    """The project of ``session`` (a ``Session.snapshot()``) analysed for login ``route``,
    and what ``login = "none"`` saves then. Worker threads only."""
    project = session.project.with_login(route)
    apply_login(session, route, project)
    return project, login_saving_of(session)


def apply_login(session: Session, route: str, project: Project) -> None:
    """Put the project for login ``route`` on the session: packages only the other route
    needed are unchecked. Fast: call it on the UI thread."""
    kept = {p.name for p in project.analysis.packages} if project.analysis else set()
    session.checked -= set(session.needed) - kept
    apply_project(session, project)
    session.login, session.dirty = route, True


def _apply_recipe(session: Session, recipe: Recipe) -> None:
    """The recipe's choices win over the analysis' preselection."""
    from workbench.core.recipe.recipe import canonical

    session.checked = {canonical(p.name) for p in recipe.packages} - set(session.always_installed)
    session.pins = {canonical(p.name): p.pin for p in recipe.packages}
    session.install_mode = recipe.mode
    session.compile = "no-compile" not in recipe.trims
    session.trims = set(recipe.trims) - {"no-compile"}
    session.dropped = dict(recipe.dropped)


def session_recipe(session: Session, path: Path | None = None) -> Recipe:
    """The session's choices as a ``Recipe`` (the loaded one, updated, keeps its comments; a new
    one anchors its script paths at ``path``'s folder). Validated; nothing is written."""
    from workbench.core.analysis.runtime import guess_runtime_packages
    from workbench.core.defaults import DEFAULT_BASE_IMAGE
    from workbench.core.recipe.recipe import Package, Recipe
    from workbench.core.trims.registry import TRIMS, ordered

    recipe = copy.deepcopy(session.recipe)  # the session's own stays as loaded or saved
    path = Path(path or (recipe.path if recipe else None) or Path.cwd() / RECIPE_FILE)
    if recipe is None:
        target = session.target
        recipe = Recipe(
            base=target.base_image or DEFAULT_BASE_IMAGE,
            family=session.family,
            azure_cli=session.model.azure_cli_version,
            runtime_packages=guess_runtime_packages([str(s) for s in session.scripts]),
        )
    recipe.scripts = [os.path.relpath(s, path.parent.resolve()) for s in session.scripts]
    recipe.login = session.login
    recipe.runtime_packages = list(
        dict.fromkeys([*recipe.runtime_packages, *session.added_runtime])
    )
    versions = {p.name: p.version for p in recipe.packages}
    wanted = {*session.always_installed, *session.checked}
    listed = [p.name for p in recipe.packages if p.name in wanted]  # the file's order stays
    first = session.always_installed
    names = listed + sorted(wanted - set(listed), key=lambda n: (n not in first, n))
    recipe.packages = [Package(n, session.pin(n), versions.get(n)) for n in names]
    if session.target.base_image and session.target.base_image != recipe.base:
        recipe.base, recipe.family = session.target.base_image, session.family
    recipe.target = _target_override(session, recipe)
    recipe.azure_cli = session.model.azure_cli_version
    recipe.mode = session.install_mode
    recipe.dropped = {n: why for n, why in session.dropped.items() if n not in wanted}
    # a trim the install mode rules out (drop-pip in system mode) shows n/a and is not saved
    kept = [
        t for t in session.trims if not (TRIMS[t].venv_only and session.install_mode == "system")
    ]
    recipe.trims = ordered([*kept, *([] if session.compile else ["no-compile"])])
    recipe.path = path
    recipe.validate(str(path))
    return recipe


def session_project(session: Session) -> Project:
    """The session's project for its current choices: what they leave valid is shared with
    the session's own (no second analysis, knowledge or size model load). Worker threads."""
    return session.project.with_recipe(session_recipe(session))


def _target_override(session: Session, recipe: Recipe):
    """The recipe's ``[target]``: the hand-set overrides, else what the base's name cannot tell
    (a probed company base), else nothing."""
    from dataclasses import replace

    from workbench.core.errors import WorkbenchError
    from workbench.core.recipe.recipe import TargetOverride

    t = session.target
    probed = TargetOverride(t.python, t.libc, t.libc_version, t.arch)
    bare = replace(recipe, target=TargetOverride())
    try:
        named = bare.target_of()
    except WorkbenchError:
        return probed
    if session.overrides or named != t:
        return TargetOverride(
            **{k: getattr(probed, k) for k in ("python", "libc", "arch") if k in session.overrides}
        )
    return recipe.target


def official_bases() -> list[str]:
    """The official Python images the target picker offers for the supported versions."""
    from workbench.core.sizes.venv_seed import supported_pythons

    return [
        f"python:{v}-{flavour}"
        for v in supported_pythons()
        for flavour in ("alpine", "slim-bookworm", "slim-trixie")
    ]


def engine_bases(limit: int = 30) -> list[tuple[str, str]]:
    """``(image, description)`` of the engine's tagged images that have a Python (probed in a
    throw-away container, cached by image id); [] without an engine. Worker threads only."""
    from workbench.core.errors import WorkbenchError
    from workbench.core.images.compare import engine_or_none
    from workbench.core.images.probe import probe_image

    client = engine_or_none()
    if client is None:
        return []
    out = []
    tags = [t for image in client.images.list() for t in image.tags if "<none>" not in t]
    for tag in sorted(tags)[:limit]:
        try:
            out.append((tag, probe_image(client, tag).describe()))
        except WorkbenchError:
            continue  # no python3 in it: not a base for azure-cli
    return out


def retarget_session(
    session: Session, choice: dict, *, offline: bool = False, progress=None
) -> Session:
    """A new session with the same choices on another target: ``choice`` has ``base`` and
    optional ``python``/``libc``/``arch`` overrides and ``azure_cli``. Worker threads only;
    ``session`` is a snapshot. Raises one line (the live session stays) when the target's
    size data needs the index and it cannot be read."""
    from workbench.core.errors import WorkbenchError
    from workbench.core.images.compare import engine_or_none, target_for

    overrides = {k: choice[k] for k in ("python", "libc", "arch") if choice.get(k)}
    base = choice.get("base") or session.target.base_image
    if not base:  # a hand-made target without a base and none chosen: nothing to derive from
        raise WorkbenchError("choose a base image: the current target names none")
    try:
        target = target_for(base, **overrides)
    except WorkbenchError:  # a name that tells nothing: probe the image on the engine
        target = target_for(base, engine_or_none(), **overrides)
    version = choice.get("azure_cli") or session.model.azure_cli_version
    if version != session.model.azure_cli_version and progress:  # knowledge built, then cached
        progress(0, 0, f"azure-cli {version}: reading its command modules")
    project = session.project.retarget(
        target, version, extra=sorted(session.checked), progress=progress
    )
    model = project.model
    new = Session(project, name=session.name)
    new.pins, new.install_mode = dict(session.pins), session.install_mode
    new.compile, new.trims, new.overrides = session.compile, set(session.trims), overrides
    new.family = _probed_family(base)
    if project.analysis is not session.project.analysis:  # another azure-cli version
        if project.analysis is not None:
            new.notes.extend(project.analysis.errors)
        apply_project(new, project)
    else:
        new.needed = dict(session.needed)
    new.checked = {n for n in session.checked | set(new.checked) if n in model.dists}
    new.checked -= set(new.always_installed)
    new.dirty = True
    new.trim_savings(new.estimate())  # warms the estimate caches off the UI thread
    return new


def _probed_family(base: str) -> str | None:
    """The OS family of a base whose name does not tell it, from a probe (None if named)."""
    from workbench.core.images.compare import engine_or_none
    from workbench.core.images.probe import probe_image
    from workbench.core.recipe.recipe import family_of

    if family_of(base) is not None:
        return None
    client = engine_or_none()
    return probe_image(client, base).family if client is not None else None


def estimate_whole_image(session: Session, *, offline: bool = False):
    """The whole-image estimate (base + OS + Python) of the session's target and choices.
    Worker threads only; raises one line when the base can be neither inspected nor read."""
    from workbench.core.images.compare import engine_or_none
    from workbench.core.images.whole import estimate_image

    recipe = session_recipe(session, Path.cwd() / RECIPE_FILE)
    estimate = session.estimate()
    return estimate_image(
        recipe,
        session.total_bytes(estimate),
        estimate.no_wheel,
        client=engine_or_none(),
        offline=offline,
    )


def compare_session_targets(session: Session, bases: list[str], *, offline: bool = False):
    """The session's selection estimated on each of ``bases`` (rows, cheapest first marked by
    the caller). Worker threads only."""
    from workbench.core.images.compare import Selection, compare_targets, engine_or_none
    from workbench.core.sizes.model import load_size_model

    version = session.model.azure_cli_version
    active = session.active_trims()
    selection = Selection(
        tuple(sorted(session.checked)),
        version,
        session.compile,
        tuple(session._bound(tuple(active))),
        tuple([*active, *([] if session.compile else ["no-compile"])]),
        session.install_mode,
        tuple(session_recipe(session, Path.cwd() / RECIPE_FILE).runtime_packages),
    )
    return compare_targets(
        bases,
        selection,
        lambda t: load_size_model(t, version, offline=offline),
        client=engine_or_none(),
        offline=offline,
    )


def save_session(session: Session, path: Path | None = None, *, force: bool = False) -> Path:
    """Write the session's choices as a recipe: the loaded one keeps its comments; a file
    already there is kept as ``<name>.bak``; the write is atomic. A recipe changed on disk
    since it was opened raises ``ChangedOnDisk`` unless ``force``."""
    recipe = session_recipe(session, path)
    saved = recipe.save(recipe.path, force=force)
    session.project = session.project.with_recipe(recipe)
    session.name = str(saved)
    session.dirty = False
    return saved


def render_build_context(session: Session) -> tuple[Recipe, BuildContext]:
    """The session's recipe and the Dockerfile (plus the files it COPYs) it renders, pinned
    from the session's size model, trims keeping what the session's context says."""
    project = session_project(session)
    assert project.recipe is not None  # with_recipe always sets it
    return project.recipe, project.build_context()


def last_build(recipe: Recipe) -> dict | None:
    """The newest history record of ``recipe`` whose image was built (it has the Dockerfile)."""
    from workbench.core.engine.history import load_history

    if recipe.path is None:
        return None
    built = [
        r
        for r in load_history(recipe.path)
        if r.get("dockerfile") and r.get("status") in ("ok", "smoke-failed")
    ]
    return built[-1] if built else None


@dataclass(frozen=True)
class CommandRow:
    """One ``az`` call with the command modules and SDK distributions it needs."""

    label: str  # az disk list
    file: str
    line: int
    modules: tuple[str, ...]  # "monitor ← vm" for a module another one imports
    packages: tuple[str, ...]


@dataclass(frozen=True)
class ScriptsView:
    """What the Scripts screen shows for one analysis: texts, command rows."""

    texts: dict[str, str]  # script path -> text ("" when unreadable)
    commands: tuple[CommandRow, ...]


def scripts_view(scripts: list[Path], analysis) -> ScriptsView:
    """Read the scripts and map each analysed call to its modules and packages (the static
    load plan of that call alone, planned once per distinct command path). Worker threads
    only."""
    from workbench.core.knowledge.load_plan import plan_load
    from workbench.core.knowledge.model import load_knowledge

    texts = {}
    for path in scripts:
        try:
            texts[str(path)] = Path(path).read_text(errors="replace")
        except OSError:
            texts[str(path)] = ""
    rows = []
    knowledge = load_knowledge(analysis.version) if analysis.knowledge_loaded else None
    planned: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for command in analysis.commands:
        modules: tuple[str, ...] = ()
        packages: tuple[str, ...] = ()
        if knowledge is not None and command.path:
            key = tuple(command.path)
            if key not in planned:
                plan = plan_load(knowledge, [command.path])
                planned[key] = (
                    tuple(m if by is None else f"{m} ← {by}" for m, by in plan.modules.items()),
                    tuple(sorted(plan.dists)),
                )
            modules, packages = planned[key]
        label = " ".join(("az", *command.path))
        rows.append(CommandRow(label, command.file, command.line, modules, packages))
    return ScriptsView(texts, tuple(rows))


def base_programs(session: Session, *, offline: bool = False):
    """Which programs the scripts run the base image lacks and the OS packages that add them
    (``ospkg.contents.Provision``; ``offline``: cached indexes only). Worker threads only
    (engine and index I/O)."""
    from workbench.core.engine.build import connect
    from workbench.core.errors import WorkbenchError
    from workbench.core.images.programs import provision

    base = session.recipe.base if session.recipe is not None else session.target.base_image
    commands = session.analysis.external_commands if session.analysis else ()
    client = connect(timeout=60)
    if base is None:  # a hand-made target without a base image: no image to ask
        raise WorkbenchError("the target names no base image to ask")
    return provision(client, base, commands, offline=offline)


def add_script(session: Session, text: str) -> Project:
    """Resolve ``text`` to a readable script not yet in ``session`` and open the session's
    project with it. Worker threads only; ``session`` is a ``Session.snapshot()`` (it gets the
    new project, the live session does not)."""
    from workbench.core.errors import WorkbenchError

    path = Path(text.strip()).expanduser()
    path = path if path.is_absolute() else Path.cwd() / path
    if path.is_dir():
        raise WorkbenchError(f"{text.strip()} is a directory; give a script's path")
    if not path.is_file():
        raise WorkbenchError(f"{text.strip() or 'nothing'}: no such file; give a script's path")
    if any(path.resolve() == Path(s).resolve() for s in session.scripts):
        raise WorkbenchError(f"{path.name} is already among the scripts")
    project = session.project.with_scripts([*session.scripts, path])
    bad = [e for e in project.analysis.errors if str(path) in e] if project.analysis else []
    if bad:
        raise WorkbenchError(bad[0])
    apply_project(session, project)  # on the snapshot: warms the estimate caches
    session.trim_savings(session.estimate())  # for the new context off the UI thread
    return project
