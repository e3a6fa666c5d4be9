"""Open a session: the recipe (or the embedded default), its script analysis and size model.

Runs in a worker thread (it reads files and may fetch sizes); never call it from UI code.
"""

from __future__ import annotations

from pathlib import Path

from workbench.app.paths import bundled_dir
from workbench.app.session import Session

DEFAULT_SCRIPT = "tag-disks.sh"


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
    """Which packages the scripts need and why; the default checks exactly those."""
    from workbench.core.analyze import analyze

    analysis = analyze([str(p) for p in session.scripts], version)
    session.analysis = analysis
    session.notes.extend(analysis.errors)
    session.needed = {p.name: p.reasons[0] if p.reasons else "" for p in analysis.packages}
    session.checked = set(session.needed) - set(session.always_installed)
