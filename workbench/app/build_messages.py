"""Messages of the Build and History screens (posted from their worker threads)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from workbench.core.engine.pipeline import BuildOutcome


@dataclass
class BuildEvents(Message, bubble=False):
    """A batch of the running build's items, in order: core build events (``StepStarted``,
    ``LogLine``, ...) and progress lines (``str``, e.g. the smoke test's)."""

    items: list


@dataclass
class BuildFinished(Message, bubble=False):
    """The build ended: ``outcome`` (a core ``BuildOutcome``), or ``error`` (one line) when it
    could not even start (the recipe could not be planned)."""

    outcome: BuildOutcome | None
    error: str | None = None


@dataclass
class HistoryLoaded(Message, bubble=False):
    """The records of ``path`` (oldest first), or ``error`` (one line)."""

    path: str
    records: list = field(default_factory=list)
    error: str | None = None
