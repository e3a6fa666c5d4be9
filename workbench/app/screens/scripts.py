"""The Scripts screen."""

from __future__ import annotations

from workbench.app.screens.base import PendingScreen


class ScriptsScreen(PendingScreen):
    """Scripts: waits for its core."""

    MODE = "scripts"
    NEEDS = "the script scan and analysis (scan, knowledge branches)"
