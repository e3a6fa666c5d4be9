"""Debian ``Packages`` and Alpine ``APKINDEX`` indexes: installed sizes and dependency closures.

The Debian mirror comes from the host's apt sources (or ``WORKBENCH_DEBIAN_MIRROR``), the
Alpine repositories from the base image's ``/etc/apk/repositories`` (or
``WORKBENCH_ALPINE_MIRROR``); no host name is built in. Raw index files are downloaded once
into the workbench cache (``download_cached``, reused for other index files such as
``Contents``) and re-read when older than a week; the parsed form is cached by the raw file's
digest, so a second start reads a small JSON file instead of parsing ~50 MB of text.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import lzma
import os
import re
import tarfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from workbench.core import cache
from workbench.core.errors import IndexUnreachable, WorkbenchError
from workbench.core.files import one_line, write_atomic

MAX_AGE_S = 7 * 24 * 3600
APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
DEBIAN_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
DEBIAN_CODENAMES = ("bullseye", "bookworm", "trixie", "forky", "sid")
_PARSED_KIND = "ospkg-index-v4"
_LOADED: dict[str, PackageIndex] = {}
_KEEP_LOADED = 3
_DEP_NAME = re.compile(r"^\s*([^\s(\[<:=>~!]+)")


class OsPackage(NamedTuple):
    """One package of an index: installed bytes and its dependency groups (each group a
    sequence of alternatives, any one of which satisfies it). A named tuple: a Debian index
    has ~64k of them, built on every start from the cached parse."""

    name: str
    version: str
    installed_bytes: int
    deps: str = ""  # dependency groups "a|b,c" (a or b, and c), split only when needed
    provides: Sequence[str] = ()
    required: bool = False  # Debian Priority: required / Essential: in every Debian base

    @property
    def depends(self) -> list[list[str]]:
        """The dependency groups, each a list of alternatives."""
        return [group.split("|") for group in self.deps.split(",")] if self.deps else []


@dataclass
class PackageIndex:
    """The packages of one release/arch of a distribution, and who provides what."""

    family: str  # apt | apk
    release: str
    arch: str
    packages: dict[str, OsPackage]
    source: str  # where it was read from (URL or path)
    providers: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.providers:
            for pkg in self.packages.values():
                for virtual in pkg.provides:
                    self.providers.setdefault(virtual, []).append(pkg.name)

    def find(self, name: str) -> OsPackage | None:
        """The package called ``name``, else the first one providing it."""
        pkg = self.packages.get(name)
        if pkg is None and self.providers.get(name):
            pkg = self.packages.get(self.providers[name][0])
        return pkg

    def closure(self, names: Iterable[str], have: set[str]) -> list[OsPackage]:
        """Packages to install for ``names`` (Depends/Pre-Depends, or apk ``D:``) on a base
        that already has ``have`` (package and provided names), in install order."""
        chosen: dict[str, OsPackage] = {}
        satisfied = set(have)
        todo: list[Sequence[str]] = [(n,) for n in names]
        requested = {group[0] for group in todo}
        while todo:
            group = todo.pop(0)
            if any(alt in satisfied for alt in group):
                continue
            pkg = next((p for p in map(self.find, group) if p is not None), None)
            if pkg is None:
                if group[0] in requested:
                    raise WorkbenchError(
                        f"OS package {group[0]!r} is not in the {self.describe()} index "
                        f"({self.source}); check the name (runtime_packages in the recipe)"
                    )
                continue  # an unknown dependency (a virtual nobody provides): nothing to count
            if pkg.name in chosen:
                satisfied.update(group)
                continue
            chosen[pkg.name] = pkg
            satisfied.update({pkg.name, *pkg.provides, *group})
            todo.extend(pkg.depends)
        return list(chosen.values())

    def required_names(self) -> set[str]:
        """Names (and provided names) of the packages every base of this release has."""
        return {n for p in self.packages.values() if p.required for n in (p.name, *p.provides)}

    def describe(self) -> str:
        """E.g. ``Debian bookworm amd64`` or ``Alpine 3.22 x86_64``."""
        distro = "Debian" if self.family == "apt" else "Alpine"
        return f"{distro} {self.release} {self.arch}"

    def to_text(self) -> str:
        """The index as text: a header line, then one tab-separated line per package (read
        back line by line, so a worker loading it never holds the interpreter for long)."""
        head = "\t".join((self.family, self.release, self.arch, self.source))
        rows = (
            "\t".join(
                (
                    p.name,
                    p.version,
                    str(p.installed_bytes),
                    p.deps,
                    ",".join(p.provides),
                    "1" if p.required else "",
                )
            )
            for p in self.packages.values()
        )
        return "\n".join((head, *rows))

    @classmethod
    def from_text(cls, text: str) -> PackageIndex:
        """The inverse of ``to_text``."""
        lines = text.split("\n")
        family, release, arch, source = lines[0].split("\t")
        packages = {}
        for line in lines[1:]:
            name, version, size, depends, provides, required = line.split("\t")
            packages[name] = OsPackage(
                name,
                version,
                int(size),
                depends,
                provides.split(",") if provides else (),
                bool(required),
            )
        return cls(family, release, arch, packages, source)


@dataclass(frozen=True)
class OsPackagesCost:
    """What the recipe's OS packages add to the final image, per package."""

    runtime: tuple[tuple[str, int], ...]  # (package, installed bytes) the final image keeps
    build: tuple[tuple[str, int], ...]  # build deps added and removed again: 0 in the image
    source: str

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.runtime)

    def to_json(self) -> dict:
        return {
            "total_bytes": self.total_bytes,
            "runtime": [{"name": n, "bytes": b} for n, b in self.runtime],
            "build_deps": [{"name": n, "bytes": b, "final_bytes": 0} for n, b in self.build],
            "source": self.source,
        }


