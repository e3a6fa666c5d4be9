"""What a local image holds, found in a throw-away container: its Python, libc and version,
CPU architecture, OS release and package family, what its package manager has installed, and
the sizes of the files a package install rewrites. Cached by image id."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from workbench.core import cache
from workbench.core.errors import WorkbenchError

_KIND = "image-probe-v1"

# Runs inside the image with its own python3 (standard library only), no network.
_PROBE = r"""
import glob, json, os, platform, subprocess, sys
def read(path):
    try:
        with open(path, errors="replace") as fh:
            return fh.read()
    except OSError:
        return None
def size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
osr = {}
for line in (read("/etc/os-release") or read("/usr/lib/os-release") or "").splitlines():
    key, sep, value = line.partition("=")
    if sep:
        osr[key] = value.strip().strip('"')
musl = glob.glob("/lib/ld-musl-*.so.1")
if musl:
    out = subprocess.run(musl[:1], capture_output=True, text=True).stderr
    version = next((l.split()[1] for l in out.splitlines() if l.startswith("Version")), "")
    libc = ("musl", version)
else:
    libc = platform.libc_ver()
rewritten = ["/var/lib/dpkg/status", "/var/cache/debconf/templates.dat",
             "/var/cache/debconf/config.dat", "/var/log/dpkg.log", "/etc/ld.so.cache",
             "/lib/apk/db/installed", "/lib/apk/db/scripts.tar"]
print(json.dumps({
    "python": "%d.%d" % sys.version_info[:2],
    "python_full": platform.python_version(),
    "libc": libc[0], "libc_version": libc[1],
    "arch": platform.machine(),
    "os_id": osr.get("ID", ""), "os_like": osr.get("ID_LIKE", ""),
    "version_id": osr.get("VERSION_ID", ""), "codename": osr.get("VERSION_CODENAME", ""),
    "dpkg_status": read("/var/lib/dpkg/status"),
    "apk_installed": read("/lib/apk/db/installed"),
    "apk_repositories": read("/etc/apk/repositories"),
    "rewritten": {p: size(p) for p in rewritten if size(p)},
}))
"""


@dataclass(frozen=True)
class ImageFacts:
    """What the probe found in one image (by id)."""

    image: str
    image_id: str
    size_bytes: int
    python: str
    python_full: str
    libc: str  # glibc | musl
    libc_version: str
    arch: str
    os_id: str
    release: str  # Debian codename or Alpine X.Y
    family: str | None  # apt | apk | None (neither package manager found)
    dpkg_status: str | None = None
    apk_installed: str | None = None
    apk_repositories: str | None = None
    rewritten: tuple[tuple[str, int], ...] = ()

    def target(self):
        """The size engine's Target of this image."""
        from workbench.core.sizes.target import Target

        version = _major_minor(self.libc_version)
        return Target(self.python, self.libc, version, self.arch, self.image)

    def have(self) -> set[str]:
        """Package and provided names the image's package manager has installed."""
        from workbench.core.ospkg.index import apk_installed, dpkg_installed

        if self.dpkg_status:
            return dpkg_installed(self.dpkg_status)
        return apk_installed(self.apk_installed) if self.apk_installed else set()

    def describe(self) -> str:
        """E.g. ``CPython 3.11.2, glibc 2.36, x86_64, debian bookworm (apt)``."""
        return (
            f"CPython {self.python_full}, {self.libc} {self.libc_version}, {self.arch}, "
            f"{self.os_id} {self.release} ({self.family or 'no package manager'})"
        )


def _major_minor(version: str) -> str | None:
    m = re.match(r"(\d+)\.(\d+)", version or "")
    return f"{m.group(1)}.{m.group(2)}" if m else None


def probe_image(client, image: str, *, timeout: float = 120) -> ImageFacts:
    """Facts of ``image`` (on the engine); cached by its id. One clear error when the image
    is missing or has no ``python3``."""
    import docker

    try:
        attrs = client.api.inspect_image(image)
    except docker.errors.ImageNotFound:
        raise WorkbenchError(f"image {image} is not on the engine; pull or build it") from None
    image_id = attrs["Id"]
    cached = cache.get_json(_KIND, image_id.replace("sha256:", ""))
    if cached is not None:
        return _facts(image, attrs, cached)
    from workbench.core.engine.container import run_python

    data = run_python(client, image, _PROBE, timeout=timeout)
    cache.put_json(_KIND, image_id.replace("sha256:", ""), data)
    return _facts(image, attrs, data)


def _facts(image: str, attrs: dict, data: dict) -> ImageFacts:
    family = "apt" if data.get("dpkg_status") else "apk" if data.get("apk_installed") else None
    release = data.get("codename") or ".".join(data.get("version_id", "").split(".")[:2])
    if data.get("libc") not in ("glibc", "musl"):
        raise WorkbenchError(
            f"{image}: cannot tell its C library ({data.get('libc') or 'none found'}); set "
            "[target] libc and libc_version in the recipe"
        )
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(data["arch"], data["arch"])
    return ImageFacts(
        image=image,
        image_id=attrs["Id"],
        size_bytes=int(attrs["Size"]),
        python=data["python"],
        python_full=data["python_full"],
        libc=data["libc"],
        libc_version=data["libc_version"],
        arch=arch,
        os_id=data.get("os_id", ""),
        release=release,
        family=family,
        dpkg_status=data.get("dpkg_status"),
        apk_installed=data.get("apk_installed"),
        apk_repositories=data.get("apk_repositories"),
        rewritten=tuple(sorted(data.get("rewritten", {}).items())),
    )


def facts_json(facts: ImageFacts) -> dict:
    """The facts without the package databases (for JSON output and the recipe)."""
    data = asdict(facts)
    for key in ("dpkg_status", "apk_installed", "apk_repositories"):
        data.pop(key)
    return data


def complete_recipe(recipe, client=None) -> ImageFacts | None:
    """Fill the recipe's ``family`` and ``[target]`` from a probe of its base when the base's
    name tells neither (a company base image); None when nothing was missing. ``client``
    defaults to the engine from the environment. Raises one line when the base is not on
    the engine or has no python3."""
    from workbench.core.engine.build import connect
    from workbench.core.recipe.recipe import TargetOverride, family_of

    try:
        recipe.target_of()
        named = True
    except WorkbenchError:
        named = False
    if named and (recipe.family or family_of(recipe.base)):
        return None
    facts = probe_image(client or connect(timeout=60), recipe.base)
    if not (recipe.family or family_of(recipe.base)):
        recipe.family = facts.family
    if not named:
        target = facts.target()
        hand = recipe.target
        recipe.target = TargetOverride(
            hand.python or target.python,
            hand.libc or target.libc,
            hand.libc_version or target.libc_version,
            hand.arch or target.arch,
        )
    return facts
