"""Writing the user's files without losing a byte, and exceptions as one line.

``write_atomic`` is the one way workbench writes a file: a temp file in the target's own
directory, fsync, rename over the target, fsync of the directory. It keeps the target's mode,
writes through a symlink to the file it points at, optionally keeps the old content as
``NAME.bak`` (``backup="numbered"`` also keeps an older ``.bak`` as ``NAME.bak.N`` instead of
dropping it), can refuse an existing file, and refuses a file that changed on disk since it
was read (pass the ``Stamp`` taken when it was read). Failures are one ``WorkbenchError`` line.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from workbench.core.errors import WorkbenchError

Backup = Literal["single", "numbered"] | None


def one_line(exc: BaseException, *, last: bool = False, width: int | None = None) -> str:
    """``exc`` as one line for the user: its first (or ``last``) non-blank line, else its type
    name; cut to ``width`` characters with an ellipsis when given."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if isinstance(exc, OSError) and exc.strerror and not lines:
        lines = [exc.strerror]
    text = (lines[-1] if last else lines[0]) if lines else type(exc).__name__
    if width is not None and len(text) > width:
        text = text[: max(width - 1, 0)] + "…"
    return text


def os_reason(exc: OSError) -> str:
    """The OS's words for ``exc`` (``Permission denied``), without the path repeated."""
    return exc.strerror or one_line(exc)


class ChangedOnDisk(WorkbenchError):
    """The file changed on disk since it was read; writing would lose that change."""

    exit_code = 1


@dataclass(frozen=True)
class Stamp:
    """What a file was when it was read: mtime, size and content hash (``exists`` False when
    there was no file). Two stamps match when the content hash does."""

    exists: bool
    mtime_ns: int = 0
    size: int = 0
    sha256: str = ""

    @classmethod
    def of(cls, path: str | os.PathLike, data: bytes | None = None) -> Stamp:
        """The stamp of ``path`` now (``data``: its content, when the caller just read it)."""
        try:
            st = os.stat(path)
            if data is None:
                data = Path(path).read_bytes()
        except FileNotFoundError:
            return cls(exists=False)
        return cls(True, st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest())

    def still(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` still holds what this stamp saw (a touch without change counts)."""
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return not self.exists
        if not self.exists:
            return False
        if (st.st_mtime_ns, st.st_size) == (self.mtime_ns, self.size):
            return True
        if st.st_size != self.size:
            return False
        try:
            return hashlib.sha256(Path(path).read_bytes()).hexdigest() == self.sha256
        except OSError:
            return False


def real_target(path: str | os.PathLike) -> Path:
    """The file a write to ``path`` should change: a symlink's target (followed to the end)."""
    target = Path(path)
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def write_atomic(
    path: str | os.PathLike,
    data: bytes | str,
    *,
    backup: Backup = None,
    overwrite: bool = True,
    expect: Stamp | None = None,
    mode: int | None = None,
) -> Path:
    """Write ``data`` (str is UTF-8) to ``path`` atomically; returns the file written.

    ``backup`` keeps a different old content as ``NAME.bak`` ("numbered": an older ``.bak``
    moves to ``NAME.bak.N`` first). ``overwrite=False`` refuses an existing file. ``expect``
    (the stamp taken when the file was read) refuses a file changed since (``ChangedOnDisk``).
    A new file gets ``mode`` (default 0o666 less the umask); an existing one keeps its mode.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    shown = Path(path)
    target = real_target(shown)
    try:
        if target.is_dir():
            raise WorkbenchError(f"cannot write {shown}: it is a directory; name a file")
        if not overwrite and target.exists():
            raise WorkbenchError(f"{shown} already exists; not replaced")
        if expect is not None and not expect.still(target):
            raise ChangedOnDisk(
                f"{shown} changed on disk since it was read; reload it or save elsewhere"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        old = target.read_bytes() if target.exists() else None
        if old is not None and backup and old != payload:
            _keep_backup(target, old, numbered=backup == "numbered")
        _replace(target, payload, mode)
    except WorkbenchError:
        raise
    except OSError as exc:
        raise WorkbenchError(
            f"cannot write {shown}: {os_reason(exc)}; check the directory is writable",
            exit_code=1,
        ) from None
    return target


def backup_path(path: str | os.PathLike) -> Path:
    """Where ``write_atomic`` keeps the previous content of ``path``."""
    target = real_target(path)
    return target.with_name(target.name + ".bak")


def _keep_backup(target: Path, old: bytes, *, numbered: bool) -> None:
    bak = backup_path(target)
    if numbered and bak.exists() and bak.read_bytes() != old:
        n = 1
        while bak.with_name(f"{bak.name}.{n}").exists():
            n += 1
        os.replace(bak, bak.with_name(f"{bak.name}.{n}"))
    _replace(bak, old, None, like=target)


def _create_temp(target: Path, mode: int | None) -> tuple[Path, int]:
    """A new temp file beside ``target``, opened for writing: its path and descriptor."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            return tmp, os.open(tmp, flags, 0o666 if mode is None else mode)
        except FileExistsError:
            continue


def _replace(target: Path, payload: bytes, mode: int | None, like: Path | None = None) -> None:
    """Temp file beside ``target``, fsync, rename, fsync the directory."""
    tmp, fd = _create_temp(target, mode)
    try:
        try:
            st = os.stat(like or target)
        except FileNotFoundError:
            pass
        else:
            os.fchmod(fd, st.st_mode & 0o7777)
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, target)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems cannot fsync a directory; the rename stands
        if exc.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name the same existing file (through links and symlinks)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
