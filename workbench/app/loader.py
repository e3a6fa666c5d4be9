"""Open a session: the recipe (or the embedded default), its script analysis and size model.

Runs in a worker thread (it reads files and may fetch sizes); never call it from UI code.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from workbench.app.paths import bundled_dir
from workbench.app.session import Session

DEFAULT_SCRIPT = "tag-disks.sh"


def optional_core(module: str):
    """Import ``workbench.core.<module>``, or None while that part of the core has not landed."""
    try:
        return importlib.import_module(f"workbench.core.{module}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("workbench.core"):
            return None
        raise


def open_session(recipe: Path | None, *, offline: bool = False, progress=None) -> Session:
    """Load everything a session shows. Raises ``WorkbenchError`` (one line) on bad input."""
    from workbench.core.errors import WorkbenchError

    if recipe is not None:
        raise WorkbenchError(
            f"cannot open {recipe}: recipes need the recipe core, which is not available yet"
        )
    from workbench.core.size_model import load_size_model
    from workbench.core.target import DEFAULT_BASE_IMAGE, Target

    target = Target.from_image(DEFAULT_BASE_IMAGE)
    model = load_size_model(target, offline=offline, progress=progress)
    scripts = [bundled_dir("sample-scripts") / DEFAULT_SCRIPT]
    session = Session(name=f"{DEFAULT_SCRIPT} (embedded default)", model=model, scripts=scripts)
    _analyse(session, model.azure_cli_version)
    return session


def _analyse(session: Session, version: str) -> None:
    """Fill in which packages the scripts need and why (when the analysis core is there)."""
    analyze = optional_core("analyze")
    if analyze is None:
        session.notes.append("script analysis is not available yet: no 'why' and no preselection")
        return
    session.analysis = analyze.analyze([str(p) for p in session.scripts], version)
