"""Read wheels on the index without downloading them: central directory and METADATA by
HTTP range requests (suffix range first, whole file when the server ignores ranges), and
whole-wheel downloads for the knowledge base. Both cached by the wheel's sha256.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from workbench.core import cache
from workbench.core.errors import IndexUnreachable, WorkbenchError
from workbench.core.files import write_atomic
from workbench.core.http import client

TAIL_BYTES = 64 * 1024  # covers the end record, a 64 KiB comment and most central directories
MIN_READ = 16 * 1024  # smallest range fetched for a member, to save round trips
_INFO_KIND = "wheel-info-v1"


@dataclass(frozen=True)
class WheelInfo:
    """What the size engine needs from one wheel."""

    filename: str
    sha256: str
    entries: dict[str, int]  # archive member -> uncompressed bytes
    metadata: str  # *.dist-info/METADATA
    entry_points: str  # *.dist-info/entry_points.txt, "" when absent

    def to_json(self) -> dict:
        """JSON-ready form (the cache payload)."""
        return {
            "filename": self.filename,
            "sha256": self.sha256,
            "entries": self.entries,
            "metadata": self.metadata,
            "entry_points": self.entry_points,
        }


class _RangeFile(io.RawIOBase):
    """A seekable read-only view of a remote file that fetches only the bytes read."""

    def __init__(self, url: str, http: httpx.Client) -> None:
        self._url, self._http, self._pos = url, http, 0
        self._chunks: dict[int, bytes] = {}
        response = http.get(url, headers={"Range": f"bytes=-{TAIL_BYTES}"})
        _raise_for_status(response, url)
        if response.status_code == 206:
            total = int(response.headers["Content-Range"].rpartition("/")[2])
            self._chunks[total - len(response.content)] = response.content
        else:  # no range support: we have it all
            total = len(response.content)
            self._chunks[0] = response.content
        self.size = total
        self.requests = 1

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self._pos + n)
        if end <= self._pos:
            return b""
        data = self._cached(self._pos, end) or self._fetch(self._pos, end)
        self._pos = end
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _cached(self, start: int, end: int) -> bytes | None:
        for offset, chunk in self._chunks.items():
            if offset <= start and end <= offset + len(chunk):
                return chunk[start - offset : end - offset]
        return None

    def _fetch(self, start: int, end: int) -> bytes:
        stop = min(self.size, max(end, start + MIN_READ))
        response = self._http.get(self._url, headers={"Range": f"bytes={start}-{stop - 1}"})
        _raise_for_status(response, self._url)
        self.requests += 1
        if response.status_code == 200:  # range ignored this time: keep the whole body
            self._chunks = {0: response.content}
        else:
            self._chunks[start] = response.content
        return self._cached(start, end) or b""


def _raise_for_status(response: httpx.Response, url: str) -> None:
    if response.status_code >= 400:
        raise WorkbenchError(
            f"the index answered HTTP {response.status_code} for {url.rsplit('/', 1)[-1]}; "
            "check the index URL and your network",
            exit_code=1,
        )


def _filename(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("#", 1)[0]


def read_wheel_info(fileobj, filename: str, sha256: str) -> WheelInfo:
    """Parse a wheel's central directory and dist-info texts from a seekable file object."""
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            dist_info = _dist_info_dir(infos, filename)
            names = {i.filename for i in infos}
            metadata = archive.read(f"{dist_info}/METADATA").decode("utf-8", "replace")
            entry_points = (
                archive.read(f"{dist_info}/entry_points.txt").decode("utf-8", "replace")
                if f"{dist_info}/entry_points.txt" in names
                else ""
            )
    except (zipfile.BadZipFile, KeyError, EOFError, ValueError) as exc:
        raise WorkbenchError(
            f"malformed wheel {filename}: {exc}; the file on the index is damaged or not a wheel",
            exit_code=1,
        ) from exc
    entries = {i.filename: i.file_size for i in infos}
    return WheelInfo(filename, sha256, entries, metadata, entry_points)


def _dist_info_dir(infos: list[zipfile.ZipInfo], filename: str) -> str:
    candidates = {
        i.filename.split("/", 1)[0]
        for i in infos
        if i.filename.count("/") == 1 and i.filename.endswith(".dist-info/METADATA")
    }
    if len(candidates) != 1:
        raise KeyError(f"expected one .dist-info/METADATA in {filename}, found {len(candidates)}")
    return candidates.pop()


def wheel_info(url: str, sha256: str, http: httpx.Client | None = None) -> tuple[WheelInfo, bool]:
    """Central directory + METADATA of the wheel at ``url``; returns (info, came_from_cache)."""
    cached = cache.get_json(_INFO_KIND, sha256)
    if cached is not None:
        return WheelInfo(**cached), True
    try:
        info = read_wheel_info(_RangeFile(url, http or client()), _filename(url), sha256)
    except httpx.HTTPError as exc:
        raise IndexUnreachable(
            f"cannot reach the package index for {_filename(url)} ({exc.__class__.__name__}); "
            "check your network or use the embedded snapshot target"
        ) from exc
    cache.put_json(_INFO_KIND, sha256, info.to_json())
    return info, False


def fetch_wheel(url: str, sha256: str) -> Path:
    """The whole wheel as a local file, downloaded once and verified against ``sha256``."""
    path = cache.cache_dir() / "wheels" / sha256[:2] / f"{sha256}-{_filename(url)}"
    if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256:
        return path
    try:
        response = client().get(url)
    except httpx.HTTPError as exc:
        raise IndexUnreachable(
            f"cannot download {_filename(url)} ({exc.__class__.__name__}); check your network"
        ) from exc
    _raise_for_status(response, url)
    if hashlib.sha256(response.content).hexdigest() != sha256:
        raise WorkbenchError(f"{_filename(url)} does not match its sha256; retry", exit_code=1)
    write_atomic(path, response.content)
    return path
