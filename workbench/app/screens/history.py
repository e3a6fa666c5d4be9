"""The History screen."""

from __future__ import annotations

from workbench.app.screens.base import PendingScreen


class HistoryScreen(PendingScreen):
    """History: waits for its core."""

    MODE = "history"
    NEEDS = "the build history (build branch)"
