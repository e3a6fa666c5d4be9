"""shfmt 3.13 writes operators (``Op``) as token numbers, 3.14 as their text: the scan reads a
tree in either form the same (whichever shfmt is installed, the other form is made from it)."""

from __future__ import annotations

from workbench.core.scan import syntax
from workbench.core.scan.scanner import scan_text

SCRIPT = """\
bash <<END
az group list
END
sh <<< "az vm list"
bash <<-END
\taz network vnet list
\tEND
AZ=${AZ:-az}
$AZ account show
curl -s "$INSTALLER" | bash
"""


def _ops(node: object) -> list[dict]:
    """Every node with an ``Op`` field."""
    if isinstance(node, list):
        return [found for child in node for found in _ops(child)]
    if not isinstance(node, dict):
        return []
    own = [node] if "Op" in node else []
    return own + [found for value in node.values() for found in _ops(value)]


def test_operators_read_the_same_in_both_shfmt_forms(monkeypatch):
    expected = scan_text(SCRIPT)
    assert [c.words for c in expected.calls] == [
        ("group", "list"),
        ("vm", "list"),
        ("network", "vnet", "list"),
        ("account", "show"),
    ]
    assert "pipe" in expected.unresolved[0].reason
    text_of = dict(syntax._OP_TEXT)
    number_of = {text: number for number, text in text_of.items()}
    real = syntax._parse
    rewritten: list[object] = []

    def other_form(source: bytes) -> syntax.Node:
        tree = real(source)
        for node in _ops(tree):
            mapping: dict = number_of if isinstance(node["Op"], str) else text_of
            if node["Op"] in mapping:
                node["Op"] = mapping[node["Op"]]
                rewritten.append(node["Op"])
        return tree

    monkeypatch.setattr(syntax, "_parse", other_form)
    syntax.forget_parses()
    try:
        assert scan_text(SCRIPT) == expected
    finally:
        syntax.forget_parses()
    assert len(rewritten) >= 5  # <<, <<<, <<-, :-, |
