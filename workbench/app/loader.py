"""Open and save a session: the recipe (or the embedded default), its script analysis and size
model. Runs in worker threads (file and network I/O); never call it from UI code."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.app.paths import bundled_dir
from workbench.app.session import Session

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
            azure_cli=session.model.azure_cli_version,
            runtime_packages=guess_runtime_packages([str(s) for s in session.scripts]),
        )
    recipe.scripts = [os.path.relpath(s, path.parent.resolve()) for s in session.scripts]
    versions = {p.name: p.version for p in recipe.packages}
    wanted = {*session.always_installed, *session.checked}
    listed = [p.name for p in recipe.packages if p.name in wanted]  # the file's order stays
    first = session.always_installed
    names = listed + sorted(wanted - set(listed), key=lambda n: (n not in first, n))
    recipe.packages = [Package(n, session.pin(n), versions.get(n)) for n in names]
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
