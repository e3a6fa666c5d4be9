"""Bounded waits: how long workbench waits for a Docker engine that says nothing."""

from __future__ import annotations

import os

DEFAULT_ENGINE_TIMEOUT = 600.0  # a build step may be quiet for minutes
PING_TIMEOUT = 15.0  # seconds for the engine to answer its version and ping


def engine_timeout() -> float:
    """Seconds of engine silence before a call gives up: ``WORKBENCH_ENGINE_TIMEOUT`` (a
    positive number) or 600."""
    try:
        value = float(os.environ.get("WORKBENCH_ENGINE_TIMEOUT") or DEFAULT_ENGINE_TIMEOUT)
    except ValueError:
        return DEFAULT_ENGINE_TIMEOUT
    return value if value > 0 else DEFAULT_ENGINE_TIMEOUT


def ping_timeout() -> float:
    """Seconds for the engine's first answer (its version, its ping)."""
    return min(PING_TIMEOUT, engine_timeout())
