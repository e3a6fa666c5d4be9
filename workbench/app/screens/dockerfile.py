"""The Dockerfile screen."""

from __future__ import annotations

from workbench.app.screens.base import PendingScreen


class DockerfileScreen(PendingScreen):
    """Dockerfile: waits for its core."""

    MODE = "dockerfile"
    NEEDS = "Dockerfile rendering (recipe branch)"
