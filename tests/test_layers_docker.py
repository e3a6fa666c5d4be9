"""A real image built on the engine: add a 10 MiB file, overwrite it, delete it.

Expected, computed independently of workbench: the base layer's size S0 (sum of regular-file
sizes in its tar, read with the stdlib tarfile), then 10 MiB, 10 MiB and 0 bytes. Every base path
appears once, so efficiency = S0 / (S0 + 20 MiB); both copies of the file are wasted (honest
20 MiB; dive's figure is also 20 MiB here as the kept copy is "nothing"); user bytes are 20 MiB.
"""

from __future__ import annotations

import json
import random
import tarfile

import pytest

from workbench.cli import main
from workbench.core.layers.analysis import analyze_image

pytestmark = pytest.mark.docker
MIB10 = 10 * 1024 * 1024
TAG = "workbench-test/layers-waste:latest"


@pytest.fixture(scope="module")
def waste_image(docker_client, base_image, tmp_path_factory):
    ctx = tmp_path_factory.mktemp("ctx")
    rng = random.Random(6)
    (ctx / "one.bin").write_bytes(rng.randbytes(MIB10))
    (ctx / "two.bin").write_bytes(rng.randbytes(MIB10))
    (ctx / "Dockerfile").write_text(
        f"FROM {base_image}\n"
        "COPY one.bin /data/big.bin\n"
        "COPY two.bin /data/big.bin\n"
        "RUN rm /data/big.bin\n"
    )
    docker_client.images.build(path=str(ctx), tag=TAG, rm=True, forcerm=True)
    yield docker_client.images.get(TAG)
    docker_client.images.remove(TAG, force=True)


def _layer_sizes_by_tarfile(archive) -> list[int]:
    """Regular-file bytes of each layer, in manifest order, read with the stdlib."""
    with tarfile.open(archive) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        sizes = []
        for ref in manifest[0]["Layers"]:
            with tarfile.open(fileobj=outer.extractfile(ref)) as layer:
                sizes.append(sum(m.size for m in layer if m.isreg()))
    return sizes


def test_add_overwrite_delete_on_the_engine(waste_image, tmp_path, capsys):
    analysis = analyze_image(TAG)
    archive = tmp_path / "saved.tar"  # the engine's `docker save` (legacy layout on 20.10)
    with open(archive, "wb") as out:
        for chunk in waste_image.save():
            out.write(chunk)
    sizes = _layer_sizes_by_tarfile(archive)
    base = sizes[0]
    assert sizes[1:] == [MIB10, MIB10, 0]
    assert [layer.size_bytes for layer in analysis.layers] == sizes

    assert analysis.efficiency == pytest.approx(base / (base + 2 * MIB10), rel=1e-12)
    assert analysis.wasted_bytes == 2 * MIB10
    assert analysis.wasted_bytes_dive == 2 * MIB10
    assert analysis.user_wasted_percent == pytest.approx(1.0)
    assert [(w.path, w.count, w.wasted) for w in analysis.inefficient] == [
        ("data/big.bin", 3, 2 * MIB10)
    ]
    added, overwritten, removed = (layer.changes for layer in analysis.layers[1:])
    assert (added.added, added.added_bytes) == (1, MIB10)
    assert (overwritten.modified, overwritten.modified_bytes) == (1, MIB10)
    assert (removed.removed, removed.removed_bytes) == (1, MIB10)
    assert analysis.layers[3].command == "RUN rm /data/big.bin"
    assert [layer.digest for layer in analysis.layers] == waste_image.attrs["RootFS"]["Layers"]

    # The engine's Size is the disk usage of the layer directories: it also counts symlinks
    # (st_size = length of the target path), which a layer tar records with size 0. So ours is
    # slightly smaller; on this image the difference is about 25 kB of 261 MB (0.01 %).
    engine = waste_image.attrs["Size"]
    assert analysis.size_bytes <= engine
    assert abs(engine - analysis.size_bytes) / engine < 0.01

    from_archive = analyze_image(str(archive)).to_json()
    from_archive["image"]["name"] = TAG
    assert from_archive == analysis.to_json()

    assert main(["layers", TAG, "--json", "-"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["image"]["wasted_bytes"] == 2 * MIB10
