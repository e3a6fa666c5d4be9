"""From a bash syntax tree to `az` calls: wrappers, indirection, functions, nested shells."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, replace

from tree_sitter import Node

from workbench.core.scan.model import AzCall, Unresolved
from workbench.core.scan.scope import Scope
from workbench.core.scan.syntax import (
    MAX_ALTERNATIVES,
    all_args_expansion,
    array_index_all,
    captures,
    display,
    is_literal,
    is_split,
    one_line,
    parse,
    static_values,
    text,
)

SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "ash"})
# Programs that run the command given in their arguments, after options of their own.
WRAPPERS = frozenset(
    {
        "sudo", "doas", "exec", "time", "env", "nohup", "xargs", "timeout", "nice", "ionice",
        "stdbuf", "setsid", "taskset", "chrt", "unbuffer", "chronic", "flock", "gosu",
        "su-exec", "runuser", "retry", "watch", "caffeinate", "strace", "ltrace", "command",
    }
)  # fmt: skip
# Programs that take `az` as an argument without running it here (or run it elsewhere).
NOT_RUNNING = frozenset(
    {
        "echo", "printf", "which", "type", "hash", "whereis", "alias", "unalias", "complete",
        "grep", "egrep", "fgrep", "rg", "sed", "awk", "cut", "tr", "cat", "tee", "jq", "yq",
        "apt-get", "apt", "apk", "yum", "dnf", "tdnf", "zypper", "brew", "pip", "pip3", "pipx",
        "npm", "man", "help", "test", "[", "export", "local", "declare", "readonly", "set",
        "unset", "true", "false", ":", "docker", "podman", "nerdctl", "kubectl", "ssh", "scp",
        "curl", "wget", "git", "dpkg", "rpm", "logger",
    }
)  # fmt: skip
GLOBAL_FLAGS = frozenset({"--debug", "--verbose", "--only-show-errors"})
FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
MAX_DEPTH = 8
_MENTIONS_AZ = re.compile(r"(?<![A-Za-z0-9.-])az(?![A-Za-z0-9.-])", re.I)
_PYTHON = re.compile(r"python(?:\d+(?:\.\d+)?)?")
_SHELL_C = re.compile(r"-[a-zA-Z]*c[a-zA-Z]*")


class Tok:
    """One shell word of a command: its node, its text (placeholders for expansions).

    ``text`` and ``literal`` are worked out on first use: most words are never looked at.
    """

    __slots__ = ("_literal", "_text", "node")

    def __init__(self, node: Node, text: str | None = None, literal: bool | None = None) -> None:
        self.node = node
        self._text = text
        self._literal = literal

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = display(self.node)
        return self._text

    @property
    def literal(self) -> bool:
        if self._literal is None:
            self._literal = is_literal(self.node)
        return self._literal


@dataclass(frozen=True)
class _Forwarder:
    """A function that runs ``<head> "$@" <tail>`` where head leads to `az`."""

    head: tuple[Tok, ...]
    tail: tuple[Tok, ...]
    skip: int  # caller arguments dropped by `shift` / "${@:N}"


def _program(tok: Tok) -> str:
    return tok.text.rsplit("/", 1)[-1]


# What may stand directly in an ERROR node without being the error itself.
_WHOLE = frozenset(
    {
        "command", "pipeline", "list", "redirected_statement", "variable_assignment",
        "variable_assignments", "declaration_command", "unset_command", "if_statement",
        "for_statement", "c_style_for_statement", "while_statement", "case_statement",
        "function_definition", "compound_statement", "subshell", "test_command",
        "negated_command", "comment", "do_group", "elif_clause", "else_clause", "case_item",
        "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "in", "case",
        "esac", "select", "function", ";", ";;", "&", "&&", "||", "|", "{", "}", "\n",
    }
)  # fmt: skip


def _is_stray(node: Node) -> bool:
    return node.type not in _WHOLE and node.type != "string_content"


def _within(node: Node, outer: Node) -> bool:
    return outer.start_byte <= node.start_byte < outer.end_byte


class ScriptScan:
    """Scans one bash source (a file, or a `bash -c` string / heredoc inside one)."""

    def __init__(self, source: bytes, file: str, line_offset: int = 0, depth: int = 0) -> None:
        self.source = source
        self.file = file
        self.line_offset = line_offset
        self.depth = depth
        self.root = parse(source)
        self.found = captures(self.root)
        self.scope = Scope(self.found)
        self.calls: list[AzCall] = []
        self.unresolved: list[Unresolved] = []
        self.error_lines: set[int] = set()
        self.functions = {
            text(name): fn
            for fn in self.found.get("function", ())
            if (name := fn.child_by_field_name("name")) is not None
        }
        self.runners: set[str] = set()
        self.forwarders: dict[str, _Forwarder] = {}
        self.forward_sites: dict[tuple[int, int], str] = {}
        self.skipped: list[tuple[int, int]] = []
        self._function_of: dict[tuple[int, int], Node] | None = None

    # -- entry point -------------------------------------------------------------------
    def run(self) -> ScriptScan:
        """Find every call; results in ``calls``, ``unresolved``, ``error_lines``."""
        self._find_forwarders()
        self._scan_heredocs_fed_to_shells()
        for command in self.found.get("command", ()):
            key = (command.start_byte, command.end_byte)
            if key in self.forward_sites or self._is_skipped(command):
                continue
            if self._cannot_run_az(command):
                continue
            for segment in self._segments(command):
                self._run(segment, command, 0, ())
        self._report_uncalled_forwarders()
        self._report_syntax_errors()
        return self

    def _enclosing_function(self, node: Node) -> Node | None:
        """The innermost function definition around command ``node``, if any."""
        if self._function_of is None:
            self._function_of = {}
            commands = self.found.get("command", [])
            starts = [c.start_byte for c in commands]
            for fn in self.found.get("function", ()):  # outer before inner: inner wins
                first = bisect.bisect_left(starts, fn.start_byte)
                last = bisect.bisect_left(starts, fn.end_byte)
                for command in commands[first:last]:
                    self._function_of[command.start_byte, command.end_byte] = fn
        return self._function_of.get((node.start_byte, node.end_byte))

    def _cannot_run_az(self, command: Node) -> bool:
        """Cheap pre-check: no `az`, no expansion and no function of ours in the command."""
        raw = self.source[command.start_byte : command.end_byte]
        if b"az" in raw or b"$" in raw or b"`" in raw:
            return False
        name = command.child_by_field_name("name")
        program = text(name).rsplit("/", 1)[-1] if name is not None else ""
        return program not in self.forwarders and program not in self.runners

    # -- words ---------------------------------------------------------------------------
    def _toks(self, command: Node) -> list[Tok]:
        name = command.child_by_field_name("name")
        if name is None:
            return []
        head = name.named_children[0] if name.named_children else name
        return [Tok(head)] + [Tok(a) for a in command.children_by_field_name("argument")]

    def _segments(self, command: Node) -> list[list[Tok]]:
        """The command's words, split where tree-sitter-bash ran on past an unescaped newline.

        tree-sitter-bash 0.25 sometimes swallows the next line into the arguments of the last
        command of a pipeline (``a | b | head -n 3`` NEWLINE ``az x && y``); bash does not.
        """
        toks = self._toks(command)
        if command.start_point.row == command.end_point.row:
            return [toks]
        segments: list[list[Tok]] = [[]]
        previous: Node | None = None
        for tok in toks:
            gap = self.source[previous.end_byte : tok.node.start_byte] if previous else b""
            raw = tok.node.text
            if re.search(rb"(?<!\\)\n", gap) or raw.startswith(b"\n"):
                segments.append([])
                if raw.startswith(b"\n"):
                    tok = Tok(tok.node, tok.text.lstrip(), tok.literal)
            segments[-1].append(tok)
            previous = tok.node
        return [s for s in segments if s]

    def _alternatives(self, tok: Tok) -> list[list[Tok]] | None:
        """The word lists a token can stand for, statically; None when unknown."""
        if tok.literal:
            return [[tok]]
        array = array_index_all(tok.node)
        if array is not None:
            elements = self.scope.array_elements(array)
            if elements is None:
                return None
            return [[Tok(e) for e in alt] for alt in elements]
        values = static_values(tok.node, self.scope.values)
        if values is None:
            return None
        split = is_split(tok.node)
        return [[Tok(tok.node, w, True) for w in (v.split() if split else [v])] for v in values]

    def _is_az(self, tok: Tok) -> bool:
        if tok.literal:
            return _program(tok) == "az"
        alts = self._alternatives(tok)
        return bool(alts) and all(
            alt and alt[0].literal and _program(alt[0]) == "az" for alt in alts
        )

    def _first(self, toks: list[Tok], names: frozenset[str] | set[str] = frozenset()) -> int | None:
        """Index of the first token that is `az` (or, literally, one of ``names``)."""
        for i, tok in enumerate(toks):
            if self._is_az(tok) or (tok.literal and _program(tok) in names):
                return i
        return None

    # -- resolving one command -----------------------------------------------------------
    def _run(self, toks: list[Tok], site: Node, depth: int, via: tuple[str, ...]) -> None:
        if depth > MAX_DEPTH or not toks:
            return
        head, rest = toks[0], toks[1:]
        if not head.literal:
            self._run_indirect(head, rest, site, depth, via)
            return
        program = _program(head)
        if program == "az":
            self._emit(head, rest, site, via)
        elif _PYTHON.fullmatch(program) and [t.text for t in rest[:2]] == ["-m", "azure.cli"]:
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
            if any(_MENTIONS_AZ.search(text(t.node)) for t in rest):
                self._unresolve(site, site, "eval builds the command at run time")
        elif program in self.forwarders:
            fw = self.forwarders[program]
            merged = [*fw.head, *rest[fw.skip :], *fw.tail]
            self._run(merged, site, depth + 1, (*via, f"function {program}"))
        elif program not in self.functions and program not in NOT_RUNNING:
            self._report_az_argument(head, rest, site)

    def _run_indirect(self, head: Tok, rest: list[Tok], site: Node, depth: int, via) -> None:
        """The program is an expansion: `$AZ group list`, `"${cmd[@]}"`, `$SUDO az ...`."""
        alts = self._alternatives(head)
        step = (*via, text(head.node))
        if alts is not None:
            for alt in alts[:MAX_ALTERNATIVES]:
                self._run(alt + rest, site, depth + 1, step)
            return
        if all_args_expansion(head.node) is not None and self._enclosing_function(site) is not None:
            return  # `"$@"` in a runner function: resolved at its call sites
        start = self._first(rest)
        if start is not None:  # an unknown prefix such as `$SUDO az ...`
            self._run(rest[start:], site, depth + 1, step)
        elif _MENTIONS_AZ.search(text(head.node)):
            self._unresolve(
                head.node, site, f"the program comes from {text(head.node)}, not a known literal"
            )

    def _run_wrapped(self, program: str, rest: list[Tok], site: Node, depth: int, via) -> None:
        """`sudo -E az ...`, `xargs -n1 az ...`, `env X=1 az ...`, `retry 3 az ...`."""
        start = self._first(rest, SHELLS | self.forwarders.keys() | self.runners)
        if start is not None:
            self._run(rest[start:], site, depth + 1, (*via, program))
        elif any(not t.literal and _MENTIONS_AZ.search(text(t.node)) for t in rest):
            self._unresolve(site, site, f"{program} runs a program only known at run time")

    def _run_shell_string(self, program: str, rest: list[Tok], site: Node, via) -> None:
        """`bash -c 'az group list'`: the string is a script of its own."""
        for i, tok in enumerate(rest[:-1]):
            if tok.literal and _SHELL_C.fullmatch(tok.text):
                script = rest[i + 1].node
                break
        else:
            return
        inner = self._shell_string_source(script)
        if inner is None:
            if _MENTIONS_AZ.search(text(script)):
                self._unresolve(script, site, f"{program} -c runs a string built at run time")
            return
        row = self.line_offset + script.start_point.row
        self._merge(ScriptScan(inner.encode(), self.file, row, self.depth + 1), (*via, program))

    def _shell_string_source(self, node: Node) -> str | None:
        """Text of a `-c` script; None when it is built at run time."""
        values = static_values(node, self.scope.values)
        if values is not None and len(values) == 1:
            return values[0]
        if node.type != "string":
            return None
        if any(c.type in ("command_substitution", "process_substitution") for c in node.children):
            return None  # run by the outer shell first; its calls are found there
        inner = text(node)[1:-1]
        return None if inner.lstrip().startswith("$") else inner  # program known at run time

    def _run_find_exec(self, rest: list[Tok], site: Node, depth: int, via) -> None:
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

    def _report_az_argument(self, head: Tok, rest: list[Tok], site: Node) -> None:
        for i, tok in enumerate(rest[:-1]):
            following = rest[i + 1]
            if (
                tok.literal
                and tok.text == "az"
                and following.literal
                and not following.text.startswith("-")
            ):
                self._unresolve(
                    tok.node, site, f"`az` is an argument of `{head.text}`, which may run it"
                )
                return

    # -- recording -----------------------------------------------------------------------
    def _emit(self, az: Tok, rest: list[Tok], site: Node, via: tuple[str, ...]) -> None:
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
        line, call_text = self._locate(az.node, rest[-1].node if rest else az.node, site)
        for head in heads:
            words, stopped = [], cut
            for tok in head:
                if not tok.literal or tok.text.startswith("-") or not tok.text:
                    stopped = None if tok.literal else tok.text
                    break
                words.append(tok.text)
            if not words and stopped is not None:
                self._unresolve(
                    az.node, site, f"the command path comes from {stopped}, not known statically"
                )
                continue
            args = [t.text for t in (*rest[:start], *head, *rest[end:])]
            self.calls.append(
                AzCall(self.file, line, tuple(words), tuple(args), call_text, stopped, via)
            )

    def _locate(self, first: Node, last: Node, site: Node) -> tuple[int, str]:
        """Line and one-line text of a call from word ``first`` to ``last`` in command ``site``."""
        if _within(first, site) and _within(last, site) and first.start_byte <= last.start_byte:
            raw = self.source[first.start_byte : last.end_byte].decode("utf-8", "replace")
            return self.line_offset + first.start_point.row + 1, one_line(raw)
        return self.line_offset + site.start_point.row + 1, one_line(text(site))

    def _unresolve(self, node: Node, site: Node, reason: str) -> None:
        line = self.line_offset + node.start_point.row + 1
        self.unresolved.append(Unresolved(self.file, line, one_line(text(site)), reason))

    def _merge(self, inner: ScriptScan, via: tuple[str, ...]) -> None:
        """Scan a nested script (`bash -c` string, heredoc fed to a shell) into this one."""
        if inner.depth > MAX_DEPTH:
            return
        inner.run()
        self.calls.extend(replace(c, via=(*via, *c.via)) for c in inner.calls)
        self.unresolved.extend(inner.unresolved)
        self.error_lines |= inner.error_lines

    # -- functions that run their arguments ------------------------------------------------
    def _find_forwarders(self) -> None:
        """Functions running `az ... "$@"` (forwarders) or `"$@"` (runners), to their fixpoint."""
        changed = True
        while changed:
            changed = False
            for command in self.found.get("command", ()):
                fn = self._enclosing_function(command)
                key = (command.start_byte, command.end_byte)
                if fn is None or key in self.forward_sites:
                    continue
                if self._classify_forwarding(command, fn, key):
                    changed = True

    def _classify_forwarding(self, command: Node, fn: Node, key: tuple[int, int]) -> bool:
        name = text(fn.child_by_field_name("name"))  # type: ignore[arg-type]
        toks = self._toks(command)
        for k, tok in enumerate(toks):
            skip = None if tok.literal else all_args_expansion(tok.node)
            if skip is None:
                continue
            if k == 0:
                self.runners.add(name)
            elif self._first(toks[:k], self.forwarders.keys() | self.runners) is not None:
                shifts = self._shift_count(fn, command)
                self.forwarders[name] = _Forwarder(
                    tuple(toks[:k]), tuple(toks[k + 1 :]), skip + shifts
                )
            else:
                return False
            self.forward_sites[key] = name
            return True
        return False

    def _shift_count(self, fn: Node, before: Node) -> int:
        """How many arguments `shift` drops in function ``fn`` before command ``before``."""
        count = 0
        for command in self.found.get("command", ()):
            if command.start_byte >= before.start_byte:
                break
            if command.start_byte < fn.start_byte or not text(command).startswith("shift"):
                continue
            toks = self._toks(command)
            if toks[0].text == "shift":
                count += int(toks[1].text) if len(toks) > 1 and toks[1].text.isdigit() else 1
        return count

    def _report_uncalled_forwarders(self) -> None:
        if not self.forwarders:
            return
        names = "|".join(re.escape(name) for name in self.forwarders).encode()
        mentions = Counter(re.findall(rb"(?<![\w./-])(" + names + rb")(?![\w./-])", self.source))
        for (start, _end), name in self.forward_sites.items():
            if name in self.forwarders and mentions[name.encode()] < 2:
                site = next(c for c in self.found["command"] if c.start_byte == start)
                self._unresolve(
                    site, site, f"function {name} runs az with its arguments; nothing here calls it"
                )

    # -- heredocs --------------------------------------------------------------------------
    def _scan_heredocs_fed_to_shells(self) -> None:
        """`bash <<EOF ... EOF`: the heredoc is a script; scan it as one."""
        for heredoc in self.found.get("heredoc", ()):
            statement = heredoc.parent
            body = statement.child_by_field_name("body") if statement is not None else None
            if body is None or body.type != "command" or not self._feeds_shell(body):
                continue
            content = next((c for c in heredoc.children if c.type == "heredoc_body"), None)
            if content is None:
                continue
            self.skipped.append((content.start_byte, content.end_byte))
            row = self.line_offset + content.start_point.row
            inner = ScriptScan(content.text, self.file, row, self.depth + 1)
            self._merge(inner, (f"{text(body).split()[0]} <<heredoc",))

    def _feeds_shell(self, command: Node) -> bool:
        toks = self._toks(command)
        for i, tok in enumerate(toks):
            if not tok.literal:
                return False
            if _program(tok) in SHELLS:
                return not any(_SHELL_C.fullmatch(t.text) for t in toks[i + 1 :] if t.literal)
            if not (_program(tok) in WRAPPERS or tok.text.startswith("-") or "=" in tok.text):
                return False
        return False

    def _is_skipped(self, node: Node) -> bool:
        return any(start <= node.start_byte < end for start, end in self.skipped)

    # -- syntax errors -----------------------------------------------------------------------
    def _report_syntax_errors(self) -> None:
        if not self.root.has_error:
            return
        outer: list[Node] = []
        for node in self.found.get("error", ()):
            if not any(_within(node, o) for o in outer):
                outer.append(node)
        for node in outer:
            stray = sorted({c.start_point.row for c in node.children if _is_stray(c)})
            self.error_lines.update(self.line_offset + row for row in stray)
            first = stray[0] if stray else node.start_point.row
            first_text = self.source.split(b"\n")[first].decode("utf-8", "replace")
            last = node.end_point.row - (node.end_point.column == 0)
            span = f"lines {node.start_point.row + 1}-{max(last, first) + 1}"
            self.unresolved.append(
                Unresolved(
                    self.file,
                    self.line_offset + first + 1,
                    one_line(first_text)[:120],
                    f"syntax error near here: bash cannot parse it; az calls in {span} "
                    "may be missed",
                )
            )
        for node in self.found.get("missing", ()):
            opener = node.parent or node
            row = opener.start_point.row
            self.error_lines.add(self.line_offset + row)
            self.unresolved.append(
                Unresolved(
                    self.file,
                    self.line_offset + row + 1,
                    one_line(text(opener).split("\n", 1)[0])[:120],
                    f"syntax error: missing `{node.type}` for the construct starting here; "
                    "az calls after it may be missed",
                )
            )
