"""The installed-layout model against a real pip install of wheels the test builds."""

import argparse
import csv
import json.decoder
import json.encoder
import string
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from tests.support.wheels import build_wheel
from workbench.core.sizes.layout import console_scripts, installed_layout, pyc_bytes, pyc_path


def _entries(wheel):
    with zipfile.ZipFile(wheel) as archive:
        return {i.filename: i.file_size for i in archive.infolist()}


def _installed_bytes(site):
    """Bytes of every file pip's RECORD lists, as the bench measures a real install."""
    record = next(site.glob("demo_pkg-*.dist-info")) / "RECORD"
    total = 0
    for row in csv.reader(record.read_text().splitlines()):
        path = (site / row[0]).resolve()
        if path.is_file():
            total += path.stat().st_size
    return total


def test_layout_matches_a_real_pip_install(tmp_path):
    # real Python source (stdlib modules), so bytecode sizes are representative
    stdlib = [json.decoder, json.encoder, csv, zipfile, subprocess, argparse, textwrap, string]
    files = {f"demo_pkg/m{i}.py": Path(m.__file__).read_bytes() for i, m in enumerate(stdlib)}
    files["demo_pkg/__init__.py"] = b"def main():\n    return 0\n"
    files["demo_pkg/data.json"] = b"{}" * 5000
    wheel = build_wheel(
        tmp_path,
        "demo-pkg",
        "1.0",
        files,
        entry_points="[console_scripts]\ndemo = demo_pkg:main\n",
        data_scripts={"demo-tool": b"#!python\nprint('hi')\n"},
    )
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    layout = installed_layout(_entries(wheel), "[console_scripts]\ndemo = demo_pkg:main\n")

    for compile_flag, tolerance in (("--no-compile", 0.01), ("--compile", 0.05)):
        prefix = tmp_path / compile_flag.strip("-")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--no-index",
                compile_flag,
                "--prefix",
                str(prefix),
                str(wheel),
            ],
            check=True,
        )
        site = next(prefix.glob("lib/python*/site-packages"))
        actual = _installed_bytes(site)
        estimate = sum(layout.files.values())
        if compile_flag == "--compile":
            estimate += sum(pyc_bytes(p, s, python) for p, s in layout.py_files().items())
        # pip writes direct_url.json for a local file (index installs do not)
        direct_url = next(site.glob("demo_pkg-*.dist-info")).joinpath("direct_url.json")
        estimate += direct_url.stat().st_size if direct_url.exists() else 0
        # the layout is near exact; the .pyc model's accuracy on real sets is bench/accuracy.py's
        assert abs(estimate - actual) / actual < tolerance, (compile_flag, estimate, actual)


def test_data_scripts_and_console_scripts_land_in_bin():
    entries = {
        "pkg/__init__.py": 10,
        "pkg-1.0.data/scripts/tool": 30,
        "pkg-1.0.data/purelib/extra/mod.py": 40,
        "pkg-1.0.dist-info/RECORD": 100,
        "pkg-1.0.dist-info/METADATA": 50,
    }
    layout = installed_layout(entries, "[console_scripts]\nrun = pkg.cli:main\n")
    assert layout.files["extra/mod.py"] == 40
    assert layout.files["../../../bin/tool"] == 30
    assert 150 < layout.files["../../../bin/run"] < 400
    assert layout.files["pkg-1.0.dist-info/INSTALLER"] == 4
    assert layout.files["pkg-1.0.dist-info/RECORD"] > 100
    assert set(layout.py_files()) == {"pkg/__init__.py", "extra/mod.py"}


def test_console_scripts_parsing_and_pyc_paths():
    assert console_scripts(
        "[console_scripts]\naz = azure.cli.__main__:main\n[gui_scripts]\nx = y:z\n"
    ) == {"az": "azure.cli.__main__:main"}
    assert console_scripts("not an ini") == {}
    assert (
        pyc_path("azure/cli/__init__.py", "3.12")
        == "azure/cli/__pycache__/__init__.cpython-312.pyc"
    )
    assert pyc_bytes("a.py", 10_000, "3.10") < pyc_bytes("a.py", 10_000, "3.11")
