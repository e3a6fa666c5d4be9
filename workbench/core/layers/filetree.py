"""File trees for one layer or the stack up to a layer, with change marks, sort and filter.

Built on demand from the path history (one pass over the paths concerned), so only the views
asked for exist in memory.

Marks: "A" added, "M" modified (content, type or link target changed), "D" removed,
"U" unmodified. A directory whose own entry is unmodified but holds changes is marked "M".
Per-layer view: the entries of that layer against the stack below it. Aggregated view: the
stack up to the layer against the stack up to ``base`` (layer 0 by default, as dive does).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from workbench.core.errors import WorkbenchError
from workbench.core.layers.layer_scan import Entry
from workbench.core.layers.stack import History

MARKS = frozenset("AMDU")
SORTS = ("name", "size")


@dataclass(slots=True, eq=False)
class Node:
    """One path in a view. ``size`` of a directory sums its children (removed ones excluded,
    unless the directory itself is removed)."""

    name: str
    path: str
    kind: str
    size: int
    mark: str
    link: str = ""
    mode: int = 0
    uid: int = 0
    gid: int = 0
    children: list[Node] = field(default_factory=list)


@dataclass
class FileTree:
    """A rooted view; ``root.path`` is "" and ``count`` the number of nodes below the root."""

    root: Node
    count: int

    def find(self, path: str) -> Node | None:
        """The node at ``path`` ("" is the root), or None."""
        node = self.root
        for part in filter(None, path.strip("/").split("/")):
            child = next((c for c in node.children if c.name == part), None)
            if child is None:
                return None
            node = child
        return node

    def walk(self, collapsed: Iterable[str] = ()) -> Iterator[tuple[int, Node]]:
        """(depth, node) depth-first in display order; the children of ``collapsed`` are skipped."""
        collapsed = set(collapsed)
        stack = [(0, child) for child in reversed(self.root.children)]
        while stack:
            depth, node = stack.pop()
            yield depth, node
            if node.path not in collapsed:
                stack.extend((depth + 1, child) for child in reversed(node.children))


def _mark(new: Entry | None, old: Entry | None) -> str:
    if new is None:
        return "D"
    if old is None or (old.kind == "dir") != (new.kind == "dir"):
        return "A"
    if new.kind == "dir" or new.same_content(old):
        return "U"
    return "M"


def _rows(history: History, layer: int, aggregated: bool, base: int):
    """(path, entry shown, mark) for every path of the view."""
    if aggregated:
        for path in history.events:
            new, old = history.state_at(path, layer), history.state_at(path, base)
            if new is not None or old is not None:
                yield path, new or old, _mark(new, old) if layer > base else "U"
    else:
        for path in history.layer_paths[layer]:
            event = history.event_in(path, layer)
            assert event is not None  # layer_paths[layer] holds only the paths the layer touches
            new = event[1]
            old = history.state_at(path, layer - 1) if layer else None
            if new is not None or old is not None:
                yield path, new or old, _mark(new, old)


def build_tree(
    history: History,
    layer: int,
    aggregated: bool = False,
    sort: str = "name",
    pattern: str | None = None,
    changes: Iterable[str] | None = None,
    base: int = 0,
) -> FileTree:
    """The view of ``layer``; ``pattern`` is a regular expression searched in each path,
    ``changes`` a set of marks to keep. Ancestors of kept paths are always shown."""
    if not 0 <= layer < len(history.layer_paths):
        raise WorkbenchError(f"layer {layer} does not exist (0..{len(history.layer_paths) - 1})")
    if sort not in SORTS:
        raise WorkbenchError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    try:
        regex = re.compile(pattern) if pattern else None
    except re.error as exc:
        raise WorkbenchError(f"bad path filter {pattern!r}: {exc}") from None
    wanted = MARKS if changes is None else frozenset(changes)
    if not wanted <= MARKS:
        raise WorkbenchError(f"unknown change marks {sorted(wanted - MARKS)}; use A, M, D, U")

    root = Node("", "", "dir", 0, "U")
    nodes: dict[str, Node] = {"": root}
    shown: dict[str, tuple[Entry, str]] = {}
    kept: list[str] = []
    for path, entry, mark in _rows(history, layer, aggregated, base):
        shown[path] = (entry, mark)
        if mark in wanted and (regex is None or regex.search(path)):
            kept.append(path)
    for path in kept:
        _attach(path, shown, nodes)
    _finish(root, sort)
    return FileTree(root=root, count=len(nodes) - 1)


def _attach(path: str, shown: dict[str, tuple[Entry, str]], nodes: dict[str, Node]) -> None:
    """Create the node for ``path`` and any missing ancestors."""
    missing = []
    while path not in nodes:
        missing.append(path)
        path = path.rpartition("/")[0]
    parent = nodes[path]
    for current in reversed(missing):
        entry, mark = shown.get(current, (None, "U"))
        name = current.rpartition("/")[2]
        if entry is None:
            node = Node(name, current, "dir", 0, mark)
        else:
            node = Node(
                name, current, entry.kind, entry.size, mark, entry.link,
                entry.mode, entry.uid, entry.gid,
            )  # fmt: skip
        parent.children.append(node)
        nodes[current] = node
        parent = node


def _finish(root: Node, sort: str) -> None:
    """Directory sizes and marks bottom-up, then sort every directory's children."""
    order = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.children)
    key = (lambda n: n.name) if sort == "name" else (lambda n: (-n.size, n.name))
    for node in reversed(order):
        if not node.children:
            continue
        node.size += sum(c.size for c in node.children if c.mark != "D" or node.mark == "D")
        if node.mark == "U" and any(c.mark != "U" for c in node.children):
            node.mark = "M"
        node.children.sort(key=key)
