"""From a bash syntax tree to `az` calls: wrappers, indirection, functions, strings run as code.

One walk over the tree (``_Walk``) collects the commands, functions, assignments, loops and
heredocs; ``ScriptScan`` then resolves each command: the program it runs (through wrappers,
variables, functions that forward or evaluate their arguments, ``eval``, ``bash -c``, shells fed
a heredoc or here-string, ``source``), the `az` calls it makes and the spots it cannot resolve.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from workbench.core.scan import memo
from workbench.core.scan.model import AzCall, ExternalCommand, Unresolved
from workbench.core.scan.programs import (
    BUILTINS,
    NOT_RUNNING,
    SHELLS,
    SOURCE,
    WRAPPERS,
    command_start,
    external_name,
)
from workbench.core.scan.scope import IDENTIFIER, SETTERS, Scope
from workbench.core.scan.syntax import (
    DASH_HEREDOC,
    HEREDOC,
    HERESTRING,
    MAX_ALTERNATIVES,
    PIPE,
    PIPE_ALL,
    Node,
    array_index_all,
    display,
    is_literal,
    is_split,
    line_of,
    numbered_param,
    one_line,
    op,
    param_name,
    positional,
    span,
    word_template,
    word_values,
)
from workbench.core.scan.tolerant import parse_tolerant

GLOBAL_FLAGS = frozenset({"--debug", "--verbose", "--only-show-errors"})
FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
MAX_DEPTH = 8
_MENTIONS_AZ = re.compile(r"(?<![A-Za-z0-9.-])az(?![A-Za-z0-9.-])", re.I)
_PYTHON = re.compile(r"python(?:\d+(?:\.\d+)?)?")
_SHELL_C = re.compile(r"-[a-zA-Z]*c[a-zA-Z]*")
_WALKED = frozenset(
    {
        "Args", "Array", "Assigns", "Body", "Cmd", "Cond", "Do", "Elems", "Else", "Exp", "Hdoc",
        "Index", "Items", "Loop", "Parts", "Patterns", "Redirs", "Stmt", "Stmts", "Then",
        "Value", "Word", "X", "Y", "Slice", "Repl", "Orig", "With",
    }
)  # fmt: skip
_LEAVES = frozenset({"Lit", "SglQuoted"})  # word parts with nothing to walk inside
_EMPTY_WORD: Node = {"Parts": []}
# `eval "${name}='${value}'"`: sets the variable $name names to one word; runs nothing.
_INDIRECT_ASSIGNMENT = re.compile(
    r"""\s*\$\{?(?:[A-Za-z_]\w*|\d+)\}?=('[^']*'|"[^"]*"|[^\s'"]*)\s*"""
)
_SOURCE_LEVELS_UP = 3  # folders above a script where a relative `source` path is looked for
_RUNTIME_HINT = "add a [keep] entry for the modules it needs, or make the string static"


class Tok:
    """One shell word of a command: its word node and its text (placeholders for expansions).

    Words made from a variable's static value carry that text and the word they came from.
    """

    __slots__ = ("_literal", "_text", "source", "word")

    def __init__(
        self, word: Node, source: bytes, text: str | None = None, literal: bool | None = None
    ) -> None:
        self.word = word
        self.source = source
        self._text = text
        self._literal = literal

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = display(self.word, self.source)
        return self._text

    @property
    def literal(self) -> bool:
        if self._literal is None:
            self._literal = is_literal(self.word)
        return self._literal


@dataclass(frozen=True)
class _Site:
    """A simple command (CallExpr) and the function it is written in, if any."""

    call: Node
    function: str | None


@dataclass(frozen=True)
class _Forwarder:
    """A function that runs ``<head> "$@" <tail>`` where head leads to `az`."""

    head: tuple[Tok, ...]
    tail: tuple[Tok, ...]
    skip: int  # caller arguments dropped by `shift` / "${@:N}"


def _program(tok: Tok) -> str:
    return tok.text.rsplit("/", 1)[-1]


