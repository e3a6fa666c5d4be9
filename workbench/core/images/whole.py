"""The whole image estimated before building: base image + OS packages + the Python layer.

- base: the engine's exact size when it has the image (measured), else the registry's
  compressed size times a measured ratio (derived);
- OS packages: the installed size of the recipe's runtime packages' dependency closure in
  the release's index, minus what the base has (its package database when it is on the
  engine; else the release's required packages), plus the package manager's database files
  that an install rewrites into the layer (their sizes read from the base when probed); build
  deps are listed at zero cost, since the Dockerfile removes them (or leaves them in the
  builder stage);
- Python: the size engine's estimate of the install (site-packages, venv seed).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from workbench.core.errors import WorkbenchError
from workbench.core.images.base import BaseSize, base_size
from workbench.core.ospkg.index import OsPackagesCost

MB = 1e6
# What one apt-get install in a layer rewrites besides the packages (debconf caches, dpkg
# status and status-old, dpkg.log, ld.so.cache): measured on the bookworm test base (1.07 MB
# of the 2.22 MB layer that installs bash + jq); used when the base was not probed.
APT_REWRITE_BYTES = 1_073_570
_APT_REWRITTEN = ("/var/cache/debconf/", "/var/lib/dpkg/status", "/var/log/dpkg.log", "/etc/ld")
_APK_REWRITTEN = ("/lib/apk/db/",)
# What every Alpine base has (alpine-baselayout's world): used when the base was not probed.
_ALPINE_BASE = (
    "alpine-baselayout",
    "alpine-baselayout-data",
    "alpine-keys",
    "apk-tools",
    "busybox",
    "busybox-binsh",
    "ca-certificates-bundle",
    "libcrypto3",
    "libssl3",
    "musl",
    "musl-utils",
    "scanelf",
    "ssl_client",
    "zlib",
)


@dataclass(frozen=True)
class ImageEstimate:
    """Base + OS packages + Python, each with where its figure comes from."""

    base: BaseSize
    os_bytes: int
    python_bytes: int
    sources: dict[str, str]
    os_packages: OsPackagesCost | None = None
    os_rewrite_bytes: int = 0
    notes: tuple[str, ...] = ()

    @property
    def total_bytes(self) -> int:
        return self.base.bytes + self.os_bytes + self.python_bytes

    def line(self) -> str:
        """``image ~ base 190.8 MB + OS 2.2 MB + Python 63.0 MB = 256.1 MB``."""
        os_part = f"{self.os_bytes / MB:.1f} MB" + ("?" if "unknown" in self.sources["os"] else "")
        return (
            f"image ~ base {self.base.bytes / MB:.1f} MB + OS {os_part} + Python "
            f"{self.python_bytes / MB:.1f} MB = {self.total_bytes / MB:.1f} MB"
        )

    def to_json(self) -> dict:
        """The CLI contract's ``image`` object (plus the OS package detail)."""
        data = {
            "base_bytes": self.base.bytes,
            "os_bytes": self.os_bytes,
            "python_bytes": self.python_bytes,
            "total_bytes": self.total_bytes,
            "sources": dict(self.sources),
            "base": {"image": self.base.image, "how": self.base.how},
            "os_rewrite_bytes": self.os_rewrite_bytes,
            "notes": list(self.notes),
        }
        if self.os_packages is not None:
            data["os_packages"] = self.os_packages.to_json()
        return data


def estimate_image(
    recipe,
    python_bytes: int,
    no_wheel=frozenset(),
    *,
    client=None,
    offline: bool = False,
    python_source: str = "size engine",
) -> ImageEstimate:
    """The whole-image estimate of ``recipe`` whose Python layer weighs ``python_bytes``.

    ``no_wheel`` names the distributions that need build deps. The base must be on the
    engine or readable from a registry (else WorkbenchError); an OS index that cannot be
    read leaves the OS part at 0 with a note saying so.
    """
    from workbench.core.recipe.dockerfile import Resolution, os_package_plan
    from workbench.core.recipe.recipe import family_of

    target = recipe.target_of() if _named_target(recipe) else None
    arch = (target.arch if target else recipe.target.arch) or "x86_64"
    base = base_size(recipe.base, arch, client=client, offline=offline)
    facts = _facts(client, recipe.base) if base.how == "measured" else None
    if recipe.family is None and family_of(recipe.base) is None and facts and facts.family:
        recipe = dataclasses.replace(recipe, family=facts.family)
    plan = os_package_plan(recipe, Resolution({}, frozenset(no_wheel)))
    sources = {
        "base": base.source if base.how == "measured" else f"derived: {base.source}",
        "python": python_source,
    }
    if not plan.final_runs_manager and not plan.build:
        sources["os"] = "none: the final stage installs no OS packages"
        return ImageEstimate(base, 0, python_bytes, sources)
    try:
        index = _index(plan.family, recipe.base, arch, facts, offline)
    except WorkbenchError as exc:
        sources["os"] = f"unknown: {exc}"
        return ImageEstimate(base, 0, python_bytes, sources, notes=(f"OS packages: {exc}",))
    from workbench.core.ospkg.index import os_packages_cost

    if facts is not None:
        have, how = facts.have(), f"minus what {recipe.base} has (its package database)"
    elif plan.family == "apt":
        have, how = index.required_names(), "minus Debian's required packages (base not probed)"
    else:
        have, how = set(_ALPINE_BASE), "minus Alpine's base packages (base not probed)"
    cost = os_packages_cost(index, plan.runtime, plan.build, have)
    rewrite, rewrite_how = _rewrite_bytes(plan, facts)
    sources["os"] = f"{cost.source}, {how}; {rewrite_how}"
    return ImageEstimate(base, cost.total_bytes + rewrite, python_bytes, sources, cost, rewrite)


