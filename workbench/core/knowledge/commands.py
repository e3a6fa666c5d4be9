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

    def expand_templates(self, index: Mapping[str, Iterable[str]]) -> None:
        """Fill a leading wildcard with each top word whose index entry lists the module."""
        for kind, path, module in self.templates:
            words = path.split()
            if words[0] != WILDCARD or WILDCARD in words[1:]:
                continue
            for top, modules in index.items():
                if module in modules:
                    self.add(kind, " ".join([top, *words[1:]]), module)
        self.templates.clear()

    def top_level_index(self) -> dict[str, list[str]]:
        """Top word -> modules declaring anything under it (the command index, derived)."""
        out: dict[str, set[str]] = {}
        for table in (self.commands, self.groups):
            for path, module in table.items():
                out.setdefault(path.split()[0], set()).add(module)
        return {top: sorted(mods) for top, mods in sorted(out.items())}


def _template(node: ast.expr) -> str | None:
    """A literal string, or a string whose computed parts become WILDCARD; else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else WILDCARD for v in node.values)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Constant)
        and isinstance(node.func.value.value, str)
    ):
        return re.sub(r"\{[^}]*\}", WILDCARD, node.func.value.value)
    return None


def _call_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
        if isinstance(node.func, ast.Name):
            return node.func.id
    return None


def _scan_with(node: ast.With, module: str, tree: CommandTree) -> None:
    for item in node.items:
        call = item.context_expr
        if _call_name(call) != "command_group" or not call.args:
            continue
        group = _template(call.args[0])
        if group is None:
            continue
        tree.add("group", group, module)
        if not isinstance(item.optional_vars, ast.Name):
            continue
        var = item.optional_vars.id
        for stmt in node.body:
            for sub in ast.walk(stmt):
                if not (
                    isinstance(sub, ast.Call)
                    and isinstance(sub.func, ast.Attribute)
                    and isinstance(sub.func.value, ast.Name)
                    and sub.func.value.id == var
                    and sub.func.attr not in _NOT_COMMANDS
                    and sub.args
                ):
                    continue
                name = _template(sub.args[0])
                if name is None or WILDCARD in name:
                    tree.add("open", group, module)
                else:
                    tree.add("command", f"{group} {name}", module)


def _scan_decorators(decorators: Iterable[ast.expr], module: str, tree: CommandTree) -> None:
    for deco in decorators:
        name = _call_name(deco)
        if name in ("register_command", "register_command_group") and deco.args:
            path = _template(deco.args[0])
            if path is not None:
                tree.add("command" if name == "register_command" else "group", path, module)


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
            _scan_decorators(cls.decorator_list, module, tree)
        return
    for node in ast.walk(parsed):
        if isinstance(node, ast.With):
            _scan_with(node, module, tree)
        elif isinstance(node, ast.ClassDef):
            _scan_decorators(node.decorator_list, module, tree)


def needs_full_parse(member: str, text: str) -> bool:
    """Whether a file must be parsed whole: every non-AAZ file, and AAZ files importing SDKs."""
    return "/aaz/" not in member or bool(_AAZ_FOREIGN_IMPORT.search(text))
