"""Test helpers: build layer tars and image archives (legacy ``docker save``, OCI) in memory."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import zstandard


def layer_tar(members, fmt=tarfile.PAX_FORMAT) -> bytes:
    """A layer tar from ``(kind, path, arg)`` tuples: kind is file (arg = bytes), dir,
    symlink / hardlink (arg = target), whiteout (path deleted) or opaque (path = dir)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for kind, path, *rest in members:
            arg = rest[0] if rest else None
            if kind == "whiteout":
                parent, _, name = path.rpartition("/")
                path, kind, arg = (f"{parent}/" if parent else "") + ".wh." + name, "file", b""
            elif kind == "opaque":
                path, kind, arg = f"{path}/.wh..wh..opq", "file", b""
            info = tarfile.TarInfo(path)
            info.mode = 0o755 if kind == "dir" else 0o644
            if kind == "file":
                info.size = len(arg)
                tar.addfile(info, io.BytesIO(arg))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE}.get(kind)
            if kind == "hardlink":
                info.type = tarfile.LNKTYPE
            if kind in ("symlink", "hardlink"):
                info.linkname = arg
            tar.addfile(info)
    return out.getvalue()


def compress(data: bytes, kind: str) -> bytes:
    if kind == "gzip":
        return gzip.compress(data)
    if kind == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_config(layers: list[bytes], commands: list[str]) -> bytes:
    """A config whose history has one empty entry (CMD) between the layer entries."""
    history = []
    for command in commands:
        history.append({"created_by": command})
        history.append({"created_by": '/bin/sh -c #(nop)  CMD ["sh"]', "empty_layer": True})
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [sha256(layer) for layer in layers]},
        "history": history,
    }
    return json.dumps(config).encode()


def _tar(files: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def legacy_archive(layers: list[bytes], commands: list[str], manifest: bool = True) -> bytes:
    """A Docker <= 24 ``docker save``: ``<id>/layer.tar`` dirs first, manifest.json last."""
    config = image_config(layers, commands)
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    files, refs = [], []
    for i, layer in enumerate(layers):
        layer_id = hashlib.sha256(f"{i}".encode() + layer).hexdigest()
        files += [(f"{layer_id}/VERSION", b"1.0"), (f"{layer_id}/json", b'{"id": "x"}')]
        files.append((f"{layer_id}/layer.tar", layer))
        refs.append(f"{layer_id}/layer.tar")
    files.append((config_name, config))
    if manifest:
        document = [{"Config": config_name, "RepoTags": ["t:1"], "Layers": refs}]
        files.append(("manifest.json", json.dumps(document).encode()))
    return _tar(files)


def oci_files(
    layers: list[bytes], commands: list[str], compression: list[str], docker_manifest: bool
) -> list[tuple[str, bytes]]:
    """The files of an OCI image layout (Docker >= 25 ``docker save`` adds manifest.json)."""
    config = image_config(layers, commands)
    blobs = [compress(layer, kind) for layer, kind in zip(layers, compression, strict=True)]
    media = {"plain": "tar", "gzip": "tar+gzip", "zstd": "tar+zstd"}
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": sha256(config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": f"application/vnd.oci.image.layer.v1.{media[kind]}",
                "digest": sha256(blob),
                "size": len(blob),
            }
            for blob, kind in zip(blobs, compression, strict=True)
        ],
    }
    manifest_bytes = json.dumps(manifest).encode()
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": manifest["mediaType"],
                "digest": sha256(manifest_bytes),
                "size": len(manifest_bytes),
            }
        ],
    }
    files = [
        ("oci-layout", b'{"imageLayoutVersion": "1.0.0"}'),
        ("index.json", json.dumps(index).encode()),
    ]
    for blob in [config, manifest_bytes, *blobs]:
        files.append((f"blobs/sha256/{sha256(blob)[7:]}", blob))
    if docker_manifest:
        layer_refs = [f"blobs/sha256/{sha256(b)[7:]}" for b in blobs]
        document = [{"Config": f"blobs/sha256/{sha256(config)[7:]}", "Layers": layer_refs}]
        files.append(("manifest.json", json.dumps(document).encode()))
    return files


def oci_archive(layers, commands, compression, docker_manifest=True) -> bytes:
    return _tar(oci_files(layers, commands, compression, docker_manifest))


def oci_dir(root: Path, layers, commands, compression) -> Path:
    for name, data in oci_files(layers, commands, compression, docker_manifest=False):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


LONG = "usr/lib/python3/" + "very-long-directory-name/" * 5 + "ünïcode-file.py"

# The scenario the metric tests check by hand (see test_layers.py for the expected figures).
SCENARIO = [
    [
        ("dir", "etc"),
        ("file", "etc/a", b"a" * 100),
        ("symlink", "etc/link", "a"),
        ("hardlink", "etc/hl", "etc/a"),
        ("dir", "data"),
        ("file", "data/big", b"x" * 1000),
        ("dir", "keep"),
        ("file", "keep/f1", b"1" * 10),
        ("file", "keep/f2", b"2" * 20),
        ("dir", "keep2"),
        ("file", "keep2/g", b"g" * 50),
        ("file", LONG, b""),
    ],
    [
        ("file", "data/big", b"y" * 1000),
        ("file", "etc/a", b"a" * 100),
        ("whiteout", "keep/f1"),
        ("dir", "new"),
        ("file", "new/n", b"n" * 5),
        ("file", "keep2/g", b"g" * 50),
    ],
    [
        ("whiteout", "data/big"),
        ("opaque", "keep"),
        ("file", "keep/f3", b"3" * 7),
        ("whiteout", "etc"),
    ],
]
COMMANDS = [
    "/bin/sh -c #(nop) ADD file:abc in / ",
    "/bin/sh -c echo y > /data/big",
    "RUN /bin/sh -c rm -rf /data/big /etc # buildkit",
]


def scenario_layers(fmt=tarfile.PAX_FORMAT) -> list[bytes]:
    return [layer_tar(members, fmt) for members in SCENARIO]
