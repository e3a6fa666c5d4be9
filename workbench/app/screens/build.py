"""The Build screen."""

from __future__ import annotations

from workbench.app.screens.base import PendingScreen


class BuildScreen(PendingScreen):
    """Build: waits for its core."""

    MODE = "build"
    NEEDS = "builds and smoke tests (build branch)"
