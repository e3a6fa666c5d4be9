"""Which OS package provides a command: Debian ``Contents`` indexes, Alpine ``cmd:`` provides.

- Debian: ``dists/<release>/main/Contents-<arch>.gz`` and ``Contents-all.gz`` of the mirror in
  the host's apt sources (``index.debian_mirror``) map ``usr/bin/<cmd>``, ``bin/<cmd>`` (and
  ``sbin``) to packages; a command nothing ships as a file may still be a virtual package
  (``awk``: mawk, gawk). Among several providers the release's priority decides (required,
  important, standard before optional), then the smaller closure over the base.
- Alpine: an APKINDEX has no file lists; packages declare ``p:cmd:<name>`` provides instead.

``provide(commands, base, index, lookup)`` turns the commands a base lacks into packages with
their installed sizes over the base, and says in one line each what nothing provides.
"""

from __future__ import annotations

import gzip
import hashlib
import lzma
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core import cache
from workbench.core.errors import WorkbenchError
from workbench.core.ospkg.index import (
    DEBIAN_ARCH,
    PackageIndex,
    debian_mirror,
    download_cached,
    os_packages_cost,
)

_CONTENTS_KIND = "ospkg-contents-v1"
_PRIORITY_KIND = "ospkg-priority-v1"
_BIN = re.compile(rb"^(?:usr/)?s?bin/([^/\s]+)\s+(\S+)$", re.M)
PRIORITIES = ("required", "important", "standard", "optional", "extra")
COMMAND_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+-]*$")


def parse_contents(data: bytes) -> dict[str, list[str]]:
    """A Debian ``Contents`` file (uncompressed) -> command name -> packages shipping it in a
    ``bin``/``sbin`` directory."""
    out: dict[str, list[str]] = {}
    for match in _BIN.finditer(data):
        names = out.setdefault(match.group(1).decode(errors="replace"), [])
        for location in match.group(2).decode(errors="replace").split(","):
            package = location.rsplit("/", 1)[-1]
            if package not in names:
                names.append(package)
    return out


def _cached_parse(raw: Path, kind: str, parse) -> dict:
    key = hashlib.sha256(raw.read_bytes()).hexdigest()
    data = cache.get_json(kind, key)
    if data is None:
        data = parse()
        cache.put_json(kind, key, data)
    return data


def debian_contents(
    release: str, arch: str, *, mirror: str | None = None, offline: bool = False
) -> dict[str, list[str]]:
    """Command -> packages for Debian ``release`` on ``arch`` (x86_64/aarch64): the ``main``
    Contents of the architecture and of ``all``, downloaded once and cached."""
    base = f"{mirror or debian_mirror()}/dists/{release}/main"
    merged: dict[str, list[str]] = {}
    for name in (f"Contents-{DEBIAN_ARCH.get(arch, arch)}.gz", "Contents-all.gz"):
        url = f"{base}/{name}"
        raw = download_cached(url, offline=offline)

        def parse(raw: Path = raw, url: str = url) -> dict:
            try:
                return parse_contents(gzip.decompress(raw.read_bytes()))
            except (OSError, EOFError) as exc:
                raise WorkbenchError(f"{url}: not a gzip Contents file ({exc})") from None

        for command, packages in _cached_parse(raw, _CONTENTS_KIND, parse).items():
            have = merged.setdefault(command, [])
            have.extend(p for p in packages if p not in have)
    return merged


def parse_priorities(text: str) -> dict[str, str]:
    """Package -> priority from a ``Packages`` file, essential packages as ``required``; only
    the priorities above ``optional`` are kept (the rest rank the same)."""
    out = {}
    for block in text.split("\n\n"):
        fields = dict(re.findall(r"^(Package|Priority|Essential): *(\S+)", block, re.M))
        name = fields.get("Package")
        priority = "required" if fields.get("Essential") == "yes" else fields.get("Priority")
        if name and priority in PRIORITIES[:3]:
            out[name] = priority
    return out


def debian_priorities(index: PackageIndex, *, offline: bool = False) -> dict[str, str]:
    """The priorities of ``index``'s release (read from the same Packages file, cached)."""
    raw = download_cached(index.source, offline=offline)
    return _cached_parse(
        raw,
        _PRIORITY_KIND,
        lambda: parse_priorities(lzma.decompress(raw.read_bytes()).decode("utf-8", "replace")),
    )