class _Walk:
    """One pass over a tree: commands, functions, variables, heredocs fed to shells."""

    def __init__(self, scope: Scope, source: bytes) -> None:
        self.scope = scope
        self.source = source
        self.sites: list[_Site] = []
        self.functions: dict[str, Node] = {}
        self.fed: list[tuple[_Site, Node, str]] = []  # (command, heredoc/here-string word, op)
        self.piped: list[_Site] = []  # `... | bash`: a shell reading its script from a pipe

    def run(self, root: Node) -> None:
        stack: list[tuple[Node, str | None]] = [(root, None)]
        while stack:
            node, fn = stack.pop()
            kind = node.get("Type")
            if kind is None:
                pass  # Stmt, Word, Assign ...: nodes whose type their parent's field fixes
            elif kind == "CallExpr":
                self._call(node, fn)
            elif kind == "FuncDecl":
                fn = node["Name"]["Value"]
                self.functions[fn] = node
            elif kind == "DeclClause":
                for assign in node.get("Args") or ():
                    if not assign.get("Naked"):
                        self._assign(assign, fn)
            elif kind == "ForClause":
                loop = node.get("Loop") or {}
                if loop.get("Type") == "WordIter" and "Items" in loop:
                    self.scope.loop(loop["Name"]["Value"], tuple(loop["Items"]), fn)
                elif loop.get("Type") == "WordIter":
                    self.scope.runtime(loop["Name"]["Value"])
            elif kind == "BinaryCmd" and op(node) in (PIPE, PIPE_ALL):
                right = node["Y"].get("Cmd") or {}
                args = right.get("Args") if right.get("Type") == "CallExpr" else None
                if args and _runs_shell_on_stdin(args, self.source):
                    self.piped.append(_Site(right, fn))
            if "Redirs" in node and kind is None and self._feeds_shell(node, fn):
                node = {k: v for k, v in node.items() if k != "Redirs"}
            for key, value in node.items():
                if key not in _WALKED:
                    continue
                if isinstance(value, list):  # children in order, leaves (literal text) left out
                    stack.extend((c, fn) for c in reversed(value) if c.get("Type") not in _LEAVES)
                elif isinstance(value, dict):
                    stack.append((value, fn))

    def _call(self, call: Node, fn: str | None) -> None:
        args = call.get("Args") or ()
        if not args:
            for assign in call.get("Assigns") or ():
                self._assign(assign, fn)
            return
        self.sites.append(_Site(call, fn))
        head = args[0]
        if not is_literal(head):
            return
        program = display(head, self.source)
        if program not in SETTERS and program != "printf":
            return
        words = [display(a, self.source) for a in args[1:] if is_literal(a)]
        if program in SETTERS:
            for name in words:
                if IDENTIFIER.fullmatch(name):
                    self.scope.runtime(name)
        elif program == "printf" and "-v" in words[:-1]:
            self.scope.runtime(words[words.index("-v") + 1])

    def _assign(self, assign: Node, fn: str | None) -> None:
        name = (assign.get("Name") or {}).get("Value")
        if not name:
            return
        if assign.get("Index") is not None:  # a[0]=x
            self.scope.assign_array(name, None, fn)
        elif assign.get("Array") is not None:
            elems = assign["Array"].get("Elems") or ()
            known = not assign.get("Append") and not any(e.get("Index") for e in elems)
            values = tuple(e["Value"] for e in elems if "Value" in e)
            self.scope.assign_array(name, values if known else None, fn)
        elif assign.get("Append"):
            self.scope.assign(name, None, fn)
        else:
            self.scope.assign(name, assign.get("Value") or _EMPTY_WORD, fn)

    def _feeds_shell(self, stmt: Node, fn: str | None) -> bool:
        """Record ``bash <<EOF`` / ``sh <<< "..."``; True when the redirect is code then."""
        cmd = stmt.get("Cmd")
        if not cmd or cmd.get("Type") != "CallExpr" or not cmd.get("Args"):
            return False
        fed = [r for r in stmt["Redirs"] if op(r) in (HEREDOC, DASH_HEREDOC, HERESTRING)]
        if not fed or not _runs_shell_on_stdin(cmd["Args"], self.source):
            return False
        for redirect in fed:
            word = redirect.get("Hdoc") if op(redirect) != HERESTRING else redirect.get("Word")
            if word is not None:
                self.fed.append((_Site(cmd, fn), word, op(redirect)))
        return True


def _runs_shell_on_stdin(args: list[Node], source: bytes) -> bool:
    for i, word in enumerate(args):
        if not is_literal(word):
            return False
        text = display(word, source)
        program = text.rsplit("/", 1)[-1]
        if program in SHELLS:
            rest = [display(a, source) for a in args[i + 1 :] if is_literal(a)]
            return not any(_SHELL_C.fullmatch(t) for t in rest)
        if not (program in WRAPPERS or text.startswith("-") or "=" in text):
            return False
    return False


