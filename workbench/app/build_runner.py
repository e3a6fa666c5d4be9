"""What the Build screen runs in its worker thread: the session's recipe planned and built
(``real_build``), and an ``EventBatcher`` that hands the UI the build's events in batches.

No textual here; the screen injects ``post`` (a thread-safe ``post_message``)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workbench.app.loader import RECIPE_FILE, session_project

FLUSH_SECONDS = 0.05
_TAG = re.compile(
    r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$"
)


@dataclass(frozen=True)
class BuildRequest:
    """What the confirmation asked for: the image tag (None: untagged), the smoke test, the
    necessity probe (each package hidden in turn while the command checks rerun) and the
    traced run of the recipe's scripts against the fake Azure."""

    tag: str | None
    smoke: bool
    probe: bool = False
    run_script: bool = False


def recipe_path(session) -> Path:
    """The recipe file whose history the session's builds go to (``./workbench.toml`` for the
    embedded default, as ``session_recipe`` places it)."""
    recipe = session.recipe
    return Path(recipe.path if recipe is not None and recipe.path else Path.cwd() / RECIPE_FILE)


def default_tag(session) -> str:
    """``workbench/<first script's name>:latest``, lowercased to a valid reference."""
    stem = session.scripts[0].stem if session.scripts else "image"
    name = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "image"
    return f"workbench/{name}:latest"


def tag_error(tag: str) -> str | None:
    """Why ``tag`` is not a usable image reference, or None (empty means untagged)."""
    if not tag or _TAG.match(tag):
        return None
    return "lowercase name[:tag], e.g. workbench/tag-disks:try-2"


def real_build(
    session,
    request: BuildRequest,
    *,
    cancel: threading.Event,
    on_event: Callable,
    on_progress: Callable[[str], None],
):
    """Plan the session's recipe and build it on the engine (the default ``builder``).

    Returns the ``BuildOutcome``; raises ``WorkbenchError`` when the recipe cannot be planned."""
    from workbench.core.engine.pipeline import run_plan

    on_progress("planning: sizes and Dockerfile")
    project = session_project(session)
    plan = project.build_plan()
    return run_plan(
        plan,
        recipe_path(session),
        tag=request.tag,
        smoke=request.smoke,
        probe=request.probe,
        run_script=request.run_script,
        cancel=cancel,
        on_event=on_event,
        on_progress=on_progress,
    )


class EventBatcher:
    """Collects items from the build thread and calls ``post(items)`` every ``interval``
    seconds from its own thread (and once more when the ``with`` block ends), so a build
    printing thousands of lines costs the UI a few messages per second, in order."""

    def __init__(self, post: Callable[[list], None], interval: float = FLUSH_SECONDS) -> None:
        self._post = post
        self._interval = interval
        self._items: list = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="build-batcher", daemon=True)

    def add(self, item) -> None:
        """Queue one item (any thread)."""
        with self._lock:
            self._items.append(item)

    def flush(self) -> None:
        """Post what is queued, if anything."""
        with self._lock:
            items, self._items = self._items, []
        if items:
            self._post(items)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def __enter__(self) -> EventBatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.flush()
