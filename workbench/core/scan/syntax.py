"""Bash syntax trees (tree-sitter-bash) and the static meaning of shell words."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable

import tree_sitter_bash
from tree_sitter import Language, Node, Parser, Query, QueryCursor

LANGUAGE = Language(tree_sitter_bash.language())

# Every node kind the scan looks at, captured in one pass of the query engine.
_QUERY_SOURCE = """
(command) @command
(function_definition) @function
(variable_assignment) @assignment
(for_statement) @loop
(heredoc_redirect) @heredoc
"""
# Run only on trees with errors (most have none).
_ERROR_QUERY_SOURCE = """
(ERROR) @error
(MISSING) @missing
"""

MAX_ALTERNATIVES = 16  # cap on the static values a word may take (cartesian products)

Lookup = Callable[[str], "list[str] | None"]


@functools.cache
def _parser() -> Parser:
    return Parser(LANGUAGE)


@functools.cache
def _query(source: str) -> Query:
    return Query(LANGUAGE, source)


def parse(source: bytes) -> Node:
    """Root node of the bash syntax tree of ``source``."""
    return _parser().parse(source).root_node


def captures(root: Node) -> dict[str, list[Node]]:
    """Nodes of interest under ``root``, by capture name, in source order."""
    found = QueryCursor(_query(_QUERY_SOURCE)).captures(root)
    if root.has_error:
        found.update(QueryCursor(_query(_ERROR_QUERY_SOURCE)).captures(root))
    return {name: sorted(nodes, key=lambda n: n.start_byte) for name, nodes in found.items()}


def text(node: Node) -> str:
    """Raw source text of a node."""
    return node.text.decode("utf-8", "replace")


def one_line(raw: str) -> str:
    """Source text on one line: continuations joined, whitespace runs with newlines folded."""
    if "\n" not in raw:
        return raw.strip()
    raw = re.sub(r"[ \t]*\\\n[ \t]*", " ", raw)
    return re.sub(r"[ \t]*\n\s*", " ", raw).strip()


_ANSI_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "e": "\x1b"}


_BACKSLASH_ANY = re.compile(r"\\(.)", re.S)
_BACKSLASH_DOUBLE_QUOTED = re.compile(r'\\([$`"\\\n])')


def _unescape_unquoted(raw: str) -> str:
    if "\\" not in raw:
        return raw
    return _BACKSLASH_ANY.sub(r"\1", raw.replace("\\\n", ""))


def _unescape_double_quoted(raw: str) -> str:
    if "\\" not in raw:
        return raw
    return _BACKSLASH_DOUBLE_QUOTED.sub(lambda m: "" if m[1] == "\n" else m[1], raw)


def _unescape_ansi(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ANSI_ESCAPES.get(m[1], m[0]), raw, flags=re.S)


def variable_name(node: Node) -> str:
    """Name of the variable an expansion reads (``$x``, ``${x:-d}``, ``${a[@]}`` -> x, a)."""
    stack = [node]
    while stack:
        current = stack.pop(0)
        if current.type in ("variable_name", "special_variable_name"):
            return text(current)
        stack.extend(current.named_children)
    raw = text(node).lstrip("$").strip("{}")
    return re.sub(r"[^\w@*#?!-].*", "", raw) or "?"


def _pieces(node: Node) -> list[tuple[str, Node | None]]:
    """Parts of a (double-quoted) string or concatenation: (literal gap text, None) or child."""
    raw, base = node.text, node.start_byte
    out: list[tuple[str, Node | None]] = []
    pos = base
    for child in node.children:
        if child.start_byte > pos:
            out.append((raw[pos - base : child.start_byte - base].decode("utf-8", "replace"), None))
        if child.type not in ('"', '$"'):
            out.append(("", child))
        pos = child.end_byte
    if pos < node.end_byte:
        out.append((raw[pos - base :].decode("utf-8", "replace"), None))
    return out


def _gap(raw: str, quoted: bool) -> str:
    return _unescape_double_quoted(raw) if quoted else _unescape_unquoted(raw)


def display(node: Node, quoted: bool = False) -> str:
    """Literal text of a word, each expansion replaced by a placeholder (<x>, <cmd>, <expr>)."""
    kind = node.type
    if kind in ("simple_expansion", "expansion"):
        return f"<{variable_name(node)}>"
    if kind in ("command_substitution", "process_substitution"):
        return "<cmd>"
    if kind == "arithmetic_expansion":
        return "<expr>"
    if kind in ("string", "translated_string", "concatenation"):
        inner = quoted or kind != "concatenation"
        return "".join(
            display(child, inner) if child is not None else _gap(gap, inner)
            for gap, child in _pieces(node)
        )
    raw = text(node)
    if kind == "string_content":
        return _unescape_double_quoted(raw)
    if kind == "raw_string":
        return raw[1:-1]
    if kind == "ansi_c_string":
        return _unescape_ansi(raw[2:-1])
    if quoted:
        return raw
    return _unescape_unquoted(raw)


_EXPANSIONS = frozenset(
    {
        "simple_expansion",
        "expansion",
        "command_substitution",
        "process_substitution",
        "arithmetic_expansion",
    }
)


def is_literal(node: Node) -> bool:
    """True when the word contains no expansion at all."""
    if node.type in _EXPANSIONS:
        return False
    return all(is_literal(child) for child in node.named_children)


def is_split(node: Node) -> bool:
    """True when the word is a bare (unquoted) expansion, so its value is word-split."""
    return node.type in _EXPANSIONS


def _product(parts: list[list[str]]) -> list[str] | None:
    total = 1
    for values in parts:
        total *= len(values)
    if total > MAX_ALTERNATIVES:
        return None
    return ["".join(combo) for combo in itertools.product(*parts)]


_DEFAULT_OPERATORS = frozenset({":-", "-", ":=", "="})
_LOCATORS = frozenset({"which", "command", "type"})


def _locator_values(node: Node) -> list[str] | None:
    """``$(command -v az)`` / ``$(which az)`` / ``$(type -P az)`` stand for the program named."""
    inner = [c for c in node.named_children if c.type == "command"]
    if len(inner) != 1:
        return None
    words = [text(c) for c in inner[0].named_children]
    if len(words) < 2 or words[0] not in _LOCATORS or not re.fullmatch(r"[\w./-]+", words[-1]):
        return None
    if words[0] == "which" or set(words[1:-1]) & {"-v", "-P", "-p"}:
        return [words[-1]]
    return None


def static_values(node: Node, lookup: Lookup) -> list[str] | None:
    """Every value the word can take, when statically known; None otherwise.

    ``lookup(name)`` gives the known values of a variable (None: unknown). A default
    (``${AZ:-az}``) stands in for an unknown variable.
    """
    kind = node.type
    if kind == "simple_expansion":
        return lookup(variable_name(node))
    if kind == "expansion":
        return _expansion_values(node, lookup)
    if kind == "command_substitution":
        return _locator_values(node)
    if kind in ("process_substitution", "arithmetic_expansion"):
        return None
    if kind in ("string", "translated_string", "concatenation"):
        parts: list[list[str]] = []
        for gap, child in _pieces(node):
            if child is None:
                parts.append([_gap(gap, kind != "concatenation")])
                continue
            values = static_values(child, lookup)
            if values is None:
                return None
            parts.append(values)
        return _product(parts)
    if is_literal(node):
        return [display(node)]
    return None


def _expansion_values(node: Node, lookup: Lookup) -> list[str] | None:
    children = node.children
    kinds = [c.type for c in children]
    if kinds == ["${", "variable_name", "}"]:
        return lookup(text(children[1]))
    if len(children) >= 4 and kinds[1] == "variable_name" and kinds[2] in _DEFAULT_OPERATORS:
        known = lookup(text(children[1]))
        if known is not None:
            return known
        defaults = [c for c in children[3:-1]]
        if not defaults:
            return [""]
        parts = [static_values(c, lookup) for c in defaults]
        if any(p is None for p in parts):
            return None
        return _product(parts)  # type: ignore[arg-type]
    return None


def array_index_all(node: Node) -> str | None:
    """Array name of ``${a[@]}`` / ``"${a[@]}"`` / ``${a[*]}``, else None."""
    if node.type == "string":
        inner = [c for c in node.named_children]
        if len(inner) != 1 or len(node.children) != 3:
            return None
        node = inner[0]
    if node.type != "expansion":
        return None
    for child in node.named_children:
        if child.type == "subscript":
            index = child.child_by_field_name("index")
            if index is not None and text(index) in ("@", "*"):
                name = child.child_by_field_name("name")
                return text(name) if name is not None else None
    return None


def all_args_expansion(node: Node) -> int | None:
    """For ``"$@"``, ``$@``, ``"$*"``, ``"${@}"``, ``"${@:N}"``: how many leading args it skips."""
    raw = text(node).strip('"')
    if raw in ("$@", "$*", "${@}", "${*}"):
        return 0
    match = re.fullmatch(r"\$\{[@*]:(\d+)\}", raw)
    return int(match[1]) - 1 if match else None
