"""Bad input to the scan: one clear WorkbenchError line, never a traceback or a silent pass."""

from __future__ import annotations

import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.scan.scanner import scan_file, scan_text
from workbench.core.scan.script_input import read_script

POWERSHELL = """param([string]$ResourceGroup = "rg-app")
$ErrorActionPreference = "Stop"
$sub = az account show --query id -o tsv
Write-Host "Deploying to $sub"
az group create --name $ResourceGroup --location $env:LOCATION | Out-Null
"""
PYTHON = """import subprocess


def main():
    subprocess.run(["az", "group", "list"], check=True)


if __name__ == "__main__":
    main()
"""
BATCH = """@echo off
setlocal
REM deploy
call az group create -n %RG% -l westeurope
"""


def one_line_error(call) -> str:
    with pytest.raises(WorkbenchError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_file(tmp_path):
    message = one_line_error(lambda: scan_file(tmp_path / "nope.sh"))
    assert "nope.sh: no such file" in message


def test_directory(tmp_path):
    assert "is a directory" in one_line_error(lambda: scan_file(tmp_path))


def test_binary_file(tmp_path):
    path = tmp_path / "tool.sh"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    assert "binary" in one_line_error(lambda: scan_file(path))


def test_powershell_by_extension(tmp_path):
    path = tmp_path / "deploy.ps1"
    path.write_text("az group list\n")
    assert "PowerShell" in one_line_error(lambda: scan_file(path))


@pytest.mark.parametrize(
    "content,kind",
    [(POWERSHELL, "PowerShell"), (PYTHON, "Python"), (BATCH, "batch")],
    ids=["powershell", "python", "batch"],
)
def test_other_language_by_content(tmp_path, content, kind):
    path = tmp_path / "deploy"
    path.write_text(content)
    assert kind in one_line_error(lambda: scan_file(path))


@pytest.mark.parametrize(
    "shebang,interpreter",
    [("#!/usr/bin/env pwsh", "pwsh"), ("#!/usr/bin/python3 -u", "python3")],
)
def test_non_shell_shebang(shebang, interpreter):
    message = one_line_error(lambda: scan_text(f"{shebang}\naz group list\n", "job"))
    assert f"runs {interpreter}" in message


def test_unparseable_text():
    garbage = "$(az group list\n((( ]] }}} fi done esac\n<<< >>> ;; && ||\n"
    assert "not parseable as bash" in one_line_error(lambda: scan_text(garbage, "x.sh"))


@pytest.mark.parametrize("shebang", ["#!/bin/sh", "#!/usr/bin/env bash", "#!/bin/bash -e"])
def test_shell_shebangs_are_fine(shebang):
    assert len(scan_text(f"{shebang}\naz group list\n").calls) == 1


def test_latin1_bom_and_empty_files(tmp_path):
    latin = tmp_path / "old.sh"
    latin.write_bytes("# d\xe9ploiement\naz group list\n".encode("latin-1"))
    bom = tmp_path / "bom.sh"
    bom.write_bytes("\ufeffaz vm list\r\n".encode())
    empty = tmp_path / "empty.sh"
    empty.write_text("")
    assert [c.words for c in scan_file(latin).calls] == [("group", "list")]
    assert [c.words for c in scan_file(bom).calls] == [("vm", "list")]
    assert scan_file(empty).calls == ()


def test_unterminated_quote_keeps_partial_result():
    script = "az group list\n" + "echo ok\n" * 6 + 'echo "unterminated\naz vm list\n'
    result = scan_text(script, "half.sh")
    assert [(c.line, c.words) for c in result.calls] == [(1, ("group", "list"))]
    (spot,) = result.unresolved
    assert spot.line == 8
    assert "syntax error" in spot.reason


def test_utf16_script_with_a_bom_is_read(tmp_path):
    path = tmp_path / "win.sh"
    path.write_bytes("#!/bin/bash\naz group list\n".encode("utf-16"))
    assert read_script(path) == "#!/bin/bash\naz group list\n"
