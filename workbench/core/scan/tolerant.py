"""Parse bash that bash may reject, keeping what is outside the broken part.

shfmt stops at the first error. The text is parsed again with the failing line blanked (the
rest of the file, for an unclosed quote or here-document: bash reads it all into that), until
it parses; byte offsets and line numbers stay those of the original text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.scan.syntax import Node, ShellSyntaxError, parse

MAX_RETRIES = 48


@dataclass(frozen=True)
class SyntaxProblem:
    """One error shfmt reported, and the lines blanked because of it."""

    line: int
    message: str
    first: int
    last: int

    def region(self, offset: int = 0) -> str:
        """``line 7`` / ``lines 7-40`` (shifted by ``offset``)."""
        if self.first == self.last:
            return f"line {self.first + offset}"
        return f"lines {self.first + offset}-{self.last + offset}"


@dataclass
class Parsed:
    """The tree of what parses (None if nothing does) and the errors met on the way."""

    root: Node | None
    errors: list[SyntaxProblem] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)


def _blank(lines: list[bytes], bad: set[int]) -> bytes:
    return b"\n".join(b" " * len(text) if n in bad else text for n, text in enumerate(lines, 1))


def parse_tolerant(source: bytes) -> Parsed:
    """Parse ``source``; on syntax errors, blank the failing lines and try again."""
    try:
        return Parsed(parse(source))
    except ShellSyntaxError as first_error:
        error: ShellSyntaxError | None = first_error
    lines = source.split(b"\n")
    parsed = Parsed(None)
    for _ in range(MAX_RETRIES):
        assert error is not None
        line = min(max(error.line, 1), len(lines))
        while line in parsed.bad_lines and line < len(lines):
            line += 1  # the same error again (the blanked line was not the cause): move on
        last = len(lines) if error.swallows_rest else line
        parsed.errors.append(SyntaxProblem(error.line, error.message, line, last))
        parsed.bad_lines.update(range(line, last + 1))
        try:
            parsed.root = parse(_blank(lines, parsed.bad_lines))
            return parsed
        except ShellSyntaxError as again:
            error = again
    parsed.bad_lines.update(range(1, len(lines) + 1))
    return parsed
