"""What ``strip --strip-unneeded`` leaves of a wheel's ELF files, measured, not guessed.

The strip-binaries trim shrinks shared objects in place, so its saving is per file. The
wheel is fetched once (the sha256-keyed wheel cache), each ELF member is stripped on this
machine with binutils' ``strip`` (the same tool and flag the builder runs), and the stripped
sizes are cached by the wheel's sha256, like the wheel's central directory. The wheels of
the embedded size snapshots come measured (``workbench/data/stripped-sizes.json``, written
by ``scripts/regen_snapshot.py``), so the snapshot targets need neither network nor binutils.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from functools import cache as memoize
from importlib import resources
from pathlib import Path

from workbench.core import cache
from workbench.core.errors import WorkbenchError

_KIND = "stripped-sizes-v1"
EMBEDDED = "stripped-sizes.json"
_SO = re.compile(r"\.so(\.\d+)*$")
STRIP = ("strip", "--strip-unneeded")


def _installed_path(member: str) -> str | None:
    """Where pip puts a wheel member, relative to site-packages (None: outside it)."""
    top, _, rest = member.partition("/")
    if not top.endswith(".data"):
        return member
    kind, _, sub = rest.partition("/")
    return sub if kind in ("purelib", "platlib") else None


def strip_wheel(wheel: Path) -> dict[str, int]:
    """Installed path -> stripped bytes, for every ELF ``*.so`` member of ``wheel``."""
    binary = shutil.which(STRIP[0])
    if binary is None:
        raise WorkbenchError(
            "strip-binaries: measuring its saving needs binutils' strip on this machine "
            "(apt-get install binutils); install it or drop the trim"
        )
    out: dict[str, int] = {}
    with zipfile.ZipFile(wheel) as archive, tempfile.TemporaryDirectory() as tmp:
        for info in archive.infolist():
            path = _installed_path(info.filename)
            if info.is_dir() or path is None or not _SO.search(path):
                continue
            data = archive.read(info)
            if data[:4] != b"\x7fELF":
                continue
            target = Path(tmp) / "lib.so"
            target.write_bytes(data)
            done = subprocess.run(
                [binary, *STRIP[1:], str(target)], capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise WorkbenchError(
                    f"strip-binaries: strip failed on {path} of {wheel.name}: "
                    f"{done.stderr.strip() or done.returncode}; drop the trim"
                )
            out[path] = target.stat().st_size
    return out


@memoize
def embedded() -> dict[str, dict[str, int]]:
    """Wheel sha256 -> stripped sizes, for the wheels of the embedded snapshots."""
    ref = resources.files("workbench.data") / EMBEDDED
    return json.loads(ref.read_text()) if ref.is_file() else {}


def has_elf(model, name: str) -> bool:
    """Whether distribution ``name`` installs ``*.so`` files (strip-binaries has work there)."""
    return model.dists[name].is_wheel and any(_SO.search(p) for p in model.files_of(name))


def known_sizes(model, name: str) -> dict[str, int] | None:
    """The stripped sizes without measuring (embedded or cached), or None when not known."""
    if not has_elf(model, name):
        return {}
    sha = model.dists[name].sha256
    return embedded().get(sha) or cache.get_json(_KIND, sha)


def measure(url: str, sha256: str) -> dict[str, int]:
    """Fetch the wheel at ``url``, strip its ELF members, cache and return their sizes."""
    from workbench.core.sizes.wheels import fetch_wheel  # the HTTP stack only when measuring

    sizes = strip_wheel(fetch_wheel(url, sha256))
    cache.put_json(_KIND, sha256, sizes)
    return sizes


def stripped_sizes(model, name: str) -> dict[str, int]:
    """Stripped bytes of distribution ``name``'s ELF files (installed path -> bytes); {} when
    it ships none. Embedded, else cached by the wheel's sha256, else measured (the first
    call fetches the wheel)."""
    sizes = known_sizes(model, name)
    if sizes is not None:
        return sizes
    from workbench.core.sizes.resolve import resolve  # only when a wheel must be fetched

    dist = model.dists[name]
    found = [
        r
        for r in resolve([f"{name}=={dist.version}"], model.target, no_deps=True)
        if r.sha256 == dist.sha256
    ]
    if not found:
        raise WorkbenchError(
            f"strip-binaries: the index no longer offers {dist.filename} (sha256 "
            f"{dist.sha256[:12]}); refresh the size data (estimate --refresh) or drop the trim",
            exit_code=1,
        )
    return measure(found[0].url, dist.sha256)


def measure_unknown(model) -> list[str]:
    """Measure every ELF distribution of ``model`` whose stripped sizes are not known yet (the
    TUI's loader runs this in its worker); one line per failure."""
    problems = []
    for name in model.names():
        if known_sizes(model, name) is None:
            try:
                stripped_sizes(model, name)
            except WorkbenchError as exc:
                problems.append(str(exc))
    return problems
