"""Messages the Layers screen's workers post back (thread-safe ``post_message``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from textual.message import Message


@dataclass
class DefaultImage(Message):
    """The image of the recipe's last build (None: no build yet, or ``error``)."""

    image: str | None
    error: str | None = None


@dataclass
class AnalysisProgress(Message):
    """The source streams: ``done`` of ``total`` bytes (None: unknown) of ``what``."""

    source: str
    done: int
    total: int | None
    what: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AnalysisProgress)


@dataclass
class AnalysisDone(Message):
    """The analysis of ``source`` finished: ``analysis`` or a one-line ``error``."""

    source: str
    analysis: object | None
    error: str | None = None


class TreeView(NamedTuple):
    """One file-tree view: the ``ImageAnalysis.tree`` arguments, and the analysis itself."""

    analysis: object
    layer: int
    aggregated: bool
    sort: str
    pattern: str | None
    kinds: frozenset[str]


@dataclass
class TreeDone(Message):
    """The tree of ``view`` was built (``tree``), or failed (one-line ``error``)."""

    view: TreeView
    tree: object | None
    error: str | None = None
