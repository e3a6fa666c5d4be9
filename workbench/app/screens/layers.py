"""The Layers screen."""

from __future__ import annotations

from workbench.app.screens.base import PendingScreen


class LayersScreen(PendingScreen):
    """Layers: waits for its core."""

    MODE = "layers"
    NEEDS = "layer analysis (layers branch)"
