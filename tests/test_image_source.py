"""Image sources and the tar reader, on archives the tests build (legacy and OCI layouts)."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest
from layer_archives import (
    COMMANDS,
    LONG,
    layer_tar,
    legacy_archive,
    oci_archive,
    oci_dir,
    scenario_layers,
)

from workbench.core.errors import WorkbenchError
from workbench.core.layers.engine_export import ChunkedBody
from workbench.core.layers.sources import load_image
from workbench.core.layers.tarstream import TarFormatError, iter_tar, sniff


def _names_by_tarfile(data: bytes) -> list[tuple[str, int, str]]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return [(m.name, m.size, m.linkname) for m in tar]


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])
def test_tar_reader_agrees_with_tarfile(fmt):
    long_link = "target/" * 20 + "x"
    members = [("dir", "d"), ("file", "d/f", b"hello" * 300), ("symlink", "d/s", "f")]
    if fmt != tarfile.USTAR_FORMAT:  # ustar cannot hold names this long
        members += [("file", LONG, b"z"), ("symlink", "d/long", long_link)]
    data = layer_tar(members, fmt)
    stream = io.BufferedReader(io.BytesIO(data))
    ours = [(h.name.rstrip("/"), h.size, h.linkname) for h, _ in iter_tar(stream)]
    assert ours == _names_by_tarfile(data)


def test_tar_reader_reports_truncation_and_garbage():
    data = layer_tar([("file", "f", b"x" * 5000)])
    with pytest.raises(TarFormatError, match="truncated"):
        for _, body in iter_tar(io.BufferedReader(io.BytesIO(data[:2000]))):
            body.read()
    with pytest.raises(TarFormatError, match="not a tar"):
        list(iter_tar(io.BufferedReader(io.BytesIO(b"{" + b"not a tar " * 100))))


def test_sniff_magic_bytes():
    tar = layer_tar([("file", "f", b"x")])
    assert sniff(tar[:512]) == "tar"
    assert sniff(gzip.compress(tar)[:512]) == "gzip"
    assert sniff(b"\x28\xb5\x2f\xfd" + b"\0" * 600) == "zstd"
    assert sniff(b'  {"a": 1}') == "json"
    assert sniff(b"\0" * 1024) == "tar"  # an empty layer is two zero blocks


def _summary(image):
    return (
        image.digests,
        [sorted(layer.entries.items()) for layer in image.layers],
        [(sorted(layer.whiteouts), sorted(layer.opaque), layer.size) for layer in image.layers],
    )


@pytest.fixture(scope="module")
def layers():
    return scenario_layers()


def test_legacy_and_oci_layouts_give_the_same_layers(tmp_path, layers):
    legacy = tmp_path / "legacy.tar"
    legacy.write_bytes(legacy_archive(layers, COMMANDS))
    oci = tmp_path / "oci.tar"
    oci.write_bytes(oci_archive(layers, COMMANDS, ["plain", "gzip", "zstd"]))
    oci_only = tmp_path / "oci-only-index.tar"  # no docker manifest.json: index.json is used
    oci_only.write_bytes(oci_archive(layers, COMMANDS, ["zstd", "plain", "gzip"], False))
    directory = oci_dir(tmp_path / "layout", layers, COMMANDS, ["gzip", "zstd", "plain"])
    gzipped = tmp_path / "legacy.tar.gz"  # `docker save IMAGE | gzip`
    gzipped.write_bytes(gzip.compress(legacy.read_bytes()))

    reference = load_image(str(legacy))
    assert len(reference.layers) == 3
    assert reference.layers[0].size == 100 + 1000 + 10 + 20 + 50
    assert reference.layers[1].whiteouts == ["keep/f1"]
    assert reference.layers[2].opaque == ["keep"]
    assert LONG in reference.layers[0].entries
    hardlink = reference.layers[0].entries["etc/hl"]
    assert hardlink.kind == "hardlink" and hardlink.link == "etc/a"
    assert hardlink.digest == reference.layers[0].entries["etc/a"].digest != 0
    assert reference.layers[0].entries["etc/link"].link == "a"
    for source in (oci, oci_only, directory, gzipped):
        assert _summary(load_image(str(source))) == _summary(reference), source


def test_progress_is_reported(tmp_path, layers):
    path = tmp_path / "image.tar"
    path.write_bytes(legacy_archive(layers, COMMANDS))
    calls = []
    load_image(str(path), progress=lambda done, total, what: calls.append((done, total)))
    assert calls and calls[-1][0] == path.stat().st_size


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("truncated", "truncated"),
        ("garbage", "not a tar archive"),
        ("no-manifest", "no manifest.json or index.json"),
        ("missing-layer", "lacks"),
        ("empty", "empty"),
    ],
)
def test_bad_archives_raise_one_clear_error(tmp_path, layers, content, message):
    full = legacy_archive(layers, COMMANDS)
    data = {
        "truncated": full[: len(full) // 2],
        "garbage": b"this is not an image archive\n" * 40,
        "no-manifest": legacy_archive(layers, COMMANDS, manifest=False),
        "missing-layer": _drop_member(oci_archive(layers, COMMANDS, ["plain"] * 3), layers[1]),
        "empty": b"",
    }[content]
    path = tmp_path / "bad.tar"
    path.write_bytes(data)
    with pytest.raises(WorkbenchError, match=message) as info:
        load_image(str(path))
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def _drop_member(archive: bytes, blob: bytes) -> bytes:
    """The archive without the member whose content is ``blob``."""
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(archive)) as src,
        tarfile.open(fileobj=out, mode="w") as dst,
    ):
        for member in src:
            data = src.extractfile(member).read() if member.isfile() else None
            if data != blob:
                dst.addfile(member, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def test_missing_path_and_missing_oci_dir_layer(tmp_path, layers):
    with pytest.raises(WorkbenchError, match="no such file"):
        load_image(str(tmp_path / "nothing.tar"))
    directory = oci_dir(tmp_path / "layout", layers, COMMANDS, ["plain"] * 3)
    blob = next(p for p in (directory / "blobs/sha256").iterdir() if p.read_bytes() == layers[2])
    blob.unlink()
    with pytest.raises(WorkbenchError, match="missing"):
        load_image(str(directory))


def test_chunked_body_decoding():
    payload = bytes(range(256)) * 500
    pieces = [payload[i : i + 7000] for i in range(0, len(payload), 7000)]
    wire = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\nX-T: 1\r\n\r\n"
    body = io.BufferedReader(ChunkedBody(io.BufferedReader(io.BytesIO(wire))), 1 << 16)
    assert body.read() == payload
    cut = io.BufferedReader(ChunkedBody(io.BufferedReader(io.BytesIO(wire[:9000]))))
    with pytest.raises(WorkbenchError, match="export broke off .*closed the export stream early"):
        cut.read()
    bad = b"zz\r\n" + wire
    with pytest.raises(WorkbenchError, match="bad chunk header"):
        io.BufferedReader(ChunkedBody(io.BufferedReader(io.BytesIO(bad)))).read()
