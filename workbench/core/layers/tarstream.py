"""A forward-only tar reader for streams (sockets, pipes, decompressors, nested members).

``tarfile``'s stream mode pushes every byte through several Python buffer layers; this reader
parses headers itself (ustar, GNU long names, PAX records, base-256 sizes) and hands out each
member's data as a bounded reader over one shared ``io.BufferedReader``, so nested archives
(layer tars inside a ``docker save`` tar) cost one copy per read, never a spill to disk.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import zstandard

BLOCK = 512
READ_CHUNK = 1 << 20

REGULAR = frozenset(b"0\x007")  # typeflags of regular files ('0', NUL, contiguous '7')
HARDLINK, SYMLINK, CHARDEV, BLOCKDEV, DIRECTORY, FIFO = (ord(c) for c in "123456")
_META = frozenset(b"xgLK")  # PAX local/global records, GNU long name / long link name


class TarFormatError(Exception):
    """The stream is not a tar archive, or ends early."""


@dataclass(slots=True)
class TarHeader:
    """One member: name and link target already resolved from PAX / GNU records."""

    name: str
    size: int
    typeflag: int
    linkname: str
    mode: int
    uid: int
    gid: int

    @property
    def is_regular(self) -> bool:
        return self.typeflag in REGULAR


class Bounded(io.RawIOBase):
    """Reads at most ``length`` bytes from ``source``; raises on a short underlying stream."""

    def __init__(self, source, length: int) -> None:
        self._source = source
        self.remaining = length

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self.remaining:
            size = self.remaining
        if size == 0:
            return b""
        data = self._source.read(size)
        if len(data) < size:
            raise TarFormatError("archive ends in the middle of a member (truncated?)")
        self.remaining -= size
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def skip(self) -> None:
        """Consume what is left of this member."""
        while self.remaining:
            self.read(min(self.remaining, READ_CHUNK))


class ChunkReader(io.RawIOBase):
    """A raw stream over an iterable of byte chunks (e.g. the Docker SDK's ``save()``)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._chunk = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._chunk:
            try:
                self._chunk = memoryview(next(self._chunks))
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._chunk))
        buffer[:n] = self._chunk[:n]
        self._chunk = self._chunk[n:]
        return n


