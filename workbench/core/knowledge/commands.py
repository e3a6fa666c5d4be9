"""Static scan of the command tree of azure-cli's command modules.

Two declaration styles are read with ``ast`` (nothing is imported):
- hand-written ``with self.command_group('disk', ...) as g: g.custom_command('list', ...)``;
- AAZ classes decorated ``@register_command("network vnet show")`` /
  ``@register_command_group("network vnet")``.
Group names built at runtime from a placeholder first word (serviceconnector's
``'{} connection'.format(source.value)``) are kept as templates and expanded over the top-level
words the command index assigns to the module. A group whose commands get computed names
(``g.custom_command(target.value, ...)``) is "open": one more word below it is accepted.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

WILDCARD = "*"
# Methods of the command-group object that do not register a command.
_NOT_COMMANDS = frozenset({"deprecate"})
_AAZ_DECORATOR = re.compile(r"^@register_command(?:_group)?\(", re.MULTILINE)
_AAZ_FOREIGN_IMPORT = re.compile(r"^\s*(?:from|import)\s+azure\.(?!cli\.core)", re.MULTILINE)


@dataclass
class CommandTree:
    """Command and group paths (space-joined) with the command module that declares each."""

    commands: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    open_groups: set[str] = field(default_factory=set)
    templates: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, path, module)

    def add(self, kind: str, path: str, module: str) -> None:
        """Record a command ("command"), group ("group") or open group ("open")."""
        path = " ".join(path.split())
        if WILDCARD in path.split():
            self.templates.append((kind, path, module))
            return
        if kind == "command":
            if path:
                self.commands.setdefault(path, module)
            return
        if path:
            self.groups.setdefault(path, module)
            if kind == "open":
                self.open_groups.add(path)

    def expand_templates(
        self, index: Mapping[str, Iterable[str]], tops: Mapping[str, Iterable[str]] = {}
    ) -> None:
        """Fill a leading wildcard with each top word whose index entry lists the module (or
        the words ``tops`` gives for it); a name still computed past its first word makes the
        group above it open."""
        for kind, path, module in self.templates:
            words = path.split()
            if words[0] == WILDCARD:
                own = tops.get(module)
                for top, modules in index.items():
                    if (module in modules) if own is None else (top in own):
                        self.add(kind, " ".join([top, *words[1:]]), module)
            else:
                cut = words.index(WILDCARD)
                self.add("open", " ".join(words[:cut]), module)
        self.templates.clear()

    def replace_computed(self, module: str, commands: Iterable[str]) -> None:
        """Commands of ``module`` whose names are computed, read from its data instead:
        its open groups close."""
        for path in commands:
            self.add("command", path, module)
        self.open_groups = {g for g in self.open_groups if self.groups.get(g) != module}

    def add_implied_groups(self) -> None:
        """Every prefix of a command path is a group, declared or not (as azure-cli's parser
        builds them)."""
        for path, module in list(self.commands.items()):
            words = path.split()
            for n in range(1, len(words)):
                self.groups.setdefault(" ".join(words[:n]), module)

    def top_level_index(self) -> dict[str, list[str]]:
        """Top word -> modules declaring anything under it (the command index, derived)."""
        out: dict[str, set[str]] = {}
        for table in (self.commands, self.groups):
            for path, module in table.items():
                out.setdefault(path.split()[0], set()).add(module)
        return {top: sorted(mods) for top, mods in sorted(out.items())}


Bindings = dict[str, tuple[str, ...]]  # loop variable -> the strings it takes


def _strings(node: ast.expr | None, names: Bindings) -> tuple[str, ...] | None:
    """Values of a literal list/tuple of strings (or a name bound to one); None otherwise."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        values = [e.value for e in node.elts if isinstance(e, ast.Constant)]
        if len(values) == len(node.elts) and all(isinstance(v, str) for v in values):
            return tuple(values)
    return None


def _placeholder(node: ast.expr, names: Bindings) -> tuple[str, ...] | None:
    """Values of a format argument: a bound loop variable, or its ``.value``."""
    if isinstance(node, ast.Attribute) and node.attr == "value":
        node = node.value
    return names.get(node.id) if isinstance(node, ast.Name) else None


