"""Reading a script and refusing what is not bash: missing, binary, PowerShell, batch, Python."""

from __future__ import annotations

import re
from pathlib import Path

from workbench.core.errors import WorkbenchError

_OTHER_LANGUAGES = {
    ".ps1": "a PowerShell script",
    ".psm1": "a PowerShell module",
    ".psd1": "a PowerShell data file",
    ".bat": "a Windows batch file",
    ".cmd": "a Windows batch file",
    ".py": "a Python file",
    ".yml": "a YAML file",
    ".yaml": "a YAML file",
    ".json": "a JSON file",
    ".bicep": "a Bicep template",
    ".tf": "a Terraform file",
    ".md": "a Markdown document",
    ".rst": "a reStructuredText document",
    ".html": "an HTML document",
    ".toml": "a TOML file",
}
_SHELL_INTERPRETERS = frozenset({"sh", "bash", "dash", "ash", "ksh", "zsh", "busybox"})
_SHEBANG = re.compile(r"#!\s*(\S+)(?:\s+(?:-\S+\s+)*(\S+))?")
# Distinct tell-tale signs of other languages; two kinds of the same language settle it.
_MARKERS = {
    "a PowerShell script": [
        re.compile(r"\$env:\w+", re.I),
        re.compile(
            r"\b(?:Get|Set|New|Remove|Write|Read|Test|Invoke|Import|Export|ConvertTo|ConvertFrom"
            r"|Select|Where|ForEach|Out|Start|Stop|Add|Join|Split)-[A-Z][A-Za-z]+\b"
        ),
        re.compile(r"\$(?:true|false|null)\b", re.I),
        re.compile(r"^\s*param\s*\(", re.I | re.M),
        re.compile(r"\[(?:CmdletBinding|Parameter|string|int|bool|switch)\b[^\]]*\]", re.I),
        re.compile(r"^\s*\$\w+\s+=\s+\S", re.M),
        re.compile(r"\s`\s*$", re.M),
        re.compile(r"-(?:ErrorAction|ContentType|Encoding)\s", re.I),
    ],
    "a Windows batch file": [
        re.compile(r"^\s*@?echo\s+off\b", re.I | re.M),
        re.compile(r"%\w+%|%~dp0"),
        re.compile(r"^\s*rem\s", re.I | re.M),
        re.compile(r"^\s*(?:setlocal|goto\s+:?\w+|:\w+\s*$)", re.I | re.M),
    ],
    "a Python file": [
        re.compile(r"^\s*def \w+\(.*\)\s*(?:->.*)?:\s*$", re.M),
        re.compile(r"^(?:from \w[\w.]* )?import \w[\w.]*(?: as \w+)?\s*$", re.M),
        re.compile(r"^if __name__ == ['\"]__main__['\"]:", re.M),
        re.compile(r"^\s*(?:class \w+.*:|elif .*:|try:|except\b.*:)\s*$", re.M),
    ],
}
_BINARY_SAMPLE = 8192


def read_script(path: str | Path) -> str:
    """Text of a script file; WorkbenchError if it is missing, binary or not a shell script."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise WorkbenchError(f"{path}: no such file; pass the path of a bash script") from None
    except IsADirectoryError:
        raise WorkbenchError(f"{path}: is a directory; pass bash script files") from None
    except OSError as exc:
        raise WorkbenchError(f"{path}: cannot read it ({exc.strerror})") from None
    kind = _OTHER_LANGUAGES.get(path.suffix.lower())
    if kind is not None:
        raise WorkbenchError(f"{path}: {kind}, not a bash script; workbench scans bash only")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 (a Windows editor's "Unicode")
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise WorkbenchError(f"{path}: not valid UTF-16 text; save it as UTF-8") from None
    if _looks_binary(data):
        raise WorkbenchError(f"{path}: a binary file, not a bash script")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _looks_binary(data: bytes) -> bool:
    sample = data[:_BINARY_SAMPLE]
    if b"\0" in sample:
        return True
    try:
        sample.decode("utf-8")
        return False
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:
            return False  # a multi-byte character cut by the sample's end
    controls = sum(1 for b in sample if b < 32 and b not in b"\t\n\r\f\b\x1b")
    return controls > len(sample) // 20


def check_language(text: str, file: str) -> None:
    """WorkbenchError when the text is clearly not a shell script (shebang or content)."""
    first = text.split("\n", 1)[0]
    match = _SHEBANG.match(first)
    if match:
        interpreter = match[1].rsplit("/", 1)[-1]
        if interpreter == "env" and match[2]:
            interpreter = match[2].rsplit("/", 1)[-1]
        if interpreter not in _SHELL_INTERPRETERS:
            raise WorkbenchError(
                f"{file}: its #! line runs {interpreter}, not a shell; workbench scans bash only"
            )
        return
    for kind, markers in _MARKERS.items():
        if sum(1 for marker in markers if marker.search(text)) >= 2:
            raise WorkbenchError(f"{file}: looks like {kind}, not a bash script")
