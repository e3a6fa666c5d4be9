"""BuildKit's build progress, decoded: the ``moby.buildkit.trace`` messages of ``POST /build``
with ``version=2`` carry a base64 ``moby.buildkit.v1.StatusResponse`` (protobuf), and this
module turns them into the build events the classic builder's text gave.

The message classes come from a descriptor made here from the fields of BuildKit's
``api/services/control/control.proto`` that the events need (the others are skipped by the
parser as unknown fields). Dockerfile steps are the instructions BuildKit makes a vertex of
(``FROM`` an image, ``RUN``, ``COPY``, ``ADD``, ``WORKDIR``), numbered through the whole file;
a vertex named ``[stage i/N] ...`` is the i-th of them in that stage.
"""

from __future__ import annotations

import base64
import re
import time
from collections import deque
from dataclasses import dataclass, field
from functools import cache

from workbench.core.engine.events import (
    LAST_LINES,
    BuildEvent,
    BuildFailed,
    BuildResult,
    BuildWarning,
    LogLine,
    StepCached,
    StepStarted,
    base_image_message,
    is_warning,
)

TRACE_ID = "moby.buildkit.trace"
IMAGE_ID = "moby.image.id"
_VERTEX_KINDS = ("RUN", "COPY", "ADD", "WORKDIR")
_VERTEX_NAME = re.compile(r"^\[(?:([^\s\]]+) +)?\s*(\d+)/(\d+)\] (.*)$", re.S)
_EXIT_CODE = re.compile(r"exit code: (\d+)")
_METADATA = "[internal] load metadata for "
_CANCELLED = ("context canceled", "context cancelled")

# (message, [(field name, number, type, repeated, message type)]) of control.proto
_STRING, _BOOL, _INT64, _BYTES, _MESSAGE = 9, 8, 3, 12, 11
_MESSAGES: dict[str, list[tuple[str, int, int, bool, str | None]]] = {
    "Timestamp": [("seconds", 1, _INT64, False, None), ("nanos", 2, 5, False, None)],
    "Vertex": [
        ("digest", 1, _STRING, False, None),
        ("inputs", 2, _STRING, True, None),
        ("name", 3, _STRING, False, None),
        ("cached", 4, _BOOL, False, None),
        ("started", 5, _MESSAGE, False, "Timestamp"),
        ("completed", 6, _MESSAGE, False, "Timestamp"),
        ("error", 7, _STRING, False, None),
    ],
    "VertexLog": [
        ("vertex", 1, _STRING, False, None),
        ("timestamp", 2, _MESSAGE, False, "Timestamp"),
        ("stream", 3, _INT64, False, None),
        ("msg", 4, _BYTES, False, None),
    ],
    "VertexWarning": [
        ("vertex", 1, _STRING, False, None),
        ("level", 2, _INT64, False, None),
        ("short", 3, _BYTES, False, None),
    ],
    "StatusResponse": [
        ("vertexes", 1, _MESSAGE, True, "Vertex"),
        ("logs", 3, _MESSAGE, True, "VertexLog"),
        ("warnings", 4, _MESSAGE, True, "VertexWarning"),
    ],
}


@cache
def status_response_class():
    """The ``moby.buildkit.v1.StatusResponse`` message class, from a descriptor made here.

    ``Timestamp`` is declared in the same file with the well-known type's two fields (the
    same wire format), so the pool needs no other file."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    proto = descriptor_pb2.FileDescriptorProto(
        name="workbench/buildkit_status.proto", package="moby.buildkit.v1", syntax="proto3"
    )
    for name, fields in _MESSAGES.items():
        message = proto.message_type.add(name=name)
        for field_name, number, kind, repeated, type_name in fields:
            added = message.field.add(name=field_name, number=number, type=kind)
            added.label = 3 if repeated else 1  # LABEL_REPEATED / LABEL_OPTIONAL
            if type_name:
                added.type_name = f".moby.buildkit.v1.{type_name}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    descriptor = pool.FindMessageTypeByName("moby.buildkit.v1.StatusResponse")
    return message_factory.GetMessageClass(descriptor)


def decode_status(aux: str):
    """One trace message's ``aux`` (base64 protobuf) as a ``StatusResponse``."""
    message = status_response_class()()
    message.ParseFromString(base64.b64decode(aux))
    return message


