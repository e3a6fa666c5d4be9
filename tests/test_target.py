"""Targets from base image names, and marker evaluation that never looks at the host."""

import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.sizes.model import _requirements
from workbench.core.sizes.target import Target, default_target, make_target


@pytest.mark.parametrize(
    ("image", "python", "libc", "libc_version"),
    [
        ("python:3.12-alpine", "3.12", "musl", "1.2"),
        ("python:3.11-alpine3.20", "3.11", "musl", "1.2"),
        ("python:3.11-slim-bookworm", "3.11", "glibc", "2.36"),
        ("python:3.10-bullseye", "3.10", "glibc", "2.31"),
        ("python:3.13-slim", "3.13", "glibc", "2.41"),
        ("docker.io/library/python:3.12-slim-trixie", "3.12", "glibc", "2.41"),
        ("debian:bookworm-slim", "3.11", "glibc", "2.36"),
        ("debian:12", "3.11", "glibc", "2.36"),
        ("ubuntu:24.04", "3.12", "glibc", "2.39"),
        ("alpine:3.20", "3.12", "musl", "1.2"),
        ("workbench-test/debian-python:bookworm", "3.11", "glibc", "2.36"),
    ],
)
def test_from_image(image, python, libc, libc_version):
    target = Target.from_image(image)
    assert (target.python, target.libc, target.libc_version) == (python, libc, libc_version)


def test_default_and_overrides():
    assert default_target().key == "cp312-musl1.2-x86_64"
    assert make_target(python="3.10", libc="glibc", arch="aarch64").key == "cp310-glibc2.41-aarch64"
    assert make_target("python:3.11-slim-bookworm").base_image == "python:3.11-slim-bookworm"


@pytest.mark.parametrize("image", ["busybox:latest", "python:latest", "nginx:1.25"])
def test_unknown_images_ask_for_explicit_target(image):
    with pytest.raises(WorkbenchError, match="pass --python|does not name a Python"):
        Target.from_image(image)


def test_bad_values_are_rejected():
    with pytest.raises(WorkbenchError, match="arch 'sparc'"):
        make_target(arch="sparc")
    with pytest.raises(WorkbenchError, match="not X.Y"):
        make_target(python="three")


def test_platform_tags_follow_the_target():
    musl = make_target("python:3.12-alpine", arch="aarch64")
    assert musl.uv_platform == "aarch64-unknown-linux-musl"
    assert musl.platforms[0] == "musllinux_1_2_aarch64"
    assert str(musl.tags[0]) == "cp312-cp312-musllinux_1_2_aarch64"
    assert not any("manylinux" in str(t) for t in musl.tags)
    glibc = make_target("python:3.11-slim-bookworm")
    assert glibc.uv_platform == "x86_64-manylinux_2_36"
    assert (
        "manylinux_2_17_x86_64" in glibc.platforms
        and "manylinux_2_38_x86_64" not in glibc.platforms
    )


METADATA = """Metadata-Version: 2.1
Name: demo
Version: 1.0
Provides-Extra: fast
Requires-Dist: always
Requires-Dist: old-backport; python_version < "3.11"
Requires-Dist: new-only; python_version >= "3.12"
Requires-Dist: arm-helper; platform_machine == "aarch64"
Requires-Dist: pywin32; sys_platform == "win32"
Requires-Dist: Speed_Ups[c]>=2; extra == "fast"
"""


def test_markers_are_evaluated_for_the_target_not_the_host():
    old_arm = make_target(python="3.10", libc="musl", arch="aarch64")
    new_x86 = make_target("python:3.12-alpine")
    base, extras = _requirements(METADATA, old_arm)
    assert base == ("always", "old-backport", "arm-helper")
    assert extras == {"fast": ("speed-ups[c]",)}
    base, _ = _requirements(METADATA, new_x86)
    assert base == ("always", "new-only")
