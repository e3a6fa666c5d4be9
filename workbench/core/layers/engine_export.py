"""The engine's image export (``GET /images/{id}/get``, what ``docker save`` streams) as a reader.

The Docker SDK's ``Image.save()`` yields the body through requests/urllib3, which decode HTTP
chunked encoding in Python one 32 KB chunk at a time; on a 1 GB image that alone adds seconds.
We send the request through the SDK (host resolution, TLS, errors) and, when the body is
chunked, decode it ourselves from the response's socket file with large reads. Anything
unexpected falls back to the SDK's own ``save()`` chunks. Every read is bounded by
``engine_timeout()``: a stalled export is one line, never a hang.
"""

from __future__ import annotations

import io
import re

from workbench.core.errors import WorkbenchError
from workbench.core.files import one_line
from workbench.core.layers.tarstream import READ_CHUNK, ChunkReader
from workbench.core.timeouts import engine_timeout, ping_timeout


class ChunkedBody(io.RawIOBase):
    """Decodes an HTTP/1.1 chunked body from a buffered binary file (the socket's)."""

    def __init__(self, fp, on_close=None, name: str = "image") -> None:
        self._fp = fp
        self._left = 0
        self._done = False
        self._on_close = on_close
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            return self._readinto(buffer)
        except TimeoutError:
            raise _stalled(self._name) from None
        except (OSError, EOFError, ValueError) as exc:
            raise WorkbenchError(
                f"{self._name}: the engine's export broke off ({one_line(exc)})", exit_code=1
            ) from None

    def _readinto(self, buffer) -> int:
        if self._done:
            return 0
        if not self._left:
            line = self._fp.readline(4096)
            if not line:
                raise EOFError("the engine closed the export stream early")
            size = line.split(b";", 1)[0].strip()
            if not re.fullmatch(rb"[0-9a-fA-F]{1,16}", size):
                raise ValueError(f"bad chunk header {line[:40]!r}")
            self._left = int(size, 16)
            if not self._left:
                self._done = True
                while self._fp.readline(4096) not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return 0
        n = self._fp.readinto(memoryview(buffer)[: min(len(buffer), self._left)])
        if not n:
            raise EOFError("the engine closed the export stream early")
        self._left -= n
        if not self._left:
            self._fp.readline(4096)  # CRLF after the chunk data
        return n

    def close(self) -> None:
        if self._on_close and not self.closed:
            self._on_close()
        super().close()


def engine_export(name: str):
    """(raw reader of the ``docker save`` tar for ``name``, the image size the engine reports)."""
    import docker  # imported here: archives and directories need no engine
    import requests

    try:
        client = docker.from_env(timeout=ping_timeout())
        client.api.timeout = engine_timeout()
        image = client.images.get(name)
    except docker.errors.ImageNotFound:
        raise WorkbenchError(
            f"{name}: no such file, and the Docker engine has no image of that name;"
            " build it first or pass a `docker save` archive"
        ) from None
    except (docker.errors.DockerException, requests.RequestException) as exc:
        raise WorkbenchError(
            f"{name}: no such file, and the Docker engine cannot be asked ({one_line(exc)});"
            " start it (scripts/provision-docker.sh) or pass an archive"
        ) from None
    size = image.attrs.get("Size")
    size = size if isinstance(size, int) and not isinstance(size, bool) else None
    api = client.api
    try:
        response = api._get(api._url("/images/{0}/get", image.id), stream=True)
        api._raise_for_status(response)
    except (docker.errors.DockerException, requests.RequestException) as exc:
        reason = one_line(exc)
        raise WorkbenchError(f"{name}: the engine refused the export ({reason})") from None
    chunked = response.headers.get("Transfer-Encoding", "").lower() == "chunked"
    try:
        fp = response.raw._fp.fp  # http.client's socket file; the body is still unread
    except AttributeError:  # another urllib3 layout: requests decodes (timeout kept)
        fp = None
    if fp is None or not chunked:
        return ChunkReader(_guarded(response.iter_content(READ_CHUNK, False), name)), size
    return ChunkedBody(fp, on_close=response.close, name=name), size


def _guarded(chunks, name: str):
    """``chunks`` with a failure or a stall as one WorkbenchError line."""
    import docker
    import requests

    try:
        yield from chunks
    except (docker.errors.DockerException, requests.RequestException, OSError) as exc:
        reason = one_line(exc)
        if "timed out" in reason.lower():
            raise _stalled(name) from None
        raise WorkbenchError(
            f"{name}: the engine's image export failed ({reason})", exit_code=1
        ) from None


def _stalled(name: str) -> WorkbenchError:
    return WorkbenchError(
        f"{name}: no word from the engine for {engine_timeout():g} s during the export "
        "(WORKBENCH_ENGINE_TIMEOUT sets how long to wait)",
        exit_code=1,
    )
