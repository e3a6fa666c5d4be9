"""What every working ``az`` needs beyond the command modules' SDKs, with the reason for each.

The list is data (from research/azure_cli.md, measured on 2.91.0); the build adds, per version,
where azure-cli-core's own code imports each undeclared distribution (file:line), found
statically.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from workbench.core.knowledge.refs import Ref

# (distribution, reason). azure-cli goes in without its dependencies: this list plus the
# modules' SDKs replace them.
BASELINE: tuple[tuple[str, str], ...] = (
    ("azure-cli", "the command modules (install it with --no-deps; the analysis picks its deps)"),
    ("azure-cli-core", "the az runtime; its declared dependencies come with it"),
    ("msrest", "core error handling and AAZ argument formats import it; core does not declare it"),
    ("azure-common", "core error handling imports azure.common; core does not declare it"),
    ("python-dateutil", "AAZ date/time argument formats import dateutil; core does not declare it"),
    ("isodate", "AAZ duration argument formats import isodate; core does not declare it"),
    ("colorama", "the misspelled-command path (find module) initialises colorama"),
    (
        "azure-mgmt-resource",
        "az login lists subscriptions with it, and AAZ commands look up the resource group's "
        "location with it when --location is omitted",
    ),
)
# Undeclared imports of SDKs: distribution -> what its code imports without declaring it
# (azure-cli's own Requires-Dist brings these in a plain install; with --no-deps nothing does).
# Measured on 2.91.0 with scripts/undeclared_imports.py over a full install: older AutoRest
# SDKs import six in their enums module, so importing the SDK at all fails without it.
_SIX_IMPORTERS = (
    "azure-data-tables",
    "azure-mgmt-advisor",
    "azure-mgmt-applicationinsights",
    "azure-mgmt-batchai",
    "azure-mgmt-billing",
    "azure-mgmt-cdn",
    "azure-mgmt-datamigration",
    "azure-mgmt-eventgrid",
    "azure-mgmt-extendedlocation",
    "azure-mgmt-iothubprovisioningservices",
    "azure-mgmt-loganalytics",
    "azure-mgmt-managementgroups",
    "azure-mgmt-maps",
    "azure-mgmt-marketplaceordering",
    "azure-mgmt-media",
    "azure-mgmt-privatedns",
    "azure-mgmt-synapse",
    "azure-mgmt-trafficmanager",
    "azure-synapse-spark",
)
UNDECLARED_IMPORTS: dict[str, tuple[str, ...]] = {name: ("six",) for name in _SIX_IMPORTERS}

# Core's table of API versions names every SDK; it is not a use.
_NOT_EVIDENCE = "azure/cli/core/profiles/_shared.py"


class _Resolver(Protocol):
    def resolve(self, ref: Ref) -> tuple[str | None, str]: ...


def baseline_entries(
    core_refs: Iterable[Ref], resolver: _Resolver, core_requires: set[str], requires: set[str]
) -> list[dict[str, Any]]:
    """The baseline list, each entry with ``evidence`` from azure-cli-core's sources."""
    evidence: dict[str, list[str]] = {}
    for ref in core_refs:
        if ref.file.startswith(_NOT_EVIDENCE):
            continue
        dist, _ = resolver.resolve(ref)
        if dist and dist not in core_requires:
            evidence.setdefault(dist, []).append(ref.describe())
    return [
        {
            "name": name,
            "reason": reason,
            "declared_by_core": name in core_requires,
            "declared_by_cli": name in requires,
            "evidence": evidence.get(name, [])[:3],
        }
        for name, reason in BASELINE
    ]
