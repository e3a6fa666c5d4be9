"""The engine's image export (``GET /images/{id}/get``, what ``docker save`` streams) as a reader.

The Docker SDK's ``Image.save()`` yields the body through requests/urllib3, which decode HTTP
chunked encoding in Python one 32 KB chunk at a time; on a 1 GB image that alone adds seconds.
We send the request through the SDK (host resolution, TLS, errors) and, when the body is
chunked, decode it ourselves from the response's socket file with large reads. Anything
unexpected falls back to the SDK's own ``save()`` chunks.
"""

from __future__ import annotations

import io

from workbench.core.errors import WorkbenchError
from workbench.core.layers.tarstream import READ_CHUNK, ChunkReader


class ChunkedBody(io.RawIOBase):
    """Decodes an HTTP/1.1 chunked body from a buffered binary file (the socket's)."""

    def __init__(self, fp, on_close=None) -> None:
        self._fp = fp
        self._left = 0
        self._done = False
        self._on_close = on_close

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._done:
            return 0
        if not self._left:
            line = self._fp.readline(4096)
            if not line:
                raise EOFError("the engine closed the export stream early")
            self._left = int(line.split(b";", 1)[0].strip() or b"0", 16)
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

    try:
        client = docker.from_env()
        image = client.images.get(name)
    except docker.errors.ImageNotFound:
        raise WorkbenchError(
            f"{name}: no such file, and the Docker engine has no image of that name;"
            " build it first or pass a `docker save` archive"
        ) from None
    except docker.errors.DockerException as exc:
        raise WorkbenchError(
            f"{name}: no such file, and the Docker engine cannot be asked ({_first_line(exc)});"
            " start it (scripts/provision-docker.sh) or pass an archive"
        ) from None
    size = image.attrs.get("Size")
    api = client.api
    try:
        response = api._get(api._url("/images/{0}/get", image.id), stream=True)
        api._raise_for_status(response)
        api._disable_socket_timeout(api._get_raw_response_socket(response))
        fp = response.raw._fp.fp  # http.client's socket file; the body is still unread
        chunked = response.headers.get("Transfer-Encoding", "").lower() == "chunked"
    except AttributeError:  # another SDK/urllib3 layout: use the SDK's own stream
        return ChunkReader(_sdk_chunks(image, name)), size
    except docker.errors.DockerException as exc:
        reason = _first_line(exc)
        raise WorkbenchError(f"{name}: the engine refused the export ({reason})") from None
    if not chunked:
        return ChunkReader(response.iter_content(READ_CHUNK, False)), size
    return ChunkedBody(fp, on_close=response.close), size


def _sdk_chunks(image, name: str):
    import docker
    import requests

    try:
        yield from image.save(chunk_size=READ_CHUNK)
    except (docker.errors.DockerException, requests.RequestException) as exc:
        reason = _first_line(exc)
        raise WorkbenchError(f"{name}: the engine's image export failed ({reason})") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return text or type(exc).__name__
