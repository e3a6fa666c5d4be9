"""Resolve a package set to pinned wheels for the *target* (never the host), with uv.

uv's ``--python-platform`` sets both the wheel tags and the marker environment, and its
pylock output carries each file's URL, size and sha256. uv lists every tag-compatible
wheel of a package; ``packaging.pylock`` then picks the one the target's pip would install.
"""

from __future__ import annotations

import configparser
import difflib
import os
import re
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import httpx
from packaging.pylock import PackageSdist, PackageWheel, Pylock, PylockValidationError
from packaging.utils import canonicalize_name

from workbench.core.errors import IndexUnreachable, WorkbenchError
from workbench.core.http import ca_bundle, client
from workbench.core.sizes.target import Target

UV_TIMEOUT = 300


@dataclass(frozen=True)
class ResolvedDist:
    """One pinned distribution and the file the target would install."""

    name: str  # canonical
    version: str
    filename: str
    url: str
    sha256: str
    size: int  # bytes of the file on the index
    is_wheel: bool  # False: only an sdist exists for the target (needs build deps)


def _uv_bin() -> str:
    from uv import find_uv_bin  # the uv wheel ships its binary

    return find_uv_bin()


def pip_index_url() -> str | None:
    """The index URL from the user's pip configuration (env first, then config files)."""
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"]
    files = [Path("/etc/pip.conf"), Path("/etc/xdg/pip/pip.conf")]
    home = Path.home()
    files += [home / ".pip/pip.conf", home / ".config/pip/pip.conf"]
    if os.environ.get("PIP_CONFIG_FILE"):
        files.append(Path(os.environ["PIP_CONFIG_FILE"]))
    url = None
    for path in files:
        parser = configparser.ConfigParser()
        try:
            parser.read(path)
        except configparser.Error:
            continue
        for section in ("global", "install"):
            url = parser.get(section, "index-url", fallback=url)
    return url


def _uv_command(target: Target, binary_only: bool, no_deps: bool = False) -> list[str]:
    command = [
        _uv_bin(),
        "pip",
        "compile",
        "-",
        "--format",
        "pylock.toml",
        "--no-header",
        "--quiet",
        "--python-platform",
        target.uv_platform,
        "--python-version",
        target.python,
        "--no-python-downloads",
        "--prerelease",
        "if-necessary-or-explicit",
    ]
    if binary_only:
        command += ["--only-binary", ":all:"]
    if no_deps:
        command.append("--no-deps")
    index = pip_index_url()
    if index and not (os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL")):
        command += ["--default-index", index]
    return command


def _run_uv(
    requirements: list[str], target: Target, binary_only: bool, no_deps: bool = False
) -> str:
    env = dict(os.environ)
    bundle = ca_bundle()
    if bundle and not env.get("SSL_CERT_FILE"):
        env["SSL_CERT_FILE"] = bundle
    try:
        done = subprocess.run(
            _uv_command(target, binary_only, no_deps),
            input="\n".join(requirements) + "\n",
            capture_output=True,
            text=True,
            env=env,
            timeout=UV_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise IndexUnreachable(
            f"resolution timed out after {UV_TIMEOUT} s; check your network"
        ) from exc
    if done.returncode != 0:
        raise _UvFailure(done.stderr)
    return done.stdout


class _UvFailure(Exception):
    def __init__(self, stderr: str) -> None:
        super().__init__(stderr)
        self.stderr = stderr


def _explain(stderr: str, requirements: list[str], known: list[str]) -> WorkbenchError:
    """One clear line from uv's error text."""
    missing = re.search(r"Because ([\w.\-\[\]]+) was not found in the package registry", stderr)
    if missing:
        name = missing.group(1)
        close = difflib.get_close_matches(canonicalize_name(name), known, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else "; check the spelling"
        return WorkbenchError(f"unknown package {name!r}: not on the package index{hint}")
    absent = re.search(r"Because there is no version of ([\w.\-\[\]]+)==([^\s,]+)", stderr)
    if absent:
        name, version = absent.groups()
        if not _index_lists(name):
            return IndexUnreachable(
                f"the package index lists no {name} at all: it is not answering as an index "
                "(a captive portal or proxy login?); check your network or pip/uv index settings"
            )
        return WorkbenchError(
            f"{name} {version} is not on the package index; pick a released version"
        )
    causes = re.findall(r"(?:cause: |^\s+)(Because .*|And because .*)", stderr, re.M)
    if "No solution found" in stderr and causes:
        text = " ".join(c.strip() for c in causes)
        return WorkbenchError(f"impossible pins ({', '.join(requirements)}): {text}")
    if re.search(r"(dns error|failed to fetch|connect|Could not connect|timed out)", stderr, re.I):
        return IndexUnreachable(
            "cannot reach the package index; check your network or pip/uv index settings"
        )
    last = next((ln.strip() for ln in reversed(stderr.splitlines()) if ln.strip()), "uv failed")
    return WorkbenchError(f"resolution failed: {last}", exit_code=1)


def _index_lists(name: str) -> bool:
    """Whether the configured index's page for ``name`` links any of its files (True when
    the index is uv's default or cannot be asked: then the version is what is missing)."""
    index = os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL") or pip_index_url()
    if not index:
        return True
    try:
        page = client().get(f"{index.rstrip('/')}/{canonicalize_name(name)}/")
    except httpx.HTTPError:
        return True
    wanted = canonicalize_name(name).replace("-", "_")
    return wanted in page.text.lower().replace("-", "_")


def resolve(
    requirements: list[str], target: Target, known: list[str] = (), *, no_deps: bool = False
) -> list[ResolvedDist]:
    """Pin ``requirements`` (PEP 508 strings) for ``target``; one file per distribution
    (``no_deps``: the requirements alone, not their dependencies).

    Binary wheels only; a package with no wheel for the target is resolved from its sdist
    instead and reported with ``is_wheel=False`` (the image will need build deps for it).
    """
    try:
        text = _run_uv(requirements, target, binary_only=True, no_deps=no_deps)
    except _UvFailure as failure:
        if "no usable wheels" not in failure.stderr:
            raise _explain(failure.stderr, requirements, list(known)) from None
        try:
            text = _run_uv(requirements, target, binary_only=False, no_deps=no_deps)
        except _UvFailure as again:
            raise _explain(again.stderr, requirements, list(known)) from None
    return select_files(text, target)


def select_files(pylock_text: str, target: Target) -> list[ResolvedDist]:
    """Pick, per package of a pylock document, the file the target's pip would install."""
    try:
        lock = Pylock.from_dict(tomllib.loads(pylock_text))
        chosen = list(lock.select(environment=target.environment, tags=target.tags))
    except (tomllib.TOMLDecodeError, PylockValidationError) as exc:
        raise WorkbenchError(f"unexpected resolver output: {exc}", exit_code=1) from exc
    out = []
    for package, dist in chosen:
        if not isinstance(dist, PackageWheel | PackageSdist):
            continue
        out.append(
            ResolvedDist(
                name=canonicalize_name(package.name),
                version=str(package.version),
                filename=dist.name or dist.url.rsplit("/", 1)[-1],
                url=dist.url,
                sha256=dist.hashes.get("sha256", ""),
                size=dist.size or 0,
                is_wheel=isinstance(dist, PackageWheel),
            )
        )
    return out
