"""Shared fixtures. Under CI=true a skipped Docker- or network-marked test fails the run."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
BASE_IMAGE = os.environ.get("WORKBENCH_TEST_BASE", "workbench-test/debian-python:bookworm")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Turn a skip of a docker/network test into a failure when running in CI."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and any(m in item.keywords for m in ("docker", "network")):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which is a failure: {report.longrepr}"


@pytest.fixture(scope="session")
def docker_client():
    """A live Docker SDK client; skips (fails under CI) when no engine answers."""
    docker = pytest.importorskip("docker")
    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # the SDK raises several unrelated types for "no engine"
        pytest.skip(f"no Docker engine answers ({exc}); run scripts/provision-docker.sh")
    return client


@pytest.fixture(scope="session")
def base_image(docker_client):
    """Tag of the local Debian base image built by scripts/base-image.sh."""
    try:
        docker_client.images.get(BASE_IMAGE)
    except Exception:
        pytest.skip(f"base image {BASE_IMAGE} missing; run scripts/base-image.sh")
    return BASE_IMAGE


@pytest.fixture(scope="session")
def reference_image(docker_client, base_image):
    """A full azure-cli 2.91.0 install on the test base, built once and reused by tag."""
    from workbench.core.engine.reference import reference_image as build_reference

    return build_reference(docker_client, base_image, "2.91.0")
