"""App test fixtures: isolated config dir and a fixed sample session.

The sample is a real ``SizeModel`` over hand-made distributions (no index, no snapshot), so
numbers on screen never drift and snapshot tests stay deterministic.
"""

from __future__ import annotations

import pytest

from workbench.app.app import WorkbenchApp
from workbench.app.session import Session
from workbench.core.project import Project
from workbench.core.sizes.model import Dist, SizeModel
from workbench.core.sizes.target import Target

# name, version, {module file: bytes}, requires
_DISTS = [
    ("azure-cli", "2.91.0", {"azure/cli/__main__.py": 4_000_000}, ("azure-cli-core",)),
    ("azure-cli-core", "2.91.0", {"azure/cli/core/__init__.py": 2_000_000}, ("knack", "msal")),
    ("knack", "0.14.0", {"knack/__init__.py": 400_000}, ()),
    ("msal", "1.39.0", {"msal/__init__.py": 900_000}, ()),
    ("azure-common", "1.1.28", {"azure/common/__init__.py": 90_000}, ()),
    (
        "azure-mgmt-compute",
        "34.1.0",
        {"azure/mgmt/compute/__init__.py": 25_000_000},
        ("azure-common",),
    ),
    (
        "azure-mgmt-resource",
        "24.0.0",
        {"azure/mgmt/resource/__init__.py": 9_000_000},
        ("azure-common",),
    ),
    (
        "azure-mgmt-storage",
        "23.0.0",
        {"azure/mgmt/storage/__init__.py": 14_000_000},
        ("azure-common",),
    ),
    (
        "azure-mgmt-network",
        "29.0.0",
        {"azure/mgmt/network/__init__.py": 30_000_000},
        ("azure-common",),
    ),
]

NEEDED = {
    "azure-mgmt-compute": "az disk list · tag-disks.sh:30",
    "azure-mgmt-resource": "az group list · tag-disks.sh:22",
}


def _dist(name: str, version: str, modules: dict[str, int], requires: tuple[str, ...]) -> Dist:
    info = f"{name.replace('-', '_')}-{version}.dist-info"
    entries = {**modules, f"{info}/METADATA": 2_000, f"{info}/RECORD": 500}
    filename = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    return Dist(
        name, version, filename, "0" * 64, sum(entries.values()), True, requires, {}, entries, ""
    )


def sample_model() -> SizeModel:
    """A nine-distribution model on python:3.12-alpine."""
    target = Target.from_image("python:3.12-alpine")
    return SizeModel("2.91.0", target, [_dist(*d) for d in _DISTS], "snapshot")


def sample_session() -> Session:
    """The sample model with two script-needed packages checked."""
    project = Project("sample.toml", None, (), "2.91.0", None, sample_model())
    return Session(project, needed=dict(NEEDED), checked=set(NEEDED))


def sample_opener(recipe=None, *, offline=False, progress=None) -> Session:
    """An ``opener`` for ``WorkbenchApp`` that returns the sample session."""
    return sample_session()


def no_image(session, *, offline=False):
    """An ``imager`` for app tests: the sample's base is on no engine or loopback registry,
    so the whole image is unknown (the header says so); tests/app/test_app_target.py uses
    the real one."""
    from workbench.core.errors import WorkbenchError

    raise WorkbenchError(f"base image {session.target.base_image} is not on the engine")


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """Each test gets its own config dir (remembered theme, user themes)."""
    path = tmp_path / "config"
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(path))
    return path


@pytest.fixture
def make_app():
    """Factory: the app on the fixed sample session, dark theme unless told otherwise."""

    def make(**kwargs) -> WorkbenchApp:
        kwargs.setdefault("theme", "workbench-dark")
        kwargs.setdefault("opener", sample_opener)
        kwargs.setdefault("imager", no_image)
        return WorkbenchApp(**kwargs)

    return make


async def _ready(pilot) -> None:
    for _ in range(5):  # a loaded session starts workers of its own (image, login saving)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in pilot.app.workers):
            return


@pytest.fixture
def ready():
    """``await ready(pilot)``: wait until the session loaded and the screen caught up."""
    return _ready
