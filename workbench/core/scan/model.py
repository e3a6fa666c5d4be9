"""The records a script scan produces: `az` calls and the spots it cannot resolve."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AzCall:
    """One `az` invocation found in a script.

    ``words`` are the leading literal words after ``az`` (after global flags such as
    ``--debug``) up to the first option or non-literal word: candidates for the command
    path, possibly longer than it (positional arguments). ``args`` are every argument after
    ``az`` as literal text, each expansion replaced by a placeholder (``<name>``, ``<cmd>``
    for command substitutions, ``<expr>`` for arithmetic); a variable with a statically
    known value that forms part of the command path is replaced by that value.
    ``stopped_at`` is the placeholder that cut ``words`` short (``az vm $op``), None when
    ``words`` ended at an option or at the end: if the path is then incomplete, the caller
    should report it as unresolved. ``via`` names how the call was reached (``sudo``,
    ``xargs``, ``$AZ``, ``function run_az``), empty for a plain ``az ...``.
    """

    file: str
    line: int
    words: tuple[str, ...]
    args: tuple[str, ...]
    text: str
    stopped_at: str | None = None
    via: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "file": self.file,
            "line": self.line,
            "words": list(self.words),
            "args": list(self.args),
            "text": self.text,
            "stopped_at": self.stopped_at,
            "via": list(self.via),
        }


@dataclass(frozen=True)
class Unresolved:
    """A spot where an `az` call may happen but its command path is not known statically."""

    file: str
    line: int
    text: str
    reason: str

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"file": self.file, "line": self.line, "text": self.text, "reason": self.reason}


@dataclass(frozen=True)
class ExternalCommand:
    """A program a script runs that is not az, a bash builtin or one of its functions
    (``curl``, ``jq``, ``timeout``, also behind ``xargs``/``env``/``sudo`` and in pipelines);
    ``where`` is ``file:line``."""

    name: str
    where: str

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"name": self.name, "where": self.where}


@dataclass(frozen=True)
class ScanResult:
    """Every call, unresolved spot and external command of one script, in source order."""

    calls: tuple[AzCall, ...]
    unresolved: tuple[Unresolved, ...]
    external: tuple[ExternalCommand, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "calls": [c.to_dict() for c in self.calls],
            "unresolved": [u.to_dict() for u in self.unresolved],
            "external": [e.to_dict() for e in self.external],
        }
