"""Messages the Layers screen's workers post back (thread-safe ``post_message``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from textual.message import Message

if TYPE_CHECKING:
    from workbench.core.layers.analysis import ImageAnalysis
    from workbench.core.layers.filetree import FileTree


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
    analysis: ImageAnalysis | None
    error: str | None = None


class TreeView(NamedTuple):
    """One file-tree view: the ``ImageAnalysis.tree`` arguments, and the analysis itself."""

    analysis: ImageAnalysis
    layer: int
    aggregated: bool
    sort: str
    pattern: str | None
    kinds: frozenset[str]


@dataclass
class TreeDone(Message):
    """The tree of ``view`` was built (``tree``), or failed (one-line ``error``)."""

    view: TreeView
    tree: FileTree | None
    error: str | None = None
