"""What a script's variables can hold, statically (flow-insensitive, over the whole file).

A variable is known when every place that sets it sets a static value (``AZ=az``,
``readonly AZ="az"``, ``for sub in group vm``, ``AZ=${AZ:-az}``); one place that sets it
at run time (``read``, ``x=$(...)``, ``x+=...``) makes it unknown. Variables set nowhere in
the file (environment, positional parameters) are unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.core.scan.syntax import (
    MAX_ALTERNATIVES,
    Node,
    is_split,
    numbered_param,
    word_template,
    word_values,
)

# Commands that set the variables named by their (identifier) arguments at run time.
SETTERS = frozenset({"read", "mapfile", "readarray", "getopts"})
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class _Set:
    """One place that sets a variable: a word, a loop's words, or run time (all None)."""

    word: Node | None = None
    items: tuple[Node, ...] | None = None
    function: str | None = None


class Scope:
    """Static values of the variables of one script."""

    def __init__(self, source: bytes, parent: Scope | None = None) -> None:
        self.source = source
        self.parent = parent  # the enclosing script's scope, for strings run by `eval`
        self._sets: dict[str, list[_Set]] = {}
        self._arrays: dict[str, list[tuple[Node, ...] | None]] = {}
        self._memo: dict[str, list[str] | None] = {}
        self._busy: set[str] = set()

    # -- recording (by the walker) -----------------------------------------------------------
    def assign(self, name: str, word: Node | None, function: str | None) -> None:
        """``name=word`` (None: a value only known at run time)."""
        self._sets.setdefault(name, []).append(_Set(word=word, function=function))

    def assign_array(self, name: str, elements: tuple[Node, ...] | None, fn: str | None) -> None:
        """``name=(elements...)`` (None: changed at run time, ``a+=()``, ``a[0]=x``)."""
        self._arrays.setdefault(name, []).append(elements)
        self.assign(name, elements[0] if elements else None, fn)

    def loop(self, name: str, items: tuple[Node, ...], function: str | None) -> None:
        """``for name in items...``."""
        self._sets.setdefault(name, []).append(_Set(items=items, function=function))

    def runtime(self, name: str) -> None:
        """``read name`` and the like: set to something only known at run time."""
        self.assign(name, None, None)
        self._arrays.setdefault(name, []).append(None)

    # -- questions ---------------------------------------------------------------------------
    def values(self, name: str) -> list[str] | None:
        """Every static value of ``$name``, or None when any is only known at run time."""
        if name in self._memo:
            return self._memo[name]
        sets = self._sets.get(name)
        if not sets and self.parent is not None:
            return self.parent.values(name)
        if not sets or name in self._busy:
            return None
        self._busy.add(name)
        try:
            collected: list[str] = []
            result: list[str] | None = collected
            for one in sets:
                found = self._set_values(one)
                if found is None:
                    result = None
                    break
                collected.extend(v for v in found if v not in collected)
            if result is not None and len(result) > MAX_ALTERNATIVES:
                result = None
        finally:
            self._busy.discard(name)
        self._memo[name] = result
        return result

    def _set_values(self, one: _Set) -> list[str] | None:
        if one.items is not None:  # for-loop word list: each word, split when unquoted
            out: list[str] = []
            for word in one.items:
                found = word_values(word, self.values, self.source)
                if found is None:
                    return None
                out.extend(part for v in found for part in (v.split() if is_split(word) else [v]))
            return out
        if one.word is None:
            return None
        return word_values(one.word, self.values, self.source)

    def templates(self, name: str) -> list[str] | None:
        """Shell text of every value of ``$name``, unknown expansions kept as written
        (``CMD="az vm show --ids $ID"``); None when some assignment is not a word."""
        sets = self._sets.get(name)
        if not sets and self.parent is not None:
            return self.parent.templates(name)
        if not sets or name in self._busy:
            return None
        words = [one.word for one in sets if one.word is not None]
        if len(words) < len(sets):
            return None
        self._busy.add(name)
        try:
            out: list[str] = []
            for word in words:
                out.extend(t for t in word_template(word, self.values, self.source)
                           if t not in out)  # fmt: skip
        finally:
            self._busy.discard(name)
        return out[:MAX_ALTERNATIVES]

    def parameter_of(self, name: str, function: str, defaults: bool = False) -> int | None:
        """N when every assignment of ``name`` is ``name="$N"`` inside ``function``; with
        ``defaults``, also when the others set words (``CMD=$3`` or ``CMD="az ..."``)."""
        sets = self._sets.get(name)
        if not sets:
            return None
        found = {numbered_param(one.word) if one.word and one.function == function else None
                 for one in sets}  # fmt: skip
        if defaults and all(one.word is not None for one in sets):
            found.discard(None)
        return found.pop() if len(found) == 1 and None not in found else None

    def array_elements(self, name: str) -> list[tuple[Node, ...]] | None:
        """Alternatives for ``"${name[@]}"``: each the element words of one assignment."""
        arrays = self._arrays.get(name)
        if not arrays and self.parent is not None:
            return self.parent.array_elements(name)
        if not arrays or any(a is None for a in arrays):
            return None
        return list(arrays)  # type: ignore[arg-type]