def _named_target(recipe) -> bool:
    try:
        recipe.target_of()
    except WorkbenchError:
        return False
    return True


def _facts(client, image: str):
    from workbench.core.images.probe import probe_image

    try:
        return probe_image(client, image)
    except WorkbenchError:
        return None  # no python3 in the base: sizes still work, the database is unknown


def _index(family: str, base: str, arch: str, facts, offline: bool):
    """The OS package index of the base's release."""
    from workbench.core.ospkg.index import alpine_index, alpine_repositories, debian_index
    from workbench.core.sizes.target import debian_release

    if family == "apt":
        release = (facts.release if facts else None) or debian_release(base)
        return debian_index(release, arch, offline=offline)
    repos = alpine_repositories(facts.apk_repositories if facts else None)
    release = facts.release if facts else _alpine_release(base, repos)
    return alpine_index(release, arch, repos, offline=offline)


def _alpine_release(base: str, repos: list[str]) -> str:
    m = re.search(r"alpine(\d+\.\d+)", base) or next(
        (m for r in repos if (m := re.search(r"/v(\d+\.\d+)/", r))), None
    )
    return m.group(1) if m else "latest-stable"


def _rewrite_bytes(plan, facts) -> tuple[int, str]:
    """Bytes of the package database files an install in the final stage rewrites."""
    if not plan.final_runs_manager:
        return 0, "build deps only in the builder stage"
    prefixes = _APT_REWRITTEN if plan.family == "apt" else _APK_REWRITTEN
    if facts is None:
        if plan.family == "apt":
            return APT_REWRITE_BYTES, "apt database rewrite 1.07 MB (measured on bookworm)"
        return 0, "apk database rewrite not counted (base not probed)"
    files = dict(facts.rewritten)
    total = sum(size for path, size in files.items() if path.startswith(prefixes))
    total += files.get("/var/lib/dpkg/status", 0)  # dpkg keeps status-old beside status
    return total, f"package database files rewritten {total / MB:.2f} MB (sizes read from the base)"


_OS_COMMANDS = ("apt-get install", "apk add")


def versus_built(estimate: ImageEstimate, report) -> dict:
    """The whole-image estimate beside the built image (an ``ImageReport``): base, the added
    layers that install OS packages, the Python layer(s), the whole image."""
    os_actual = sum(
        ly.size_bytes for ly in report.layers if any(c in ly.command for c in _OS_COMMANDS)
    )
    actual = {
        "base_bytes": report.base_size_bytes,
        "os_bytes": os_actual,
        "python_bytes": report.python_layer_bytes,
        "total_bytes": report.size_bytes,
    }
    ratio = estimate.total_bytes / report.size_bytes - 1 if report.size_bytes else 0.0
    return {
        "estimate": {k: v for k, v in estimate.to_json().items() if k in actual},
        "actual": actual,
        "difference_ratio": ratio,
    }


def versus_lines(versus: dict) -> list[str]:
    """The comparison as lines: ``whole image: estimate X MB vs actual Y MB (+0.1%)``, then
    one line per part."""
    est, act = versus["estimate"], versus["actual"]
    lines = [
        f"whole image: estimate {est['total_bytes'] / MB:.1f} MB vs actual "
        f"{act['total_bytes'] / MB:.1f} MB ({versus['difference_ratio']:+.2%})"
    ]
    for part in ("base", "os", "python"):
        actual = act[f"{part}_bytes"]
        shown = f"{actual / MB:.1f} MB" if actual is not None else "not measured"
        lines.append(f"  {part}: estimate {est[f'{part}_bytes'] / MB:.1f} MB vs actual {shown}")
    return lines
