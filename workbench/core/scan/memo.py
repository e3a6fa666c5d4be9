"""A script's scan result kept in the user cache, so the same file is never scanned twice.

An entry is keyed by shfmt's version, the scanner's own code (a digest of this package's
sources), the path as given and as resolved, the search dirs and the sha256 of the text. A scan
also depends on the scripts it looked for next to the script (``source lib.sh``, ``bash
other.sh``): the entry lists each path looked at with the sha256 it had (None: absent), and an
entry whose listed files changed is a miss. A corrupt or unreadable entry is a miss too.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path

import orjson

from workbench.core import cache
from workbench.core.errors import WorkbenchError
from workbench.core.scan.model import AzCall, ExternalCommand, ScanResult, Unresolved
from workbench.core.scan.syntax import shfmt_version

KIND = "scan"
_looked_at: ContextVar[dict[str, str | None] | None] = ContextVar("scan_looked_at", default=None)


def is_file(path: Path) -> bool:
    """``path.is_file()``, noted with the file's digest for the cache entry of the running scan."""
    found = path.is_file()
    seen = _looked_at.get()
    if seen is not None:
        seen[str(path)] = _file_digest(path) if found else None
    return found


def cached_scan(
    path: str, text: str, search_dirs: tuple[Path, ...], scan: Callable[[], ScanResult]
) -> ScanResult:
    """``scan()`` of the script at ``path`` with ``text``, or its result from an earlier run."""
    key = _key(path, text, search_dirs)
    hit = _load(key)
    if hit is not None:
        return hit
    seen: dict[str, str | None] = {}
    token = _looked_at.set(seen)
    try:
        result = scan()
    finally:
        _looked_at.reset(token)
    entry = {"result": result.to_dict(), "looked_at": seen}
    with contextlib.suppress(WorkbenchError):  # an unwritable cache costs the next run a scan
        cache.put_bytes(KIND, key, orjson.dumps(entry))
    return result


@functools.cache
def _scanner_digest() -> str:
    """What the scan's result depends on besides its input: the parser and this package."""
    digest = hashlib.sha256(shfmt_version().encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _key(path: str, text: str, search_dirs: tuple[Path, ...]) -> str:
    where = [path, str(Path(path).resolve()), *(str(d.resolve()) for d in search_dirs)]
    digest = hashlib.sha256(_scanner_digest().encode())
    digest.update(orjson.dumps(where))
    digest.update(hashlib.sha256(text.encode()).digest())
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def _load(key: str) -> ScanResult | None:
    body = cache.get_bytes(KIND, key)
    if body is None:
        return None
    try:
        entry = orjson.loads(body)
        if any(
            (_file_digest(Path(p)) if Path(p).is_file() else None) != digest
            for p, digest in entry["looked_at"].items()
        ):
            return None
        return _result(entry["result"])
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError):
        return None  # an entry of another shape: scan again


def _call(c: dict) -> AzCall:
    words, args, via = tuple(c["words"]), tuple(c["args"]), tuple(c["via"])
    return AzCall(c["file"], c["line"], words, args, c["text"], c["stopped_at"], via)


def _result(data: dict) -> ScanResult:
    calls = tuple(_call(c) for c in data["calls"])
    unresolved = tuple(Unresolved(**u) for u in data["unresolved"])
    external = tuple(ExternalCommand(**e) for e in data["external"])
    return ScanResult(calls, unresolved, external)
