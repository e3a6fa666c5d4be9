"""The working state of one tuning session: what is loaded and what the user has toggled.

No textual here: the screens read and change a ``Session``; loading it (I/O) runs in a worker.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.core.defaults import CLI, CORE, DEFAULT_LOGIN, INSTALL_MODES, NO_COMPILE, PIN_MODES
from workbench.core.errors import WorkbenchError
from workbench.core.sizes.venv_seed import venv_seed
from workbench.core.trims.registry import TRIMS, TrimContext, ordered, path_trims

if TYPE_CHECKING:
    from workbench.core.analysis.scripts import ScriptAnalysis
    from workbench.core.images.whole import ImageEstimate
    from workbench.core.project import Project
    from workbench.core.recipe.recipe import Recipe
    from workbench.core.sizes.estimate import Estimate
    from workbench.core.sizes.model import SizeModel
    from workbench.core.sizes.target import Target

PATH_TRIMS = tuple(n for n in TRIMS if n != NO_COMPILE)  # the trims toggled as trims


@dataclass
class Session:
    """The user's choices over one ``Project`` (a recipe, or the embedded default)."""

    project: Project
    name: str = ""
    needed: dict[str, str] = field(default_factory=dict)  # script-needed package -> why
    checked: set[str] = field(default_factory=set)
    pins: dict[str, str] = field(default_factory=dict)
    install_mode: str = "venv"
    compile: bool = True
    trims: set[str] = field(default_factory=set)
    dirty: bool = False
    notes: list[str] = field(default_factory=list)  # parts not available, shown in place
    dead_weight: dict[str, int] = field(default_factory=dict)  # probe: unneeded -> its bytes
    dead_why: str = ""  # what proved it (the probed image)
    dropped: dict[str, str] = field(default_factory=dict)  # unchecked package -> why
    overrides: dict[str, str] = field(default_factory=dict)  # target fields set by hand
    family: str | None = None  # OS package family of a base whose name does not tell it
    image: ImageEstimate | None = None  # the whole image estimated on the target
    added_runtime: list[str] = field(default_factory=list)  # OS packages added for programs
    login: str = DEFAULT_LOGIN  # the recipe's login route (core.analysis.login)
    login_saving: int | None = None  # what login = "none" saves for the choices at analysis

    def __post_init__(self) -> None:
        self.name = self.name or self.project.name
        self.always_installed = (CLI, CORE)
        self._tables_for: SizeModel | None = None
        self._own: dict[str, tuple[int, int]] = {}
        self._parents: dict[str, list[str]] = {}
        self._bound_context: TrimContext | None = None
        self._bound_cache: dict[tuple[str, ...], list] = {}
        self._bytes_cache: dict[tuple, dict[str, int]] = {}
        self._unstripped: list[str] | None = None  # ELF dists whose stripped sizes are unknown

    # ---- what the project holds -----------------------------------------------------------
    @property
    def model(self) -> SizeModel:
        """The size model of the project's target."""
        return self.project.model

    @property
    def analysis(self) -> ScriptAnalysis | None:
        """The scripts' analysis (None without scripts)."""
        return self.project.analysis

    @property
    def trim_context(self) -> TrimContext:
        """What trims keep (the analysis's context with the recipe's ``[keep]``)."""
        return self.project.trim_context

    @property
    def recipe(self) -> Recipe | None:
        """The recipe as loaded or last saved (None for the embedded default)."""
        return self.project.recipe

    @property
    def scripts(self) -> list[Path]:
        """The scripts the session analyses."""
        return list(self.project.scripts)

    def _tables(self) -> None:
        """Per-package own bytes and reverse edges of the current model (recomputed when the
        project's model changes)."""
        model = self.model
        if self._tables_for is model:
            return
        self._own = {
            n: (sum(model.files_of(n).values()), sum(model.pyc_of(n).values()))
            for n in model.names()
        }
        self._parents = {}
        for parent, children in model.edges.items():
            for child in children:
                self._parents.setdefault(child, []).append(parent)
        self._tables_for = model

    def snapshot(self) -> Session:
        """A copy whose choices the UI thread can go on changing while a worker reads it."""
        snap = copy.copy(self)
        snap.checked, snap.trims = set(self.checked), set(self.trims)
        snap.pins, snap.needed = dict(self.pins), dict(self.needed)
        snap.dead_weight, snap.dropped = dict(self.dead_weight), dict(self.dropped)
        snap.added_runtime = list(self.added_runtime)
        return snap

    def own_bytes(self, name: str) -> int:
        """The package's own installed bytes (with .pyc when compiling), dependencies aside."""
        self._tables()
        files, pyc = self._own[name]
        return files + (pyc if self.compile else 0)

    def pulled_in_by(self, name: str, present) -> str | None:
        """A package in ``present`` that depends on ``name`` (why a dependency is there)."""
        self._tables()
        return next((p for p in self._parents.get(name, ()) if p in present), None)

    @property
    def target(self) -> Target:
        """The size model's target."""
        return self.model.target

    def origin(self, name: str) -> str:
        """``script`` if the scripts need it, ``hand`` if only the user asked, else ``""``."""
        if name in self.needed:
            return "script"
        return "hand" if name in self.checked else ""

    def why(self, name: str) -> str:
        """Why the package is on the list: the script reason, ``hand-added``, or nothing."""
        if name in self.needed:
            return self.needed[name]
        return "hand-added" if name in self.checked else ""

    def pin(self, name: str) -> str:
        """The pin mode of a package (exact by default)."""
        return self.pins.get(name, PIN_MODES[0])

    def toggle(self, name: str) -> bool:
        """Check or uncheck one package; False for azure-cli and its core (always installed)."""
        if name in self.always_installed:
            return False
        self.checked.symmetric_difference_update({name})
        self.dirty = True
        return True

    def note_probe(self, probe, image: str) -> None:
        """Remember what a necessity probe of ``image`` proved unneeded (``ProbeResult`` rows
        with ``needed is False``) among the packages still checked."""
        self.dead_weight = {
            p.package: p.bytes for p in probe if p.needed is False and p.package in self.checked
        }
        self.dead_why = f"dead weight: the probe of {image[:19]} ran every call without it"

    def drop_dead_weight(self) -> tuple[list[str], int]:
        """Uncheck what the last probe proved unneeded, recording why; (names, bytes)."""
        names = sorted(n for n in self.dead_weight if n in self.checked)
        saved = sum(self.dead_weight[n] for n in names)
        self.checked -= set(names)
        self.dropped.update(dict.fromkeys(names, self.dead_why))
        self.dead_weight = {}
        self.dirty = self.dirty or bool(names)
        return names, saved

    def cycle_pin(self, name: str) -> str:
        """Next pin mode for one package; returns it."""
        mode = PIN_MODES[(PIN_MODES.index(self.pin(name)) + 1) % len(PIN_MODES)]
        self.pins[name] = mode
        self.dirty = True
        return mode

    def cycle_install_mode(self) -> str:
        """Next install mode (system, venv, multistage); returns it."""
        index = INSTALL_MODES.index(self.install_mode)
        self.install_mode = INSTALL_MODES[(index + 1) % len(INSTALL_MODES)]
        self.dirty = True
        return self.install_mode

    def add_runtime(self, packages: Iterable[str]) -> list[str]:
        """Add OS packages (for programs the base lacks) to the runtime packages; the new ones."""
        new = [p for p in dict.fromkeys(packages) if p not in self.added_runtime]
        self.added_runtime += new
        self.dirty = self.dirty or bool(new)
        return new

    def toggle_compile(self) -> None:
        """Install with or without .pyc files (without: sourceless, which keeps them, goes)."""
        self.compile = not self.compile
        if not self.compile:
            self.trims -= {n for n in self.trims if TRIMS[n].instead_of == NO_COMPILE}
        self.dirty = True

    def toggle_trim(self, name: str) -> None:
        """Turn one trim on or off."""
        self.trims.symmetric_difference_update({name})
        self.dirty = True

    def trim_problem(self, name: str) -> str | None:
        """Why trim ``name`` cannot apply to this session (one line), or None."""
        trim = TRIMS[name]
        if trim.venv_only and self.install_mode == "system":
            return f"trim {name} needs install mode venv or multistage (it would remove pip)"
        if trim.instead_of == NO_COMPILE and not self.compile:
            return f"{name} keeps pip's .pyc files: turn .pyc on (c) to use it instead"
        if trim.effect == "strip":
            from workbench.core.sizes.strip import has_elf, known_sizes  # keeps app start light

            if self._unstripped is None:
                self._unstripped = [n for n in self.model.names() if has_elf(self.model, n)]
            self._unstripped = [n for n in self._unstripped if known_sizes(self.model, n) is None]
            if unknown := self._unstripped:
                return (
                    f"stripped sizes of {', '.join(unknown)} not measured (needs the package "
                    "index and binutils' strip); reopen online to measure them"
                )
        try:
            trim.check_context(self.trim_context)
        except WorkbenchError as exc:
            return str(exc)
        return None

    def active_trims(self) -> list[str]:
        """The chosen path trims that can apply, in canonical order (no-compile is ``compile``)."""
        return [n for n in ordered(self.trims) if self.trim_problem(n) is None]

    def _bound(self, names: tuple[str, ...]) -> list:
        """``path_trims`` for ``names`` under the session's context, cached per context."""
        self._check_context()
        bound = self._bound_cache.get(names)
        if bound is None:
            bound = self._bound_cache[names] = path_trims(names, self.trim_context)
        return bound

    def _check_context(self) -> None:
        """Drop what was cached for another trim context."""
        if self._bound_context is not self.trim_context:
            self._bound_context, self._bound_cache, self._bytes_cache = self.trim_context, {}, {}

    def _package_bytes(
        self, names: tuple[str, ...], compile: bool, packages: list[str]
    ) -> dict[str, int]:
        """Own bytes of (at least) ``packages`` under trims ``names``, cached: a package's
        bytes under a trim set do not depend on the selection, so only packages not seen
        before under that set cost an estimate."""
        self._check_context()
        table = self._bytes_cache.setdefault((names, compile), {})
        missing = [n for n in packages if n not in table]
        if missing:
            more = self.model.estimate(missing, compile=compile, trims=self._bound(names))
            table.update((p.name, p.bytes) for p in more.packages)
        return table

    def estimate(self) -> Estimate:
        """The size estimate of the current choices (pure and fast: safe on the UI thread)."""
        names = tuple(self.active_trims())
        return self.model.estimate(
            sorted(self.checked), compile=self.compile, trims=self._bound(names)
        )

    def seed_bytes(self, trims: Iterable[str] | None = None) -> int:
        """Bytes of the venv's own pip/setuptools the image keeps (0 for system installs or
        with drop-pip); ``trims`` defaults to the active ones."""
        names = self.active_trims() if trims is None else list(trims)
        seed = venv_seed(self.target, self.install_mode, names)
        return seed.bytes if seed else 0

    def total_bytes(self, estimate) -> int:
        """What the image's Python install weighs: the packages plus the venv seed."""
        return estimate.total_bytes + self.seed_bytes()

    def image_line(self, estimate) -> str | None:
        """``image ~ base + OS + Python = total`` with the Python part of the current choices
        (base and OS come from the last whole-image estimate of this target)."""
        image = self.image
        if image is None or image.base.image != self.target.base_image:
            return None
        from dataclasses import replace

        return replace(image, python_bytes=self.total_bytes(estimate)).line()

    def trim_savings(self, estimate) -> dict[str, int | None]:
        """Per trim (no-compile included): bytes it saves for the selection of ``estimate``;
        for a trim that is on, its share of ``estimate``; for one that is off, what turning
        it on would save; None when it cannot apply. Sums over cached per-package bytes, so
        a package toggle costs no extra estimate."""
        on = {t.name: t.saves_bytes for t in estimate.trims}
        active = tuple(self.active_trims())
        closure = [p.name for p in estimate.packages]
        now = self._package_bytes(active, self.compile, closure)

        def saved(names: tuple[str, ...], compile: bool) -> int:
            then = self._package_bytes(names, compile, closure)
            return sum(now[n] - then[n] for n in closure)

        out: dict[str, int | None] = {}
        for name in TRIMS:
            if name in on:
                out[name] = on[name]
            elif name == NO_COMPILE:
                out[name] = saved(active, False)
            elif self.trim_problem(name) is not None:
                out[name] = None
            else:
                out[name] = saved(tuple(ordered([*active, name])), self.compile)
        drop_pip = out.get("drop-pip")
        if drop_pip is not None:  # the venv's pip/setuptools, beyond the packages
            out["drop-pip"] = drop_pip + self.seed_bytes([n for n in active if n != "drop-pip"])
        return out
