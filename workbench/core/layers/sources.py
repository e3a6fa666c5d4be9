"""Image sources: engine image (streamed ``save``), ``docker save`` / OCI archive, OCI directory.

Every source is read once, front to back; layer blobs (plain, gzip or zstd, sniffed by their
magic bytes) are scanned while they stream past and never written to disk. In a legacy
``docker save`` the manifest comes after the layers, so each layer is scanned on its own and the
order is applied at the end. A blob stored under its digest (``blobs/sha256/...``) is hashed
as it streams and refused when its content does not match; digests and references are checked
before use (no path outside an OCI layout is read), an index that refers back to itself is
refused, and a config of the wrong shape is one line.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

import zstandard

from workbench.core.errors import WorkbenchError
from workbench.core.files import one_line
from workbench.core.layers.engine_export import engine_export
from workbench.core.layers.layer_scan import LayerScan, normalize, scan_layer
from workbench.core.layers.tarstream import (
    BLOCK,
    READ_CHUNK,
    Prefixed,
    TarFormatError,
    iter_tar,
    open_tar_stream,
    sniff,
)

Progress = Callable[[int, int | None, str], None]  # (bytes done, bytes total or None, what)
MAX_JSON = 64 << 20
PROGRESS_STEP = 16 << 20
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.zst", ".oci")
_STREAM_ERRORS = (TarFormatError, EOFError, zlib.error, zstandard.ZstdError, OSError)


@dataclass
class ImageLayers:
    """An image's config and its layers, bottom first, each scanned once."""

    name: str
    config: dict
    layers: list[LayerScan]
    digests: list[str]  # uncompressed layer digests (rootfs diff_ids) when the config has them


def load_image(spec: str, progress: Progress | None = None) -> ImageLayers:
    """Read ``spec``: an OCI layout directory, an archive file, or an image name in the engine."""
    path = Path(spec)
    if path.is_dir():
        return _read_oci_dir(path, progress)
    if path.is_file():
        with open(path, "rb", buffering=0) as raw:
            return _read_archive(raw, spec, path.stat().st_size, progress)
    if spec.endswith(ARCHIVE_SUFFIXES) or spec.startswith(("/", "./", "../")):
        raise WorkbenchError(f"{spec}: no such file; pass an image archive, OCI dir or image name")
    raw, size = engine_export(spec)
    with raw:
        return _read_archive(raw, spec, size, progress)


class _Counting(io.RawIOBase):
    """Passes reads through and reports progress every PROGRESS_STEP bytes."""

    def __init__(self, raw, total: int | None, what: str, progress: Progress | None) -> None:
        self._raw, self._total, self._what, self._progress = raw, total, what, progress
        self.done = 0
        self._next = PROGRESS_STEP

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        self.done += n or 0
        if self._progress and self.done >= self._next:
            self._next = self.done + PROGRESS_STEP
            self._progress(self.done, self._total, self._what)
        return n


def _read_archive(raw, name: str, total: int | None, progress: Progress | None) -> ImageLayers:
    jsons: dict[str, object] = {}
    scans: dict[str, LayerScan] = {}
    counted = _Counting(raw, total, name, progress)
    try:
        stream: io.BufferedReader = io.BufferedReader(counted, READ_CHUNK)
        head = stream.peek(BLOCK)[:BLOCK]
        kind = sniff(head)
        if not head:
            raise TarFormatError("the file is empty")
        if kind in ("gzip", "zstd"):  # e.g. `docker save IMAGE | gzip > image.tar.gz`
            stream = open_tar_stream(kind, stream)
        elif kind != "tar":
            raise TarFormatError("not a tar archive")
        for header, data in iter_tar(stream):
            if not header.is_regular:
                continue
            path = normalize(header.name)
            head = data.read(BLOCK)
            kind = sniff(head)
            if kind == "json" and header.size <= MAX_JSON:
                jsons[path] = _parse_json(_verified(path, head + data.read(), name), path, name)
            elif kind in ("tar", "gzip", "zstd"):
                digesting = _Digesting(Prefixed(head, data), path)
                scans[path] = scan_layer(open_tar_stream(kind, digesting))
                _check_digest(path, digesting.finish(), name)
    except _STREAM_ERRORS as exc:
        raise WorkbenchError(f"{name}: unreadable image archive: {one_line(exc)}") from None
    if progress:
        progress(counted.done, counted.done, name)

    def layer(ref: str) -> LayerScan:
        if ref not in scans:
            raise WorkbenchError(f"{name}: the manifest lists layer {ref}, which the archive lacks")
        return scans[ref]

    return _assemble(name, jsons.get, layer)


