"""The session's builds, one JSON object per line in ``.workbench/history.jsonl`` beside the
recipe. Appends are atomic: the file is rewritten to a temp file and renamed into place."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from workbench.core.errors import WorkbenchError

HISTORY_DIR = ".workbench"
HISTORY_FILE = "history.jsonl"


def history_path(recipe: str | os.PathLike) -> Path:
    """Where the history of ``recipe`` lives: ``<recipe dir>/.workbench/history.jsonl``."""
    return Path(recipe).resolve().parent / HISTORY_DIR / HISTORY_FILE


def new_record(**fields) -> dict:
    """A history record stamped with the current UTC time (ISO 8601) and epoch seconds."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    return {"time": stamp, "epoch": round(now, 3), **fields}


def append_record(recipe: str | os.PathLike, record: dict) -> Path:
    """Append ``record`` to the recipe's history atomically; returns the history path."""
    path = history_path(recipe)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        old = path.read_bytes() if path.exists() else b""
        if old and not old.endswith(b"\n"):
            old += b"\n"
        line = json.dumps(record, sort_keys=True, default=str).encode() + b"\n"
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".history-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(old + line)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise WorkbenchError(
            f"cannot write the build history {path}: {exc.strerror}; check the directory "
            "is writable",
            exit_code=1,
        ) from None
    return path


def load_history(recipe: str | os.PathLike) -> list[dict]:
    """Every record of the recipe's history, oldest first; lines that do not parse are
    skipped (a torn write never loses the records before it)."""
    path = history_path(recipe)
    if not path.exists():
        return []
    records = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def last_image(records: list[dict]) -> str | None:
    """The image of the newest build that produced one: its tag, else its id (None if no
    build made an image)."""
    for record in reversed(records):
        if record.get("image_id"):
            return record.get("tag") or record["image_id"]
    return None
