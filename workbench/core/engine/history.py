"""The session's builds, one JSON object per line in ``.workbench/history.jsonl`` beside the
recipe. An append is one ``O_APPEND`` write under ``flock`` (concurrent builds keep every
record); reading checks each record's types and skips, and names, the lines that fail."""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.files import os_reason

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
    """Append ``record`` to the recipe's history as one ``O_APPEND`` write under an exclusive
    lock, so concurrent builds never lose a record; returns the history path."""
    path = history_path(recipe)
    line = json.dumps(record, sort_keys=True, default=str).encode() + b"\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) not in (b"\n", b""):
                line = b"\n" + line  # a torn last line stays its own (skipped) line
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the lock
    except OSError as exc:
        raise WorkbenchError(
            f"cannot write the build history {path}: {os_reason(exc)}; check the directory "
            "is writable",
            exit_code=1,
        ) from None
    return path


# field -> the JSON types it may have (None allowed everywhere but time/status)
_SCHEMA: dict[str, tuple[type, ...]] = {
    "time": (str,),
    "status": (str,),
    "epoch": (int, float),
    "recipe_hash": (str,),
    "packages": (dict,),
    "settings": (dict,),
    "dockerfile": (str,),
    "target": (dict,),
    "base_image": (str,),
    "tag": (str,),
    "image_id": (str,),
    "estimate_bytes": (int,),
    "size_bytes": (int,),
    "base_size_bytes": (int,),
    "added_bytes": (int,),
    "python_layer_bytes": (int,),
    "layers": (list,),
    "comparison": (dict,),
    "smoke": (dict,),
    "durations": (dict,),
    "failure": (dict,),
}
_REQUIRED = ("time", "status")
_NESTED: dict[str, dict[str, tuple[type, ...]]] = {
    "comparison": {
        "estimate_bytes": (int,),
        "actual_bytes": (int,),
        "difference_bytes": (int,),
        "difference_ratio": (int, float),
    },
    "smoke": {"passed": (bool,)},
    "failure": {"line": (str,), "kind": (str,)},
    "durations": {"total_s": (int, float)},
}


def record_problem(record: object) -> str | None:
    """Why ``record`` is not a history record the faces can show (None when it is)."""
    if not isinstance(record, dict):
        return "not a JSON object"
    for key in _REQUIRED:
        if not isinstance(record.get(key), str):
            return f"{key} must be a string"
    checks = [(key, record.get(key), types) for key, types in _SCHEMA.items()]
    for key, fields in _NESTED.items():
        value = record.get(key)
        inner: dict = value if isinstance(value, dict) else {}
        checks += [(f"{key}.{name}", inner.get(name), types) for name, types in fields.items()]
    for key, value, types in checks:
        if not _typed(value, types):
            return f"{key} must be {' or '.join(t.__name__ for t in types)}"
    if not all(isinstance(layer, dict) for layer in record.get("layers") or []):
        return "layers must be a list of objects"
    return None


def _typed(value: object, types: tuple[type, ...]) -> bool:
    """None, or one of ``types`` (a JSON true/false is not a number)."""
    if value is None:
        return True
    return isinstance(value, types) and (bool in types or not isinstance(value, bool))


def load_history(recipe: str | os.PathLike, problems: list[str] | None = None) -> list[dict]:
    """Every valid record of the recipe's history, oldest first. A line that does not parse
    or has wrong types is skipped (a torn write never loses the records around it); each
    skipped line is described in ``problems`` when the caller passes a list."""
    path = history_path(recipe)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise WorkbenchError(f"cannot read the build history {path}: {os_reason(exc)}") from None
    records = []
    for number, line in enumerate(raw.decode(errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            problem: str | None = "not valid JSON"
        else:
            problem = record_problem(record)
        if problem is None:
            records.append(record)
        elif problems is not None:
            problems.append(f"{path}:{number}: skipped ({problem})")
    return records


def last_image(records: list[dict]) -> str | None:
    """The image of the newest build that produced one: its tag, else its id (None if no
    build made an image)."""
    for record in reversed(records):
        if record.get("image_id"):
            return record.get("tag") or record["image_id"]
    return None