def _read_oci_dir(root: Path, progress: Progress | None) -> ImageLayers:
    name = str(root)

    def get_json(ref: str):
        path = _inside(root, ref, name)
        if not path.is_file():
            return None
        try:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_JSON + 1)
        except OSError as exc:
            raise WorkbenchError(f"{name}: cannot read {ref}: {one_line(exc)}") from None
        if len(raw) > MAX_JSON:
            raise WorkbenchError(f"{name}: {ref} is larger than {MAX_JSON >> 20} MB of JSON")
        return _parse_json(_verified(ref, raw, name), ref, name)

    def layer(ref: str) -> LayerScan:
        path = _inside(root, ref, name)
        if not path.is_file():
            raise WorkbenchError(f"{name}: the manifest lists layer {ref}, which is missing")
        try:
            with open(path, "rb", buffering=0) as raw:
                head = raw.read(BLOCK)
                kind = sniff(head)
                if kind not in ("tar", "gzip", "zstd"):
                    raise TarFormatError(f"layer {ref} is not a tar, gzip or zstd blob")
                digesting = _Digesting(Prefixed(head, raw), ref)
                scan = scan_layer(open_tar_stream(kind, digesting))
                _check_digest(ref, digesting.finish(), name)
        except _STREAM_ERRORS as exc:
            raise WorkbenchError(f"{name}: unreadable layer {ref}: {one_line(exc)}") from None
        if progress:
            progress(0, None, ref)
        return scan

    return _assemble(name, get_json, layer)


def _assemble(name: str, get_json: Callable[[str], object], layer) -> ImageLayers:
    """Find the manifest (docker ``manifest.json`` or OCI ``index.json``), order the layers."""
    try:
        config_ref, layer_refs = _manifest(name, get_json)
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise WorkbenchError(f"{name}: malformed image manifest ({one_line(exc)})") from None
    config = get_json(config_ref)
    if not isinstance(config, dict):
        raise WorkbenchError(f"{name}: image config {config_ref} is missing")
    problem = _config_problem(config)
    if problem:
        raise WorkbenchError(f"{name}: image config {config_ref}: {problem}")
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    layers = [layer(ref) for ref in layer_refs]
    digests = diff_ids if len(diff_ids) == len(layer_refs) else [_digest_of(r) for r in layer_refs]
    return ImageLayers(name=name, config=config, layers=layers, digests=list(digests))


def _manifest(name: str, get_json) -> tuple[str, list[str]]:
    """(config ref, layer refs) from a docker ``manifest.json`` or an OCI ``index.json``."""
    manifest = get_json("manifest.json")
    if manifest is not None:
        if not isinstance(manifest, list) or not manifest or not isinstance(manifest[0], dict):
            raise WorkbenchError(f"{name}: manifest.json lists no image")
        config, layers = manifest[0].get("Config"), manifest[0].get("Layers")
        if not (isinstance(config, str) and isinstance(layers, list) and _strings(layers)):
            raise WorkbenchError(f"{name}: manifest.json: Config and Layers must be paths")
        return normalize(config), [normalize(ref) for ref in layers]
    node = get_json("index.json")
    if node is None:
        raise WorkbenchError(
            f"{name}: no manifest.json or index.json found; not a `docker save` or OCI image"
        )
    seen = {"index.json"}
    while isinstance(node, dict) and "manifests" in node:  # an index, possibly nested
        images = [m for m in node["manifests"] if isinstance(m, dict) and _is_image(m)]
        if not images:
            raise WorkbenchError(f"{name}: the OCI index lists no image manifest")
        ref = _blob(images[0].get("digest"), name)
        if ref in seen:
            raise WorkbenchError(f"{name}: the OCI index refers back to {ref} (a cycle)")
        seen.add(ref)
        node = get_json(ref)
        if node is None:
            raise WorkbenchError(f"{name}: the OCI index refers to {ref}, which is missing")
    if not isinstance(node, dict) or not isinstance(node.get("layers"), list):
        raise WorkbenchError(f"{name}: the OCI manifest has no layers list")
    config = node.get("config")
    digest = config.get("digest") if isinstance(config, dict) else None
    layers = [d.get("digest") if isinstance(d, dict) else None for d in node["layers"]]
    return _blob(digest, name), [_blob(d, name) for d in layers]


