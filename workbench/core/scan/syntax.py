"""Bash syntax trees (mvdan/sh, through ``shfmt --to-json``) and the static meaning of words.

A tree is shfmt's typed JSON: dicts with ``Type`` for interface-typed nodes (``CallExpr``,
``DblQuoted`` ...), ``Pos``/``End`` (byte ``Offset``, ``Line``) on every node. ``parse`` raises
``ShellSyntaxError`` with shfmt's own message and line when the text is not bash. shfmt 3.13
writes operators (``Op``) as token numbers, 3.14 as their text; ``op`` reads both as text.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
import shutil
import subprocess
import sysconfig
from collections.abc import Callable
from typing import Any

import orjson

from workbench.core.errors import WorkbenchError

Node = dict[str, Any]
Lookup = Callable[[str], "list[str] | None"]
MAX_ALTERNATIVES = 16  # cap on the static values a word may take (cartesian products)

# The operators the scan tells apart, as shfmt 3.14 writes them; shfmt 3.13 writes the token
# numbers of mvdan/sh's syntax/tokens.go instead (``_OP_TEXT``).
PIPE, PIPE_ALL = "|", "|&"
HEREDOC, DASH_HEREDOC, HERESTRING = "<<", "<<-", "<<<"
_DEFAULT_OPS = frozenset({"-", ":-", "=", ":="})  # ${x-d} ${x:-d} ${x=d} ${x:=d}
_OP_TEXT: dict[object, str] = {
    13: PIPE, 14: PIPE_ALL, 71: HEREDOC, 72: DASH_HEREDOC, 73: HERESTRING,
    83: "-", 84: ":-", 87: "=", 88: ":=",
}  # fmt: skip
# The Go runtime's defaults suit long-lived servers; shfmt lives for one tree and allocates
# mostly garbage-free JSON: fewer collections and no parallel GC workers halve its CPU time.
_SHFMT_ENV = {"GOGC": "400", "GOMAXPROCS": "1"}
_ERROR = re.compile(r"^(?:.*?:)?(\d+):(\d+): (.*)$")


class ShellSyntaxError(Exception):
    """shfmt rejected the text: ``line`` (1-based, in the text given) and its message."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"{line}: {message}")
        self.line = line
        self.message = message

    @property
    def swallows_rest(self) -> bool:
        """An unclosed quote or here-document: bash reads the rest of the file into it."""
        return "closing quote" in self.message or "here-document" in self.message


@functools.cache
def shfmt_binary() -> str:
    """Path of the shfmt binary (shipped by the ``shfmt-py`` package)."""
    found = shutil.which("shfmt", path=sysconfig.get_path("scripts")) or shutil.which("shfmt")
    if found is None:
        raise WorkbenchError(
            "shfmt not found: the bash parser ships with the shfmt-py package; reinstall workbench"
        )
    return found


def parse(source: bytes) -> Node:
    """The ``File`` node of ``source``; ShellSyntaxError when bash syntax is broken.

    Short texts (strings run as code: ``eval``, ``bash -c``) are parsed once per process;
    callers must not change the tree.
    """
    if len(source) <= _MEMO_LIMIT:
        return _parse_short(source)
    return _parse(source)


_MEMO_LIMIT = 2048


@functools.lru_cache(maxsize=1024)
def _parse_short(source: bytes) -> Node:
    return _parse(source)


def forget_parses() -> None:
    """Drop the short texts parsed so far (benchmarks of a first scan)."""
    _parse_short.cache_clear()


def op(node: Node) -> str:
    """The ``Op`` of a node as operator text (``"|"``, ``"<<<"``, ``":-"``), from either shfmt."""
    value = node["Op"]
    return _OP_TEXT.get(value) or value


@functools.cache
def _shfmt_env() -> dict[str, str]:
    return {**_SHFMT_ENV, **os.environ}  # the user's own Go settings win


def _parse(source: bytes) -> Node:
    done = subprocess.run(
        [shfmt_binary(), "--to-json", "-ln", "bash"],
        input=source,
        capture_output=True,
        check=False,
        env=_shfmt_env(),
    )
    if done.returncode == 0:
        return orjson.loads(done.stdout)
    message = done.stderr.decode("utf-8", "replace").strip().splitlines()
    match = _ERROR.match(message[0]) if message else None
    if match is None:
        raise WorkbenchError(f"shfmt failed: {message[0] if message else done.returncode}")
    raise ShellSyntaxError(int(match[1]), match[3])