class ScriptScan:
    """Scans one bash source (a file, or a string run as code inside one)."""

    def __init__(
        self,
        source: bytes,
        file: str,
        line_offset: int = 0,
        depth: int = 0,
        parent: ScriptScan | None = None,
        search_dirs: tuple[Path, ...] = (),
        sourced: frozenset[str] = frozenset(),
    ) -> None:
        self.source = source
        self.file = file
        self.line_offset = line_offset
        self.depth = depth
        self.parent = parent
        self.search_dirs = search_dirs
        self.sourced = sourced | {file}
        self.scope: Scope = Scope(source, parent.scope if parent else None)
        self.calls: list[AzCall] = []
        self.unresolved: list[Unresolved] = []
        self.external: list[ExternalCommand] = []
        parsed = parse_tolerant(source)
        self.error_lines = {line_offset + n - 1 for n in parsed.bad_lines}
        for error in parsed.errors:
            self.unresolved.append(
                Unresolved(
                    file,
                    line_offset + error.line,
                    one_line(_line_text(source, error.line))[:120],
                    f"syntax error at line {line_offset + error.line}: {error.message}; "
                    f"bash cannot run {error.region(line_offset)}, az calls there may be missed",
                )
            )
        walk = _Walk(self.scope, source)
        if parsed.root is not None:
            walk.run(parsed.root)
        self.sites = sorted(walk.sites, key=lambda s: s.call["Pos"]["Offset"])
        self.fed = walk.fed
        self.piped = walk.piped
        self.functions: dict[str, Node] = dict(parent.functions) if parent else {}
        self.functions.update(walk.functions)
        self.runners: set[str] = set(parent.runners) if parent else set()
        self.forwarders: dict[str, _Forwarder] = dict(parent.forwarders) if parent else {}
        self.evaluators: dict[str, int] = dict(parent.evaluators) if parent else {}
        self.forward_sites: dict[int, str] = {}
        self.defaulted: set[int] = set()  # evaluating sites whose variable also has a default
        self.library = False

    # -- entry point -------------------------------------------------------------------
    def run(self) -> ScriptScan:
        """Find every call; results in ``calls``, ``unresolved``, ``external``."""
        self._source_siblings()
        self._find_forwarders()
        for site, word, operator in self.fed:
            self._run_fed(site, word, operator)
        for site in self.piped:
            self._unresolve(site, f"a shell reads its script from a pipe here; {_RUNTIME_HINT}")
        for site in self.sites:
            if id(site.call) in self.forward_sites and id(site.call) not in self.defaulted:
                continue
            self._run(self._toks(site.call), site, 0, ())
        self._report_uncalled()
        return self

    def _toks(self, call: Node) -> list[Tok]:
        return [Tok(word, self.source) for word in call.get("Args") or ()]

    def _alternatives(self, tok: Tok) -> list[list[Tok]] | None:
        """The word lists a token can stand for, statically; None when unknown."""
        if tok.literal:
            return [[tok]]
        array = array_index_all(tok.word)
        if array is not None:
            elements = self.scope.array_elements(array)
            if elements is None:
                return None
            return [[Tok(e, self.source) for e in alt] for alt in elements]
        values = word_values(tok.word, self.scope.values, self.source)
        if values is None:
            return None
        split = is_split(tok.word)
        return [
            [Tok(tok.word, self.source, w, True) for w in (v.split() if split else [v])]
            for v in values
        ]

    def _is_az(self, tok: Tok) -> bool:
        if tok.literal:
            return _program(tok) == "az"
        alts = self._alternatives(tok)
        if not alts:
            return False
        return all(alt and alt[0].literal and _program(alt[0]) == "az" for alt in alts)

    def _first(self, toks: list[Tok], names: frozenset[str] | set[str] = frozenset()) -> int | None:
        """Index of the first token that is `az` (or, literally, one of ``names``)."""
        for i, tok in enumerate(toks):
            if self._is_az(tok) or (tok.literal and _program(tok) in names):
                return i
        return None

    def _runs_strings(self) -> frozenset[str]:
        return SHELLS | self.forwarders.keys() | self.runners | self.evaluators.keys()

    # -- resolving one command -----------------------------------------------------------
    def _run(self, toks: list[Tok], site: _Site, depth: int, via: tuple[str, ...]) -> None:
        if depth > MAX_DEPTH or not toks:
            return
        head, rest = toks[0], toks[1:]
        if not head.literal:
            self._run_indirect(head, rest, site, depth, via)
            return
        program = _program(head)
        if program == "az":
            self._emit(head, rest, site, via)
            return
        self._note_external(head, site)
        if _PYTHON.fullmatch(program) and [t.text for t in rest[:2]] == ["-m", "azure.cli"]:
            self._emit(head, rest[2:], site, via)  # `python -m azure.cli` is az itself
        elif program in ("command", "builtin") and rest and rest[0].text in ("-v", "-V"):
            return  # `command -v az`: looks az up, does not run it
        elif program in WRAPPERS or program in self.runners:
            self._run_wrapped(program, rest, site, depth, via)
        elif program in SHELLS:
            self._run_shell_string(program, rest, site, via)
        elif program == "find":
            self._run_find_exec(rest, site, depth, via)
        elif program == "eval":
            self._run_eval(rest, site, via)
        elif program in SOURCE:
            self._run_source(rest, site)
        elif program == "trap" and rest and not rest[0].text.startswith("-"):
            self._run_string([rest[0]], site, (*via, "trap"), "trap")
        elif head.text.startswith(("./", "../")):
            self._run_script_file(head, site, via)
        elif program in self.forwarders:
            fw = self.forwarders[program]
            merged = [*fw.head, *rest[fw.skip :], *fw.tail]
            self._run(merged, site, depth + 1, (*via, f"function {program}"))
        elif program in self.evaluators:
            self._run_evaluator(program, rest, site, via)
        elif program not in self.functions and program not in NOT_RUNNING:
            self._report_az_argument(head, rest, site)

    def _note_external(self, head: Tok, site: _Site) -> None:
        name = external_name(head.text)
        if name and name not in self.functions and name not in BUILTINS:
            self.external.append(ExternalCommand(name, f"{self.file}:{self._line(site.call)}"))

    def _run_indirect(self, head: Tok, rest: list[Tok], site: _Site, depth: int, via) -> None:
        """The program is an expansion: `$AZ group list`, `"${cmd[@]}"`, `$CMD`."""
        alts = self._alternatives(head)
        raw = self._text(head.word)
        step = (*via, raw)
        if alts is not None:
            for alt in alts[:MAX_ALTERNATIVES]:
                self._run(alt + rest, site, depth + 1, step)
            return
        if positional(head.word) is not None and site.function is not None:
            return  # `"$@"` in a runner function: resolved at its call sites
        if self._evaluated_param(head.word, site) is not None:
            return  # `$1` / `$CMD` from an argument, in an evaluator: resolved at call sites
        if _literal_tail(head.word, self.source).endswith(".sh"):
            self._run_script_file(head, site, step)  # `"$REPO/deploy/step.sh"`: by its tail
            return
        start = self._first(rest)
        if start is not None:  # an unknown prefix such as `$SUDO az ...`
            self._run(rest[start:], site, depth + 1, step)
            return
        templates = self._templates(head.word) if is_split(head.word) else None
        templates = templates and self._without_argument(templates, head.word, site)
        if templates:
            for template in templates:
                self._scan_string(template + _rest_text(rest), site, step)
            return
        if _MENTIONS_AZ.search(raw) or self._dynamic_name(head.word):
            self._unresolve(
                site, f"the program comes from {raw}, known only at run time; {_RUNTIME_HINT}"
            )

    def _templates(self, word: Node) -> list[str] | None:
        """Shell text of a variable whose every assignment is a word (``CMD="az ..."``)."""
        parts: list[Node] = word.get("Parts") or []
        if len(parts) != 1 or parts[0]["Type"] != "ParamExp":
            return None
        found = self.scope.templates(param_name(parts[0]))
        return found if found and all(_MENTIONS_AZ.search(t) or "$" in t for t in found) else None

    def _dynamic_name(self, word: Node) -> bool:
        """A variable (not a command substitution) gives the program: it may be a command."""
        return any(p["Type"] == "ParamExp" for p in _flat_parts(word))

    def _run_wrapped(self, program: str, rest: list[Tok], site: _Site, depth: int, via) -> None:
        """`sudo -E az ...`, `xargs -n1 az ...`, `env X=1 az ...`, `timeout 60 az ...`."""
        start = self._first(rest, self._runs_strings())
        if start is None:
            start = command_start(program, [t.text if t.literal else None for t in rest])
        if start is not None and start < len(rest):
            self._run(rest[start:], site, depth + 1, (*via, program))
        elif any(not t.literal and _MENTIONS_AZ.search(self._text(t.word)) for t in rest):
            self._unresolve(site, f"{program} runs a program only known at run time")

    def _run_shell_string(self, program: str, rest: list[Tok], site: _Site, via) -> None:
        """`bash -c 'az group list'`: the string is a script of its own."""
        for i, tok in enumerate(rest):
            if tok.literal and _SHELL_C.fullmatch(tok.text):
                if i + 1 < len(rest):
                    self._run_string([rest[i + 1]], site, (*via, f"{program} -c"), f"{program} -c")
                return
            if not tok.literal or not tok.text.startswith("-"):
                self._run_script_file(tok, site, (*via, program))  # `bash deploy.sh`
                return

    def _run_script_file(self, tok: Tok, site: _Site, via: tuple[str, ...]) -> None:
        """`bash other.sh` / `./other.sh`: analysed when found here, a spot when not."""
        found = self._find_sourced(tok.word)
        if isinstance(found, Path):
            inner = ScriptScan(
                found.read_bytes(), str(found), 0, self.depth + 1, None,
                self.search_dirs, self.sourced,
            )  # fmt: skip
            self._merge(inner, via)
        elif found != "already analysed":
            what = found.replace("sources", "runs", 1)
            self._unresolve(site, f"{what}; its az calls are not analysed; {_RUNTIME_HINT}")

    def _run_eval(self, rest: list[Tok], site: _Site, via) -> None:
        """`eval "az vm list"` / `eval "$CMD"`: the joined arguments are a script."""
        if rest:
            self._run_string(rest, site, (*via, "eval"), "eval")

    def _run_string(
        self, words: list[Tok], site: _Site, via: tuple[str, ...], what: str, line=None
    ) -> None:
        """Scan the text ``words`` evaluate to; a spot when it is known only at run time."""
        if self._evaluated_param(words[0].word, site) is not None and len(words) == 1:
            return  # `eval "$1"` in an evaluator function: resolved at its call sites
        texts = self._string_texts(words)
        if texts is not None and len(words) == 1:
            texts = self._without_argument(texts, words[0].word, site)
        shown = " ".join(self._text(t.word) for t in words)
        if texts and all(_INDIRECT_ASSIGNMENT.fullmatch(t) for t in texts):
            return
        if texts is None or any(_opaque(t) for t in texts):
            if self._may_hide_az(words):
                self._unresolve(
                    site,
                    f"{what} runs a string built at run time ({shown}); {_RUNTIME_HINT}",
                )
            return
        if line is None:
            line = self._line(words[0].word) - 1
        for text in texts:
            self._scan_string(text, site, via, line)

    def _string_texts(self, words: list[Tok]) -> list[str] | None:
        out: list[str] | None = None
        for tok in words:
            pieces = (
                [tok.text]
                if tok._text is not None
                else word_template(tok.word, self.scope.values, self.source, self.scope.templates)
            )
            joined = [f"{a} {b}" for a in out for b in pieces] if out is not None else pieces
            out = joined[:MAX_ALTERNATIVES]
        return out

    def _may_hide_az(self, words: list[Tok]) -> bool:
        """Unknown strings from variables may be az calls; `$(ssh-agent)` output is not."""
        return any(
            _MENTIONS_AZ.search(self._text(t.word)) or self._dynamic_name(t.word) for t in words
        )

    def _scan_string(
        self, text: str, site: _Site, via: tuple[str, ...], line: int | None = None
    ) -> None:
        line = self._line(site.call) - 1 if line is None else line
        self._merge(self._nested(text.encode(), line), via)

    def _nested(self, source: bytes, line: int, fresh: bool = False) -> ScriptScan:
        """A scan of code inside this script (``fresh``: a new shell, no shared functions)."""
        return ScriptScan(
            source,
            self.file,
            line,
            self.depth + 1,
            None if fresh else self,
            self.search_dirs,
            self.sourced,
        )

    def _run_fed(self, site: _Site, word: Node, operator: str) -> None:
        """`bash <<EOF ... EOF` / `bash <<< "az ..."`: the text is a script for that shell."""
        program = _program(Tok(site.call["Args"][0], self.source))
        label = f"{program} <<<" if operator == HERESTRING else f"{program} <<heredoc"
        if operator != HERESTRING and is_literal(word):
            # the body's own text (the word's span also covers the closing delimiter)
            body = "".join(part.get("Value", "") for part in word.get("Parts", ())).encode()
            first = self.line_offset + line_of(word) - 1
            inner = self._nested(body, first, fresh=True)
            self._merge(inner, (label,))
            return
        first = self.line_offset + line_of(word) - 1
        self._run_string([Tok(word, self.source)], site, (label,), label, first)

    def _run_find_exec(self, rest: list[Tok], site: _Site, depth: int, via) -> None:
        """`find . -exec az ... {} \\;`: each -exec segment is a command."""
        segment: list[Tok] | None = None
        for tok in rest:
            if segment is None:
                if tok.literal and tok.text in FIND_EXEC:
                    segment = []
            elif tok.literal and tok.text in (";", "+"):
                self._run(segment, site, depth + 1, (*via, "find -exec"))
                segment = None
            else:
                segment.append(tok)

    def _report_az_argument(self, head: Tok, rest: list[Tok], site: _Site) -> None:
        for i, tok in enumerate(rest[:-1]):
            following = rest[i + 1]
            if (
                tok.literal
                and tok.text == "az"
                and following.literal
                and not following.text.startswith("-")
            ):
                self._unresolve(site, f"`az` is an argument of `{head.text}`, which may run it")
                return

    # -- source / . ------------------------------------------------------------------------
    def _source_siblings(self) -> None:
        """Read the functions of sourced scripts first, so calls to them resolve here."""
        self._sourced_scans: dict[int, ScriptScan | str] = {}
        for site in self.sites:
            args = site.call["Args"]
            if not (is_literal(args[0]) and display(args[0], self.source) in SOURCE):
                continue
            if len(args) < 2:
                continue
            found = self._find_sourced(args[1])
            if isinstance(found, Path):
                inner = ScriptScan(
                    found.read_bytes(), str(found), 0, self.depth + 1, None,
                    self.search_dirs, self.sourced,
                )  # fmt: skip
                inner.library = True  # its functions are for the script sourcing it
                inner._source_siblings()
                inner._find_forwarders()
                self.functions.update(inner.functions)
                self.forwarders.update(inner.forwarders)
                self.runners |= inner.runners
                self.evaluators.update(inner.evaluators)
                self._sourced_scans[id(site.call)] = inner
            else:
                self._sourced_scans[id(site.call)] = found

    def _find_sourced(self, word: Node) -> Path | str:
        """The sourced file, or why it is not analysed. A relative path is looked for next to
        the script, next to the recipe, then in the folders above the script (a script run
        from its project's root sources ``./scripts/common.sh``)."""
        raw = self._text(word)
        values = word_values(word, self.scope.values, self.source)
        names = values if values else [_literal_tail(word, self.source)]
        here = Path(self.file).parent
        bases = [here, *self.search_dirs, *here.parents[:_SOURCE_LEVELS_UP]] if (
            self.file != "<string>"
        ) else [*self.search_dirs]  # fmt: skip
        for name in names:
            if not name:
                continue
            candidates = [Path(name)] if Path(name).is_absolute() else [b / name for b in bases]
            for candidate in candidates:
                if memo.is_file(candidate) and str(candidate) not in self.sourced:
                    return candidate
                if str(candidate) in self.sourced:
                    return "already analysed"
        return (
            f"sources {raw}, not found next to the script, in the folders above it "
            "or next to the recipe"
        )

    def _run_source(self, rest: list[Tok], site: _Site) -> None:
        found = getattr(self, "_sourced_scans", {}).get(id(site.call))
        if isinstance(found, ScriptScan):
            self._merge(found, ())
        elif found and found != "already analysed":
            self._unresolve(site, f"{found}; its az calls are not analysed; {_RUNTIME_HINT}")

    # -- recording -----------------------------------------------------------------------
    def _emit(self, az: Tok, rest: list[Tok], site: _Site, via: tuple[str, ...]) -> None:
        start = 0
        while start < len(rest) and rest[start].literal and rest[start].text in GLOBAL_FLAGS:
            start += 1
        heads: list[list[Tok]] = [[]]
        end, cut = start, None
        while end < len(rest):
            tok = rest[end]
            if tok.literal:
                if tok.text.startswith("-"):
                    break
                heads = [[*h, tok] for h in heads]
            else:
                alts = self._alternatives(tok)
                if alts is None:
                    cut = tok.text
                    break
                heads = [h + a for h in heads for a in alts][:MAX_ALTERNATIVES]
            end += 1
        line, call_text = self._locate(az.word, rest[-1].word if rest else az.word, site)
        for head in heads:
            words, stopped = [], cut
            for tok in head:
                if not tok.literal or tok.text.startswith("-") or not tok.text:
                    stopped = None if tok.literal else tok.text
                    break
                words.append(tok.text)
            if not words and stopped is not None:
                self._unresolve(
                    site, f"the command path comes from {stopped}, not known statically"
                )
                continue
            args = [t.text for t in (*rest[:start], *head, *rest[end:])]
            self.calls.append(
                AzCall(self.file, line, tuple(words), tuple(args), call_text, stopped, via)
            )

    def _text(self, node: Node) -> str:
        start, end = span(node)
        return self.source[start:end].decode("utf-8", "replace")

    def _line(self, node: Node) -> int:
        return self.line_offset + line_of(node)

    def _locate(self, first: Node, last: Node, site: _Site) -> tuple[int, str]:
        """Line and one-line text of a call from word ``first`` to ``last`` in ``site``."""
        lo, hi = span(site.call)
        a, _ = span(first)
        b, c = span(last)
        if lo <= a <= b < hi or (lo <= a < hi and a == b):
            return self._line(first), one_line(self.source[a:c].decode("utf-8", "replace"))
        return self._line(site.call), one_line(self._text(site.call))

    def _unresolve(self, site: _Site, reason: str) -> None:
        self.unresolved.append(
            Unresolved(self.file, self._line(site.call), one_line(self._text(site.call)), reason)
        )

    def _merge(self, inner: ScriptScan, via: tuple[str, ...]) -> None:
        """Scan a nested script (string run as code, heredoc fed to a shell, sourced file)."""
        if inner.depth > MAX_DEPTH:
            return
        inner.run()
        self.calls.extend(replace(c, via=(*via, *c.via)) for c in inner.calls)
        where = f" (inside {via[-1]})" if via else ""
        self.unresolved.extend(replace(u, reason=u.reason + where) for u in inner.unresolved)
        self.external.extend(inner.external)
        if inner.file == self.file:
            self.error_lines |= inner.error_lines

    # -- functions that run their arguments ------------------------------------------------
    def _find_forwarders(self) -> None:
        """Functions running `az ... "$@"` (forwarders), `"$@"` (runners), or evaluating an
        argument (`eval "$1"`, `local c=$1; $c`: evaluators), to their fixpoint."""
        changed = True
        while changed:
            changed = False
            for site in self.sites:
                if site.function is None or id(site.call) in self.forward_sites:
                    continue
                if self._classify(site):
                    changed = True

    def _classify(self, site: _Site) -> bool:
        name = site.function
        assert name is not None
        toks = self._toks(site.call)
        evaluated = self._evaluated_argument(toks, site, defaults=True)
        if evaluated is not None:
            self.evaluators.setdefault(name, evaluated)
            self.forward_sites[id(site.call)] = name
            if self._evaluated_argument(toks, site) is None:  # `CMD=$3` or a default
                self.defaulted.add(id(site.call))
            return True
        for k, tok in enumerate(toks):
            skip = None if tok.literal else positional(tok.word)
            if skip is None:
                continue
            if k == 0:
                self.runners.add(name)
            elif self._first(toks[:k], self.forwarders.keys() | self.runners) is not None:
                shifts = self._shift_count(name, site)
                self.forwarders[name] = _Forwarder(
                    tuple(toks[:k]), tuple(toks[k + 1 :]), skip + shifts
                )
            else:
                return False
            self.forward_sites[id(site.call)] = name
            return True
        return False

    def _evaluated_argument(
        self, toks: list[Tok], site: _Site, defaults: bool = False
    ) -> int | None:
        """N when this command (in a function) runs the function's argument N as code
        (``defaults``: or a variable set from it or to a default, see ``_evaluated_param``)."""
        if not toks:
            return None
        head = toks[0]
        if not head.literal:
            return self._evaluated_param(head.word, site, defaults) if is_split(head.word) else None
        program = _program(head)
        if program == "eval" and len(toks) == 2:
            return self._evaluated_param(toks[1].word, site, defaults)
        if program in SHELLS:
            for i, tok in enumerate(toks[1:-1], 1):
                if tok.literal and _SHELL_C.fullmatch(tok.text):
                    return self._evaluated_param(toks[i + 1].word, site, defaults)
        if program in self.evaluators:
            n = self.evaluators[program]
            if n < len(toks):
                return self._evaluated_param(toks[n].word, site, defaults)
        return None

    def _evaluated_param(self, word: Node, site: _Site, defaults: bool = False) -> int | None:
        """N when ``word`` is ``$N`` (or a variable set only from ``$N``) in a function;
        ``defaults``: also a variable set from ``$N`` in some places and to words in others."""
        if site.function is None:
            return None
        direct = numbered_param(word)
        if direct is not None:
            return direct
        parts = _flat_parts(word)
        if len(parts) == 1 and parts[0]["Type"] == "ParamExp":
            return self.scope.parameter_of(param_name(parts[0]), site.function, defaults)
        return None

    def _without_argument(self, texts: list[str], word: Node, site: _Site) -> list[str]:
        """``texts`` of a variable set from ``$N`` or to defaults, less the bare ``$N``: what
        the function's callers pass as argument N is scanned at each call site."""
        n = self._evaluated_param(word, site, defaults=True)
        bare = re.compile(rf"\$(?:{n}|\{{{n}\}})")
        return [t for t in texts if n is None or not bare.fullmatch(t)]

    def _run_evaluator(self, program: str, rest: list[Tok], site: _Site, via) -> None:
        """A call of a function that evaluates its argument N: scan that argument here."""
        n = self.evaluators[program]
        if n > len(rest):
            return
        self._run_string([rest[n - 1]], site, (*via, f"function {program}"), f"{program}")

    def _shift_count(self, function: str, before: _Site) -> int:
        """How many arguments `shift` drops in ``function`` before command ``before``."""
        limit = before.call["Pos"]["Offset"]
        return sum(count for at, count in self._shifts.get(function, ()) if at < limit)

    @functools.cached_property
    def _shifts(self) -> dict[str, list[tuple[int, int]]]:
        """Per function, where each `shift` in it is and how many arguments it drops."""
        found: dict[str, list[tuple[int, int]]] = {}
        for site in self.sites:
            args = site.call["Args"]
            if site.function is None or not is_literal(args[0]):
                continue
            if display(args[0], self.source) == "shift":
                n = display(args[1], self.source) if len(args) > 1 else ""
                at = site.call["Pos"]["Offset"]
                found.setdefault(site.function, []).append((at, int(n) if n.isdigit() else 1))
        return found

    def _report_uncalled(self) -> None:
        names = {n for n in self.forward_sites.values() if n in self.forwarders or
                 n in self.evaluators}  # fmt: skip
        if not names or self.library:
            return
        pattern = "|".join(re.escape(name) for name in names).encode()
        mentions = Counter(re.findall(rb"(?<![\w./-])(" + pattern + rb")(?![\w./-])", self.source))
        reported: set[str] = set()
        for site in self.sites:
            name = self.forward_sites.get(id(site.call))
            if name in names and name not in reported and mentions[name.encode()] < 2:
                reported.add(name)
                what = "runs az with" if name in self.forwarders else "runs as code"
                self._unresolve(
                    site, f"function {name} {what} its arguments; nothing here calls it"
                )


def _flat_parts(word: Node) -> list[Node]:
    parts: list[Node] = []
    for part in word.get("Parts") or ():
        parts.extend(part.get("Parts") or () if part["Type"] == "DblQuoted" else [part])
    return parts


def _opaque(text: str) -> bool:
    """A string whose first word is an expansion: nothing says what it runs."""
    return text.lstrip().startswith(("$", "`", '"$'))


def _rest_text(rest: list[Tok]) -> str:
    return "".join(f" {t.text}" for t in rest)


def _literal_tail(word: Node, source: bytes) -> str:
    """``lib.sh`` of ``"$(dirname "$0")/lib.sh"``: the literal text after the last expansion."""
    tail = ""
    for part in reversed(_flat_parts(word)):
        if part["Type"] not in ("Lit", "SglQuoted"):
            break
        tail = display({"Parts": [part]}, source) + tail
    return tail.lstrip("/")


def _line_text(source: bytes, line: int) -> str:
    lines = source.split(b"\n")
    return lines[line - 1].decode("utf-8", "replace") if 0 < line <= len(lines) else ""
