"""Resolution against the real package index for targets unlike the host (CPython 3.11 glibc)."""

import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.sizes.model import load_size_model
from workbench.core.sizes.resolve import resolve
from workbench.core.sizes.target import make_target

pytestmark = pytest.mark.network


def _names(dists):
    return {d.name: d for d in dists}


def test_markers_follow_the_target_python_not_the_host():
    old = _names(resolve(["anyio==4.6.0"], make_target(python="3.10", libc="glibc")))
    new = _names(resolve(["anyio==4.6.0"], make_target("python:3.12-alpine")))
    assert "exceptiongroup" in old  # python_version < "3.11"
    assert "exceptiongroup" not in new
    assert "typing-extensions" in old  # python_version < "3.11" in anyio 4.6


def test_wheels_are_picked_for_musl_aarch64():
    dists = _names(
        resolve(["charset-normalizer==3.3.2"], make_target("python:3.12-alpine", arch="aarch64"))
    )
    chosen = dists["charset-normalizer"].filename
    assert "musllinux" in chosen and "aarch64" in chosen and "cp312" in chosen


def test_sdist_only_package_is_reported_not_fatal():
    dists = _names(resolve(["pycparser==2.14"], make_target("python:3.12-alpine")))
    assert dists["pycparser"].is_wheel is False


def test_unknown_package_suggests_close_names():
    with pytest.raises(WorkbenchError, match="did you mean azure-mgmt-compute"):
        resolve(
            ["azure-mgmt-computr"],
            make_target("python:3.12-alpine"),
            known=["azure-mgmt-compute", "semver"],
        )


def test_extra_package_extends_the_model_from_the_index(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path))
    target = make_target("python:3.11-slim-bookworm")
    model = load_size_model(target, extra=["six==1.16.0"])
    assert model.source == "index" and model.version_of("six") == "1.16.0"
    again = load_size_model(target, extra=["six==1.16.0"])
    assert again.source == "cache" and again.files_of("six") == model.files_of("six")
