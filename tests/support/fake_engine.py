"""A misbehaving Docker engine on loopback, speaking just enough of the Engine API.

``FakeEngine(mode)`` listens on 127.0.0.1; point ``DOCKER_HOST`` at ``engine.url``. Modes:
- ``silent``: accepts connections and never answers a byte;
- ``stall-build``: answers ping/version, starts the /build stream, then stalls;
- ``500-after-build``: a build succeeds, then every other call answers 500;
- ``stall-export``: an image exists, its export (/images/NAME/get) sends a few bytes and stalls;
- ``old-api``: an engine of API 1.38 (before BuildKit's /build version=2) whose build succeeds.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API = "1.43"
OLD_API = "1.38"
IMAGE_ID = "sha256:" + "ab" * 32


class FakeEngine:
    """A fake engine in a background thread; use as a context manager."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.api = OLD_API if mode == "old-api" else API
        self.release = threading.Event()  # set on exit: stalled handlers return
        self.requests: list[str] = []
        if mode == "silent":
            self._sock = socket.create_server(("127.0.0.1", 0))
            self._open: list[socket.socket] = []
            self.port = self._sock.getsockname()[1]
            self._thread = threading.Thread(target=self._accept_silently, daemon=True)
        else:
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
            self._server.daemon_threads = True
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeEngine:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        if self.mode == "silent":
            self._sock.close()
            for conn in self._open:
                conn.close()
        else:
            self._server.shutdown()
            self._server.server_close()

    def _accept_silently(self) -> None:
        while not self.release.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self._open.append(conn)


def _handler(engine: FakeEngine):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def _json(self, status: int, body) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _drain(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            elif self.headers.get("Transfer-Encoding") == "chunked":
                while True:
                    size = int(self.rfile.readline().strip() or b"0", 16)
                    self.rfile.read(size + 2)
                    if size == 0:
                        return

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _stream(self, lines: list[dict], stall: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for line in lines:
                self._chunk(json.dumps(line).encode() + b"\r\n")
            if stall:
                engine.release.wait()
                return
            self.wfile.write(b"0\r\n\r\n")

        def do_GET(self) -> None:
            self._route("GET")

        def do_HEAD(self) -> None:
            self._route("HEAD")

        def do_POST(self) -> None:
            self._drain()
            self._route("POST")

        def do_DELETE(self) -> None:
            self._route("DELETE")

        def _route(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            engine.requests.append(f"{method} {path}")
            if path.endswith("/_ping"):
                body = b"OK"
                self.send_response(200)
                self.send_header("Api-Version", engine.api)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif path.endswith("/version"):
                self._json(200, {"ApiVersion": engine.api, "Version": "24.0.0", "Os": "linux"})
            elif path.endswith("/build"):
                self._build()
            elif engine.mode == "stall-export" and path.endswith("/json"):
                self._json(200, {"Id": IMAGE_ID, "Size": 1 << 20, "RepoTags": ["x:1"]})
            elif engine.mode == "stall-export" and path.endswith("/get"):
                self.send_response(200)
                self.send_header("Content-Type", "application/x-tar")
                self.end_headers()
                self.wfile.write(b"\0" * 512)
                self.wfile.flush()
                engine.release.wait()
            elif engine.mode == "500-after-build":
                self._json(500, {"message": "internal server error: disk I/O error"})
            else:
                self._json(404, {"message": f"no such thing: {path}"})

        def _build(self) -> None:
            first = {"stream": "Step 1/2 : FROM scratch\n"}
            if engine.mode == "stall-build":
                self._stream([first], stall=True)
            else:
                self._stream(
                    [
                        first,
                        {"stream": "Step 2/2 : LABEL a=b\n"},
                        {"aux": {"ID": IMAGE_ID}},
                        {"stream": f"Successfully built {IMAGE_ID[7:19]}\n"},
                    ],
                    stall=False,
                )

    return Handler