def os_packages_cost(
    index: PackageIndex, runtime: Iterable[str], build: Iterable[str], have: set[str]
) -> OsPackagesCost:
    """Installed bytes of the ``runtime`` closure over ``have``; the ``build`` closure (over
    ``have`` plus runtime) is listed with its size but costs nothing in the final image."""
    kept = index.closure(runtime, have)
    after = have | {n for p in kept for n in (p.name, *p.provides)}
    deps = index.closure(build, after) if build else []
    return OsPackagesCost(
        tuple((p.name, p.installed_bytes) for p in kept),
        tuple((p.name, p.installed_bytes) for p in deps),
        f"{index.describe()} index ({index.source})",
    )


# ---- parsing ------------------------------------------------------------------------------
def _stanzas(text: str) -> Iterable[dict[str, str]]:
    """RFC 822-style stanzas (Debian control files, APKINDEX): first line of each field."""
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line and not line[0].isspace():
                key, sep, value = line.partition(":")
                if sep:
                    fields[key] = value.strip()
        if fields:
            yield fields


def _dep_groups(text: str) -> tuple[tuple[str, ...], ...]:
    """``a (>= 1), b | c:any`` -> ``(("a",), ("b", "c"))``."""
    groups = []
    for group in text.split(","):
        alts = tuple(m.group(1) for alt in group.split("|") if (m := _DEP_NAME.match(alt)))
        if alts:
            groups.append(alts)
    return tuple(groups)


def parse_debian_packages(text: str) -> dict[str, OsPackage]:
    """A Debian ``Packages`` file (or dpkg ``status``) -> name -> package (Installed-Size is
    in KiB)."""
    out = {}
    for f in _stanzas(text):
        name = f.get("Package")
        if not name:
            continue
        depends = ", ".join(v for k in ("Pre-Depends", "Depends") if (v := f.get(k)))
        out[name] = OsPackage(
            name,
            f.get("Version", ""),
            int(f.get("Installed-Size", "0") or 0) * 1024,
            _encode(_dep_groups(depends)),
            tuple(a[0] for a in _dep_groups(f.get("Provides", ""))),
            f.get("Priority") == "required" or f.get("Essential") == "yes",
        )
    return out


