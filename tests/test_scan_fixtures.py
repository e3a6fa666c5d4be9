"""Recall and precision of call detection on the realistic CI scripts (tests/support/fixtures.py).

A found call matches an expected one on the same line when its ``words`` start with the
path's words (the knowledge base then cuts ``words`` to the path).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fixtures import FIXTURES, SCRIPTS, expected_of
from workbench.core.scan.scanner import scan_file

MIN_SCORE = 0.95


def matches(words: tuple[str, ...], path: str) -> bool:
    wanted = tuple(path.split())
    return words[: len(wanted)] == wanted


def score(script: Path) -> tuple[int, int, int]:
    """(matched, expected, found) for one script; each expected call matched at most once."""
    expected = expected_of(script)
    found = list(scan_file(script).calls)
    matched = 0
    for entry in expected:
        hit = next(
            (c for c in found if c.line == entry["line"] and matches(c.words, entry["path"])), None
        )
        if hit is not None:
            found.remove(hit)
            matched += 1
    return matched, len(expected), matched + len(found)


def test_enough_realistic_fixtures():
    assert len(SCRIPTS) >= 8
    assert all(script.is_file() for script in SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_fixture_is_found_exactly(script):
    matched, expected, found = score(script)
    assert (matched, found) == (expected, expected)


def test_recall_and_precision_over_all_fixtures():
    totals = [score(script) for script in SCRIPTS]
    matched = sum(t[0] for t in totals)
    recall = matched / sum(t[1] for t in totals)
    precision = matched / sum(t[2] for t in totals)
    print(f"\nscan over {len(SCRIPTS)} fixtures: recall {recall:.3f}, precision {precision:.3f}")
    assert recall >= MIN_SCORE
    assert precision >= MIN_SCORE


def test_tricky_fixture_reports_its_unresolved_spots():
    result = scan_file(FIXTURES / "tricky-shell.sh")
    reasons = {u.line: u.reason for u in result.unresolved}
    assert sorted(reasons) == [89, 90, 91]
    assert "eval" in reasons[91]
