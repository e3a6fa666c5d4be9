"""The events a build streams, whichever builder runs it: steps started and taken from the
cache, log lines, warnings, and the last event, a result or a failure."""

from __future__ import annotations

from dataclasses import dataclass

LAST_LINES = 20
_WARNING = ("[warning]", "warning:", "[warn]")


@dataclass(frozen=True)
class StepStarted:
    """The engine started step ``n`` of ``total`` (a Dockerfile instruction)."""

    n: int
    total: int
    instruction: str


@dataclass(frozen=True)
class StepCached:
    """The engine reused step ``n`` from its build cache (its " ---> Using cache" line)."""

    n: int


@dataclass(frozen=True)
class LogLine:
    """One line of build output (the engine's or a RUN command's)."""

    text: str
    step: int | None = None


@dataclass(frozen=True)
class BuildWarning:
    """A warning line from the engine or from a RUN command."""

    text: str
    step: int | None = None


@dataclass(frozen=True)
class BuildFailed:
    """The build stopped. ``kind``: step | base-image | cancelled | engine."""

    kind: str
    message: str
    step: int | None = None
    total: int | None = None
    command: str | None = None
    last_lines: tuple[str, ...] = ()
    duration_s: float = 0.0

    def line(self) -> str:
        """The failure as one clear line."""
        if self.kind == "cancelled":
            where = f" at step {self.step}/{self.total}" if self.step else ""
            return f"build cancelled{where}"
        where = f"step {self.step}/{self.total} ({_short(self.command)}): " if self.step else ""
        return f"{where}{self.message}"


@dataclass(frozen=True)
class BuildResult:
    """The build succeeded: the image id, its tag, each step's instruction and seconds, and
    the numbers of the steps the engine took from its cache."""

    image_id: str
    tag: str | None
    duration_s: float
    step_seconds: tuple[float, ...] = ()
    cached: tuple[int, ...] = ()
    instructions: tuple[str, ...] = ()

    @property
    def cached_steps(self) -> int:
        """How many steps came from the cache."""
        return len(self.cached)

    def steps(self) -> list[tuple[int, str, float | None, bool]]:
        """(step number, instruction, seconds, came from the cache) for every step."""
        return [
            (
                n,
                text,
                self.step_seconds[n - 1] if n <= len(self.step_seconds) else None,
                n in self.cached,
            )
            for n, text in enumerate(self.instructions, 1)
        ]


BuildEvent = StepStarted | StepCached | LogLine | BuildWarning | BuildFailed | BuildResult


def _short(text: str | None, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_warning(line: str) -> bool:
    """Whether a build output line is a warning."""
    return line.lstrip().lower().startswith(_WARNING)


def base_image_message(image: str, reason: str) -> str:
    """The one line for a base image that is not on the engine."""
    return (
        f"base image {image} is not on the engine and could not be pulled ({reason}); "
        "build or pull it first (scripts/base-image.sh makes the test base)"
    )
