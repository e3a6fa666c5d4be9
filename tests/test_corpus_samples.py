"""The public corpus Azure-Samples/azure-cli-samples (pinned copy, see its SOURCE and LICENSE).

Checks: no crash; no syntax-error spot on a file `bash -n` accepts; every command path found is
a real command or group of azure-cli's dumped command table; the az calls found, line by line,
equal an independent count (a separate walk over shfmt's JSON counting every simple command
whose first word is the literal `az`); recall and precision of command paths against the
independent extraction (literal words after `az`, cut to the longest path in the table).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from workbench.core.analysis.scripts import analyze
from workbench.core.scan.scanner import scan_file
from workbench.core.scan.syntax import shfmt_binary

ROOT = Path(__file__).resolve().parent
CORPUS = ROOT / "fixtures" / "azure-cli-samples"
SCRIPTS = sorted(CORPUS.rglob("*.sh"))
TABLE = json.loads((ROOT / "fixtures" / "command-table-2.91.0.json").read_text())
KNOWN = set(TABLE["commands"]) | set(TABLE["groups"])


def _independent(path: Path, blank: frozenset[int] = frozenset()):
    """(line, command path) of every simple command `az ...` in shfmt's tree of ``path``
    (with the lines ``blank`` emptied, for a file bash rejects)."""
    lines = path.read_bytes().split(b"\n")
    for number in blank:
        lines[number - 1] = b""
    done = subprocess.run(
        [shfmt_binary(), "--to-json", "-ln", "bash"], input=b"\n".join(lines), capture_output=True
    )
    assert done.returncode == 0, done.stderr
    found = []
    stack = [json.loads(done.stdout)]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if node.get("Type") == "CallExpr" and node.get("Args"):
            words = []
            for arg in node["Args"]:
                parts = arg.get("Parts", [])
                if len(parts) != 1 or parts[0]["Type"] != "Lit":
                    break
                words.append(parts[0].get("Value", ""))
            if words and words[0] == "az":
                path = ()
                for n in range(1, len(words)):
                    if words[n].startswith("-"):
                        break
                    if " ".join(words[1 : n + 1]) in KNOWN:
                        path = tuple(words[1 : n + 1])
                found.append((node["Pos"]["Line"], path))
        stack.extend(v for v in node.values() if isinstance(v, dict | list))
    return found


def test_corpus_is_pinned_with_its_licence():
    assert len(SCRIPTS) == 187
    assert (CORPUS / "LICENSE").read_text().split()[:2] == ["MIT", "License"]
    assert "0dc857e6bcdbf6bcb2e787aec5f79a2833afa97c" in (CORPUS / "SOURCE").read_text()


@pytest.mark.parametrize("script", SCRIPTS, ids=[str(s.relative_to(CORPUS)) for s in SCRIPTS])
def test_corpus_script(script):
    result = scan_file(script)  # no crash: a WorkbenchError would fail here too
    errors = [u for u in result.unresolved if "syntax error" in u.reason]
    if _bash_accepts(script):
        assert not errors
    else:  # each spot names shfmt's cause; calls outside the broken lines are still found
        assert errors
        for error in errors:
            assert f"syntax error at line {error.line}: `>` must be followed by" in error.reason
    blank = frozenset(e.line for e in errors)
    assert Counter(c.line for c in result.calls) == Counter(
        line for line, _ in _independent(script, blank)
    )


def _bash_accepts(script: Path) -> bool:
    bash = shutil.which("bash") or "bash"
    return subprocess.run([bash, "-n", str(script)], capture_output=True).returncode == 0


def test_corpus_paths_are_real_and_match_the_independent_extraction():
    analysis = analyze(SCRIPTS)
    assert not analysis.errors
    for command in analysis.commands:
        assert not command.path or " ".join(command.path) in KNOWN, command
    ours = {(c.file, " ".join(c.path)) for c in analysis.commands}
    theirs = {
        (str(s), " ".join(p)) for s in SCRIPTS if _bash_accepts(s) for _, p in _independent(s)
    }
    ours = {(f, p) for f, p in ours if _bash_accepts(Path(f))}
    recall = len(ours & theirs) / len(theirs)
    precision = len(ours & theirs) / len(ours)
    summary = f"recall {recall:.4f}, precision {precision:.4f} (distinct paths per script)"
    print(f"\ncorpus: {len(SCRIPTS)} scripts, {len(analysis.commands)} calls, {summary}")
    assert recall >= 0.995 and precision >= 0.995
