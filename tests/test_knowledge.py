"""Knowledge base: the shipped 2.91.0 data against facts verifiable in the 2.91.0 wheels."""

from __future__ import annotations

import time

import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.knowledge.model import DATA_DIR, data_file_name, load_knowledge


@pytest.fixture(scope="module")
def k():
    return load_knowledge("2.91.0")


def test_embedded_data_is_small_and_loads_offline(k):
    assert (DATA_DIR / data_file_name("2.91.0")).stat().st_size < 500_000  # gzip JSON
    assert k.version == "2.91.0"
    assert len(k.modules) == 65  # command module folders in the 2.91.0 wheel


def test_index_maps_top_words_to_modules(k):
    assert k.modules_for(("disk", "list")) == ("vm",)
    assert k.modules_for(("account", "set")) == ("profile", "resource")
    assert k.modules_for(("network", "vnet", "create")) == ("network", "privatedns")
    assert k.modules_for(("rest",)) == ("util",)


@pytest.mark.parametrize(
    ("words", "path"),
    [
        (("storage", "account", "create"), ("storage", "account", "create")),
        (("network", "vnet", "create"), ("network", "vnet", "create")),  # AAZ decorator
        (("keyvault", "secret", "set"), ("keyvault", "secret", "set")),  # keyvault_custom
        (("disk", "list"), ("disk", "list")),
        (("login",), ("login",)),  # command_group('') in profile/__init__.py
        (("account", "list-locations"), ("account", "list-locations")),  # AAZ in resource
        (("config", "set", "core.output=json"), ("config", "set")),  # positional dropped
        (("webapp", "connection", "create", "sql"), ("webapp", "connection", "create", "sql")),
        (("vm", "repair", "run"), ("vm",)),
    ],
)
def test_command_path_is_longest_known_prefix(k, words, path):
    assert k.command_path(words) == path


def test_unknown_commands_are_explained(k):
    assert k.command_path(("frobnicate", "list")) is None
    assert "not a command of azure-cli 2.91.0" in k.explain_unknown(("frobnicate",))
    assert k.may_be_extension(("frobnicate",))
    assert k.may_be_extension(("vm", "repair"))  # vm-repair extension
    assert k.explain_unknown(("disk", "list")) is None


def test_module_sdks(k):
    vm = k.sdk_dists("vm")
    for dist in ("azure-mgmt-compute", "azure-mgmt-imagebuilder", "azure-mgmt-monitor"):
        assert dist in vm
    resource = k.sdk_dists("resource")
    for dist in (
        "azure-mgmt-resource",
        "azure-mgmt-resource-deployments",
        "azure-mgmt-resource-deploymentstacks",
        "semver",
    ):
        assert dist in resource
    assert "antlr4-python3-runtime" in k.sdk_dists("monitor")
    assert {"azure-keyvault-secrets", "azure-keyvault-keys"} <= set(k.sdk_dists("keyvault"))
    for module in ("profile", "util"):
        assert not [d for d in k.sdk_dists(module) if d.startswith("azure-")], module


def test_stale_references_are_dropped(k):
    # vm still names ResourceType.MGMT_NETWORK, but azure-mgmt-network is no dependency.
    assert "azure-mgmt-network" not in k.sdk_dists("vm")
    assert any("MGMT_NETWORK" in s for s in k.data["modules"]["vm"]["stale"])


def test_module_imports(k):
    assert {"monitor", "keyvault"} <= set(k.module_imports("vm"))
    assert "network" in k.module_imports("monitor")
    closure = k.module_closure(["vm"])
    assert closure["network"] == ("vm", "monitor")


def test_baseline_has_reasons(k):
    names = {b.name: b.reason for b in k.baseline}
    for dist in ("msrest", "azure-common", "python-dateutil", "isodate", "colorama"):
        assert names[dist]
    assert "login" in names["azure-mgmt-resource"]


def test_api_profile(k):
    types = k.api_profile["resource_types"]
    compute = types["MGMT_COMPUTE"]
    assert compute["import_prefix"] == "azure.mgmt.compute"
    assert compute["api_version"] == "2024-11-01"
    assert compute["operation_groups"]["disks"] == "2023-04-02"
    assert types["MGMT_RESOURCE_RESOURCES"]["api_version"] == "2024-11-01"
    assert types["MGMT_STORAGE"]["api_version"] is None
    assert set(k.api_profile["ad_hoc_api_versions"]) == {"MGMT_APPSERVICE", "MGMT_MSI"}


def test_bad_version_is_one_clear_line():
    with pytest.raises(WorkbenchError, match="not an azure-cli version"):
        load_knowledge("latest")


def test_cached_versions_load_from_the_cache_dir(tmp_path, monkeypatch, k):
    from workbench.core.knowledge.model import cache_dir, write_data

    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path))
    write_data({**k.data, "version": "2.90.0"}, cache_dir() / data_file_name("2.90.0"))
    started = time.perf_counter()
    other = load_knowledge("2.90.0")
    assert other.version == "2.90.0"
    assert time.perf_counter() - started < 5  # no build happened
