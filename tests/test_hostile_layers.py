"""Hostile archives, OCI layouts and image configs: one line each, never a hang or a read
outside the layout; plus a bounded fuzz tier over the tar and OCI readers."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tarfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.layer_archives import (
    COMMANDS,
    _tar,
    layer_tar,
    oci_files,
    scenario_layers,
    sha256,
)
from workbench.core.errors import WorkbenchError
from workbench.core.layers.sources import load_image
from workbench.core.layers.tarstream import TarFormatError, iter_tar

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _files() -> dict[str, bytes]:
    layers = scenario_layers()
    return dict(oci_files(layers, COMMANDS, ["gzip"] * len(layers), docker_manifest=False))


def _config_ref(files: dict[str, bytes]) -> str:
    index = json.loads(files["index.json"])
    manifest = json.loads(files["blobs/sha256/" + index["manifests"][0]["digest"][7:]])
    return "blobs/sha256/" + manifest["config"]["digest"][7:]


def _with_config(change) -> dict[str, bytes]:
    """The layout with its config changed and every digest re-made to match."""
    files = _files()
    index = json.loads(files["index.json"])
    manifest_ref = "blobs/sha256/" + index["manifests"][0]["digest"][7:]
    manifest = json.loads(files.pop(manifest_ref))
    config = json.loads(files.pop("blobs/sha256/" + manifest["config"]["digest"][7:]))
    change(config)
    config_bytes = json.dumps(config).encode()
    files["blobs/sha256/" + sha256(config_bytes)[7:]] = config_bytes
    manifest["config"]["digest"] = sha256(config_bytes)
    manifest_bytes = json.dumps(manifest).encode()
    files["blobs/sha256/" + sha256(manifest_bytes)[7:]] = manifest_bytes
    index["manifests"][0]["digest"] = sha256(manifest_bytes)
    files["index.json"] = json.dumps(index).encode()
    return files


def _index(files: dict[str, bytes], **manifest) -> dict[str, bytes]:
    files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [manifest]}).encode()
    return files


def _altered_layer() -> dict[str, bytes]:
    files = _files()
    ref = next(r for r, data in files.items() if data[:2] == b"\x1f\x8b")
    files[ref] = gzip.compress(layer_tar([("file", "evil", b"swapped in")]))  # a valid blob
    return files


def _cycle() -> dict[str, bytes]:
    files = _files()
    blob = "blobs/sha256/" + "c" * 64  # an index stored under a digest it does not have
    files[blob] = json.dumps({"manifests": [{"digest": "sha256:" + "c" * 64}]}).encode()
    return _index(files, digest="sha256:" + "c" * 64)


def _set(path, value):
    def change(config):
        node = config
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


LAYOUTS = {
    "history of numbers": (lambda: _with_config(_set(["history"], [1])), "history must be"),
    "diff_ids a number": (lambda: _with_config(_set(["rootfs", "diff_ids"], 5)), "diff_ids"),
    "created_by a number": (
        lambda: _with_config(_set(["history"], [{"created_by": 5}])),
        "created_by must be text",
    ),
    "rootfs a list": (lambda: _with_config(_set(["rootfs"], [])), "rootfs must be"),
    "digest path traversal": (
        lambda: _index(_files(), digest="sha256:../../../../etc/passwd"),
        "is not an OCI digest",
    ),
    "digest not a string": (lambda: _index(_files(), digest=5), "is not an OCI digest"),
    "index cycle": (_cycle, "does not match its digest|refers back"),
    "altered layer": (_altered_layer, "does not match its digest"),
    "manifest not an object": (
        lambda: {**_files(), "manifest.json": b"[1]"},
        "manifest.json lists no image",
    ),
    "manifest path traversal": (
        lambda: {
            **_files(),
            "manifest.json": json.dumps([{"Config": "../../x.json", "Layers": []}]).encode(),
        },
        "points outside",
    ),
    "deep json": (lambda: {**_files(), "index.json": b"[" * 100_000}, "not valid JSON"),
}


@pytest.mark.parametrize("case", sorted(LAYOUTS))
@pytest.mark.parametrize("form", ["dir", "archive"])
def test_bad_layout_is_one_line(tmp_path, case, form):
    make, message = LAYOUTS[case]
    files = make()
    if form == "dir":
        target = tmp_path / "layout"
        for name, data in files.items():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
        (tmp_path / "x.json").write_text("{}")  # what a traversal would reach
    else:
        target = tmp_path / "image.tar"
        target.write_bytes(_tar(list(files.items())))
    if case == "manifest path traversal" and form == "archive":
        message = "image config .* is missing"  # an archive has no outside to reach
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "layers", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert __import__("re").search(message, proc.stderr), proc.stderr


def _pax_tar(**pax) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("f")
        info.size = 3
        info.pax_headers = pax
        tar.addfile(info, io.BytesIO(b"abc"))
    return out.getvalue()


def _bad_length() -> bytes:
    data = bytearray(_pax_tar(comment="x"))
    at = data.index(b" comment=")
    data[at - 2 : at] = b"99"  # the record claims 99 bytes
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_bad_length(), "bad record length"),
        (_pax_tar(size="-5"), "malformed PAX header"),
        (_pax_tar(size="12abc"), "malformed PAX header"),
        (_pax_tar(uid="root"), "malformed PAX header"),
        (_pax_tar(gid="1e9"), "malformed PAX header"),
    ],
)
def test_bad_pax_headers_are_tar_format_errors(data, message):
    with pytest.raises(TarFormatError, match=message):
        for _header, member in iter_tar(io.BufferedReader(io.BytesIO(data))):
            member.read()


# ---- fuzz: any damage to a valid archive is a clean success or one WorkbenchError line ----------
@FUZZ
@given(
    cuts=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)),
        min_size=1,
        max_size=8,
    ),
    length=st.integers(min_value=0),
)
def test_damaged_archives_never_raise_anything_else(tmp_path, cuts, length):
    data = bytearray(_tar(list(_files().items())))
    for position, value in cuts:
        data[position % len(data)] = value
    path = tmp_path / "fuzz.tar"
    path.write_bytes(bytes(data[: max(length % (len(data) + 1), 1)]))
    try:
        load_image(str(path))
    except WorkbenchError as exc:
        assert "\n" not in str(exc)


@FUZZ
@given(payload=st.binary(max_size=2048))
def test_random_bytes_into_the_tar_reader(payload):
    stream = io.BufferedReader(io.BytesIO(payload))
    try:
        for _header, member in iter_tar(stream):
            member.read(1 << 16)
    except (TarFormatError, EOFError):
        pass
