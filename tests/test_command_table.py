"""The knowledge's command tree against azure-cli's own loaded command table (its dump)."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from workbench.core.knowledge.model import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
DUMP = ROOT / "tests" / "fixtures" / "command-table-2.91.0.json"
OTHER_VERSION = os.environ.get("WORKBENCH_TEST_OTHER_AZURE_CLI", "2.90.0")


def _tree(data: dict) -> tuple[set[str], set[str]]:
    return set(data["commands"]), set(data["groups"])


def test_shipped_knowledge_equals_the_dumped_table():
    dump = json.loads(DUMP.read_text())
    knowledge = load_knowledge(dump["version"]).data
    commands, groups = _tree(knowledge)
    assert commands == set(dump["commands"])
    assert groups == set(dump["groups"])
    assert knowledge["open_groups"] == []


@pytest.mark.parametrize(
    "path",
    [
        "storage account keys list",
        "cosmosdb sql role definition list",
        "batch pool autoscale enable",
        "storage blob service-properties update",
        "ad app permission grant",
        "ad app federated-credential create",
        "network dns record-set a add-record",
        "network dns record-set txt remove-record",
        "aks connection create postgres-flexible",
        "connection create confluent-cloud",
        "bot directline update",
    ],
)
def test_every_level_is_reachable(path):
    k = load_knowledge("2.91.0")
    words = tuple(path.split())
    assert k.command_path(words) == words
    assert k.explain_unknown(words) is None


def test_extension_only_for_paths_outside_the_table():
    k = load_knowledge("2.91.0")
    assert not k.may_be_extension(("storage", "account", "keys", "list"))
    assert not k.may_be_extension(("bot", "email", "show"))
    assert k.may_be_extension(("bot", "email", "update"))  # only directline has update
    assert k.may_be_extension(("vm", "repair", "run"))


def _dump_module():
    spec = importlib.util.spec_from_file_location(
        "dump_command_table", ROOT / "scripts" / "dump_command_table.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="session")
def other_dump(base_image):
    """The loaded command table of another azure-cli version (reference image built once)."""
    return _dump_module().dump(OTHER_VERSION)


@pytest.mark.docker
@pytest.mark.network
def test_knowledge_built_on_demand_equals_that_versions_table(other_dump, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path))
    knowledge = load_knowledge(OTHER_VERSION).data
    commands, groups = _tree(knowledge)
    assert commands == set(other_dump["commands"])
    assert groups == set(other_dump["groups"])
