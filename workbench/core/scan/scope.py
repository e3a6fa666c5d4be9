"""What a script's variables can hold, statically (flow-insensitive, over the whole file).

A variable is known when every place that sets it sets a static value (``AZ=az``,
``readonly AZ="az"``, ``for sub in group vm``, ``AZ=${AZ:-az}``); one place that sets it
at run time (``read``, ``x=$(...)``, ``x+=...``) makes it unknown. Variables set nowhere in
the file (environment, positional parameters) are unknown.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from workbench.core.scan.syntax import MAX_ALTERNATIVES, is_split, static_values, text

_RUNTIME = None  # marker: the variable is set to something only known at run time
# Commands that set the variables named by their (identifier) arguments at run time.
_SETTERS = frozenset({"read", "mapfile", "readarray", "getopts"})
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


class Scope:
    """Static values of the variables of one script."""

    def __init__(self, captured: dict[str, list[Node]]) -> None:
        self._sources: dict[str, list[Node | list[Node] | None]] = {}
        self._arrays: dict[str, list[Node | None]] = {}
        self._memo: dict[str, list[str] | None] = {}
        self._busy: set[str] = set()
        for node in captured.get("assignment", ()):
            self._add_assignment(node)
        for node in captured.get("loop", ()):
            self._add_loop(node)
        for node in captured.get("command", ()):
            self._add_runtime_setters(node)

    def _set(self, name: str, source: Node | list[Node] | None) -> None:
        self._sources.setdefault(name, []).append(source)

    def _add_assignment(self, node: Node) -> None:
        if node.parent is not None and node.parent.type == "command":
            return  # `VAR=x cmd`: sets the environment of cmd, not a shell variable
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return
        value = node.child_by_field_name("value")
        if name_node.type == "subscript":  # a[0]=x
            target = name_node.child_by_field_name("name")
            if target is not None:
                self._arrays.setdefault(text(target), []).append(None)
            return
        name = text(name_node)
        appends = any(c.type == "+=" for c in node.children)
        if value is not None and value.type == "array":
            self._arrays.setdefault(name, []).append(None if appends else value)
            self._set(name, _RUNTIME if appends else (value.named_children[:1] or None))
            return
        self._set(name, _RUNTIME if appends else value)

    def _add_loop(self, node: Node) -> None:
        variable = node.child_by_field_name("variable")
        if variable is None:
            return
        values = node.children_by_field_name("value")
        self._set(text(variable), values if values else _RUNTIME)

    def _add_runtime_setters(self, node: Node) -> None:
        name = node.child_by_field_name("name")
        if name is None:
            return
        program = text(name)
        if program not in _SETTERS and program != "printf":
            return
        args = [text(a) for a in node.children_by_field_name("argument")]
        if program in _SETTERS:
            targets = [a for a in args if _IDENTIFIER.fullmatch(a)]
        elif program == "printf" and "-v" in args[:-1]:
            targets = [args[args.index("-v") + 1]]
        else:
            return
        for target in targets:
            self._set(target, _RUNTIME)
            self._arrays.setdefault(target, []).append(None)

    def values(self, name: str) -> list[str] | None:
        """Every static value of ``$name``, or None when any is only known at run time."""
        if name in self._memo:
            return self._memo[name]
        sources = self._sources.get(name)
        if not sources or name in self._busy:
            return None
        self._busy.add(name)
        try:
            result: list[str] | None = []
            for source in sources:
                found = self._source_values(source)
                if found is None:
                    result = None
                    break
                result.extend(v for v in found if v not in result)
            if result is not None and len(result) > MAX_ALTERNATIVES:
                result = None
        finally:
            self._busy.discard(name)
        self._memo[name] = result
        return result

    def _source_values(self, source: Node | list[Node] | None) -> list[str] | None:
        if source is None:
            return None
        if isinstance(source, list):  # for-loop word list: each word, split when unquoted
            out: list[str] = []
            for word in source:
                found = static_values(word, self.values)
                if found is None:
                    return None
                out.extend(part for v in found for part in (v.split() if is_split(word) else [v]))
            return out
        return static_values(source, self.values)

    def array_elements(self, name: str) -> list[list[Node]] | None:
        """Alternatives for ``"${name[@]}"``: each the element words of one assignment."""
        sources = self._arrays.get(name)
        if not sources or any(array is None for array in sources):
            return None
        return [list(array.named_children) for array in sources]  # type: ignore[union-attr]
