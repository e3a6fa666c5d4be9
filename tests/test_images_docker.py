"""The whole image, for real: a distribution registry on loopback (Debian's docker-registry,
started here with our own config) holding the test base; the probe of a local image; init of
a base whose name tells nothing; and the acceptance figure: the whole-image estimate of the
blog recipe against the engine's size of the built image."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from workbench.core.images.base import COMPRESSED_RATIO, base_size, registry_size
from workbench.core.images.probe import probe_image
from workbench.core.images.registry import Reference, Registry

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parents[1]
WORKBENCH = Path(sys.executable).with_name("workbench")
REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def registry(tmp_path_factory, docker_client, base_image):
    """``127.0.0.1:PORT`` of a running registry that holds the test base as
    ``workbench-test/debian-python:bookworm``."""
    if not Path(REGISTRY_BIN).exists():
        reason = "docker-registry is not installed (apt-get install -y docker-registry)"
        if IN_CI:
            pytest.fail(f"{reason}; scripts/provision-registry.sh should have done it")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("registry")
    port = _free_port()
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {root / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n"
    )
    proc = subprocess.Popen(
        [REGISTRY_BIN, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        ref = f"127.0.0.1:{port}/workbench-test/debian-python"
        docker_client.images.get(base_image).tag(ref, "bookworm")
        for line in docker_client.images.push(ref, "bookworm", stream=True, decode=True):
            assert "error" not in line, line
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        docker_client.images.remove(f"127.0.0.1:{port}/workbench-test/debian-python:bookworm")


def test_reference_grammar():
    assert Reference.parse("python:3.12-alpine") == Reference(
        "docker.io", "library/python", "3.12-alpine"
    )
    assert Reference.parse("127.0.0.1:5000/a/b") == Reference("127.0.0.1:5000", "a/b", "latest")
    with pytest.raises(Exception, match="not an image reference"):
        Reference.parse("Bad Name")


def test_manifest_and_config_read_from_the_registry(registry, docker_client, base_image):
    image = Registry({}).image(f"{registry}/workbench-test/debian-python:bookworm")
    assert image.endpoint == f"http://{registry}"
    assert image.digest.startswith("sha256:")
    assert image.config["architecture"] == "amd64"
    assert len(image.layer_bytes) == len(image.config["rootfs"]["diff_ids"]) == 1
    engine = docker_client.api.inspect_image(base_image)["Size"]
    measured_ratio = engine / image.compressed_bytes
    print(
        f"compressed {image.compressed_bytes:,} B, engine {engine:,} B, ratio {measured_ratio:.3f}"
    )
    assert abs(measured_ratio - COMPRESSED_RATIO) / COMPRESSED_RATIO < 0.05


def test_base_size_measured_on_the_engine_and_derived_from_the_registry(
    registry, docker_client, base_image
):
    exact = base_size(base_image, client=docker_client)
    assert (
        exact.how == "measured"
        and exact.bytes == docker_client.api.inspect_image(base_image)["Size"]
    )
    derived = registry_size(
        f"{registry}/workbench-test/debian-python:bookworm", registry=Registry({})
    )
    assert derived.how == "derived" and "compressed" in derived.source
    assert abs(derived.bytes - exact.bytes) / exact.bytes < 0.05


def test_missing_tag_is_one_line(registry):
    with pytest.raises(Exception, match="is not in registry"):
        Registry({}).image(f"{registry}/workbench-test/debian-python:nope")


def test_probe_of_the_test_base(docker_client, base_image):
    facts = probe_image(docker_client, base_image)
    assert (facts.python, facts.libc, facts.libc_version, facts.arch) == (
        "3.11",
        "glibc",
        "2.36",
        "x86_64",
    )
    assert (facts.family, facts.release) == ("apt", "bookworm")
    assert "python3" in facts.have()


def test_init_probes_a_base_whose_name_tells_nothing(tmp_path, docker_client, base_image):
    tag = "workbench-test/h13-company-base:1"
    docker_client.images.get(base_image).tag(tag)
    try:
        shutil.copy(ROOT / "sample-scripts" / "tag-disks.sh", tmp_path)
        done = subprocess.run(
            [str(WORKBENCH), "init", "--script", "tag-disks.sh", "--base", tag, "--json"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert data["family"] == "apt"
        assert data["target"] == {
            "python": "3.11",
            "libc": "glibc",
            "libc_version": "2.36",
            "arch": "x86_64",
        }
    finally:
        docker_client.images.remove(tag)


def _workbench(*args, cwd):
    done = subprocess.run([str(WORKBENCH), *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.network
def test_whole_image_estimate_of_the_blog_recipe_within_3_percent(
    tmp_path, docker_client, base_image
):
    """Acceptance: the blog sample, all trims, multistage, on the test base."""
    shutil.copy(ROOT / "sample-scripts" / "tag-disks.sh", tmp_path)
    _workbench(
        "init",
        "--script",
        "tag-disks.sh",
        "--base",
        base_image,
        "--family",
        "apt",
        "--mode",
        "multistage",
        "-o",
        "wb.toml",
        cwd=tmp_path,
    )
    estimate = json.loads(
        _workbench(
            "estimate",
            "--script",
            "tag-disks.sh",
            "--trim",
            "all",
            "--base",
            base_image,
            "--image",
            "--json",
            cwd=tmp_path,
        )
    )["image"]
    built = json.loads(
        _workbench(
            "build",
            "--recipe",
            "wb.toml",
            "--tag",
            "workbench-test/h13-blog:whole",
            "--json",
            cwd=tmp_path,
        )
    )
    try:
        actual = docker_client.api.inspect_image(built["image_id"])["Size"]
        error = estimate["total_bytes"] / actual - 1
        total = estimate["total_bytes"]
        print(f"whole image: estimate {total:,} B, actual {actual:,} B ({error:+.3%})")
        assert set(estimate) >= {"base_bytes", "os_bytes", "python_bytes", "total_bytes", "sources"}
        assert estimate["base_bytes"] == built["base_size_bytes"]
        assert estimate["os_bytes"] > 0 and set(estimate["sources"]) == {"base", "os", "python"}
        assert abs(error) < 0.03
        versus = built["image_estimate"]  # the build itself puts the two side by side
        assert versus["actual"]["total_bytes"] == actual
        assert abs(versus["difference_ratio"]) < 0.03
    finally:
        docker_client.images.remove("workbench-test/h13-blog:whole")