def dpkg_installed(status_text: str) -> set[str]:
    """Package and provided names a dpkg ``status`` file marks installed."""
    have = set()
    for f in _stanzas(status_text):
        if f.get("Status", "").endswith(" installed") and f.get("Package"):
            have.add(f["Package"])
            have.update(a[0] for a in _dep_groups(f.get("Provides", "")))
    return have


def parse_apkindex(text: str) -> dict[str, OsPackage]:
    """An ``APKINDEX`` (or ``/lib/apk/db/installed``) -> name -> package (``I:`` is bytes)."""
    out = {}
    for f in _stanzas(text):
        name = f.get("P")
        if not name:
            continue
        deps = ",".join(_apk_name(d) for d in f.get("D", "").split() if not d.startswith("!"))
        out[name] = OsPackage(
            name,
            f.get("V", ""),
            int(f.get("I", "0") or 0),
            deps,
            tuple(_apk_name(p) for p in f.get("p", "").split()),
        )
    return out


def apk_installed(installed_text: str) -> set[str]:
    """Package and provided names of an apk ``installed`` database."""
    return {n for p in parse_apkindex(installed_text).values() for n in (p.name, *p.provides)}


def _encode(groups: Iterable[Iterable[str]]) -> str:
    return ",".join("|".join(group) for group in groups)


def _apk_name(spec: str) -> str:
    return re.split(r"[<>=~]", spec, maxsplit=1)[0]


# ---- sources ------------------------------------------------------------------------------
def apt_source_uris(paths: Iterable[Path] = APT_SOURCES) -> list[tuple[str, list[str]]]:
    """``(uri, suites)`` of every ``deb`` source in one-line ``.list`` and deb822 ``.sources``
    files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".list", ".sources"))
        elif path.is_file():
            files.append(path)
    out = []
    for file in files:
        text = file.read_text(errors="replace")
        if file.suffix == ".sources":
            for f in _stanzas(re.sub(r"(?m)^#.*\n?", "", text)):
                if "deb" in f.get("Types", "").split() and f.get("Enabled", "yes") != "no":
                    out += [(uri, f.get("Suites", "").split()) for uri in f["URIs"].split()]
        else:
            for line in text.splitlines():
                words = re.sub(r"\[[^\]]*\]", "", line.split("#")[0]).split()
                if len(words) >= 3 and words[0] == "deb":
                    out.append((words[1], [words[2]]))
    return out


def debian_mirror(paths: Iterable[Path] = APT_SOURCES) -> str:
    """The Debian archive URI of the host's apt sources (``WORKBENCH_DEBIAN_MIRROR`` wins)."""
    if os.environ.get("WORKBENCH_DEBIAN_MIRROR"):
        return os.environ["WORKBENCH_DEBIAN_MIRROR"].rstrip("/")
    for uri, suites in apt_source_uris(paths):
        if any(s.split("-")[0] in DEBIAN_CODENAMES and "-" not in s for s in suites):
            return uri.rstrip("/")
    raise WorkbenchError(
        "no Debian mirror in the host's apt sources (/etc/apt/sources.list*); set "
        "WORKBENCH_DEBIAN_MIRROR to one to size apt packages"
    )


def download_cached(url: str, *, offline: bool = False, max_age_s: float = MAX_AGE_S) -> Path:
    """A local copy of ``url`` in the workbench cache, downloaded when missing or older than
    ``max_age_s`` (offline: any copy, or one clear error)."""
    name = url.rstrip("/").rsplit("/", 1)[-1]
    path = cache.cache_dir() / "ospkg" / f"{hashlib.sha256(url.encode()).hexdigest()[:24]}-{name}"
    fresh = path.exists() and (offline or time.time() - path.stat().st_mtime < max_age_s)
    if fresh:
        return path
    if offline:
        raise IndexUnreachable(f"{url} is not cached and --offline forbids fetching it")
    from workbench.core.http import client

    try:
        response = client().get(url, timeout=120)
        response.raise_for_status()
    except Exception as exc:
        if path.exists():
            return path  # a stale copy beats none; its age is in its mtime
        raise IndexUnreachable(f"cannot download {url} ({one_line(exc)})") from None
    write_atomic(path, response.content)
    return path