def _is_image(descriptor: dict) -> bool:
    platform = descriptor.get("platform")
    platform = platform if isinstance(platform, dict) else {}
    return platform.get("os") != "unknown"  # BuildKit attestation manifests say "unknown"


_DIGEST = re.compile(r"([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)", re.ASCII)
_BLOB_PATH = re.compile(r"blobs/(sha256|sha512)/([0-9a-f]+)", re.ASCII)


def _blob(digest: object, name: str) -> str:
    """The layout path of a descriptor's digest; WorkbenchError for anything not a digest."""
    match = _DIGEST.fullmatch(digest) if isinstance(digest, str) else None
    if match is None:
        raise WorkbenchError(f"{name}: {str(digest)[:80]!r} is not an OCI digest")
    return f"blobs/{match.group(1)}/{match.group(2)}"


def _inside(root: Path, ref: str, name: str) -> Path:
    """``root / ref``, refused when it leaves the layout (``..``, an absolute path, a link)."""
    path = (root / ref).resolve()
    if not path.is_relative_to(root.resolve()):
        raise WorkbenchError(f"{name}: {ref[:80]!r} points outside the OCI layout")
    return path


class _Digesting(io.RawIOBase):
    """Passes reads through, hashing them with the algorithm a blob path ``ref`` names
    (nothing to hash for other paths, e.g. a legacy ``docker save`` layer.tar)."""

    def __init__(self, raw, ref: str) -> None:
        self._raw = raw
        match = _BLOB_PATH.fullmatch(ref)
        self._hashes = {match.group(1): hashlib.new(match.group(1))} if match else {}

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._raw.readinto(buffer)
        if n:
            view = memoryview(buffer)[:n]
            for h in self._hashes.values():
                h.update(view)
        return n

    def finish(self) -> dict[str, str]:
        """Read what the scanner left (tar padding) and return the digests of the whole blob."""
        while self._hashes and self.read(READ_CHUNK):
            pass
        return {alg: h.hexdigest() for alg, h in self._hashes.items()}


def _verified(ref: str, data: bytes, name: str) -> bytes:
    """``data``, checked against the digest its blob path names (when it names one)."""
    match = _BLOB_PATH.fullmatch(ref)
    if match:
        _check_digest(ref, {match.group(1): hashlib.new(match.group(1), data).hexdigest()}, name)
    return data


def _check_digest(ref: str, digests: dict[str, str], name: str) -> None:
    match = _BLOB_PATH.fullmatch(ref)
    if match and match.group(1) in digests and digests[match.group(1)] != match.group(2):
        raise WorkbenchError(
            f"{name}: blob {ref} does not match its digest (corrupt or altered); re-export it"
        )


def _strings(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _config_problem(config: dict) -> str | None:
    """Why an image config cannot be read for layers (None when it can)."""
    rootfs = config.get("rootfs")
    if rootfs is not None and not isinstance(rootfs, dict):
        return "rootfs must be an object"
    diff_ids = (rootfs or {}).get("diff_ids")
    if diff_ids is not None and not _strings(diff_ids):
        return "rootfs.diff_ids must be a list of digests"
    history = config.get("history")
    if history is None:
        return None
    if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
        return "history must be a list of objects"
    for entry in history:
        for key in ("created_by", "comment"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                return f"history {key} must be text"
        if not isinstance(entry.get("empty_layer", False), bool):
            return "history empty_layer must be true or false"
    return None


def _digest_of(ref: str) -> str:
    parts = ref.split("/")
    if len(parts) == 3 and parts[0] == "blobs":
        return f"{parts[1]}:{parts[2]}"
    return ref


def _parse_json(raw: bytes, what: str, name: str):
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise WorkbenchError(f"{name}: {what} is not valid JSON") from None