def _templates(node: ast.expr, names: Bindings) -> list[str] | None:
    """The strings an expression can be: literals, ``'{}'.format(x)`` / f-strings with x a
    loop variable over known strings; computed parts left unknown become WILDCARD."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name | ast.Attribute):
        known = _placeholder(node, names)
        return list(known) if known else None
    pieces: list[list[str]] = []
    if isinstance(node, ast.JoinedStr):
        for value in node.values:
            if isinstance(value, ast.Constant):
                pieces.append([str(value.value)])
            else:
                known = _placeholder(value.value, names) if isinstance(
                    value, ast.FormattedValue
                ) else None  # fmt: skip
                pieces.append(list(known) if known else [WILDCARD])
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        parts = re.split(r"\{[^}]*\}", node.func.value.value)
        for n, text in enumerate(parts):
            pieces.append([text])
            if n < len(parts) - 1:
                arg = node.args[n] if n < len(node.args) else None
                known = _placeholder(arg, names) if arg is not None else None
                pieces.append(list(known) if known else [WILDCARD])
    else:
        return None
    out = [""]
    for options in pieces:
        out = [a + b for a in out for b in options]
    return out


def _is_var_call(sub: ast.AST, var: str) -> bool:
    return (
        isinstance(sub, ast.Call)
        and isinstance(sub.func, ast.Attribute)
        and isinstance(sub.func.value, ast.Name)
        and sub.func.value.id == var
        and sub.func.attr not in _NOT_COMMANDS
        and bool(sub.args)
    )


def _scan_with(node: ast.With, module: str, tree: CommandTree, names: Bindings) -> None:
    for item in node.items:
        call = item.context_expr
        if _call_name(call) != "command_group" or not call.args:
            continue
        groups = _templates(call.args[0], names)  # type: ignore[attr-defined]
        if groups is None:
            continue
        for group in groups:
            tree.add("group", group, module)
        if not isinstance(item.optional_vars, ast.Name):
            continue
        var = item.optional_vars.id
        for sub in _walk_bound(node.body, names):
            stmt, bound = sub
            if not _is_var_call(stmt, var):
                continue
            found = _templates(stmt.args[0], bound)  # type: ignore[attr-defined]
            for group in groups:
                for name in found or [WILDCARD]:
                    if WILDCARD in name:
                        tree.add("open", group, module)
                    else:
                        tree.add("command", f"{group} {name}", module)


def _walk_bound(body: list[ast.stmt], names: Bindings):
    """Every node under ``body`` with the loop bindings in force there."""
    for stmt in body:
        if isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name):
            values = _strings(stmt.iter, names)
            inner = {**names, stmt.target.id: values} if values else names
            yield stmt, names
            yield from _walk_bound(stmt.body, inner)
            continue
        narrowed = _narrowed(stmt, names)
        if narrowed is not None:
            if narrowed:  # the test can hold: its body runs with the variable narrowed
                yield from _walk_bound(stmt.body, narrowed)  # type: ignore[attr-defined]
            yield from _walk_bound(stmt.orelse, names)  # type: ignore[attr-defined]
            continue
        for sub in ast.walk(stmt):
            yield sub, names


def _narrowed(stmt: ast.stmt, names: Bindings) -> Bindings | None:
    """Bindings inside ``if var == 'x':`` when ``var`` is a bound loop variable (empty when
    the test cannot hold); None for other statements."""
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return None
    test = stmt.test
    if (
        isinstance(test.left, ast.Name)
        and test.left.id in names
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.Eq)
        and isinstance(test.comparators[0], ast.Constant)
    ):
        value = str(test.comparators[0].value)
        return {**names, test.left.id: (value,)} if value in names[test.left.id] else {}
    return None


def _scan_block(body: list[ast.stmt], module: str, tree: CommandTree, names: Bindings) -> None:
    """Command groups and direct ``command_table["x y"] = ...`` entries in a block."""
    names = dict(names)
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            values = _strings(stmt.value, names)
            if isinstance(target, ast.Name) and values:
                names[target.id] = values
            elif (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Attribute)
                and target.value.attr == "command_table"
            ):
                for name in _templates(target.slice, names) or ():
                    tree.add("command", name, module)
        if isinstance(stmt, ast.With):
            _scan_with(stmt, module, tree, names)
            _scan_block(stmt.body, module, tree, names)
        elif isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name):
            values = _strings(stmt.iter, names)
            for value in values or [None]:  # one pass per value: `if var == ...` narrows
                inner = {**names, stmt.target.id: (value,)} if value is not None else names
                _scan_block(stmt.body, module, tree, inner)
            _scan_block(stmt.orelse, module, tree, names)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            _scan_decorators(stmt.decorator_list, module, tree)
            _scan_block(stmt.body, module, tree, names)
        elif isinstance(stmt, ast.If | ast.While):
            _scan_block(stmt.body, module, tree, names)
            _scan_block(stmt.orelse, module, tree, names)
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, stmt.orelse, stmt.finalbody):
                _scan_block(block, module, tree, names)
            for handler in stmt.handlers:
                _scan_block(handler.body, module, tree, names)


def _scan_decorators(decorators: Iterable[ast.expr], module: str, tree: CommandTree) -> None:
    for deco in decorators:
        name = _call_name(deco)
        if name in ("register_command", "register_command_group") and deco.args:  # type: ignore[attr-defined]
            for path in _templates(deco.args[0], {}) or ():  # type: ignore[attr-defined]
                tree.add("command" if name == "register_command" else "group", path, module)


def _call_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
        if isinstance(node.func, ast.Name):
            return node.func.id
    return None


def scan_module_source(module: str, text: str, tree: CommandTree, parsed: ast.AST | None) -> None:
    """Add the commands one source file of ``module`` declares.

    ``parsed`` is the file's ast when the caller has it; AAZ files are not parsed whole
    (they are most of azure-cli's 100 MB of code): only their decorators are.
    """
    if parsed is None:
        for match in _AAZ_DECORATOR.finditer(text):
            end = text.find("\nclass ", match.start())
            snippet = text[match.start() : end if end >= 0 else len(text)]
            try:
                cls = ast.parse(snippet + "\nclass _Decorated:\n    pass\n").body[-1]
            except SyntaxError:
                continue
            _scan_decorators(cls.decorator_list, module, tree)  # type: ignore[attr-defined]
        return
    assert isinstance(parsed, ast.Module)
    _scan_block(parsed.body, module, tree, {})


def needs_full_parse(member: str, text: str) -> bool:
    """Whether a file must be parsed whole: every non-AAZ file, and AAZ files importing SDKs."""
    return "/aaz/" not in member or bool(_AAZ_FOREIGN_IMPORT.search(text))
