"""Messages workers post back to the UI (thread-safe ``post_message``), and UI-level events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from workbench.app.session import Session
    from workbench.core.images.compare import TargetRow
    from workbench.core.images.whole import ImageEstimate


@dataclass
class LoadProgress(Message):
    """A long load moved on: ``done`` of ``total`` steps, now doing ``what``."""

    done: int
    total: int
    what: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LoadProgress)


@dataclass
class SessionLoaded(Message):
    """The session (recipe or embedded default) and its size model are ready."""

    session: Session


@dataclass
class WorkFailed(Message):
    """A worker failed; ``what`` names the work, ``error`` is one line for the user."""

    what: str
    error: str


@dataclass
class SaveConflict(Message):
    """The recipe changed on disk since it was opened; ``error`` says so in one line."""

    error: str


@dataclass
class Saved(Message):
    """The recipe was written to ``path``."""

    path: str


@dataclass
class Retargeted(Message):
    """The session was re-resolved on another target in ``seconds`` (worker time)."""

    session: Session
    seconds: float


@dataclass
class LoginSaving(Message):
    """What ``login = "none"`` saves for the loaded session's choices (None: no analysis)."""

    saving: int | None


@dataclass
class ImageEstimated(Message):
    """The whole-image estimate (``ImageEstimate``) of the session's target, or why not."""

    image: ImageEstimate | None
    error: str | None = None


@dataclass
class BasesFound(Message, bubble=False):  # the app forwards it to the open dialog
    """Engine images with a Python, for the target picker: ``(image, description)``."""

    bases: list[tuple[str, str]]


@dataclass
class TargetsCompared(Message, bubble=False):  # the app forwards it to the open dialog
    """Rows of the Compare targets view and the cheapest row."""

    rows: list[TargetRow]
    best: TargetRow | None


@dataclass
class VersionsFound(Message, bubble=False):  # the app forwards it to the open dialog
    """azure-cli versions on the package index, newest first, for the target picker."""

    versions: list[str]