def _parsed(raw: Path, build) -> PackageIndex:
    """The parsed index of ``raw``: from memory, else from its cached parse (keyed by the raw
    file's digest), else parsed now and cached."""
    key = hashlib.sha256(raw.read_bytes()).hexdigest()
    if key in _LOADED:
        return _LOADED[key]
    with _no_gc():
        cached = cache.get_bytes(_PARSED_KIND, key)
        index = PackageIndex.from_text(cached.decode()) if cached is not None else build()
    if cached is None:
        cache.put_bytes(_PARSED_KIND, key, index.to_text().encode())
    while len(_LOADED) >= _KEEP_LOADED:  # a few releases in memory (targets being compared)
        _LOADED.pop(next(iter(_LOADED)), None)
    _LOADED[key] = index
    return index


@contextlib.contextmanager
def _no_gc():
    """No cyclic GC while ~64k acyclic records are made: a full collection over them holds
    the interpreter for seconds (the UI thread of the TUI stalls); collected right after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def debian_index(
    release: str, arch: str, *, mirror: str | None = None, offline: bool = False
) -> PackageIndex:
    """The ``main`` Packages index of Debian ``release`` for ``arch`` (x86_64/aarch64)."""
    deb_arch = DEBIAN_ARCH.get(arch, arch)
    url = f"{mirror or debian_mirror()}/dists/{release}/main/binary-{deb_arch}/Packages.xz"
    raw = download_cached(url, offline=offline)

    def build() -> PackageIndex:
        try:
            text = lzma.decompress(raw.read_bytes()).decode("utf-8", "replace")
        except lzma.LZMAError as exc:
            raise WorkbenchError(f"{url}: not an xz Packages file ({exc})") from None
        return PackageIndex("apt", release, deb_arch, parse_debian_packages(text), url)

    return _parsed(raw, build)


def alpine_index(
    release: str, arch: str, repositories: Iterable[str], *, offline: bool = False
) -> PackageIndex:
    """The APKINDEX of ``repositories`` (``.../v3.22/main`` style URLs) for ``arch``, merged
    in order (the first repository that has a package wins)."""
    packages: dict[str, OsPackage] = {}
    urls = []
    for repo in repositories:
        url = f"{repo.rstrip('/')}/{arch}/APKINDEX.tar.gz"
        urls.append(url)
        raw = download_cached(url, offline=offline)
        try:
            with tarfile.open(fileobj=io.BytesIO(raw.read_bytes()), mode="r:gz") as tar:
                member = tar.extractfile("APKINDEX")
                text = member.read().decode("utf-8", "replace") if member else ""
        except (tarfile.TarError, KeyError, OSError) as exc:
            raise WorkbenchError(f"{url}: not an APKINDEX.tar.gz ({exc})") from None
        for name, pkg in parse_apkindex(text).items():
            packages.setdefault(name, pkg)
    if not urls:
        raise WorkbenchError(
            f"no Alpine repositories known for Alpine {release}; set WORKBENCH_ALPINE_MIRROR "
            "or put the base image on the engine (its /etc/apk/repositories is read)"
        )
    return PackageIndex("apk", release, arch, packages, ", ".join(urls))


def alpine_repositories(text: str | None = None) -> list[str]:
    """Repository URLs from ``/etc/apk/repositories`` text, else ``WORKBENCH_ALPINE_MIRROR``
    (a comma-separated list)."""
    if text:
        return [
            line.strip()
            for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith(("#", "@"))
        ]
    env = os.environ.get("WORKBENCH_ALPINE_MIRROR", "")
    return [u.strip() for u in env.split(",") if u.strip()]
