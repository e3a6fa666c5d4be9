"""Build the knowledge data for one azure-cli version from its wheels, by static reading only.

``build_knowledge(cli_wheel, core_wheel, dist_files)`` returns plain JSON-able data (the format
``workbench.core.knowledge.model`` loads); ``dist_files`` maps each distribution of the azure-cli
closure to its installed paths (the size engine's ``SizeModel.files_of``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from workbench.core.knowledge.baseline import baseline_entries
from workbench.core.knowledge.commands import CommandTree, needs_full_parse, scan_module_source
from workbench.core.knowledge.connector import CONFIG as CONNECTOR_CONFIG
from workbench.core.knowledge.connector import connector_commands
from workbench.core.knowledge.dists import DistIndex
from workbench.core.knowledge.profile import SHARED_PY, parse_profile
from workbench.core.knowledge.refs import Ref, collect_refs
from workbench.core.knowledge.units import scan_units
from workbench.core.knowledge.versions import explicit_versions, reexport_table
from workbench.core.knowledge.wheel import WheelReader

SCHEMA = 1
MODULES_PREFIX = "azure/cli/command_modules/"
MODULES_PACKAGE = "azure.cli.command_modules."
CORE_PREFIX = "azure/cli/core/"
INDEX_JSON = "azure/cli/core/commandIndex.latest.json"
_EVIDENCE_KEPT = 3  # file:line samples stored per (module, dependency)


class _Edges:
    """module -> dependency -> count, whether any use is at module level, a few samples."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, dict[str, Any]]] = {}

    def add(self, module: str, dep: str, ref: Ref) -> None:
        entry = self.data.setdefault(module, {}).setdefault(
            dep, {"count": 0, "module_level": False, "at": []}
        )
        entry["count"] += 1
        entry["module_level"] |= not ref.local
        if len(entry["at"]) < _EVIDENCE_KEPT:
            entry["at"].append(ref.describe())

    def of(self, module: str) -> dict[str, dict[str, Any]]:
        return dict(sorted(self.data.get(module, {}).items()))


def _module_name(member: str) -> str | None:
    rest = member[len(MODULES_PREFIX) :]
    return rest.split("/", 1)[0] if "/" in rest else None


class _RefResolver:
    """Turns references into (distribution | None, what was looked up)."""

    def __init__(self, dists: DistIndex, profile: dict[str, Any]) -> None:
        self.dists = dists
        self.types = profile["resource_types"]
        self.prefixes = {entry["import_prefix"] for entry in self.types.values()}

    def targets(self, ref: Ref) -> tuple[str, ...] | None:
        if ref.kind != "resource_type":
            return ref.targets
        entry = self.types.get(ref.targets[0])
        return (entry["import_prefix"],) if entry else None

    def resolve(self, ref: Ref) -> tuple[str | None, str]:
        targets = self.targets(ref)
        if targets is None:
            return None, f"ResourceType.{ref.targets[0]}"
        dist, looked_up = self.dists.resolve(targets)
        if dist is None and ref.kind == "template":
            # Multi-API SDKs: the CLI inserts the API version after the ResourceType prefix
            # ('azure.mgmt.resource.resources' + '.v2024_11_01.operations').
            prefixes = [p for p in self.prefixes if looked_up.startswith(p + ".")]
            if prefixes:
                return self.dists.resolve((max(prefixes, key=len),))
        return dist, looked_up


def _scan_cli(
    cli: WheelReader, tree: CommandTree
) -> tuple[dict[str, list[Ref]], dict[str, dict[str, Any]], list[str]]:
    """Per module: references; per parsed file: its units; every text (for versions)."""
    refs: dict[str, list[Ref]] = {}
    units: dict[str, dict[str, Any]] = {}
    texts = []
    for member, text in cli.sources(MODULES_PREFIX):
        module = _module_name(member)
        if module is None:
            continue
        refs.setdefault(module, [])
        parsed = None
        if needs_full_parse(member, text):
            texts.append(text)
            try:
                parsed = ast.parse(text)
            except SyntaxError:
                continue
            path = member[len(MODULES_PREFIX) :]
            refs[module].extend(collect_refs(parsed, path))
            units[path] = scan_units(path, parsed)
        scan_module_source(module, text, tree, parsed)
    return refs, units, texts


def _unit_of(units: dict[str, Any], line: int) -> str:
    for name, unit in units.items():
        if name and unit["lines"][0] <= line <= unit["lines"][1]:
            return name
    return ""


def _attach_sdk(files: dict[str, dict[str, Any]], ref: Ref, dist: str) -> None:
    """Record that the unit around ``ref`` needs ``dist`` (first evidence per kind/scope)."""
    units = files.get(ref.file)
    if units is None:
        return
    entry = units[_unit_of(units, ref.line)].setdefault("sdk", [])
    if not any(e[0] == dist and e[1] == ref.local and e[2] == ref.kind for e in entry):
        entry.append([dist, ref.local, ref.kind, ref.describe()])


