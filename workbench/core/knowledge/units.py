"""Per-file code units of azure-cli's command modules, for load-time reachability.

A unit is a top-level function or class of one source file ("" = the module-level code). For
each unit the scan records what it imports from command modules (relative imports resolved,
``import_aaz_by_profile(..., "network.vnet")`` read as an import of the module's own AAZ
package), the local names it mentions (only names defined or imported at the top of the
file; for module-level code and load-time files also those it calls), and its line range
(SDK references are attached to units by line later).

Load-time files (``commands.py``, ``_params.py``, ``__init__.py``) also get their
``command_group`` / ``argument_context`` blocks with a literal scope: the names and strings a
block (or one ``g.<method>('name', ...)`` registration in it) passes on, so callbacks of
commands a script never runs are not counted as running.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any

PACKAGE = "azure.cli.command_modules"
LOAD_TIME_FILES = ("__init__.py", "commands.py", "_params.py")
_BLOCK_CALLS = {"command_group": "group", "argument_context": "args"}


def package_of(path: str) -> list[str]:
    """Dotted package parts of a file path relative to command_modules ("vm/_params.py")."""
    parts = [PACKAGE, *path.split("/")[:-1]]
    return parts


def _absolute(path: str, node: ast.ImportFrom) -> str | None:
    if not node.level:
        return node.module
    base = package_of(path)
    if node.level > 1:
        base = base[: -(node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _UnitScan(ast.NodeVisitor):
    """Collects imports, calls and mentions of one unit."""

    def __init__(self, path: str, module: str) -> None:
        self.path, self.module = path, module
        self.imports: list[list[Any]] = []
        self.local_names: set[str] = set()  # names bound by imports inside functions
        self.calls: set[str] = set()
        self.names: set[str] = set()
        self.depth = 0

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.startswith(PACKAGE + "."):
                self.imports.append([alias.name, [], self.depth > 0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        target = _absolute(self.path, node)
        if target and (target == PACKAGE or target.startswith(PACKAGE + ".")):
            names = [a.name if not a.asname else f"{a.name} as {a.asname}" for a in node.names]
            self.imports.append([target, names, self.depth > 0])
            if self.depth:
                self.local_names |= {a.asname or a.name for a in node.names}

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if isinstance(func, ast.Name):
            self.calls.add(func.id)
        if name == "import_aaz_by_profile" and len(node.args) > 1:
            group = _literal(node.args[1])
            if group:
                target = f"{PACKAGE}.{self.module}.aaz.latest.{group}"
                self.imports.append([target, ["*"], True])
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self.names.add(node.id)


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _strings_in(node: ast.AST) -> set[str]:
    """Identifier-like string constants (handler, getter and setter names)."""
    return {
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier()
    }


def _block_calls(node: ast.With) -> list[tuple[str, str, str | None]]:
    """(kind, literal scope, ``as`` variable) of the block calls a ``with`` opens."""
    out: list[tuple[str, str, str | None]] = []
    for item in node.items:
        call = item.context_expr
        kind = _BLOCK_CALLS.get(getattr(getattr(call, "func", None), "attr", ""))
        if not (kind and isinstance(call, ast.Call) and call.args):
            continue
        scope = _literal(call.args[0])
        if scope is not None:
            var = item.optional_vars.id if isinstance(item.optional_vars, ast.Name) else None
            out.append((kind, " ".join(scope.split()), var))
    return out


def _registration(sub: ast.AST, var: str | None) -> str | None:
    """The literal name of a ``g.<method>('name', ...)`` call on the block variable."""
    if (
        var
        and isinstance(sub, ast.Call)
        and isinstance(sub.func, ast.Attribute)
        and isinstance(sub.func.value, ast.Name)
        and sub.func.value.id == var
        and sub.args
    ):
        return _literal(sub.args[0])
    return None


def _blocks(unit: ast.AST, known: set[str]) -> tuple[list[dict[str, Any]], set[int]]:
    """Literal-scope blocks of a load-time unit, and the ids of the nodes inside them."""
    blocks, inside = [], set()
    for node in ast.walk(unit):
        if not isinstance(node, ast.With):
            continue
        body = [n for stmt in node.body for n in ast.walk(stmt)]
        for kind, scope, var in _block_calls(node):
            commands: dict[str, dict[str, list[str]]] = {}
            registered: set[int] = set()
            for sub in body:
                name = _registration(sub, var) if kind == "group" else None
                if name is None:
                    continue
                path = " ".join(f"{scope} {name}".split())
                entry = commands.setdefault(path, {"names": [], "strings": []})
                entry["names"] = sorted(set(entry["names"]) | (_names_in(sub) & known))
                entry["strings"] = sorted(set(entry["strings"]) | _strings_in(sub))
                registered |= {id(n) for n in ast.walk(sub)}
            names = {n.id for n in body if isinstance(n, ast.Name) and id(n) not in registered}
            blocks.append(
                {"kind": kind, "scope": scope, "names": sorted(names & known), "commands": commands}
            )
            inside |= {id(n) for n in body}
    return blocks, inside


_DEF_KINDS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _add_blocks(entry: dict[str, Any], nodes: Sequence[ast.AST], known: set, calls: set) -> None:
    """Block attribution of a load-time unit (names include its own local imports).

    Capitalised calls are constructors (``DiskUpdate(loader=self)``): they count with the
    block they are in, like any other mention, instead of always running.
    """
    blocks, inside = [], set()
    for node in nodes:
        found, ids = _blocks(node, known)
        blocks += found
        inside |= ids
    entry["names"] = sorted(set(entry["names"]) | (_names_of(nodes) & known))
    entry["calls"] = sorted(n for n in calls & known if not n[:1].isupper())
    if blocks:
        entry["blocks"] = blocks
        entry["free_names"] = sorted(
            {
                n.id
                for node in nodes
                for n in ast.walk(node)
                if isinstance(n, ast.Name) and id(n) not in inside
            }
            & known
        )


def _names_of(nodes: Sequence[ast.AST]) -> set[str]:
    return set().union(*(_names_in(n) for n in nodes)) if nodes else set()


def scan_units(path: str, tree: ast.Module) -> dict[str, dict[str, Any]]:
    """The units of one parsed file ``path`` (relative to command_modules)."""
    module = path.split("/", 1)[0]
    top = {n.name: n for n in tree.body if isinstance(n, _DEF_KINDS)}
    imported = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            imported |= {(a.asname or a.name).split(".")[0] for a in node.names}
    known = set(top) | imported
    load_time = path.rsplit("/", 1)[-1] in LOAD_TIME_FILES
    groups = [("", [n for n in tree.body if not isinstance(n, _DEF_KINDS)])]
    groups += [(name, [node]) for name, node in top.items()]
    units: dict[str, dict[str, Any]] = {}
    for name, nodes in groups:
        scan = _UnitScan(path, module)
        for node in nodes:
            scan.visit(node)
        entry: dict[str, Any] = {
            "lines": [nodes[0].lineno, nodes[0].end_lineno] if name else [],
            "imports": scan.imports,
            "names": sorted(scan.names & known),
        }
        if not name:
            entry["calls"] = sorted(scan.calls & known)
        if load_time:
            _add_blocks(entry, nodes, known | scan.local_names, scan.calls)
        units[name] = entry
    return units
