"""Build small real wheels and serve them over a real HTTP server that honours Range."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def build_wheel(
    directory: Path,
    name: str,
    version: str,
    files: dict[str, bytes],
    requires: list[str] = (),
    entry_points: str = "",
    data_scripts: dict[str, bytes] | None = None,
) -> Path:
    """Write ``name-version-py3-none-any.whl`` with a proper dist-info and RECORD."""
    norm = re.sub(r"[-_.]+", "_", name)
    dist_info = f"{norm}-{version}.dist-info"
    members = dict(files)
    for script, body in (data_scripts or {}).items():
        members[f"{norm}-{version}.data/scripts/{script}"] = body
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
    members[f"{dist_info}/METADATA"] = metadata.encode()
    members[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    if entry_points:
        members[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    record = []
    for path, body in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(body)}")
    record.append(f"{dist_info}/RECORD,,")
    members[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = directory / f"{norm}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, body in members.items():
            archive.writestr(path, body)
    return wheel


class RangeHandler(SimpleHTTPRequestHandler):
    """Static files with ``Range: bytes=a-b`` and suffix ``bytes=-n`` support."""

    honour_ranges = True
    log: list[str]

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append((self.path, self.headers.get("Range")))
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        spec = self.headers.get("Range")
        if not (self.server.honour_ranges and spec):
            self._send(200, data, len(data))
            return
        start, _, end = spec.removeprefix("bytes=").partition("-")
        if start == "":
            first, last = max(0, len(data) - int(end)), len(data) - 1
        else:
            first, last = int(start), min(int(end) if end else len(data) - 1, len(data) - 1)
        self._send(206, data[first : last + 1], len(data), f"bytes {first}-{last}/{len(data)}")

    def _send(self, status: int, body: bytes, total: int, content_range: str | None = None):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        if content_range:
            self.send_header("Content-Range", content_range)
        self.end_headers()
        self.wfile.write(body)


class WheelServer:
    """A real HTTP server on 127.0.0.1 serving ``directory``; counts requests."""

    def __init__(self, directory: Path, honour_ranges: bool = True) -> None:
        self.httpd = ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(RangeHandler, directory=str(directory))
        )
        self.httpd.requests = []
        self.httpd.honour_ranges = honour_ranges
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> WheelServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def requests(self) -> list:
        return self.httpd.requests

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/{name}"
