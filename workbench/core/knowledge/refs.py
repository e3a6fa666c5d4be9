"""References from azure-cli source files to other code, found with ``ast``.

A reference names what a file needs: an imported module, a ``ResourceType`` member (resolved
to its import prefix later), or a dotted ``operations_tmpl`` string ('azure.mgmt.x.operations#...').
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_DOTTED_TEMPLATE = re.compile(r"^(azure(?:\.\w+)+)#")


@dataclass(frozen=True)
class Ref:
    """One reference. ``targets`` are candidate module names, most specific first."""

    kind: str  # "import" | "resource_type" | "template"
    targets: tuple[str, ...]
    file: str
    line: int
    local: bool  # inside a function (runs only when that code runs) vs at module level

    def describe(self) -> str:
        scope = "in a function" if self.local else "at module level"
        what = {
            "import": "imports",
            "resource_type": "uses ResourceType.",
            "template": "names",
        }[self.kind]
        sep = "" if self.kind == "resource_type" else " "
        return f"{self.file}:{self.line} {what}{sep}{self.targets[0]} ({scope})"


class _Collector(ast.NodeVisitor):
    def __init__(self, file: str) -> None:
        self.file = file
        self.refs: list[Ref] = []
        self._depth = 0

    def _add(self, kind: str, targets: tuple[str, ...], node: ast.stmt | ast.expr) -> None:
        self.refs.append(Ref(kind, targets, self.file, node.lineno, self._depth > 0))

    def _function(self, node: ast.AST) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add("import", (alias.name,), node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return  # relative: inside the same package
        for alias in node.names:
            if alias.name == "*":
                self._add("import", (node.module,), node)
            else:
                self._add("import", (f"{node.module}.{alias.name}", node.module), node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.value, ast.Name) and node.value.id == "ResourceType":
            self._add("resource_type", (node.attr,), node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            match = _DOTTED_TEMPLATE.match(node.value)
            if match:
                self._add("template", (match.group(1),), node)


def collect_refs(parsed: ast.AST, file: str) -> list[Ref]:
    """Every reference in one parsed source file."""
    collector = _Collector(file)
    collector.visit(parsed)
    return collector.refs
