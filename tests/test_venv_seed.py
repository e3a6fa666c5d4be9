"""The venv's own pip/setuptools: counted for venv and multistage images unless drop-pip."""

from __future__ import annotations

import pytest

from workbench.core.sizes.target import Target
from workbench.core.sizes.venv_seed import venv_seed


@pytest.mark.parametrize(
    ("base", "mode", "trims", "expected"),
    [
        ("python:3.12-alpine", "venv", [], "pip 25.0.1"),
        ("python:3.11-slim-bookworm", "multistage", [], "pip 24.0 + setuptools 65.5.0"),
        ("debian:bookworm", "venv", ["no-compile"], "pip 23.0.1 + setuptools 66.1.1"),
        ("python:3.12-alpine", "system", [], None),
        ("python:3.11-slim-bookworm", "venv", ["drop-pip"], None),
    ],
)
def test_seed_by_base_mode_and_trims(base, mode, trims, expected):
    seed = venv_seed(Target.from_image(base), mode, trims)
    assert (seed.what.split(" (")[0] if seed else None) == expected
    if seed:
        assert 10_000_000 < seed.bytes < 25_000_000


def test_unknown_python_has_no_seed():
    assert venv_seed(Target("3.9", "glibc", "2.31", "x86_64", "python:3.9"), "venv") is None
