"""One streaming pass over a layer tar: per-path records, whiteouts, opaque directories."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import xxhash

from workbench.core.layers.tarstream import (
    BLOCKDEV,
    CHARDEV,
    DIRECTORY,
    FIFO,
    HARDLINK,
    READ_CHUNK,
    SYMLINK,
    iter_tar,
)

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
_KINDS = {HARDLINK: "hardlink", SYMLINK: "symlink", CHARDEV: "char", BLOCKDEV: "block"}
_KINDS |= {DIRECTORY: "dir", FIFO: "fifo"}


class Entry(NamedTuple):
    """What a layer says about one path. ``digest`` is xxh3-64 of the content (0 if none)."""

    kind: str  # "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo"
    size: int  # tar header size: content bytes for files, 0 otherwise
    digest: int
    link: str  # symlink / hardlink target, "" otherwise
    mode: int
    uid: int
    gid: int

    def same_content(self, other: Entry) -> bool:
        """Same type, content and link target (mode and owner are not content)."""
        return (self.kind, self.digest, self.link) == (other.kind, other.digest, other.link)


@dataclass
class LayerScan:
    """Everything one layer tar holds, in tar order; whiteouts already decoded to paths."""

    entries: dict[str, Entry] = field(default_factory=dict)
    whiteouts: list[str] = field(default_factory=list)  # paths this layer deletes
    opaque: list[str] = field(default_factory=list)  # dirs whose lower contents it hides
    size: int = 0  # sum of regular file sizes (dive's layer size)


def normalize(name: str) -> str:
    """Tar member name to an image path without leading "./" or "/" or trailing "/"."""
    while name.startswith("./"):
        name = name[2:]
    return name.strip("/")


def _hash_member(data, size: int) -> int:
    if size <= READ_CHUNK:
        return xxhash.xxh3_64_intdigest(data.read(size))
    hasher = xxhash.xxh3_64()
    while chunk := data.read(READ_CHUNK):
        hasher.update(chunk)
    return hasher.intdigest()


def scan_layer(stream) -> LayerScan:
    """Read the layer tar on ``stream`` (uncompressed, buffered) once; hash every file."""
    scan = LayerScan()
    entries = scan.entries
    for header, data in iter_tar(stream):
        path = normalize(header.name)
        if not path:
            continue
        parent, _, base = path.rpartition("/")
        if base.startswith(WHITEOUT):
            if base == OPAQUE:
                scan.opaque.append(parent)
            elif not base.startswith(WHITEOUT + WHITEOUT):  # other .wh..wh. are aufs metadata
                scan.whiteouts.append(f"{parent}/{base[4:]}" if parent else base[4:])
            continue
        link = ""
        if header.is_regular:
            kind, size, digest = "file", header.size, _hash_member(data, header.size)
            scan.size += size
        else:
            kind, size, digest = _KINDS.get(header.typeflag, "other"), 0, 0
            if header.typeflag == HARDLINK:
                link = normalize(header.linkname)
                target = entries.get(link)
                digest = target.digest if target else 0
            elif header.typeflag == SYMLINK:
                link = header.linkname
        entries[path] = Entry(kind, size, digest, link, header.mode, header.uid, header.gid)
    return scan
