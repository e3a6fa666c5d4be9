"""Image sources: engine image (streamed ``save``), ``docker save`` / OCI archive, OCI directory.

Every source is read once, front to back; layer blobs (plain, gzip or zstd, sniffed by their
magic bytes) are scanned while they stream past and never written to disk. In a legacy
``docker save`` the manifest comes after the layers, so each layer is scanned on its own and the
order is applied at the end.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
        stream = io.BufferedReader(counted, READ_CHUNK)
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
                jsons[path] = _parse_json(head + data.read(), path, name)
            elif kind in ("tar", "gzip", "zstd"):
                scans[path] = scan_layer(open_tar_stream(kind, Prefixed(head, data)))
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
        path = root / ref
        if not path.is_file():
            return None
        return _parse_json(path.read_bytes()[:MAX_JSON], ref, name)

    def layer(ref: str) -> LayerScan:
        path = root / ref
        if not path.is_file():
            raise WorkbenchError(f"{name}: the manifest lists layer {ref}, which is missing")
        try:
            with open(path, "rb", buffering=0) as raw:
                head = raw.read(BLOCK)
                kind = sniff(head)
                if kind not in ("tar", "gzip", "zstd"):
                    raise TarFormatError(f"layer {ref} is not a tar, gzip or zstd blob")
                scan = scan_layer(open_tar_stream(kind, Prefixed(head, raw)))
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
        config = get_json(config_ref)
        if not isinstance(config, dict):
            raise WorkbenchError(f"{name}: image config {config_ref} is missing")
        diff_ids = config.get("rootfs", {}).get("diff_ids") or []
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise WorkbenchError(f"{name}: malformed image manifest or config ({exc!r})") from None
    layers = [layer(ref) for ref in layer_refs]
    digests = diff_ids if len(diff_ids) == len(layer_refs) else [_digest_of(r) for r in layer_refs]
    return ImageLayers(name=name, config=config, layers=layers, digests=list(digests))


def _manifest(name: str, get_json) -> tuple[str, list[str]]:
    """(config ref, layer refs) from a docker ``manifest.json`` or an OCI ``index.json``."""
    manifest = get_json("manifest.json")
    if manifest is not None:
        if not isinstance(manifest, list) or not manifest:
            raise WorkbenchError(f"{name}: manifest.json lists no image")
        return manifest[0]["Config"], list(manifest[0]["Layers"])
    node = get_json("index.json")
    if node is None:
        raise WorkbenchError(
            f"{name}: no manifest.json or index.json found; not a `docker save` or OCI image"
        )
    while "manifests" in node:  # an index (possibly nested): take the first image manifest
        images = [m for m in node["manifests"] if _is_image(m)]
        if not images:
            raise WorkbenchError(f"{name}: the OCI index lists no image manifest")
        ref = _blob(images[0]["digest"])
        node = get_json(ref)
        if node is None:
            raise WorkbenchError(f"{name}: the OCI index refers to {ref}, which is missing")
    return _blob(node["config"]["digest"]), [_blob(d["digest"]) for d in node["layers"]]


def _is_image(descriptor: dict) -> bool:
    platform = descriptor.get("platform") or {}
    return platform.get("os") != "unknown"  # BuildKit attestation manifests say "unknown"


def _blob(digest: str) -> str:
    algorithm, _, hexdigest = digest.partition(":")
    return f"blobs/{algorithm}/{hexdigest}"


def _digest_of(ref: str) -> str:
    parts = ref.split("/")
    if len(parts) == 3 and parts[0] == "blobs":
        return f"{parts[1]}:{parts[2]}"
    return ref


def _parse_json(raw: bytes, what: str, name: str):
    try:
        return json.loads(raw)
    except ValueError:
        raise WorkbenchError(f"{name}: {what} is not valid JSON") from None
