"""Installed size of a wheel as pip lays it out, without installing it.

From the central directory: members under ``*.data/purelib|platlib`` move into site-packages,
``*.data/scripts`` into ``bin/``; pip adds INSTALLER, REQUESTED (requested packages only),
console scripts for ``entry_points.txt``, and rewrites RECORD with a line per file it adds.
Compiled bytecode is modelled, not measured: see ``PYC_MODEL_311``.
"""

from __future__ import annotations

import configparser
import posixpath
from dataclasses import dataclass

BIN = "../../../bin/"  # how pip's RECORD names bin/ from site-packages; we keep that prefix

# .pyc bytes for one .py file = slope * py_bytes + per_file, calibrated on CPython 3.11.7 by a
# least-squares fit (weighted by 1/(bytes + 500) so small files count) over all 13,204
# .py/.pyc pairs of a real `pip install azure-cli==2.91.0` (bench/accuracy.py re-measures it).
# Other minor versions scale the 3.11 line by the .pyc/.py ratios measured on the same
# package set (design.md: 3.10 0.74, 3.11 1.03, 3.12 1.05; 3.13 taken as 1.04 from
# research/sizing.md's compileall table).
PYC_MODEL_311 = (1.0189, 303.3)
PYC_RATIO = {"3.10": 0.74, "3.11": 1.03, "3.12": 1.05, "3.13": 1.04, "3.14": 1.04}
_RECORD_HASH = len(",sha256=") + 43 + len(",") + 6 + 1  # ",sha256=<43 b64>,<size>\n"
_SCRIPT_TEMPLATE = (
    "#!{python}\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom {module} import {attr}\n"
    "if __name__ == '__main__':\n"
    "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
    "    sys.exit({func}())\n"
)
SHEBANG_PYTHON = "/usr/local/bin/python3"


def pyc_model(python: str) -> tuple[float, float]:
    """(slope, bytes per file) of the .pyc model for a Python minor version."""
    slope, per_file = PYC_MODEL_311
    ratio = PYC_RATIO.get(python, PYC_RATIO["3.14"]) / PYC_RATIO["3.11"]
    return slope * ratio, per_file * ratio


@dataclass(frozen=True)
class InstalledLayout:
    """Files of one installed distribution, relative to site-packages (bin/ as ``../../../bin``).

    ``files`` excludes what pip generates (bytecode); ``py_files`` lists the .py sources pip
    would compile, so the .pyc estimate can be redone per Python version or trimmed per path.
    """

    files: dict[str, int]

    def py_files(self) -> dict[str, int]:
        """The .py files inside site-packages (pip compiles these)."""
        return {p: s for p, s in self.files.items() if p.endswith(".py") and not p.startswith("..")}


def installed_layout(
    entries: dict[str, int], entry_points: str, requested: bool = False
) -> InstalledLayout:
    """Where pip puts each member of a wheel, plus the files pip writes itself."""
    files: dict[str, int] = {}
    dist_info = ""
    for member, size in entries.items():
        top, _, rest = member.partition("/")
        if top.endswith(".data"):
            kind, _, sub = rest.partition("/")
            if kind in ("purelib", "platlib"):
                files[sub] = size
            elif kind == "scripts":
                files[BIN + sub] = size
            else:  # data/headers land outside site-packages, under the prefix
                files[f"../../../{kind}/{sub}"] = size
        else:
            files[member] = size
            if top.endswith(".dist-info"):
                dist_info = top
    scripts = console_scripts(entry_points)
    for name, target in scripts.items():
        files[BIN + name] = len(_script_text(target).encode())
    added = [f"{dist_info}/INSTALLER", *(BIN + n for n in scripts)]
    files[f"{dist_info}/INSTALLER"] = len(b"pip\n")
    if requested:
        files[f"{dist_info}/REQUESTED"] = 0
        added.append(f"{dist_info}/REQUESTED")
    record = f"{dist_info}/RECORD"
    files[record] = files.get(record, 0) + sum(len(p) + _RECORD_HASH for p in added)
    return InstalledLayout(files)


class _CaseKeepingParser(configparser.ConfigParser):
    """Option names as written (script names are case-sensitive), not lower-cased."""

    def optionxform(self, optionstr: str) -> str:
        return optionstr


def console_scripts(entry_points: str) -> dict[str, str]:
    """``[console_scripts]`` of an entry_points.txt: script name -> ``module:attr``."""
    if not entry_points.strip():
        return {}
    parser = _CaseKeepingParser(delimiters=("=",), interpolation=None)
    try:
        parser.read_string(entry_points)
    except configparser.Error:
        return {}
    return dict(parser.items("console_scripts")) if parser.has_section("console_scripts") else {}


def _script_text(target: str) -> str:
    module, _, attr = target.partition(":")
    attr = attr.split("[")[0].strip()
    return _SCRIPT_TEMPLATE.format(
        python=SHEBANG_PYTHON, module=module.strip(), attr=attr.split(".")[0], func=attr
    )


def pyc_path(py: str, python: str) -> str:
    """Where pip writes the bytecode of ``py``."""
    head, tail = posixpath.split(py)
    tag = "cpython-" + python.replace(".", "")
    return posixpath.join(head, "__pycache__", f"{tail[:-3]}.{tag}.pyc")


def pyc_bytes(py: str, py_size: int, python: str) -> int:
    """Modelled bytes of the .pyc pip writes for ``py``, plus the RECORD line it adds."""
    slope, per_file = pyc_model(python)
    return round(slope * py_size + per_file) + len(pyc_path(py, python)) + _RECORD_HASH


def pyc_total(py_files: list[tuple[str, int]], python: str) -> int:
    """Sum of ``pyc_bytes`` over many files, in one pass of arithmetic (each file rounded as
    ``pyc_bytes`` rounds it, so totals and per-file sums agree to the byte)."""
    slope, per_file = pyc_model(python)
    # len(pyc_path(p)) == len(p) - len(".py") + len("__pycache__/") + len(".cpython-3XY.pyc")
    extra = len("__pycache__/") + len(f".cpython-{python.replace('.', '')}.pyc") - len(".py")
    return sum(round(slope * size + per_file) for _, size in py_files) + sum(
        len(path) + extra + _RECORD_HASH for path, _ in py_files
    )
