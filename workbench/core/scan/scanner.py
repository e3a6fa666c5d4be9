"""Find every `az` invocation in bash scripts with a real parser (mvdan/sh, through shfmt).

Calls are found wherever bash runs them: pipelines, lists, conditions, loops, functions,
subshells, command substitutions (also inside double quotes and unquoted heredocs), behind
wrappers (``sudo``, ``command``, ``exec``, ``time``, ``env``, ``nohup``, ``xargs``, ``timeout``,
``find -exec`` ...), through variables with a static value (``AZ=az; $AZ group list``),
through functions that forward or evaluate their arguments (``run_az() { az "$@"; }``,
``run() { eval "$1"; }``), inside ``eval`` / ``bash -c`` strings, heredocs and here-strings fed
to a shell, and in sourced scripts found next to the script. Comments, quoted text and heredoc
text are not calls. What cannot be known statically is reported in ``unresolved``; the other
programs a script runs are listed in ``external``.
"""

from __future__ import annotations

import contextlib
import gc
import os
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.scan.az_calls import ScriptScan
from workbench.core.scan.memo import cached_scan
from workbench.core.scan.model import AzCall, ExternalCommand, ScanResult, Unresolved
from workbench.core.scan.script_input import check_language, read_script

__all__ = [
    "AzCall",
    "ExternalCommand",
    "ScanResult",
    "Unresolved",
    "scan_file",
    "scan_files",
    "scan_text",
]

# Above this share of code lines inside syntax errors the text is not bash at all.
_UNPARSEABLE_SHARE = 0.5


def scan_text(
    text: str, file: str = "<string>", search_dirs: Iterable[str | Path] = ()
) -> ScanResult:
    """Every `az` call in bash source ``text``; WorkbenchError if it is not bash.

    Scripts it sources are looked for next to ``file`` and in ``search_dirs``.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    check_language(text, file)
    dirs = tuple(Path(d) for d in search_dirs)
    with _collector_paused():
        scan = ScriptScan(text.encode("utf-8"), file, search_dirs=dirs).run()
        found, spots, programs = scan.calls, scan.unresolved, scan.external
        error_lines = scan.error_lines
        del scan  # the tree is freed here, before the collector is back: it never walks it
    code_lines = [
        i
        for i, line in enumerate(text.split("\n"))
        if line.strip() and not line.lstrip().startswith("#")
    ]
    bad = len(error_lines.intersection(code_lines))
    if code_lines and bad / len(code_lines) > _UNPARSEABLE_SHARE:
        first = min(error_lines) + 1
        raise WorkbenchError(
            f"{file}: not parseable as bash ({bad} of {len(code_lines)} lines in syntax errors, "
            f"from line {first}); check it is a bash script"
        )
    unique = {(c.line, c.words, c.args, c.text): c for c in reversed(found)}
    calls = sorted(reversed(unique.values()), key=lambda c: (c.file != file, c.line))
    unresolved = sorted(dict.fromkeys(spots), key=lambda u: (u.file != file, u.line))
    external = tuple(dict.fromkeys(programs))
    return ScanResult(tuple(calls), tuple(unresolved), external)


class _Pause:
    """Scans under way (in any thread) and whether the collector was on before the first."""

    lock = threading.Lock()
    scans = 0
    was_on = False


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a scan builds, walks and frees its (acyclic) tree: on
    a large script its passes over the millions of new nodes cost as much as the decoding.
    Back on (if it was) when the last of the scans running at once ends."""
    with _Pause.lock:
        if _Pause.scans == 0:
            _Pause.was_on = gc.isenabled()
            gc.disable()
        _Pause.scans += 1
    try:
        yield
    finally:
        with _Pause.lock:
            _Pause.scans -= 1
            if _Pause.scans == 0 and _Pause.was_on:
                gc.enable()


def scan_file(path: str | Path, search_dirs: Iterable[str | Path] = ()) -> ScanResult:
    """Every `az` call in a bash script file; WorkbenchError for missing/binary/non-bash files.

    The result is kept in the user cache (``scan.memo``): the same file is scanned once."""
    text, file, dirs = read_script(path), str(path), tuple(Path(d) for d in search_dirs)
    return cached_scan(file, text, dirs, lambda: scan_text(text, file, dirs))


def scan_files(
    paths: Iterable[str | Path], search_dirs: Iterable[str | Path] = ()
) -> list[ScanResult | WorkbenchError]:
    """``scan_file`` of each path, in order, several at once (the parser is a subprocess);
    a script that cannot be scanned gives its WorkbenchError in its place."""
    dirs = tuple(search_dirs)

    def one(path: str | Path) -> ScanResult | WorkbenchError:
        try:
            return scan_file(path, dirs)
        except WorkbenchError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return list(pool.map(one, paths))