def shfmt_version() -> str:
    """Version of the shfmt binary in use (for benchmarks and reports)."""
    return subprocess.run(
        [shfmt_binary(), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()


def span(node: Node) -> tuple[int, int]:
    """Byte offsets [start, end) of a node."""
    return node["Pos"]["Offset"], node["End"]["Offset"]


def line_of(node: Node) -> int:
    """1-based line where a node starts."""
    return node["Pos"]["Line"]


def one_line(raw: str) -> str:
    """Source text on one line: continuations joined, whitespace runs with newlines folded."""
    if "\n" not in raw:
        return raw.strip()
    raw = re.sub(r"[ \t]*\\\n[ \t]*", " ", raw)
    return re.sub(r"[ \t]*\n\s*", " ", raw).strip()


_ANSI_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "e": "\x1b"}
_BACKSLASH_ANY = re.compile(r"\\(.)", re.S)
_BACKSLASH_DOUBLE_QUOTED = re.compile(r'\\([$`"\\\n])')


def _unescape(raw: str, quoted: bool) -> str:
    if "\\" not in raw:
        return raw
    if quoted:
        return _BACKSLASH_DOUBLE_QUOTED.sub(lambda m: "" if m[1] == "\n" else m[1], raw)
    return _BACKSLASH_ANY.sub(r"\1", raw.replace("\\\n", ""))


def _unescape_ansi(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ANSI_ESCAPES.get(m[1], m[0]), raw, flags=re.S)


def param_name(part: Node) -> str:
    """Name a ParamExp reads (``$x``, ``${x:-d}``, ``${a[@]}`` -> x, a)."""
    return (part.get("Param") or {}).get("Value", "?")


_LITERAL_PARTS = frozenset({"Lit", "SglQuoted", "ExtGlob", "BraceExp"})


def _part_literal(part: Node) -> bool:
    kind = part["Type"]
    if kind == "DblQuoted":
        return all(_part_literal(p) for p in part.get("Parts") or ())
    return kind in _LITERAL_PARTS


def is_literal(word: Node) -> bool:
    """True when the word contains no expansion at all."""
    return all(_part_literal(p) for p in word.get("Parts") or ())


def is_split(word: Node) -> bool:
    """True when the word is one bare (unquoted) expansion, so its value is word-split."""
    parts: list[Node] = word.get("Parts") or []
    return len(parts) == 1 and parts[0]["Type"] in ("ParamExp", "CmdSubst")


def _part_display(part: Node, quoted: bool, source: bytes) -> str:
    kind = part["Type"]
    if kind == "Lit":
        return _unescape(part.get("Value", ""), quoted)
    if kind == "SglQuoted":
        value = part.get("Value", "")  # shfmt omits empty fields: '' has no Value
        return _unescape_ansi(value) if part.get("Dollar") else value
    if kind == "DblQuoted":
        return "".join(_part_display(p, True, source) for p in part.get("Parts") or ())
    if kind == "ParamExp":
        return f"<{param_name(part)}>"
    if kind in ("CmdSubst", "ProcSubst"):
        return "<cmd>"
    if kind == "ArithmExp":
        return "<expr>"
    start, end = span(part)
    return source[start:end].decode("utf-8", "replace")


def display(word: Node, source: bytes) -> str:
    """Literal text of a word, each expansion replaced by a placeholder (<x>, <cmd>, <expr>)."""
    return "".join(_part_display(p, False, source) for p in word.get("Parts") or ())


def _product(parts: list[list[str]]) -> list[str] | None:
    total = 1
    for values in parts:
        total *= len(values)
    if total > MAX_ALTERNATIVES:
        return None
    return ["".join(combo) for combo in itertools.product(*parts)]


_LOCATORS = frozenset({"which", "command", "type"})


def _locator_values(part: Node, source: bytes) -> list[str] | None:
    """``$(command -v az)`` / ``$(which az)`` / ``$(type -P az)`` stand for the program named."""
    stmts: list[Node] = part.get("Stmts") or []
    cmd = stmts[0].get("Cmd") if len(stmts) == 1 else None
    if not cmd or cmd["Type"] != "CallExpr" or not all(is_literal(a) for a in cmd["Args"]):
        return None
    words = [display(a, source) for a in cmd["Args"]]
    if len(words) < 2 or words[0] not in _LOCATORS or not re.fullmatch(r"[\w./-]+", words[-1]):
        return None
    if words[0] == "which" or set(words[1:-1]) & {"-v", "-P", "-p"}:
        return [words[-1]]
    return None


def _simple_param(part: Node) -> bool:
    return not any(part.get(k) for k in ("Excl", "Length", "Width", "Index", "Slice", "Repl"))


def _part_values(part: Node, quoted: bool, lookup: Lookup, source: bytes) -> list[str] | None:
    kind = part["Type"]
    if kind == "ParamExp":
        if not _simple_param(part):
            return None
        exp = part.get("Exp")
        known = lookup(param_name(part))
        if exp is None:
            return known
        if op(exp) not in _DEFAULT_OPS:
            return None
        if known is not None:
            return known
        return word_values(exp["Word"], lookup, source, True) if exp.get("Word") else [""]
    if kind == "CmdSubst":
        return _locator_values(part, source)
    if kind == "DblQuoted":
        parts = [_part_values(p, True, lookup, source) for p in part.get("Parts") or ()]
        return None if any(p is None for p in parts) else _product(parts)  # type: ignore[arg-type]
    if kind in ("Lit", "SglQuoted"):
        return [_part_display(part, quoted, source)]
    return None


def word_values(
    word: Node, lookup: Lookup, source: bytes, quoted: bool = False
) -> list[str] | None:
    """Every value the word can take, when statically known; None otherwise.

    ``lookup(name)`` gives the known values of a variable (None: unknown). A default
    (``${AZ:-az}``) stands in for an unknown variable.
    """
    parts = [_part_values(p, quoted, lookup, source) for p in word.get("Parts") or ()]
    if any(p is None for p in parts):
        return None
    return _product(parts)  # type: ignore[arg-type]


def word_template(
    word: Node, lookup: Lookup, source: bytes, templates: Lookup | None = None
) -> list[str]:
    """The shell text a word's value is, for re-parsing (``eval``, ``bash -c``).

    Known parts become their values; a variable set to partly known text takes that text
    (``templates(name)``); other expansions stay as their source text (``$ID``), so that the
    re-parsed text has an expansion where the value is only known at run time.
    """
    alternatives: list[list[str]] = []

    def add(part: Node, quoted: bool) -> None:
        if part["Type"] == "DblQuoted":
            for inner in part.get("Parts") or ():
                add(inner, True)
            return
        values = _part_values(part, quoted, lookup, source)
        if values is None and templates and part["Type"] == "ParamExp" and _simple_param(part):
            values = None if part.get("Exp") else templates(param_name(part))
        if values is None:
            start, end = span(part)
            values = [source[start:end].decode("utf-8", "replace")]
        alternatives.append(values)

    for part in word.get("Parts") or ():
        add(part, False)
    return _product(alternatives) or [display(word, source)]


def array_index_all(word: Node) -> str | None:
    """Array name of ``${a[@]}`` / ``"${a[@]}"`` / ``${a[*]}``, else None."""
    parts: list[Node] = word.get("Parts") or []
    if len(parts) == 1 and parts[0]["Type"] == "DblQuoted":
        parts = parts[0].get("Parts") or []
    if len(parts) != 1 or parts[0]["Type"] != "ParamExp":
        return None
    index = parts[0].get("Index")
    if index and index.get("Type") == "Word" and is_literal(index):
        value = "".join(p.get("Value", "") for p in index["Parts"])
        if value in ("@", "*") and not parts[0].get("Length"):
            return param_name(parts[0])
    return None


def positional(word: Node) -> int | None:
    """For ``"$@"``/``$*``/``"${@:N}"``: how many leading args it skips (``$1`` etc.: None)."""
    parts: list[Node] = word.get("Parts") or []
    if len(parts) == 1 and parts[0]["Type"] == "DblQuoted":
        parts = parts[0].get("Parts") or []
    if len(parts) != 1 or parts[0]["Type"] != "ParamExp" or parts[0].get("Exp"):
        return None
    part = parts[0]
    if param_name(part) not in ("@", "*") or part.get("Length") or part.get("Index"):
        return None
    offset = (part.get("Slice") or {}).get("Offset")
    if offset is None:
        return 0
    text = "".join(p.get("Value", "?") for p in offset.get("Parts") or ())
    return int(text) - 1 if text.isdigit() else None


def numbered_param(word: Node) -> int | None:
    """N for a word that is exactly ``$N`` / ``"$N"`` / ``${N}`` (N >= 1), else None."""
    parts: list[Node] = word.get("Parts") or []
    if len(parts) == 1 and parts[0]["Type"] == "DblQuoted":
        parts = parts[0].get("Parts") or []
    if len(parts) != 1 or parts[0]["Type"] != "ParamExp" or not _simple_param(parts[0]):
        return None
    if parts[0].get("Exp"):
        return None
    name = param_name(parts[0])
    return int(name) if name.isdigit() and name != "0" else None
