"""One recipe (or the embedded default) opened on its target: the centre every face talks to.

A ``Project`` is opened once. It loads the knowledge of its azure-cli version (cached per
version in the process), analyses the scripts once (the analysis keeps its load plan),
derives what the trims keep once (the recipe's ``[keep]`` merged once) and loads the size
model with every package the recipe names, hand-added ones outside azure-cli's closure
included. It then answers the faces: the estimate, the Dockerfile and its build context,
the build plan, the smoke calls and the record a build leaves in the history.

A face that changes the choices (the TUI) asks for ``with_recipe``: a project sharing what
the change leaves valid, reloading only what it does not (the model for new packages, the
analysis for other scripts or another azure-cli version).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.defaults import (
    CLI,
    CORE,
    DEFAULT_AZURE_CLI,
    DEFAULT_LOGIN,
    NO_COMPILE,
    NO_LOGIN,
)
from workbench.core.errors import WorkbenchError
from workbench.core.knowledge.model import Knowledge, load_knowledge
from workbench.core.recipe.recipe import Recipe, canonical
from workbench.core.sizes.estimate import Estimate
from workbench.core.sizes.model import SizeModel, load_size_model
from workbench.core.sizes.target import Target
from workbench.core.sizes.venv_seed import venv_seed
from workbench.core.trims.registry import TrimContext, path_trims

if TYPE_CHECKING:  # the build, smoke and analysis stacks load when a face asks for them
    from workbench.core.analysis.scripts import ScriptAnalysis
    from workbench.core.engine.pipeline import BuildPlan
    from workbench.core.engine.smoke import SmokeCall
    from workbench.core.recipe.dockerfile import BuildContext, Resolution

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Project:
    """Everything known about one recipe on one target (see the module docstring)."""

    name: str
    recipe: Recipe | None
    scripts: tuple[Path, ...]
    azure_cli: str
    analysis: ScriptAnalysis | None  # None: no scripts
    model: SizeModel
    offline: bool = False
    login: str = DEFAULT_LOGIN  # the image's login route: its commands are kept (or "none")

    # ---- opening ----------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        recipe: str | os.PathLike | Recipe,
        *,
        offline: bool = False,
        progress: Progress | None = None,
    ) -> Project:
        """The project of a recipe (a path, or a ``Recipe`` already loaded or edited)."""
        if not isinstance(recipe, Recipe):
            recipe = Recipe.load(recipe)
        scripts = tuple(recipe.root / s for s in recipe.scripts)
        return cls._make(
            str(recipe.path or "recipe"),
            recipe,
            scripts,
            recipe.azure_cli,
            recipe.target_of(),
            [p.name for p in recipe.packages],
            login=recipe.login,
            offline=offline,
            progress=progress,
        )

    @classmethod
    def for_scripts(
        cls,
        scripts: Iterable[str | os.PathLike],
        *,
        target: Target,
        azure_cli: str = DEFAULT_AZURE_CLI,
        packages: Sequence[str] = (),
        name: str = "",
        login: str = DEFAULT_LOGIN,
        offline: bool = False,
        refresh: bool = False,
        progress: Progress | None = None,
    ) -> Project:
        """A project with no recipe: ``scripts`` (maybe none) on ``target`` with ``packages``
        (requirement strings) beyond what the scripts need."""
        paths = tuple(Path(s) for s in scripts)
        return cls._make(
            name or ", ".join(p.name for p in paths) or "packages",
            None,
            paths,
            azure_cli,
            target,
            list(packages),
            login=login,
            offline=offline,
            refresh=refresh,
            progress=progress,
        )

    @classmethod
    def _make(
        cls,
        name: str,
        recipe: Recipe | None,
        scripts: tuple[Path, ...],
        azure_cli: str,
        target: Target,
        packages: list[str],
        *,
        login: str,
        offline: bool,
        refresh: bool = False,
        progress: Progress | None = None,
    ) -> Project:
        observed = tuple(recipe.observed_paths) if recipe is not None else ()
        search = (recipe.root,) if recipe is not None else ()
        analysis = _analyse(scripts, azure_cli, login, observed, search)
        model = _size_model(target, azure_cli, packages, offline, refresh, progress)
        return cls(name, recipe, scripts, azure_cli, analysis, model, offline, login)

    def with_recipe(self, recipe: Recipe, *, progress: Progress | None = None) -> Project:
        """This project for an edited ``recipe``: knowledge, analysis and model are kept when
        the edit leaves them valid (same scripts, version, target and packages known)."""
        scripts = tuple(recipe.root / s for s in recipe.scripts)
        same_scripts = [p.resolve() for p in scripts] == [p.resolve() for p in self.scripts]
        observed = tuple(recipe.observed_paths)
        same_observed = observed == (tuple(self.recipe.observed_paths) if self.recipe else ())
        same_login = recipe.login == self.login
        if same_scripts and same_observed and same_login and recipe.azure_cli == self.azure_cli:
            analysis = self.analysis
        else:
            analysis = _analyse(scripts, recipe.azure_cli, recipe.login, observed, (recipe.root,))
        model = self.model
        names = [p.name for p in recipe.packages]
        target = recipe.target_of()
        if (
            target != model.target
            or recipe.azure_cli != model.azure_cli_version
            or any(canonical(n) not in model.dists for n in names)
        ):
            model = _size_model(target, recipe.azure_cli, names, self.offline, False, progress)
        return replace(
            self,
            name=str(recipe.path or self.name),
            recipe=recipe,
            scripts=scripts,
            azure_cli=recipe.azure_cli,
            analysis=analysis,
            model=model,
            login=recipe.login,
        )

    def retarget(
        self,
        target: Target,
        azure_cli: str,
        *,
        extra: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> Project:
        """This project on another target or azure-cli version: the size model for it (with
        ``extra``, the packages chosen beyond the scripts' needs), the analysis anew only for
        another version."""
        analysis = self.analysis
        if azure_cli != self.azure_cli:
            observed = tuple(self.recipe.observed_paths) if self.recipe else ()
            search = (self.recipe.root,) if self.recipe else ()
            analysis = _analyse(self.scripts, azure_cli, self.login, observed, search)
        model = _size_model(target, azure_cli, extra, self.offline, False, progress)
        return replace(self, azure_cli=azure_cli, analysis=analysis, model=model)

    def with_scripts(self, scripts: Iterable[str | os.PathLike]) -> Project:
        """This project with other scripts (analysed anew; the size model is kept: what the
        analysis adds is part of azure-cli's closure)."""
        paths = tuple(Path(s) for s in scripts)
        observed = tuple(self.recipe.observed_paths) if self.recipe else ()
        search = (self.recipe.root,) if self.recipe else ()
        analysis = _analyse(paths, self.azure_cli, self.login, observed, search)
        return replace(self, scripts=paths, analysis=analysis)

    def with_login(self, route: str) -> Project:
        """This project for another login route (the scripts analysed again)."""
        observed = tuple(self.recipe.observed_paths) if self.recipe else ()
        search = (self.recipe.root,) if self.recipe else ()
        analysis = _analyse(self.scripts, self.azure_cli, route, observed, search)
        return replace(self, analysis=analysis, login=route)

    # ---- answers ----------------------------------------------------------------------
    @cached_property
    def knowledge(self) -> Knowledge | None:
        """The azure-cli knowledge; None when the version is unknown (the analysis says why)."""
        if self.analysis is not None and not self.analysis.knowledge_loaded:
            return None
        return load_knowledge(self.azure_cli)

    @cached_property
    def trim_context(self) -> TrimContext:
        """What the trims keep: the analysis's context (the API profile alone without
        scripts), with the recipe's ``[keep]`` merged in once."""
        from workbench.core.analysis.trim_context import api_versions, trim_context

        knowledge, analysis = self.knowledge, self.analysis
        if knowledge is None:
            context = TrimContext()
        elif analysis is not None and analysis.analysed:
            context = trim_context(analysis, knowledge)
        else:
            context = TrimContext(None, api_versions(knowledge, None), {})
        return context.merged(self.recipe.keep.context()) if self.recipe else context

    @property
    def target(self) -> Target:
        """The target the sizes are for."""
        return self.model.target

    def package_names(self) -> list[str]:
        """What is installed: the recipe's packages, else what the analysis needs."""
        if self.recipe is not None:
            return [canonical(p.name) for p in self.recipe.packages]
        return list(self.analysis.package_names()) if self.analysis else []

    def estimate(
        self,
        names: Iterable[str] | None = None,
        trims: Sequence[str] | None = None,
        *,
        compile: bool | None = None,
    ) -> Estimate:
        """The size estimate of ``names`` (default: ``package_names``) under ``trims``
        (default: the recipe's), trims keeping what this project's context says."""
        chosen = list(self.recipe.trims if trims is None and self.recipe else trims or ())
        compile_ = NO_COMPILE not in chosen if compile is None else compile
        bound = path_trims(chosen, self.trim_context) if chosen else []
        wanted = self.package_names() if names is None else list(names)
        return self.model.estimate(wanted, compile=compile_, trims=bound)

    def python_bytes(self) -> int:
        """The recipe's Python install: its packages after trims plus the venv's own seed."""
        recipe = self._recipe()
        seed = venv_seed(self.target, recipe.mode, recipe.trims)
        return self.estimate().total_bytes + (seed.bytes if seed else 0)

    def resolution(self, *, lock: bool = False) -> Resolution:
        """Exact versions of the recipe's closure from the size model (``lock``: hashed)."""
        from workbench.core.recipe.dockerfile import Resolution

        return Resolution.from_size_model(self.model, self.package_names(), lock=lock)

    def build_context(
        self,
        *,
        resolution: Resolution | None = None,
        trim_context: TrimContext | None = None,
        lock: bool = False,
    ) -> BuildContext:
        """The Dockerfile and the files it COPYs (pins and trim context may be given)."""
        from workbench.core.recipe.dockerfile import build_context

        return build_context(
            self._recipe(),
            resolution or self.resolution(lock=lock),
            self.trim_context if trim_context is None else trim_context,
        )

    def smoke_calls(self) -> tuple[SmokeCall, ...]:
        """Every analysed az call, as the smoke test replays it."""
        from workbench.core.engine.smoke import SmokeCall

        if self.analysis is None:
            return ()
        return tuple(SmokeCall(c.path, c.args, c.where) for c in self.analysis.commands)

    def build_plan(self) -> BuildPlan:
        """Everything one build needs: Dockerfile and context, smoke and probe inputs, the
        estimate and the settings the history records."""
        from workbench.core.engine.pipeline import BuildPlan

        recipe = self._recipe()
        if self.analysis is not None and self.analysis.errors:
            raise WorkbenchError(f"{recipe.path or self.name}: {self.analysis.errors[0]}")
        names = self.package_names()
        resolution = self.resolution()
        built = self.build_context(resolution=resolution)
        calls = self.smoke_calls()
        baseline = {b.name for b in self.knowledge.baseline} if self.knowledge else set()
        return BuildPlan(
            dockerfile=built.dockerfile,
            files=dict(built.files),
            buildargs=dict(built.build_args),
            calls=calls,
            paths=tuple(c.path for c in calls) + self.login_paths(),
            imports=tuple(m for n in names if n not in (CLI, CORE) for m in self.import_names(n)),
            probe_packages=self.probe_files(n for n in names if n not in baseline),
            estimate_bytes=self.python_bytes(),
            target=self.target.to_dict(),
            recipe_digest=recipe.digest(),
            packages=dict(resolution.versions),
            settings=self.settings(),
            scripts=tuple(str(s) for s in self.scripts),
            azure_cli=self.azure_cli,
        )

    def login_saving(
        self, requested: Sequence[str], trims: Sequence[str], *, compile: bool
    ) -> int | None:
        """Bytes ``login = "none"`` saves for a selection: the estimate of ``requested`` (hand
        picks plus the analysis's packages) under ``trims`` with the login kept, minus the same
        without the packages and modules only the login needs (None without an analysis)."""
        if self.analysis is None or not self.analysis.analysed:
            return None
        other = self.with_login(NO_LOGIN if self.login != NO_LOGIN else DEFAULT_LOGIN)
        routes = {self.login: self, other.login: other}
        needs = {
            route: p.analysis.package_names() if p.analysis else () for route, p in routes.items()
        }
        login_only = set(needs[DEFAULT_LOGIN]) - set(needs[NO_LOGIN])
        hand = [n for n in requested if n not in needs[self.login]]
        totals = {}
        for route, project in routes.items():
            names = [*hand, *needs[route]]
            if route == NO_LOGIN:
                names = [n for n in names if n not in login_only or n in hand]
            totals[route] = project.estimate(names, trims, compile=compile).total_bytes
        return totals[DEFAULT_LOGIN] - totals[NO_LOGIN]

    def login_paths(self) -> tuple[tuple[str, ...], ...]:
        """The command paths the image's own login needs (checked by the smoke test too)."""
        return tuple(c.path for c in self.analysis.login_commands) if self.analysis else ()

    def probe_files(self, names: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Packages for the necessity probe, each with its installed files (relative to
        site-packages, from the wheel): the probe hides those when a trim (drop-records) left
        no RECORD to find them by."""
        files = {}
        for name in names:
            key = canonical(name)
            files[key] = tuple(self.model.files_of(key)) if key in self.model.dists else ()
        return files

    def settings(self) -> dict[str, str]:
        """What a build comparison shows beside the packages: base, Python, mode, trims."""
        recipe = self._recipe()
        return {
            "base image": recipe.base,
            "python": self.target.python,
            "install mode": recipe.mode,
            "trims": ", ".join(recipe.trims),
            "azure-cli": recipe.azure_cli,
        }

    def import_names(self, dist: str) -> list[str]:
        """Top-level import name of a distribution, from its installed files (the shallowest
        package with an ``__init__.py``, or a top-level module)."""
        files = self.model.files_of(dist)
        inits = sorted(
            (p.count("/"), p[: -len("/__init__.py")].replace("/", "."))
            for p in files
            if p.endswith("/__init__.py") and ".dist-info" not in p and "/tests/" not in p
        )
        minimum = 3 if dist.startswith("azure-mgmt-") else 2 if dist.startswith("azure-") else 1
        for depth, name in inits:
            if depth >= minimum:
                return [name]
        return [p[:-3] for p in files if "/" not in p and p.endswith(".py")][:1]

    def _recipe(self) -> Recipe:
        if self.recipe is None:
            raise WorkbenchError(f"{self.name}: no recipe; write one with `workbench init`")
        return self.recipe


def _analyse(
    scripts: tuple[Path, ...],
    azure_cli: str,
    login: str = DEFAULT_LOGIN,
    observed: tuple[str, ...] = (),
    search: tuple[Path, ...] = (),
) -> ScriptAnalysis | None:
    """The scripts' analysis (None without scripts), with the paths a traced run observed;
    sourced scripts are looked for beside each script and in ``search`` (the recipe's folder);
    an unknown version is in its errors."""
    if not scripts:
        return None
    from workbench.core.analysis.scripts import analyze

    return analyze(
        [str(s) for s in scripts], azure_cli, login=login, search_dirs=search, observed=observed
    )


def _size_model(
    target: Target,
    azure_cli: str,
    packages: Sequence[str],
    offline: bool,
    refresh: bool,
    progress: Progress | None,
) -> SizeModel:
    """The size model, reloaded with the packages it does not hold (hand-added ones)."""
    from packaging.requirements import Requirement

    model = load_size_model(target, azure_cli, offline=offline, refresh=refresh, progress=progress)
    extra = [r for r in packages if not model.satisfies(Requirement(r))]
    if extra:
        model = load_size_model(target, azure_cli, offline=offline, extra=extra, progress=progress)
    return model
