"""Estimates: checklist order, cumulative, marginal, trims, compile; on a hand-made model
(exact figures) and on the embedded snapshot (real azure-cli 2.91.0 data)."""

from dataclasses import dataclass

import pytest

from workbench.core.sizes.estimate import NO_COMPILE
from workbench.core.sizes.layout import pyc_bytes
from workbench.core.sizes.model import Dist, SizeModel, load_size_model
from workbench.core.sizes.target import Target, make_target

TARGET = make_target("python:3.11-slim-bookworm")


def _dist(name, files, requires=()):
    entries = {**files, f"{name}-1.dist-info/METADATA": 0, f"{name}-1.dist-info/RECORD": 0}
    return Dist(
        name, "1", f"{name}-1-py3-none-any.whl", "0" * 64, 1, True, tuple(requires), {}, entries, ""
    )


@pytest.fixture
def model():
    """azure-cli, core -> shared; a -> shared, only-a; b -> shared."""
    return SizeModel(
        "9.9",
        TARGET,
        [
            _dist("azure-cli", {"cli/data.bin": 1000}),
            _dist("azure-cli-core", {"core/data.bin": 100}, ["shared"]),
            _dist("shared", {"shared/data.bin": 10}),
            _dist("a", {"a/data.bin": 2000, "a/mod.py": 500}, ["shared", "only-a"]),
            _dist("only-a", {"only_a/data.bin": 300}),
            _dist("b", {"b/data.bin": 4000, "b/aio/x.bin": 1500}, ["shared"]),
        ],
        "index",
    )


def _bytes(model, name):
    return model.base_bytes[name]


def test_order_cumulative_and_marginal(model):
    est = model.estimate(["a", "b"], compile=False)
    names = [p.name for p in est.packages]
    assert names == ["azure-cli", "shared", "azure-cli-core", "only-a", "a", "b"]
    sizes = {p.name: p.bytes for p in est.packages}
    running = 0
    for row in est.packages:
        running += row.bytes
        assert row.cumulative_bytes == running
    assert est.total_bytes == running == sum(_bytes(model, n) for n in names)
    marginal = {p.name: p.marginal_bytes for p in est.packages}
    assert marginal["a"] == sizes["a"] + sizes["only-a"]  # only-a goes with a
    assert marginal["shared"] == sizes["shared"]  # requested roots stay; only it goes
    assert marginal["azure-cli"] == sizes["azure-cli"]
    assert marginal["b"] == sizes["b"]
    assert [p.requested for p in est.packages] == [False, False, False, False, True, True]


def test_compile_adds_modelled_pyc(model):
    plain = model.estimate(["a"], compile=False)
    compiled = model.estimate(["a"])
    assert compiled.total_bytes - plain.total_bytes == pyc_bytes("a/mod.py", 500, "3.11")
    assert plain.trims[-1].name == NO_COMPILE
    assert plain.trims[-1].saves_bytes == compiled.total_bytes - plain.total_bytes


@dataclass(frozen=True)
class _Trim:
    name: str
    prefix: str

    @property
    def key(self):
        return (self.name, self.prefix)

    def removes(self, path):
        return path.startswith(self.prefix)


def test_trims_save_what_they_delete_once(model):
    trims = [_Trim("drop-aio", "b/aio/"), _Trim("drop-b", "b/")]
    before = model.estimate(["b"], compile=False)
    after = model.estimate(["b"], compile=False, trims=trims)
    saves = {t.name: t.saves_bytes for t in after.trims}
    assert saves == {"drop-aio": 1500, "drop-b": 4000, NO_COMPILE: 0}
    assert before.total_bytes - after.total_bytes == 5500
    assert after.untrimmed_bytes == before.total_bytes


def test_snapshot_figures_are_real_and_consistent():
    model = load_size_model(TARGET, offline=True)
    assert model.source == "snapshot"
    full = model.estimate(model.cli_requirements())
    assert len(full.packages) == len(model.names())
    blog = [
        "azure-cli-core",
        "azure-common",
        "azure-mgmt-compute",
        "azure-mgmt-monitor",
        "azure-mgmt-resource",
        "semver",
    ]
    est = model.estimate(blog)
    plain = model.estimate(blog, compile=False)
    # research/sizing.md measured 673.6 MB full and 373.6 / 196.9 MB for the blog set
    assert 640e6 < full.total_bytes < 700e6
    assert 360e6 < est.total_bytes < 390e6
    assert 185e6 < plain.total_bytes < 205e6
    assert model.version_of("azure-mgmt-compute") == "34.1.0"


def test_default_target_snapshot_is_offline():
    model = load_size_model(Target.from_image("python:3.12-alpine"), offline=True)
    assert model.source == "snapshot"
    assert any("musllinux" in model.dists[n].filename for n in model.names())
