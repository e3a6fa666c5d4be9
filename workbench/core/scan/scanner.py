"""Find every `az` invocation in bash scripts with a real parser (tree-sitter-bash).

Calls are found wherever bash runs them: pipelines, lists, conditions, loops, functions,
subshells, command substitutions (also inside double quotes and unquoted heredocs), behind
wrappers (``sudo``, ``command``, ``exec``, ``time``, ``env``, ``nohup``, ``xargs``, ``timeout``,
``find -exec`` ...), through variables with a static value (``AZ=az; $AZ group list``),
through functions that forward their arguments (``run_az() { az "$@"; }``) and inside
``bash -c '...'`` strings and heredocs fed to a shell. Comments, quoted text and heredoc text
are not calls. What cannot be known statically is reported in ``unresolved``.
"""

from __future__ import annotations

from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.scan.az_calls import ScriptScan
from workbench.core.scan.model import AzCall, ScanResult, Unresolved
from workbench.core.scan.script_input import check_language, read_script

__all__ = ["AzCall", "ScanResult", "Unresolved", "scan_file", "scan_text"]

# Above this share of code lines inside syntax errors the text is not bash at all.
_UNPARSEABLE_SHARE = 0.5


def scan_text(text: str, file: str = "<string>") -> ScanResult:
    """Every `az` call in bash source ``text``; WorkbenchError if it is not bash."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    check_language(text, file)
    scan = ScriptScan(text.encode("utf-8"), file).run()
    code_lines = [
        i
        for i, line in enumerate(text.split("\n"))
        if line.strip() and not line.lstrip().startswith("#")
    ]
    bad = len(scan.error_lines.intersection(code_lines))
    if code_lines and bad / len(code_lines) > _UNPARSEABLE_SHARE:
        first = min(scan.error_lines) + 1
        raise WorkbenchError(
            f"{file}: not parseable as bash ({bad} of {len(code_lines)} lines in syntax errors, "
            f"from line {first}); check it is a bash script"
        )
    unique = {(c.line, c.words, c.args, c.text): c for c in reversed(scan.calls)}
    calls = sorted(reversed(unique.values()), key=lambda c: c.line)
    unresolved = sorted(dict.fromkeys(scan.unresolved), key=lambda u: u.line)
    return ScanResult(tuple(calls), tuple(unresolved))


def scan_file(path: str | Path) -> ScanResult:
    """Every `az` call in a bash script file; WorkbenchError for missing/binary/non-bash files."""
    return scan_text(read_script(path), str(path))
