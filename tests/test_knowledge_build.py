"""Knowledge extraction: the static readers on small inputs, and end to end on the real wheels."""

from __future__ import annotations

import ast
import textwrap

import pytest

from workbench.core.knowledge.commands import CommandTree, scan_module_source
from workbench.core.knowledge.dists import DistIndex
from workbench.core.knowledge.model import load_knowledge
from workbench.core.knowledge.profile import parse_profile
from workbench.core.knowledge.refs import collect_refs


def _scan(module: str, source: str, aaz: bool = False) -> CommandTree:
    tree = CommandTree()
    text = textwrap.dedent(source)
    scan_module_source(module, text, tree, None if aaz else ast.parse(text))
    return tree


def test_command_groups_and_methods():
    tree = _scan(
        "vm",
        """
        def load_command_table(self, _):
            with self.command_group('disk', operation_group='disks') as g:
                g.custom_command('list', 'list_disks')
                g.show_command('show', 'get', deprecate_info=g.deprecate(hide=True))
            with self.command_group('') as g:
                g.command('login', 'login')
            for source in SOURCES:
                with self.command_group('{} connection create'.format(source.value)) as g:
                    g.custom_command(source.target, 'create')
        """,
    )
    assert set(tree.commands) == {"disk list", "disk show", "login"}
    assert "disk" in tree.groups
    tree.expand_templates({"webapp": ["vm"], "storage": ["storage"]})
    assert "webapp connection create" in tree.open_groups
    assert "storage connection create" not in tree.groups


def test_aaz_decorators_name_the_path_not_the_folder():
    tree = _scan(
        "network",
        '''
        from azure.cli.core.aaz import *


        @register_command(
            "network vnet create",
            is_preview=True,
        )
        class Create(AAZCommand):
            """Create a virtual network."""


        class _Helper:
            pass
        ''',
        aaz=True,
    )
    assert tree.commands == {"network vnet create": "network"}


def test_refs_record_kind_and_scope():
    refs = collect_refs(
        ast.parse(
            textwrap.dedent(
                """
                from azure.mgmt.imagebuilder.models import ImageTemplate
                import semver

                def f(cmd):
                    from azure.cli.command_modules.monitor.actions import x
                    return get_sdk(cmd.cli_ctx, ResourceType.MGMT_COMPUTE,
                                   operations_tmpl='azure.mgmt.compute.operations#Disks.{}')
                """
            )
        ),
        "vm/custom.py",
    )
    found = {(r.kind, r.targets[0], r.local) for r in refs}
    assert ("import", "azure.mgmt.imagebuilder.models.ImageTemplate", False) in found
    assert ("import", "semver", False) in found
    assert ("import", "azure.cli.command_modules.monitor.actions.x", True) in found
    assert ("resource_type", "MGMT_COMPUTE", True) in found
    assert ("template", "azure.mgmt.compute.operations", True) in found


def test_namespace_packages_resolve_by_longest_existing_module():
    index = DistIndex(
        {
            "azure-mgmt-resource": [
                "azure/mgmt/resource/__init__.py",
                "azure/mgmt/resource/resources/__init__.py",
            ],
            "azure-mgmt-resource-deployments": [
                "azure/mgmt/resource/deployments/__init__.py",
                "azure/mgmt/resource/deployments/models/__init__.py",
            ],
            "six": ["six.py", "six-1.17.0.dist-info/RECORD"],
        }
    )
    assert index.owner("azure.mgmt.resource.deployments.models") == (
        "azure-mgmt-resource-deployments"
    )
    assert index.owner("azure.mgmt.resource") == "azure-mgmt-resource"
    assert index.owner("azure.mgmt") is None  # shared namespace
    assert index.resolve(["azure.mgmt.netappfiles"]) == (None, "azure.mgmt.netappfiles")
    assert index.resolve(["six.moves", "six"]) == ("six", "six")


def test_profile_parsing():
    profile = parse_profile(
        textwrap.dedent(
            """
            class ResourceType(Enum):
                MGMT_COMPUTE = ('azure.mgmt.compute', 'ComputeManagementClient')
                MGMT_SQL = ('azure.mgmt.sql', None)
                def __init__(self, import_prefix, client_name):
                    pass
            AZURE_API_PROFILES = {
                'latest': {
                    ResourceType.MGMT_COMPUTE: SDKProfile('2024-11-01', {'disks': '2023-04-02'}),
                }
            }
            AD_HOC_API_VERSIONS = {ResourceType.MGMT_COMPUTE: {'x': '2020-01-01'}}
            """
        )
    )
    compute = profile["resource_types"]["MGMT_COMPUTE"]
    assert compute["api_version"] == "2024-11-01"
    assert compute["operation_groups"] == {"disks": "2023-04-02"}
    assert profile["resource_types"]["MGMT_SQL"]["in_profile"] is False
    assert profile["ad_hoc_api_versions"] == {"MGMT_COMPUTE": {"x": "2020-01-01"}}


@pytest.mark.network
def test_build_from_real_wheels_matches_shipped_data(tmp_path, monkeypatch):
    """End to end: resolver + wheel cache + file lists -> the same data we ship."""
    from workbench.core.knowledge.build import build_knowledge
    from workbench.core.knowledge.sources import SizeEngineSources

    sources = SizeEngineSources()
    cli_wheel, core_wheel = sources.wheels("2.91.0")
    data = build_knowledge(cli_wheel, core_wheel, sources.dist_files("2.91.0"))
    shipped = load_knowledge("2.91.0").data
    assert data["index_source"] == "packaged"
    assert data["commands"] == shipped["commands"]
    assert data["modules"] == shipped["modules"]
    assert "storage account create" in data["commands"]
    assert "network vnet create" in data["commands"]
    # The scan alone re-derives the packaged index, except where azure-cli computes names.
    derived = {p.split()[0] for p in data["commands"] + data["groups"]}
    assert set(data["index"]) - derived <= {"policy-insights"}
