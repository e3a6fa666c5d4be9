"""Recall and precision of the script analysis on held-out public scripts (issue 11).

The scripts are not in the repository; `corpus-manifest.json` names each set's repositories,
commits and paths. Two steps (after ``python3 -m venv /tmp/ts && /tmp/ts/bin/pip install
tree-sitter tree-sitter-bash``; measured with 0.26.1 and 0.25.1):

    .venv/bin/python scripts/corpus_measure.py prepare scripts/corpus-manifest.json MIRRORS OUT
    .venv/bin/python scripts/corpus_measure.py measure --tree-sitter /tmp/ts/bin/python OUT/*

``prepare`` copies every listed file out of git directories under MIRRORS (``owner+name/repo``,
``owner+name`` or a clone at ``owner/name``) into ``OUT/<set>/<owner+name>/<path>``, with the
entry's ``context`` files (the repository's other scripts, which the measured ones may source
or run; not measured), and lists the measured ones in ``OUT/<set>/measured.txt``.
``measure`` analyses each set folder in one call (`workbench.core.analysis.analyze`) and compares,
per script, its distinct command paths with a ground truth built without the scanner: two
extractions by different parsers, (a) a walk of shfmt's JSON tree written here and (b)
tree-sitter-bash (`corpus_treesitter.py`, run by the interpreter given to ``--tree-sitter``; keep
it out of the project's venv). Each takes the commands whose name is the literal ``az`` and the
literal words after it, cut to the longest path of azure-cli's dumped command table
(tests/fixtures/command-table-2.91.0.json), the same way for both. A path both find is true;
where they disagree, or the scanner finds a path neither does, the verdict read off the script
is in `corpus-adjudication.tsv` (``set/file:line``, path, ``call``/``none``, why); a pair with
no verdict is listed as unadjudicated. A net for calls all three miss: every line that reads
like an az command (not a comment or echo) where no one saw a call needs a verdict too (an
empty path: the line's text is not a call). A missed path whose line holds a spot the scanner flags
(it may hide a call) counts as flagged, not missed. Calls whose words cannot be known
statically (``az $CMD``) are counted apart: flagged, resolved by the scanner, or silent.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import table  # noqa: E402
from workbench.core.analysis.scripts import analyze  # noqa: E402
from workbench.core.scan.syntax import shfmt_binary  # noqa: E402

HERE = Path(__file__).resolve().parent
TABLE = json.loads((ROOT / "tests/fixtures/command-table-2.91.0.json").read_text())
KNOWN = frozenset(TABLE["commands"]) | frozenset(TABLE["groups"])
TOPS = frozenset(p.split()[0] for p in KNOWN)
# A line that reads like an az command: the net for calls no extraction and not the scanner saw.
AZ_TEXT = re.compile(r"(?:^|[\s;|&(`'\"=])(?:/usr/bin/)?az\s+[a-z][a-z-]*")
NOT_CODE = re.compile(r"\s*(?:#|echo\b|printf\b)")
MEASURED = "measured.txt"  # in a prepared set: the scripts measured (the others may be sourced)
Key = tuple[str, str]  # (script key "set/relative/path", command path)


def command_path(words: Iterable[str]) -> str | None:
    """The longest path of the table the literal words start with: "" for no literal word
    (``az $CMD``) or a bare option (``az --version``), None when the first word is not a
    group of the table (an extension's command)."""
    words = list(words)
    if not words or words[0].startswith("-"):
        return ""
    if words[0] not in TOPS:
        return None
    best = ""
    for n in range(1, len(words) + 1):
        if words[n - 1].startswith("-"):
            break
        candidate = " ".join(words[:n])
        if candidate in KNOWN:
            best = candidate
    return best


def _literal(word: dict) -> str | None:
    parts = word.get("Parts") or []
    return parts[0].get("Value", "") if len(parts) == 1 and parts[0]["Type"] == "Lit" else None


def _shfmt_nodes(node: object) -> Iterator[dict]:
    if isinstance(node, list):
        for item in node:
            yield from _shfmt_nodes(item)
    elif isinstance(node, dict):
        yield node
        for value in node.values():
            if isinstance(value, dict | list):
                yield from _shfmt_nodes(value)


def normalized(source: bytes) -> bytes:
    """``source`` without a byte-order mark and with LF line ends (as the scanner reads it)."""
    return source.removeprefix(b"\xef\xbb\xbf").replace(b"\r\n", b"\n")


def shfmt_calls(source: bytes) -> tuple[list[tuple[int, list[str]]], list[int]]:
    """Extraction (a): (line, literal words after az) of every `az` command in shfmt's tree,
    and the lines emptied first because shfmt names them as syntax errors (bash rejects)."""
    lines = normalized(source).split(b"\n")
    blanked: list[int] = []
    while True:
        done = subprocess.run(
            [shfmt_binary(), "--to-json", "-ln", "bash"],
            input=b"\n".join(lines),
            capture_output=True,
        )
        at = re.match(rb"(?:<standard input>:)?(\d+):\d+: ", done.stderr)
        if not done.returncode or at is None or len(blanked) > len(lines):
            break
        blanked.append(int(at[1]))
        lines[int(at[1]) - 1] = b""
    calls: list[tuple[int, list[str]]] = []
    if done.returncode:  # shfmt still rejects it: nothing found by (a), all adjudicated
        return calls, blanked
    for node in _shfmt_nodes(json.loads(done.stdout)):
        args = node.get("Args") if node.get("Type") == "CallExpr" else None
        if not args or _literal(args[0]) != "az":
            continue
        words: list[str] = []
        for arg in args[1:]:
            text = _literal(arg)
            if text is None:
                break
            words.append(text)
        calls.append((node["Pos"]["Line"], words))
    return calls, blanked


def treesitter_calls(python: str, files: list[Path]) -> dict[str, list[tuple[int, list[str]]]]:
    """Extraction (b), by `corpus_treesitter.py` under ``python``: file -> (line, words)."""
    done = subprocess.run(
        [python, str(HERE / "corpus_treesitter.py"), *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = (json.loads(line) for line in done.stdout.splitlines())
    return {row["file"]: [(line, words) for line, words in row["calls"]] for row in rows}


@dataclass
class Extraction:
    """Command paths of one extraction: (script, path) -> lines; non-literal call lines."""

    paths: dict[Key, set[int]] = field(default_factory=lambda: defaultdict(set))
    not_literal: set[tuple[str, int]] = field(default_factory=set)
    outside: int = 0  # calls whose first word is no group of the table

    def add(self, script: str, calls: Iterable[tuple[int, list[str]]]) -> None:
        for line, words in calls:
            path = command_path(words)
            if path is None:
                self.outside += 1
            elif path:
                self.paths[(script, path)].add(line)
            elif words[:1] != ["--version"] and not (words and words[0].startswith("-")):
                self.not_literal.add((script, line))


def load_adjudication(path: Path) -> dict[Key, tuple[str, str, str]]:
    """(script, path) -> (verdict, where, why) from the adjudication file."""
    verdicts = {}
    for raw in path.read_text().splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        where, command, verdict, why = raw.split("\t")
        if verdict not in ("call", "none"):
            raise SystemExit(f"{path}: verdict must be call or none: {raw!r}")
        script, line = where.rsplit(":", 1)
        verdicts[(script, command or f"@{line}")] = (verdict, where, why)
    return verdicts


@dataclass
class SetResult:
    """The figures of one set and every pair behind them."""

    name: str
    scripts: int = 0
    scripts_with_calls: int = 0
    truth_calls: int = 0
    scanner_calls: int = 0
    truth: set[Key] = field(default_factory=set)
    found: set[Key] = field(default_factory=set)
    misses: dict[Key, str] = field(default_factory=dict)  # pair -> where and what
    flagged: dict[Key, str] = field(default_factory=dict)
    false_hits: dict[Key, str] = field(default_factory=dict)
    unadjudicated: dict[Key, str] = field(default_factory=dict)
    unexplained: dict[Key, str] = field(default_factory=dict)  # az text no one saw as a call
    hiding_spots: int = 0
    spotted_scripts: int = 0  # scripts with a spot that may hide calls: their trims are off
    not_literal: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    outside: int = 0
    shfmt_rejects: list[str] = field(default_factory=list)  # files with lines bash rejects
    scan_errors: list[str] = field(default_factory=list)

    def row(self) -> list:
        hit = len(self.truth & self.found)
        counted = self.truth - set(self.flagged)
        recall = len(counted & self.found) / len(counted) if counted else 1.0
        precision = hit / len(self.found) if self.found else 1.0
        return [
            self.name,
            self.scripts,
            self.scripts_with_calls,
            self.truth_calls,
            self.scanner_calls,
            len(self.truth),
            f"{recall:.2%}",
            f"{precision:.2%}",
            len(self.misses),
            len(self.false_hits),
            len(self.flagged),
            f"{self.hiding_spots} in {self.spotted_scripts}",
            "{flagged}/{resolved}/{silent}".format_map(defaultdict(int, self.not_literal)),
            self.outside,
        ]


HEADER = [
    "set",
    "scripts",
    "with az",
    "az calls",
    "found",
    "paths",
    "recall",
    "precision",
    "misses",
    "false",
    "flagged",
    "spots",
    "$cmd f/r/s",
    "ext",
]


def _line(root: Path, script: str, line: int) -> str:
    text = (root / script).read_text(errors="replace").split("\n")
    return text[line - 1].strip()[:90] if 0 < line <= len(text) else ""


def measure_set(folder: Path, python: str, verdicts: dict[Key, tuple[str, str, str]]) -> SetResult:
    """Figures of the scripts under ``folder`` (keys are ``<folder name>/<relative path>``)."""
    root = folder.parent
    listed = folder / MEASURED
    files = (
        sorted(folder / p for p in listed.read_text().split())
        if listed.is_file()
        else sorted(folder.rglob("*.sh"))
    )
    key = {str(f): str(f.relative_to(root)) for f in files}
    result = SetResult(folder.name, scripts=len(files))
    a, b = Extraction(), Extraction()
    for file in files:
        calls, blanked = shfmt_calls(file.read_bytes())
        if blanked:
            result.shfmt_rejects.append(f"{key[str(file)]}: lines {blanked} emptied")
        a.add(key[str(file)], calls)
        result.truth_calls += len(calls)
        result.scripts_with_calls += bool(calls)
    for file, calls in treesitter_calls(python, files).items():
        b.add(key[file], calls)
    result.outside = a.outside
    analysis = analyze(files)
    result.scan_errors = list(analysis.errors)
    refused = {k for f, k in key.items() if f not in analysis.files}
    found: dict[Key, set[int]] = defaultdict(set)
    for command in analysis.commands:
        if command.path and command.file in key:
            found[(key[command.file], " ".join(command.path))].add(command.line)
    result.scanner_calls = len(
        {(c.file, c.line, c.path) for c in analysis.commands if c.file in key}
    )
    spots = {(key[s.file], s.line) for s in analysis.hiding if s.file in key}
    result.hiding_spots = len(spots)
    result.spotted_scripts = len({script for script, _ in spots})
    result.found = set(found)
    lines: dict[Key, set[int]] = defaultdict(set)
    for source in (a.paths, b.paths, found):
        for pair, at in source.items():
            lines[pair] |= at
    for pair, (_, where, _) in verdicts.items():  # calls only a reader saw (text net)
        if pair[0] in key.values() and not pair[1].startswith("@"):
            lines[pair].add(_split(where)[1])
    for pair in sorted(lines):
        where = f"{pair[0]}:{min(lines[pair])}"
        if pair in verdicts:
            true = verdicts[pair][0] == "call"
        elif (pair in a.paths) != (pair in b.paths):
            result.unadjudicated[pair] = (
                f"{where}  az {pair[1]}  [{'shfmt' if pair in a.paths else 'tree-sitter'} only]"
                f"  {_line(root, *_split(where))}"
            )
            true = pair in a.paths
        else:
            true = pair in a.paths
        if true:
            result.truth.add(pair)
        described = f"{where}  az {pair[1]}"
        if true and pair not in result.found:
            flagged = pair[0] in refused or any((pair[0], n) in spots for n in lines[pair])
            (result.flagged if flagged else result.misses)[pair] = described
        elif not true and pair in result.found:
            result.false_hits[pair] = f"{described}  {_line(root, *_split(where))}"
    seen = {(s, n) for (s, _), at in lines.items() for n in at} | a.not_literal | b.not_literal
    seen |= {(key[c.file], c.line) for c in analysis.commands if c.file in key}
    seen |= {(key[s.file], s.line) for s in analysis.unresolved if s.file in key}
    for script in key.values():
        text = (root / script).read_text(errors="replace").split("\n")
        for number, source in enumerate(text, 1):
            pair = (script, f"@{number}")
            if NOT_CODE.match(source) or not AZ_TEXT.search(source) or (script, number) in seen:
                continue
            if pair not in verdicts:
                result.unexplained[pair] = f"{script}:{number}  {source.strip()[:100]}"
            elif verdicts[pair][0] == "call":
                (result.flagged if (script, number) in spots else result.misses)[pair] = (
                    f"{script}:{number}  (text net)  {source.strip()[:80]}"
                )
    for script, line in a.not_literal | b.not_literal:
        if (script, line) in spots:
            result.not_literal["flagged"] += 1
        elif any(line in at for (s, _), at in found.items() if s == script):
            result.not_literal["resolved"] += 1
        else:
            result.not_literal["silent"] += 1
    return result


def _split(where: str) -> tuple[str, int]:
    script, line = where.rsplit(":", 1)
    return script, int(line)


def prepare(manifest: Path, mirrors: Path, out: Path) -> None:
    """Copy each set's listed files out of the git directories under ``mirrors``."""
    for name, entries in json.loads(manifest.read_text())["sets"].items():
        for entry in entries:
            slug = entry["repo"].replace("/", "+")
            candidates = [mirrors / slug / "repo", mirrors / slug, mirrors / entry["repo"] / ".git"]
            git_dir = next((c for c in candidates if (c / "HEAD").is_file()), None)
            if git_dir is None:
                raise SystemExit(f"{entry['repo']}: no git directory under {mirrors}; clone it")
            for path in [*entry["paths"], *entry.get("context", ())]:
                data = subprocess.run(
                    ["git", f"--git-dir={git_dir}", "show", f"{entry['commit']}:{path}"],
                    capture_output=True,
                    check=True,
                ).stdout
                target = out / name / slug / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
        measured = [f"{e['repo'].replace('/', '+')}/{p}" for e in entries for p in e["paths"]]
        (out / name / MEASURED).write_text("\n".join(measured) + "\n")
        print(f"{name}: {len(measured)} scripts in {out / name} (and the files they may source)")


def measure(folders: list[Path], python: str, adjudication: Path, details: bool) -> None:
    """Print the figures table, then every miss, flagged miss, false hit and open pair."""
    verdicts = load_adjudication(adjudication)
    results = [measure_set(f, python, verdicts) for f in folders]
    total = SetResult("all")
    for r in results:
        for name in ("scripts", "scripts_with_calls", "truth_calls", "scanner_calls"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        for name in ("misses", "flagged", "false_hits", "unadjudicated", "unexplained"):
            getattr(total, name).update(getattr(r, name))
        total.truth |= r.truth
        total.found |= r.found
        total.hiding_spots += r.hiding_spots
        total.spotted_scripts += r.spotted_scripts
        total.outside += r.outside
        for k, v in r.not_literal.items():
            total.not_literal[k] += v
    print(table(HEADER, [r.row() for r in [*results, total]]))
    print(
        "az calls: `az` commands in shfmt's tree; found: the scanner's distinct calls with a "
        "path of the table; paths: true (script, command path) pairs; "
        "recall/precision: distinct command paths per script, pooled; flagged: missed paths on "
        "a line the scanner flags (not counted in recall); spots: lines flagged as maybe hiding "
        "calls, in how many scripts; $cmd f/r/s: calls with no literal path "
        "flagged/resolved/silent; ext: calls outside the table"
    )
    for r in results:
        for label, items in (
            ("misses", r.misses),
            ("flagged misses", r.flagged),
            ("false hits", r.false_hits),
            ("unadjudicated (extractions disagree)", r.unadjudicated),
            ("unadjudicated (az text that no one saw as a call)", r.unexplained),
            ("bash syntax errors (shfmt)", r.shfmt_rejects),
            ("scan errors", r.scan_errors),
        ):
            if items and (details or not label.startswith("unadjudicated")):
                print(f"\n{r.name}: {label} ({len(items)})")
                lines = items.values() if isinstance(items, dict) else items
                print("\n".join(f"  {item}" for item in lines))
        if (r.unadjudicated or r.unexplained) and not details:
            open_pairs = len(r.unadjudicated) + len(r.unexplained)
            print(f"\n{r.name}: {open_pairs} unadjudicated pairs (--details lists them)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    prep = sub.add_parser("prepare", help="copy the manifest's scripts out of git directories")
    prep.add_argument("manifest", type=Path)
    prep.add_argument("mirrors", type=Path)
    prep.add_argument("out", type=Path)
    meas = sub.add_parser("measure", help="recall and precision per set folder")
    meas.add_argument("folders", type=Path, nargs="+")
    meas.add_argument("--tree-sitter", required=True, help="python that has tree-sitter-bash")
    meas.add_argument("--adjudication", type=Path, default=HERE / "corpus-adjudication.tsv")
    meas.add_argument("--details", action="store_true", help="list unadjudicated pairs too")
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.manifest, args.mirrors, args.out)
    else:
        measure(args.folders, args.tree_sitter, args.adjudication, args.details)


if __name__ == "__main__":
    main()