def apk_command_providers(index: PackageIndex) -> dict[str, list[str]]:
    """Command -> packages from an Alpine index's ``p:cmd:<name>`` provides."""
    return {
        virtual[4:]: list(names)
        for virtual, names in index.providers.items()
        if virtual.startswith("cmd:")
    }


@dataclass(frozen=True)
class BaseFacts:
    """What the base image told: its installed packages (names and provides) and which of
    the asked commands ``command -v`` did not find there."""

    image: str
    installed: frozenset[str]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Provided:
    """A command the base lacks and the package chosen for it (None: nothing provides it)."""

    command: str
    where: str  # first place a script runs it (file:line)
    package: str | None
    bytes: int = 0  # installed bytes of the package and what it pulls in over the base
    candidates: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {
            "command": self.command,
            "where": self.where,
            "package": self.package,
            "bytes": self.bytes,
            "candidates": list(self.candidates),
        }


@dataclass(frozen=True)
class Provision:
    """The commands the scripts run, which the base lacks, and the packages that add them."""

    image: str
    source: str
    found: tuple[str, ...]  # every external command asked about
    missing: tuple[Provided, ...]
    total_bytes: int  # the added packages together, over the base
    skipped: tuple[str, ...] = field(default=())  # names no shell could look up

    @property
    def packages(self) -> list[str]:
        """The packages to add to ``runtime_packages``, in first-use order."""
        return list(dict.fromkeys(p.package for p in self.missing if p.package))

    def problems(self) -> list[str]:
        """One line per command nothing provides (and per name that is no command name)."""
        lines = [
            f"{p.command} ({p.where}) is not in {self.image} and no package of {self.source} "
            "provides it; install it in the base or drop it from the script"
            for p in self.missing
            if p.package is None
        ]
        return lines + [f"{name!r} is not a command name; not looked up" for name in self.skipped]

    def to_json(self) -> dict:
        return {
            "image": self.image,
            "source": self.source,
            "found": list(self.found),
            "missing": [p.to_json() for p in self.missing],
            "packages": self.packages,
            "total_bytes": self.total_bytes,
            "problems": self.problems(),
        }


def _rank(
    candidates: list[str], index: PackageIndex, have: set[str], priorities: dict[str, str]
) -> list[tuple[str, int]]:
    """``(package, closure bytes)`` of the candidates the index has, best first."""
    ranked = []
    for name in candidates:
        if index.find(name) is None:
            continue
        size = os_packages_cost(index, [name], [], have).total_bytes
        order = PRIORITIES.index(priorities.get(name, "optional"))
        ranked.append((order, size, name))
    return [(name, size) for _, size, name in sorted(ranked)]


def provide(
    commands: Iterable,
    base: BaseFacts,
    index: PackageIndex,
    lookup: dict[str, list[str]],
    priorities: dict[str, str] | None = None,
) -> Provision:
    """Map each of ``commands`` (objects with ``name`` and ``where``, e.g. the analysis's
    ``ExternalCommand``) that ``base`` lacks to a package of ``index``; ``lookup``: command
    -> candidate packages (``debian_contents`` or ``apk_command_providers``)."""
    first: dict[str, str] = {}
    for command in commands:
        first.setdefault(command.name, command.where)
    missing = set(base.missing)
    have = set(base.installed)
    out = []
    for name, where in first.items():
        if name not in missing:
            continue
        candidates = list(lookup.get(name, ())) or list(index.providers.get(name, ()))
        ranked = _rank(candidates, index, have, priorities or {})
        package, size = ranked[0] if ranked else (None, 0)
        out.append(Provided(name, where, package, size, tuple(candidates)))
    chosen = list(dict.fromkeys(p.package for p in out if p.package))
    total = os_packages_cost(index, chosen, [], have).total_bytes if chosen else 0
    return Provision(
        image=base.image,
        source=f"{index.describe()}",
        found=tuple(first),
        missing=tuple(out),
        total_bytes=total,
        skipped=tuple(n for n in first if not COMMAND_NAME.match(n)),
    )
