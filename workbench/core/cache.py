"""Content-addressed disk cache under the user cache dir (``WORKBENCH_CACHE_DIR`` overrides).

Entries are keyed by an immutable digest (a wheel's sha256), written atomically, and carry
a digest of their own payload so a corrupt entry is detected and treated as missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

import platformdirs

from workbench.core.files import write_atomic


def cache_dir() -> Path:
    """Root of workbench's cache."""
    override = os.environ.get("WORKBENCH_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("workbench"))


def _entry_path(kind: str, key: str) -> Path:
    return cache_dir() / kind / key[:2] / f"{key}.json"


def get_json(kind: str, key: str) -> dict | None:
    """The cached payload for ``key``, or None when missing or corrupt (then it is removed)."""
    path = _entry_path(kind, key)
    try:
        envelope = json.loads(path.read_bytes())
        payload = envelope["payload"]
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        if envelope["key"] == key and envelope["digest"] == hashlib.sha256(body).hexdigest():
            return payload
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, OSError):
        pass
    _forget(path)
    return None


def _forget(path: Path) -> None:
    """Remove a corrupt entry; one that cannot be removed is only a miss again next time."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def put_json(kind: str, key: str, payload: dict) -> None:
    """Store ``payload`` under ``key`` with a digest that ``get_json`` verifies."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    envelope = {"key": key, "digest": hashlib.sha256(body).hexdigest(), "payload": payload}
    write_atomic(_entry_path(kind, key), json.dumps(envelope).encode())


def _bytes_path(kind: str, key: str) -> Path:
    return cache_dir() / kind / key[:2] / f"{key}.bin"


def get_bytes(kind: str, key: str) -> bytes | None:
    """A cached blob stored by ``put_bytes``, or None when missing or corrupt (then removed).
    For large entries: checked by hashing the bytes, with no JSON round trip."""
    path = _bytes_path(kind, key)
    try:
        digest, _, body = path.read_bytes().partition(b"\n")
    except FileNotFoundError:
        return None
    except OSError:
        body, digest = b"", b"-"
    if hashlib.sha256(body).hexdigest().encode() == digest:
        return body
    _forget(path)
    return None


def put_bytes(kind: str, key: str, body: bytes) -> None:
    """Store ``body`` under ``key`` behind a digest line that ``get_bytes`` verifies."""
    digest = hashlib.sha256(body).hexdigest().encode()
    write_atomic(_bytes_path(kind, key), digest + b"\n" + body)
