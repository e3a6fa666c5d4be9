"""serviceconnector's computed command names, read from its ``_resource_config.py``.

Its commands.py registers ``az <source> connection create|update <target>`` in loops over
``SUPPORTED_AUTH_TYPE`` (a dict keyed by ``RESOURCE`` enum members); those names are data, not
literals in commands.py. The enum and the dict are read with ``ast`` (nothing is imported).
"""

from __future__ import annotations

import ast

CONFIG = "serviceconnector/_resource_config.py"
LOCAL = "connection"  # RESOURCE.Local's value: `az connection create <target>`
_VERBS = ("create", "update")


def _member(node: ast.expr, enum: dict[str, str]) -> str | None:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return enum.get(node.attr) if node.value.id == "RESOURCE" else None
    return None


def _keys(node: ast.expr | None, enum: dict[str, str]) -> list[str]:
    if isinstance(node, ast.Dict):
        return [v for k in node.keys if k is not None and (v := _member(k, enum))]
    if isinstance(node, ast.List | ast.Tuple):
        return [v for e in node.elts if (v := _member(e, enum))]
    return []


def connector_commands(config: str, sources: set[str]) -> tuple[set[str], list[str]] | None:
    """The source words serviceconnector loops over (of ``sources``, the top-level words the
    command index gives the module) and the command paths it computes for them; None if the
    file is not as expected."""
    tree = ast.parse(config)
    enum: dict[str, str] = {}
    tables: dict[str, ast.expr] = {}
    auth: dict[str, list[str]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "RESOURCE":
            for item in stmt.body:
                if (
                    isinstance(item, ast.Assign)
                    and isinstance(item.targets[0], ast.Name)
                    and isinstance(item.value, ast.Constant)
                ):
                    enum[item.targets[0].id] = str(item.value.value)
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                tables[target.id] = stmt.value
                if target.id == "SUPPORTED_AUTH_TYPE" and isinstance(stmt.value, ast.Dict):
                    for key, value in zip(stmt.value.keys, stmt.value.values, strict=True):
                        if key is not None and (source := _member(key, enum)):
                            auth[source] = _keys(value, enum)
            elif (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "SUPPORTED_AUTH_TYPE"
                and isinstance(stmt.value, ast.Subscript)
            ):
                alias, origin = _member(target.slice, enum), _member(stmt.value.slice, enum)
                if alias and origin in auth:
                    auth[alias] = auth[origin]
    if not enum or not auth:
        return None
    extension = set(_keys(tables.get("SOURCE_RESOURCES_IN_EXTENSION"), enum))
    declared = set(_keys(tables.get("SOURCE_RESOURCES"), enum)) - extension
    out = []
    for source in sorted((declared | {LOCAL}) & sources):
        verbs = (*_VERBS, "preview-configuration") if source == LOCAL else _VERBS
        for verb in verbs:
            out.extend(f"{source} connection {verb} {t}" if source != LOCAL else
                       f"{LOCAL} {verb} {t}" for t in auth.get(source, ()))  # fmt: skip
    return declared & sources, out