def _index(core: WheelReader, tree: CommandTree) -> tuple[dict[str, list[str]], str]:
    """Top word -> modules: the packaged index (core >= 2.85) or the one the scan derives."""
    if core.has(INDEX_JSON):
        raw = core.read_json(INDEX_JSON).get("commandIndex", {})
        index = {
            top: [m.removeprefix(MODULES_PACKAGE) for m in mods if m.startswith(MODULES_PACKAGE)]
            for top, mods in sorted(raw.items())
        }
        return index, "packaged"
    return tree.top_level_index(), "scanned"


def _expand_computed(cli: WheelReader, tree: CommandTree, index: dict[str, list[str]]) -> None:
    """Templates and computed names filled in; every prefix of a command made a group."""
    computed = None
    if cli.has(MODULES_PREFIX + CONNECTOR_CONFIG):
        sources = {top for top, mods in index.items() if "serviceconnector" in mods}
        computed = connector_commands(cli.read_text(MODULES_PREFIX + CONNECTOR_CONFIG), sources)
    tree.expand_templates(index, {"serviceconnector": computed[0]} if computed else {})
    if computed is not None:
        tree.replace_computed("serviceconnector", computed[1])
    tree.add_implied_groups()


def _prefix_dists(dists: DistIndex, profile: dict[str, Any], *tables: dict) -> dict[str, str]:
    """SDK import prefix -> the distribution that ships it (profile and version tables)."""
    prefixes = {e["import_prefix"] for e in profile["resource_types"].values()}
    prefixes |= {p for table in tables for p in table}
    out = {}
    for prefix in sorted(prefixes):
        dist, _ = dists.resolve((prefix,))
        if dist:
            out[prefix] = dist
    return out


def build_knowledge(
    cli_wheel: str | Path,
    core_wheel: str | Path,
    dist_files: Mapping[str, Iterable[str]],
    read_member: Callable[[str, str], str | None] | None = None,
) -> dict[str, Any]:
    """The knowledge data of the azure-cli version in ``cli_wheel`` (see module docstring).

    ``read_member(dist, path)`` reads one file of an SDK wheel (the API versions a multi-API
    package re-exports); without it that table stays empty.
    """
    with WheelReader(cli_wheel) as cli, WheelReader(core_wheel) as core:
        version, core_version = cli.version, core.version
        requires = {r.name for r in cli.requires()}
        core_requires = {r.name for r in core.requires()}
        profile = parse_profile(core.read_text(SHARED_PY))
        tree = CommandTree()
        refs, files, texts = _scan_cli(cli, tree)
        index, index_source = _index(core, tree)
        _expand_computed(cli, tree, index)
        core_refs = []
        for member, text in core.sources(CORE_PREFIX):
            core_refs.extend(collect_refs(ast.parse(text), member))
            texts.append(text)

    resolver = _RefResolver(DistIndex(dist_files), profile)
    always_there = core_requires | {"azure-cli", "azure-cli-core"}
    sdk, imports, stale = _Edges(), _Edges(), {}
    for module, module_refs in refs.items():
        for ref in module_refs:
            first = ref.targets[0]
            if first.startswith(MODULES_PACKAGE):
                other = first[len(MODULES_PACKAGE) :].split(".", 1)[0]
                if other != module and other in refs:
                    imports.add(module, other, ref)
                continue
            dist, looked_up = resolver.resolve(ref)
            if looked_up.startswith("azure.cli."):
                continue
            if dist is None:
                if looked_up.startswith(("azure.", "ResourceType.")):
                    stale.setdefault(module, []).append(f"{ref.describe()}: no such module")
                continue
            if dist not in always_there:
                sdk.add(module, dist, ref)
                _attach_sdk(files, ref, dist)

    reexported = reexport_table(dist_files, read_member) if read_member else {}
    modules = {}
    for module in sorted(refs):
        deps = sdk.of(module)
        for dist, entry in deps.items():
            entry["declared"] = dist in requires
        modules[module] = {
            "sdk": deps,
            "imports": imports.of(module),
            "stale": sorted(set(stale.get(module, [])))[:20],
        }

    return {
        "schema": SCHEMA,
        "version": version,
        "core_version": core_version,
        "index_source": index_source,
        "index": index,
        "commands": sorted(tree.commands),
        "groups": sorted(tree.groups),
        "open_groups": sorted(tree.open_groups),
        "modules": modules,
        "baseline": baseline_entries(core_refs, resolver, core_requires, requires),
        "api_profile": profile,
        "files": files,
        "api_reexports": reexported,
        "api_explicit": (explicit := explicit_versions(texts)),
        "prefix_dists": _prefix_dists(resolver.dists, profile, reexported, explicit),
        "requires": sorted(requires),
        "core_requires": sorted(core_requires),
    }
