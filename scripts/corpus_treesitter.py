"""Second ground-truth extraction for `corpus_measure.py`: every `az` command in tree-sitter-bash's
tree. Runs under a throwaway interpreter that has `tree-sitter` and `tree-sitter-bash` (never the
project's venv): `PY scripts/corpus_treesitter.py FILE...` prints one JSON object a file,
``{"file", "calls": [[line, [literal words after az ...]], ...], "errors": n}``.

A command counts when its name is the literal word ``az``; its words are the unquoted literal
words that follow, up to the first that is not one. ``errors`` counts tree-sitter's ERROR nodes.
"""

from __future__ import annotations

import json
import sys

import tree_sitter_bash
from tree_sitter import Language, Parser

PARSER = Parser(Language(tree_sitter_bash.language()))


def extract(source: bytes) -> tuple[list[tuple[int, list[str]]], int]:
    """(line, words) of each `az` command in ``source``, and the number of ERROR nodes."""
    calls: list[tuple[int, list[str]]] = []
    errors = 0
    stack = [PARSER.parse(source).root_node]
    while stack:
        node = stack.pop()
        errors += node.type == "ERROR"
        name = node.child_by_field_name("name") if node.type == "command" else None
        if name is not None and name.text == b"az":
            words: list[str] = []
            for arg in node.children_by_field_name("argument"):
                if arg.type not in ("word", "number"):
                    break
                words.append(arg.text.decode("utf-8", "replace"))
            calls.append((name.start_point[0] + 1, words))
        stack.extend(node.children)
    return sorted(calls), errors


def main(files: list[str]) -> None:
    for file in files:
        with open(file, "rb") as handle:
            source = handle.read().removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")
        calls, errors = extract(source)
        print(json.dumps({"file": file, "calls": calls, "errors": errors}))


if __name__ == "__main__":
    main(sys.argv[1:])
