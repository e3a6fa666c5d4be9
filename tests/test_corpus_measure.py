"""The held-out measurement's own ground truth (scripts/corpus_measure.py): extraction (a) and
the path cut, which must stay independent of the scanner and treat both extractions alike."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "corpus_measure.py"
_spec = importlib.util.spec_from_file_location("corpus_measure", SCRIPT)
assert _spec and _spec.loader
measure = importlib.util.module_from_spec(_spec)
sys.modules["corpus_measure"] = measure
_spec.loader.exec_module(measure)


@pytest.mark.parametrize(
    "words,path",
    [
        (["storage", "account", "keys", "list", "-g", "rg"], "storage account keys list"),
        (["vm", "show", "myvm"], "vm show"),  # a positional argument is not part of the path
        (["--version"], ""),
        ([], ""),  # `az $CMD`: no literal word
        (["ml", "job", "create"], None),  # an extension's group: outside the table
    ],
)
def test_command_path_is_the_longest_path_of_the_table(words, path):
    assert measure.command_path(words) == path


def test_shfmt_extraction_empties_lines_bash_rejects_and_keeps_the_others():
    source = b"\xef\xbb\xbfaz group list\r\nfqdn=<Replace with www.x>\r\naz vm list -g x\r\n"
    calls, blanked = measure.shfmt_calls(source)
    assert blanked == [2]
    assert calls == [(1, ["group", "list"]), (3, ["vm", "list", "-g", "x"])]


def test_shfmt_extraction_sees_calls_in_substitutions_but_not_in_text():
    source = b'x=$(az account show)\necho "az group list"\ncat <<EOF\naz vm list\nEOF\n'
    calls, _ = measure.shfmt_calls(source)
    assert calls == [(1, ["account", "show"])]


def test_adjudication_needs_a_verdict_of_call_or_none(tmp_path):
    good = tmp_path / "good.tsv"
    good.write_text("# comment\nset/a.sh:3\tgroup list\tcall\twhy\nset/a.sh:9\t\tnone\techo\n")
    assert measure.load_adjudication(good) == {
        ("set/a.sh", "group list"): ("call", "set/a.sh:3", "why"),
        ("set/a.sh", "@9"): ("none", "set/a.sh:9", "echo"),
    }
    bad = tmp_path / "bad.tsv"
    bad.write_text("set/a.sh:3\tgroup list\tmaybe\twhy\n")
    with pytest.raises(SystemExit, match="call or none"):
        measure.load_adjudication(bad)