@dataclass(frozen=True)
class Step:
    """One Dockerfile instruction BuildKit runs as a vertex: its number through the file."""

    n: int
    instruction: str


def dockerfile_steps(dockerfile: str) -> tuple[list[Step], dict[tuple[str, int], Step]]:
    """The Dockerfile's steps in order, and (stage prefix, index in stage) -> step as BuildKit
    names its vertices (the prefix is ``""`` for a one-stage file)."""
    stages: list[tuple[str, list[str]]] = []
    names: set[str] = set()
    for line in logical_lines(dockerfile):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            image = next((w for w in words if not w.startswith("--")), "")
            alias = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else ""
            stage = alias or f"stage-{len(stages)}"
            stages.append((stage, [line] * (image.lower() not in names | {"scratch"})))
            names.add(stage.lower())
        elif stages and keyword in _VERTEX_KINDS:
            stages[-1][1].append(line)
    steps: list[Step] = []
    by_vertex: dict[tuple[str, int], Step] = {}
    for stage, lines in stages:
        prefix = stage if len(stages) > 1 else ""
        for i, line in enumerate(lines, 1):
            steps.append(Step(len(steps) + 1, line))
            by_vertex[(prefix, i)] = steps[-1]
    return steps, by_vertex


def logical_lines(dockerfile: str) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments and blanks left out."""
    out: list[str] = []
    pending = ""
    for raw in dockerfile.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # a comment inside a continued instruction is dropped, as Docker does
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        out.append(" ".join((pending + stripped).split()))
        pending = ""
    if pending.strip():
        out.append(" ".join(pending.split()))
    return out


@dataclass
class _Vertex:
    step: Step | None
    name: str
    started: bool = False
    cached: bool = False
    seconds: float | None = None
    partial: str = ""  # log text after the last newline
    last: deque = field(default_factory=lambda: deque(maxlen=LAST_LINES))


@dataclass
class KitProgress:
    """Turns the chunks of one BuildKit build into build events (``feed``, then ``end``)."""

    dockerfile: str
    tag: str | None = None
    started: float = field(default_factory=time.monotonic)
    image_id: str | None = None
    current: Step | None = None  # the last step started
    failed: tuple[_Vertex, str] | None = None  # the first vertex with an error, and it
    traced: bool = False  # a BuildKit progress message came

    def __post_init__(self) -> None:
        self.steps, self._by_name = dockerfile_steps(self.dockerfile)
        self._vertices: dict[str, _Vertex] = {}
        self._order: list[int] = []  # step numbers in the order they started

    @property
    def total(self) -> int:
        """How many steps the Dockerfile has."""
        return len(self.steps)

    def feed(self, chunk: dict) -> list[BuildEvent]:
        """The events in one decoded JSON chunk of the build stream (errors: see ``end``)."""
        if isinstance(chunk.get("aux"), dict):  # moby.image.id
            self.image_id = chunk["aux"].get("ID") or self.image_id
            return []
        if chunk.get("id") != TRACE_ID or not isinstance(chunk.get("aux"), str):
            text = chunk.get("stream") or ""
            return [LogLine(line) for line in text.splitlines() if line.strip()]
        self.traced = True
        status = decode_status(chunk["aux"])
        events: list[BuildEvent] = []
        for vertex in status.vertexes:
            events += self._vertex(vertex)
        for log in status.logs:
            events += self._log(log.vertex, log.msg.decode("utf-8", "replace"))
        for warning in status.warnings:
            known = self._vertices.get(warning.vertex)
            step = known.step.n if known and known.step else None
            events.append(BuildWarning(warning.short.decode("utf-8", "replace").strip(), step))
        return events

    def _vertex(self, v) -> list[BuildEvent]:
        known = self._vertices.get(v.digest)
        if known is None:
            known = self._vertices[v.digest] = _Vertex(self._step_of(v.name), v.name)
        events: list[BuildEvent] = []
        step = known.step
        if v.HasField("started") and not known.started:
            known.started = True
            if step is not None:
                self.current = step
                self._order.append(step.n)
                events.append(StepStarted(step.n, self.total, step.instruction))
            else:
                events.append(LogLine(v.name))
        if v.cached and not known.cached and step is not None:
            known.cached = True
            if not step.instruction.upper().startswith("FROM"):  # an image, not the cache
                events.append(StepCached(step.n))
        if v.HasField("started") and v.HasField("completed"):
            known.seconds = _seconds(v.completed) - _seconds(v.started)
        if v.error and self.failed is None and not v.error.endswith(_CANCELLED):
            self.failed = (known, v.error)
        return events

    def _step_of(self, name: str) -> Step | None:
        match = _VERTEX_NAME.match(name)
        if not match:
            return None
        step = self._by_name.get((match[1] or "", int(match[2])))
        keyword = match[4].split(" ", 1)[0].upper()
        return step if step and step.instruction.upper().startswith(keyword) else None

    def _log(self, digest: str, text: str) -> list[BuildEvent]:
        known = self._vertices.setdefault(digest, _Vertex(None, ""))
        lines = (known.partial + text).split("\n")
        known.partial = lines.pop()
        step = known.step.n if known.step else None
        events: list[BuildEvent] = []
        for line in lines:
            line = line.rstrip("\r")
            known.last.append(line)
            events.append(
                BuildWarning(line.strip(), step) if is_warning(line) else LogLine(line, step)
            )
        return events

    def end(self, error: str | None = None, cancelled: bool = False) -> BuildEvent:
        """The last event: the result, or the failure (``error``: the stream's error line)."""
        duration = time.monotonic() - self.started
        if cancelled:
            step = self.current
            return BuildFailed(
                "cancelled",
                "build cancelled",
                step.n if step else None,
                self.total if step else None,
                step.instruction if step else None,
                self._last_lines(step),
                duration,
            )
        if error is not None or self.failed is not None:
            return self._failure(error or "", duration)
        if not self.image_id:
            return BuildFailed(
                "engine", "the engine ended the build without an image id", duration_s=duration
            )
        seconds = {v.step.n: v.seconds for v in self._vertices.values() if v.step}
        cached = sorted(
            v.step.n for v in self._vertices.values() if v.step and v.cached and not _is_from(v)
        )
        return BuildResult(
            self.image_id,
            self.tag,
            duration,
            tuple(seconds.get(s.n) or 0.0 for s in self.steps),
            tuple(cached),
            tuple(s.instruction for s in self.steps),
        )

    def _last_lines(self, step: Step | None) -> tuple[str, ...]:
        """The step's last non-blank output lines."""
        lines = [v.last for v in self._vertices.values() if step is not None and v.step == step]
        return tuple(line for line in (lines[0] if lines else ()) if line.strip())[-LAST_LINES:]

    def _from_step(self, reference: str) -> Step | None:
        """The ``FROM`` step of an image BuildKit names in full (registry and path added)."""
        for step in self.steps:
            words = step.instruction.split()
            image = next((w for w in words[1:] if not w.startswith("--")), "")
            if image and (reference == image or reference.endswith("/" + image)):
                return step
        return None

    def _failure(self, error: str, duration: float) -> BuildFailed:
        vertex, message = self.failed or (None, error)
        message = " ".join((message or error).split())
        if vertex is not None and vertex.name.startswith(_METADATA):
            step = self._from_step(vertex.name.removeprefix(_METADATA))
            image = step.instruction.split()[1] if step else vertex.name.removeprefix(_METADATA)
            return BuildFailed(
                "base-image",
                base_image_message(image, message),
                step.n if step else None,
                self.total if step else None,
                step.instruction if step else None,
                duration_s=duration,
            )
        code = _EXIT_CODE.search(message)
        if code:
            message = f"command failed with exit code {code[1]}"
        step = vertex.step if vertex is not None else None
        last = tuple(line for line in (vertex.last if vertex else ()) if line.strip())
        return BuildFailed(
            "step" if step is not None else "engine",
            message or "the build failed",
            step.n if step else None,
            self.total if step else None,
            step.instruction if step else None,
            last[-LAST_LINES:],
            duration,
        )


def _is_from(vertex: _Vertex) -> bool:
    return vertex.step is not None and vertex.step.instruction.upper().startswith("FROM")


def _seconds(stamp) -> float:
    return stamp.seconds + stamp.nanos / 1e9
