"""Build an image on a real Docker engine and stream typed events.

Builds go through BuildKit (``POST /build`` with ``version=2`` on the docker SDK's low-level
transport): its progress messages are decoded by ``engine.buildkit``. An engine without
BuildKit, or ``WORKBENCH_BUILDER=classic``, gets the classic builder (``APIClient.build``),
whose text chunks are parsed here; one warning line says which. Either way the events are
``StepStarted`` / ``StepCached`` / ``LogLine`` / ``BuildWarning`` / ``BuildFailed`` /
``BuildResult``. The build context is a tar made in memory from the Dockerfile text and extra
files.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import socket
import tarfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.engine.buildkit import KitProgress
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
from workbench.core.errors import WorkbenchError
from workbench.core.files import one_line
from workbench.core.timeouts import engine_timeout, ping_timeout

__all__ = [
    "BuildEvent",
    "BuildFailed",
    "BuildResult",
    "BuildWarning",
    "LogLine",
    "StepCached",
    "StepStarted",
    "build_image",
    "connect",
    "final_base_image",
    "make_context",
]

ENGINE_DOWN_EXIT = 3
CANCEL_GRACE = 5  # seconds a cancelled build may take to end before its connection is cut
BUILDER_ENV = "WORKBENCH_BUILDER"  # "classic": use the classic builder even with BuildKit
IGNORED = "the engine answered a BuildKit request with the classic builder's output"
BUILDKIT_API = (1, 39)  # the first Engine API whose /build takes version=2 (Docker 18.09)

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_RUNNING_IN = re.compile(r"^ ---> Running in ([0-9a-f]{6,64})$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FROM = re.compile(r"^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.I | re.M)


@dataclass
class _State:
    step: int | None = None
    total: int | None = None
    instruction: str | None = None
    container: str | None = None
    image_id: str | None = None
    cached: list[int] = field(default_factory=list)
    instructions: list[str] = field(default_factory=list)
    step_started: list[float] = field(default_factory=list)
    last: deque = field(default_factory=lambda: deque(maxlen=LAST_LINES))


def connect(timeout: float | None = None):
    """A docker client from the environment (``DOCKER_HOST``, TLS vars, docker context).

    The engine must answer its version and ping within ``ping_timeout()`` seconds; later calls
    time out after ``timeout`` seconds of silence (default ``engine_timeout()``). Raises
    WorkbenchError (exit code 3) with one line when no engine answers.
    """
    import docker

    try:
        client = docker.from_env(timeout=ping_timeout())
        client.ping()
    except Exception as exc:  # the SDK raises several unrelated types for "no engine"
        raise WorkbenchError(
            f"no Docker engine answers at {engine_address()} ({_reason(exc)}); start it "
            "(scripts/provision-docker.sh) or point DOCKER_HOST / the docker context at one",
            exit_code=ENGINE_DOWN_EXIT,
        ) from None
    client.api.timeout = engine_timeout() if timeout is None else timeout
    return client


def engine_address() -> str:
    """Where the Docker SDK will look for the engine (``DOCKER_HOST``, a context, or the
    default socket), for messages and the build confirmation."""
    return os.environ.get("DOCKER_HOST") or (
        f"context {os.environ['DOCKER_CONTEXT']}"
        if os.environ.get("DOCKER_CONTEXT")
        else "the default socket"
    )


def _reason(exc: BaseException) -> str:
    return one_line(exc, last=True, width=160)


def make_context(dockerfile: str, files: Mapping[str, bytes | str | Path] | None = None) -> bytes:
    """A build context tar (in memory) holding ``Dockerfile`` and the extra files.

    ``files`` maps a path inside the context to its content (bytes/str) or a host file.
    """
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        entries = {"Dockerfile": dockerfile, **(files or {})}
        for name, content in entries.items():
            if isinstance(content, Path):
                data, mode = content.read_bytes(), content.stat().st_mode & 0o777
            else:
                data = content.encode() if isinstance(content, str) else bytes(content)
                mode = 0o755 if name.endswith(".sh") else 0o644
            info = tarfile.TarInfo(name.lstrip("/"))
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def final_base_image(dockerfile: str) -> str | None:
    """The image the last stage starts FROM, following stage names back to a real image."""
    aliases: dict[str, str] = {}
    last = None
    for ref, alias in _FROM.findall(dockerfile):
        last = aliases.get(ref.lower(), ref)
        if alias:
            aliases[alias.lower()] = last
    return None if last is None or last.lower() == "scratch" else last


def build_image(
    dockerfile: str,
    files: Mapping[str, bytes | str | Path] | None = None,
    *,
    tag: str | None = None,
    buildargs: Mapping[str, str] | None = None,
    network_mode: str | None = None,
    labels: Mapping[str, str] | None = None,
    nocache: bool = False,
    cancel: threading.Event | None = None,
    client=None,
    builder: str | None = None,
) -> Iterator[BuildEvent]:
    """Build ``dockerfile`` with ``files`` on the engine, yielding events; the last is a
    ``BuildResult`` or a ``BuildFailed``.

    BuildKit builds it unless the engine has none or ``builder`` (default: the
    ``WORKBENCH_BUILDER`` variable) is ``"classic"``; then a ``BuildWarning`` says why the
    classic builder does. Setting ``cancel`` stops the build (BuildKit: ``/build/cancel``;
    classic: the running step's container is killed), the response is closed and
    ``BuildFailed(kind="cancelled")`` yielded. Raises WorkbenchError (exit 3) when no engine
    answers.
    """
    client = client or connect()
    request = _Request(
        dockerfile,
        make_context(dockerfile, files),
        tag,
        dict(buildargs or {}),
        network_mode,
        dict(labels or {}),
        nocache,
        cancel or threading.Event(),
    )
    why = classic_reason(client, builder)
    if why is None:
        why = yield from _buildkit(client, request)
        if why is None:
            return
    yield BuildWarning(f"building with the classic builder: {why}")
    yield from _classic(client, request)


@dataclass(frozen=True)
class _Request:
    dockerfile: str
    context: bytes
    tag: str | None
    buildargs: dict[str, str]
    network_mode: str | None
    labels: dict[str, str]
    nocache: bool
    cancel: threading.Event


def classic_reason(client, builder: str | None = None) -> str | None:
    """Why this build takes the classic builder (None: BuildKit builds it)."""
    choice = (builder or os.environ.get(BUILDER_ENV) or "").strip().lower()
    if choice == "classic":
        return f"{BUILDER_ENV}=classic" if builder is None else "asked for"
    try:
        version = client.version()
    except Exception as exc:  # the engine went away between connect and build
        return f"the engine did not tell its version ({_reason(exc)})"
    api = tuple(int(x) for x in re.findall(r"\d+", str(version.get("ApiVersion", "0")))[:2])
    os_name = str(version.get("Os", "linux")).lower()
    if api < BUILDKIT_API or os_name != "linux":
        return (
            f"the engine (API {version.get('ApiVersion')}, {os_name}) has no BuildKit; "
            "rebuilds are slower"
        )
    return None


def _buildkit(client, req: _Request):
    """A BuildKit build's events; returns why the classic builder must build it instead
    (the engine refused version=2), else None."""
    started = time.monotonic()
    build_id = uuid.uuid4().hex
    params = {
        "version": "2",
        "buildid": build_id,
        "t": req.tag,
        "buildargs": json.dumps(req.buildargs),
        "labels": json.dumps(req.labels),
        "networkmode": req.network_mode,
        "nocache": "1" if req.nocache else None,
        "rm": "1",
    }
    headers = {"Content-Type": "application/tar"}
    client.api._set_auth_headers(headers)
    try:
        response = client.api._post(
            client.api._url("/build"),
            data=req.context,
            params=params,
            headers=headers,
            stream=True,
            timeout=client.api.timeout,
        )
        client.api._raise_for_status(response)
    except Exception as exc:
        reason = _reason(exc)
        if "buildkit" in reason.lower() or "version" in reason.lower():
            return f"the engine refused a BuildKit build ({reason})"
        yield BuildFailed("engine", f"the engine refused the build: {reason}")
        return None
    progress = KitProgress(req.dockerfile, req.tag, started)
    done = threading.Event()
    watcher = threading.Thread(
        target=_cancel_buildkit, args=(client, build_id, req.cancel, done, response), daemon=True
    )
    watcher.start()
    stream = client.api._stream_helper(response, decode=True)
    error = None
    try:
        for chunk in stream:
            if req.cancel.is_set():
                break
            if "error" in chunk or "errorDetail" in chunk:
                error = str(chunk.get("error") or (chunk.get("errorDetail") or {}).get("message"))
                break
            if not progress.traced and _STEP.match(str(chunk.get("stream", ""))):
                yield BuildWarning(f"building with the classic builder: {IGNORED}")
                chunks = itertools.chain([chunk], stream)
                yield from _events(chunks, _State(), req.cancel, started, req.tag)
                return None
            yield from progress.feed(chunk)
    except Exception as exc:  # connection dropped mid-build
        if not req.cancel.is_set():
            step = progress.current
            yield _lost(
                client, exc, step.n if step else None, progress.total, step and step.instruction
            )
            return None
    finally:
        done.set()
        _close(stream, response)
    yield progress.end(error, cancelled=req.cancel.is_set())
    return None


def _cancel_buildkit(client, build_id: str, cancel, done: threading.Event, response) -> None:
    """Ask the engine to cancel the build as soon as ``cancel`` is set; one that still says
    nothing within ``CANCEL_GRACE`` seconds has its connection closed under the reader."""
    while not done.wait(0.2):
        if cancel.is_set():
            with contextlib.suppress(Exception):  # it may have finished in between
                client.api._post(client.api._url("/build/cancel"), params={"id": build_id})
            if not done.wait(CANCEL_GRACE):
                _hang_up(response)
            return


def _lost(client, exc, step, total, instruction, last=(), started=None) -> BuildFailed:
    """The failure for an engine that dropped the connection mid-build."""
    reason = _reason(exc)
    if "timed out" in reason.lower():
        reason = (
            f"no word from it for {client.api.timeout:g} s (WORKBENCH_ENGINE_TIMEOUT "
            "sets how long to wait)"
        )
    return BuildFailed(
        "engine",
        f"lost the engine mid-build: {reason}",
        step,
        total if step else None,
        instruction,
        tuple(last),
        time.monotonic() - started if started else 0.0,
    )


def _classic(client, req: _Request) -> Iterator[BuildEvent]:
    """The classic builder's build, its text chunks parsed into events."""
    started = time.monotonic()
    state = _State()
    responses: list = []
    hook = _capture_build_response(responses)
    client.api.hooks["response"].append(hook)
    try:
        stream = client.api.build(
            fileobj=io.BytesIO(req.context),
            custom_context=True,
            tag=req.tag,
            buildargs=req.buildargs,
            network_mode=req.network_mode,
            labels=req.labels,
            nocache=req.nocache,
            timeout=client.api.timeout,
            rm=True,
            forcerm=True,
            decode=True,
        )
    except Exception as exc:
        yield BuildFailed("engine", f"the engine refused the build: {_reason(exc)}")
        return
    finally:
        client.api.hooks["response"].remove(hook)
    done = threading.Event()
    watcher = threading.Thread(
        target=_kill_on_cancel, args=(client, req.cancel, done, state, *responses), daemon=True
    )
    watcher.start()
    try:
        yield from _events(stream, state, req.cancel, started, req.tag)
    except Exception as exc:  # connection dropped mid-build
        if req.cancel.is_set():
            yield _cancelled(state, started)
        else:
            yield _lost(
                client, exc, state.step, state.total, state.instruction, state.last, started
            )
    finally:
        done.set()
        _close(stream, *responses)


def _capture_build_response(into: list):
    """A requests response hook keeping the /build response, so it can be closed."""

    def hook(response, *args, **kwargs):
        if "/build" in response.url:
            into.append(response)
        return response

    return hook


def _close(*closables) -> None:
    """Close the event stream and the HTTP response; the engine then stops a classic build."""
    for thing in closables:
        with contextlib.suppress(Exception):  # already closed or broken
            thing.close()


def _kill_on_cancel(client, cancel: threading.Event, done: threading.Event, state, *open_):
    """Kill the running step's container as soon as ``cancel`` is set, so a silent step
    (no output to wake the reader) stops at once; an engine that still says nothing within
    ``CANCEL_GRACE`` seconds has its connection closed under the reader."""
    while not done.wait(0.2):
        if cancel.is_set():
            if state.container:
                with contextlib.suppress(Exception):  # it may have finished in between
                    client.api.kill(state.container)
            if not done.wait(CANCEL_GRACE):
                _hang_up(*open_)
            return


def _hang_up(*responses) -> None:
    """Shut the responses' sockets down: wakes a reader blocked on an engine that never
    answers (closing alone does not)."""
    for response in responses:
        with contextlib.suppress(Exception):  # not a socket-backed response, already closed
            raw = response.raw._fp.fp.raw
            getattr(raw, "_sock", raw).shutdown(socket.SHUT_RDWR)
    _close(*responses)


def _cancelled(state: _State, started: float) -> BuildFailed:
    return BuildFailed(
        "cancelled",
        "build cancelled",
        state.step,
        state.total,
        state.instruction,
        tuple(state.last),
        time.monotonic() - started,
    )


def _events(stream, state: _State, cancel: threading.Event, started: float, tag):
    for chunk in stream:
        if cancel.is_set():
            yield _cancelled(state, started)
            return
        if "error" in chunk or "errorDetail" in chunk:
            yield _failure(chunk, state, started)
            return
        if "aux" in chunk and isinstance(chunk["aux"], dict) and "ID" in chunk["aux"]:
            state.image_id = chunk["aux"]["ID"]
        text = chunk.get("stream") or chunk.get("status")
        if not text:
            continue
        for line in _ANSI.sub("", text).rstrip("\n").split("\n"):
            yield from _line_events(line.rstrip("\r"), state)
    if cancel.is_set():
        yield _cancelled(state, started)
    elif state.image_id:
        now = time.monotonic()
        marks = [*state.step_started, now]
        yield BuildResult(
            state.image_id,
            tag,
            now - started,
            tuple(b - a for a, b in itertools.pairwise(marks)),
            tuple(state.cached),
            tuple(state.instructions),
        )
    else:
        yield BuildFailed(
            "engine",
            "the engine ended the build without an image id",
            state.step,
            state.total,
            state.instruction,
            tuple(state.last),
            time.monotonic() - started,
        )


def _line_events(line: str, state: _State):
    step = _STEP.match(line)
    if step:
        state.step, state.total, state.instruction = int(step[1]), int(step[2]), step[3]
        state.container = None
        state.step_started.append(time.monotonic())
        state.instructions.append(state.instruction)
        yield StepStarted(state.step, state.total, state.instruction)
        return
    running = _RUNNING_IN.match(line)
    if running:
        state.container = running[1]
    if line.strip() == "---> Using cache" and state.step is not None:
        state.cached.append(state.step)
        yield StepCached(state.step)
    if line.startswith("Successfully built ") and not state.image_id:
        state.image_id = line.split()[-1]
    state.last.append(line)
    if is_warning(line):
        yield BuildWarning(line.strip(), state.step)
    else:
        yield LogLine(line, state.step)


def _failure(chunk: dict, state: _State, started: float) -> BuildFailed:
    detail = chunk.get("errorDetail") or {}
    message = " ".join(str(chunk.get("error") or detail.get("message") or "").split())
    kind = "step"
    if (state.instruction or "").upper().startswith("FROM") or "pull access denied" in message:
        kind = "base-image"
        image = (state.instruction or "").split()[1:2] or ["?"]
        message = base_image_message(image[0], message)
    code = detail.get("code")
    if kind == "step" and code is not None and "returned a non-zero code" in message:
        message = f"command failed with exit code {code}"
    last = tuple(
        line
        for line in state.last
        if line.strip() and not line.startswith((" ---> ", "Removing intermediate container"))
    )
    return BuildFailed(
        kind,
        message or "the build failed",
        state.step,
        state.total,
        state.instruction,
        last[-LAST_LINES:],
        time.monotonic() - started,
    )
