"""The ``latest`` API profile, read statically from azure-cli-core's ``profiles/_shared.py``.

Yields, per ``ResourceType`` member: import prefix, client name, default API version (None =
single-API SDK) and per-operation-group versions (``SDKProfile``); plus ``AD_HOC_API_VERSIONS``.
"""

from __future__ import annotations

import ast
from typing import Any

SHARED_PY = "azure/cli/core/profiles/_shared.py"
PROFILE = "latest"


def _resource_types(tree: ast.Module) -> dict[str, dict[str, Any]]:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "ResourceType":
            out = {}
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and len(stmt.targets) == 1
                    and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, ast.Tuple)
                ):
                    prefix, client = (ast.literal_eval(e) for e in stmt.value.elts[:2])
                    out[stmt.targets[0].id] = {"import_prefix": prefix, "client_name": client}
            return out
    return {}


def _member(node: ast.expr | None) -> str | None:
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "ResourceType"
    ):
        return node.attr
    return None


def _version(node: ast.expr) -> tuple[str | None, dict[str, str]]:
    """(default version, operation group versions) of a profile value."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "SDKProfile":
        default = ast.literal_eval(node.args[0]) if node.args else None
        groups = ast.literal_eval(node.args[1]) if len(node.args) > 1 else {}
        return default, dict(groups or {})
    return ast.literal_eval(node), {}


def _top_level_dict(tree: ast.Module, name: str) -> ast.Dict | None:
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and isinstance(node.value, ast.Dict)
        ):
            return node.value
    return None


def parse_profile(source: str) -> dict[str, Any]:
    """The ``latest`` profile and ad-hoc versions as plain JSON-able data."""
    tree = ast.parse(source)
    types = _resource_types(tree)
    profiles = _top_level_dict(tree, "AZURE_API_PROFILES")
    latest = None
    if profiles is not None:
        for key, value in zip(profiles.keys, profiles.values, strict=True):
            if (
                isinstance(key, ast.Constant)
                and key.value == PROFILE
                and isinstance(value, ast.Dict)
            ):
                latest = value
    if latest is not None:
        for key, value in zip(latest.keys, latest.values, strict=True):
            member = _member(key)
            if member in types:
                default, groups = _version(value)
                types[member]["in_profile"] = True
                types[member]["api_version"] = default
                types[member]["operation_groups"] = groups
    ad_hoc: dict[str, dict[str, str]] = {}
    ad_hoc_node = _top_level_dict(tree, "AD_HOC_API_VERSIONS")
    if ad_hoc_node is not None:
        for key, value in zip(ad_hoc_node.keys, ad_hoc_node.values, strict=True):
            member = _member(key)
            if member:
                ad_hoc[member] = dict(ast.literal_eval(value))
    for entry in types.values():
        entry.setdefault("in_profile", False)
        entry.setdefault("api_version", None)
        entry.setdefault("operation_groups", {})
    return {"profile": PROFILE, "resource_types": types, "ad_hoc_api_versions": ad_hoc}