def _field_str(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _field_int(raw: bytes) -> int:
    if raw[0] & 0x80:  # GNU base-256 for values that do not fit in octal
        value = int.from_bytes(raw[1:], "big")
        return value - (1 << (8 * len(raw) - 8)) if raw[0] & 0x40 else value
    text = raw.split(b"\0", 1)[0].strip(b" \0")
    return int(text, 8) if text else 0


def _checksum_ok(block: bytes) -> bool:
    try:
        stored = _field_int(block[148:156])
    except ValueError:
        return False
    return stored == sum(block[:148]) + 256 + sum(block[156:])


def _parse_pax(data: bytes) -> dict[str, str]:
    """PAX extended header records: ``"<len> <key>=<value>\\n"``."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if not data[pos:].strip(b"\0"):
            break  # NUL padding after the last record
        space = data.find(b" ", pos)
        digits = data[pos:space] if space > pos else b""
        length = int(digits) if digits.isdigit() and len(digits) < 12 else 0
        if length <= space - pos + 1 or pos + length > len(data) or data[pos + length - 1] != 10:
            raise TarFormatError("malformed PAX header (bad record length)")
        key, _, value = data[space + 1 : pos + length - 1].partition(b"=")
        records[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


def iter_tar(stream) -> Iterator[tuple[TarHeader, Bounded]]:
    """Yield ``(header, data)`` for each member of the tar on ``stream`` (a buffered reader).

    ``data`` may be read partly or not at all; the rest is skipped when the caller asks for the
    next member. Raises TarFormatError for a non-tar stream or one that ends early.
    """
    pax_global: dict[str, str] = {}
    pending: dict[str, str] = {}
    first = True
    while True:
        block = stream.read(BLOCK)
        if not block and first:
            raise TarFormatError("empty stream, not a tar archive")
        if len(block) < BLOCK:
            if not block:
                return  # end without the two zero blocks: tolerated, like GNU tar
            raise TarFormatError("archive ends in the middle of a header (truncated?)")
        if block.count(0) == BLOCK:
            return
        if (first or block[257:262] != b"ustar") and not _checksum_ok(block):
            if first:
                raise TarFormatError("not a tar archive (bad header checksum)")
            raise TarFormatError("corrupt tar header")
        first = False
        typeflag = block[156]
        try:
            size = _field_int(block[124:136])
        except ValueError:
            raise TarFormatError("corrupt tar header (bad size field)") from None
        if "size" in pending and typeflag not in _META:
            size = _pax_int(pending, "size")
        if size < 0:
            raise TarFormatError("corrupt tar header (negative size)")
        data = Bounded(stream, size)
        if typeflag in _META:
            payload = data.read()
            if typeflag == ord("x"):
                pending.update(_parse_pax(payload))
            elif typeflag == ord("g"):
                pax_global.update(_parse_pax(payload))
            elif typeflag == ord("L"):
                pending["path"] = _field_str(payload)
            else:
                pending["linkpath"] = _field_str(payload)
            _skip_padding(stream, size)
            continue
        name = _field_str(block[0:100])
        if block[257:262] == b"ustar" and block[345] and block[263:265] == b"00":
            name = _field_str(block[345:500]) + "/" + name  # POSIX ustar prefix field
        meta = {**pax_global, **pending} if pax_global else pending
        try:
            header = TarHeader(
                name=meta.get("path", name),
                size=size,
                typeflag=typeflag,
                linkname=meta.get("linkpath") or _field_str(block[157:257]),
                mode=_field_int(block[100:108]) & 0o7777,
                uid=_pax_int(meta, "uid") if "uid" in meta else _field_int(block[108:116]),
                gid=_pax_int(meta, "gid") if "gid" in meta else _field_int(block[116:124]),
            )
        except ValueError:
            raise TarFormatError("corrupt tar header (bad mode, uid or gid field)") from None
        pending = {}
        yield header, data
        data.skip()
        _skip_padding(stream, size)


def _pax_int(meta: dict[str, str], key: str) -> int:
    """A PAX decimal field (size, uid, gid); TarFormatError when it is not one."""
    text = meta[key]
    if not (text.isascii() and text.isdigit() and len(text) < 20):
        raise TarFormatError(f"malformed PAX header ({key}={text[:20]!r})")
    return int(text)


def _skip_padding(stream, size: int) -> None:
    pad = -size % BLOCK
    if pad and len(stream.read(pad)) < pad:
        raise TarFormatError("archive ends in the middle of a member (truncated?)")


GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def sniff(head: bytes) -> str:
    """Kind of a blob from its first bytes: "gzip", "zstd", "tar", "json" or "unknown"."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if len(head) >= BLOCK and (head[257:262] == b"ustar" or head[:BLOCK].count(0) == BLOCK):
        return "tar"
    if len(head) >= BLOCK and _checksum_ok(head[:BLOCK]):
        return "tar"  # pre-POSIX (v7) header
    if head.lstrip()[:1] in (b"{", b"["):
        return "json"
    return "unknown"


class Prefixed(io.RawIOBase):
    """Replays ``head`` (already consumed for sniffing) and then reads on from ``rest``."""

    def __init__(self, head: bytes, rest) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_tar_stream(kind: str, raw) -> io.BufferedReader:
    """A buffered reader yielding the uncompressed tar bytes of a blob of ``kind``."""
    if kind == "gzip":
        return io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"), READ_CHUNK)
    if kind == "zstd":
        reader = zstandard.ZstdDecompressor().stream_reader(
            raw, read_size=READ_CHUNK, read_across_frames=True
        )
        return io.BufferedReader(reader, READ_CHUNK)
    return io.BufferedReader(raw, READ_CHUNK)
