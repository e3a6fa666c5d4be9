"""Programs a script ran that the image lacks, read from what the shell and runners printed.

A traced script run (``--run-script``) fails when a line of its standard error says a program
is not there: bash, dash and busybox (``x.sh: line 3: bc: command not found``), or a runner
that execs its argument (``env``, ``xargs``, ``nohup``, ``sudo``, ``timeout``). The fix is an
OS package in the recipe's ``runtime_packages``, never something a full azure-cli install
would share, so these failures are never excused by the reference image. A word that is no
command name (``-z: command not found`` after a broken line continuation) is the script's own
bug, not a program to install: it is left to the script's exit code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from workbench.core.ospkg.contents import COMMAND_NAME

_NOT_FOUND = (
    re.compile(r"^.+?: (?:line )?(?P<line>\d+): (?P<cmd>[^:\s]+): (?:command )?not found$"),
    re.compile(r"^(?:env|xargs|nohup|sudo): '?(?P<cmd>[^':\s]+)'?: No such file or directory$"),
    re.compile(r"^timeout: failed to run command '(?P<cmd>[^']+)': No such file or directory$"),
)


def programs_not_found(lines: Iterable[str]) -> list[tuple[str, str, str | None]]:
    """``(program, line printed, script line or None)`` for each "command not found" line."""
    out = []
    for line in lines:
        text = line.strip()
        for pattern in _NOT_FOUND:
            match = pattern.match(text)
            if match:
                if COMMAND_NAME.match(match.group("cmd")):
                    out.append((match.group("cmd"), text, match.groupdict().get("line")))
                break
    return out
