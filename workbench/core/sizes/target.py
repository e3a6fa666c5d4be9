"""The target environment of an image: Python version, libc, architecture.

Everything that depends on the target (wheel tags, marker evaluation, uv's platform) is
derived here, so nothing downstream ever looks at the host interpreter.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cached_property

from packaging.markers import Environment
from packaging.tags import Tag, compatible_tags, cpython_tags

from workbench.core.defaults import DEFAULT_BASE_IMAGE
from workbench.core.errors import WorkbenchError

ARCHES = ("x86_64", "aarch64")
LIBCS = ("glibc", "musl")
_ARCH_ALIASES = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}

# Debian/Ubuntu codename -> (glibc version, the distribution's own python3).
_DISTROS = {
    "bullseye": ("2.31", "3.9"),
    "bookworm": ("2.36", "3.11"),
    "trixie": ("2.41", "3.13"),
    "jammy": ("2.35", "3.10"),
    "noble": ("2.39", "3.12"),
}
_UBUNTU_RELEASES = {"22.04": "jammy", "24.04": "noble"}
_DEBIAN_RELEASES = {"11": "bullseye", "12": "bookworm", "13": "trixie"}
# Alpine release -> its python3 package's minor version (musl is 1.2 on all of them).
_ALPINE_PYTHON = {"3.18": "3.11", "3.19": "3.11", "3.20": "3.12", "3.21": "3.12", "3.22": "3.12"}
_DEFAULT_DEBIAN = "trixie"  # what the python:X.Y and python:X.Y-slim tags are built on today
_MUSL_VERSION = "1.2"
_MIN_MANYLINUX = 17  # manylinux_2_17 == manylinux2014, the oldest tag worth listing
_UV_MAX_MANYLINUX = 40  # newest manylinux_2_x uv 0.13 accepts as --python-platform


@dataclass(frozen=True)
class Target:
    """Python version, libc family and version, and CPU architecture of an image."""

    python: str
    libc: str
    libc_version: str | None
    arch: str
    base_image: str | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"3\.\d{1,2}", self.python):
            raise WorkbenchError(f"Python version {self.python!r} is not X.Y (e.g. 3.12)")
        if self.libc not in LIBCS:
            raise WorkbenchError(f"libc {self.libc!r} is not one of {', '.join(LIBCS)}")
        if self.arch not in ARCHES:
            raise WorkbenchError(f"arch {self.arch!r} is not one of {', '.join(ARCHES)}")
        if self.libc_version is None:
            default = _MUSL_VERSION if self.libc == "musl" else _DISTROS[_DEFAULT_DEBIAN][0]
            object.__setattr__(self, "libc_version", default)

    @classmethod
    def from_image(cls, image: str, arch: str = "x86_64") -> Target:
        """Derive the target from a base image name such as ``python:3.12-alpine``."""
        arch = _ARCH_ALIASES.get(arch, arch)
        name, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
        repo = name.split("/")[-1]
        tag = tag or "latest"
        if repo == "python":
            return cls._from_python_tag(image, tag, arch)
        if repo == "alpine":
            release = re.match(r"(\d+\.\d+)", tag)
            python = _ALPINE_PYTHON.get(release.group(1) if release else "3.22")
            if python is None:
                raise WorkbenchError(
                    f"unknown Alpine release in {image!r}; pass --python and --libc musl"
                )
            return cls(python, "musl", _MUSL_VERSION, arch, image)
        codename = _codename(repo, tag) or _codename_in(image)
        if codename:
            glibc, python = _DISTROS[codename]
            return cls(python, "glibc", glibc, arch, image)
        raise WorkbenchError(
            f"cannot tell Python/libc from base image {image!r}; "
            "pass --python X.Y and --libc glibc|musl (or use a python:X.Y-* image)"
        )

    @classmethod
    def _from_python_tag(cls, image: str, tag: str, arch: str) -> Target:
        version = re.match(r"(3\.\d{1,2})", tag)
        if not version:
            raise WorkbenchError(
                f"base image {image!r} does not name a Python version; use e.g. python:3.12-alpine"
            )
        if "alpine" in tag:
            return cls(version.group(1), "musl", _MUSL_VERSION, arch, image)
        codename = _codename_in(tag) or _DEFAULT_DEBIAN
        return cls(version.group(1), "glibc", _DISTROS[codename][0], arch, image)

    def to_dict(self) -> dict:
        """JSON-ready description."""
        return asdict(self)

    @property
    def key(self) -> str:
        """Short stable identifier, e.g. ``cp312-musl1.2-x86_64``."""
        return f"cp{self.python.replace('.', '')}-{self.libc}{self.libc_version}-{self.arch}"

    def describe(self) -> str:
        """Human description, e.g. ``CPython 3.12, musl 1.2, x86_64``."""
        return f"CPython {self.python}, {self.libc} {self.libc_version}, {self.arch}"

    @property
    def uv_platform(self) -> str:
        """uv's ``--python-platform`` value; it also fixes uv's marker environment."""
        if self.libc == "musl":
            return f"{self.arch}-unknown-linux-musl"
        major, minor = self.libc_version.split(".")
        return f"{self.arch}-manylinux_{major}_{min(int(minor), _UV_MAX_MANYLINUX)}"

    @cached_property
    def platforms(self) -> list[str]:
        """Platform tags the target accepts, most specific first."""
        major, minor = (int(p) for p in self.libc_version.split("."))
        if self.libc == "musl":
            tags = [f"musllinux_{major}_{m}_{self.arch}" for m in range(minor, -1, -1)]
        else:
            tags = [
                f"manylinux_{major}_{m}_{self.arch}" for m in range(minor, _MIN_MANYLINUX - 1, -1)
            ]
            tags += [f"manylinux2014_{self.arch}"]
            if self.arch == "x86_64":
                tags += ["manylinux2010_x86_64", "manylinux1_x86_64"]
        return [*tags, f"linux_{self.arch}"]

    @cached_property
    def tags(self) -> list[Tag]:
        """Wheel tags the target's pip would accept, in pip's preference order."""
        version = tuple(int(p) for p in self.python.split("."))
        return [
            *cpython_tags(version, platforms=self.platforms),
            *compatible_tags(
                version, interpreter=f"cp{version[0]}{version[1]}", platforms=self.platforms
            ),
        ]

    @cached_property
    def environment(self) -> Environment:
        """PEP 508 marker environment of the target, with no value taken from the host."""
        return {
            "implementation_name": "cpython",
            "implementation_version": f"{self.python}.0",
            "os_name": "posix",
            "platform_machine": self.arch,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": "Linux",
            "platform_version": "",
            "python_full_version": f"{self.python}.0",
            "python_version": self.python,
            "sys_platform": "linux",
        }


def _codename(repo: str, tag: str) -> str | None:
    if repo == "ubuntu":
        return _UBUNTU_RELEASES.get(tag, tag if tag in _DISTROS else None)
    if repo == "debian":
        release = tag.split("-")[0].split(".")[0]
        return _DEBIAN_RELEASES.get(release, release if release in _DISTROS else None)
    return None


def _codename_in(text: str) -> str | None:
    return next((c for c in _DISTROS if c in text), None)


def debian_release(image: str) -> str:
    """The Debian codename an image name implies (``python:3.12-slim`` -> today's default)."""
    return _codename_in(image) or _DEFAULT_DEBIAN


def default_target() -> Target:
    """The default target: ``python:3.12-alpine`` on x86_64."""
    return Target.from_image(DEFAULT_BASE_IMAGE)


def make_target(
    base: str | None = None,
    python: str | None = None,
    libc: str | None = None,
    arch: str | None = None,
) -> Target:
    """Target from a base image and/or explicit overrides (explicit values win)."""
    start = Target.from_image(base or DEFAULT_BASE_IMAGE, arch or "x86_64")
    if libc and libc != start.libc:
        start = Target(start.python, libc, None, start.arch, start.base_image)
    return Target(
        python or start.python,
        start.libc,
        start.libc_version,
        _ARCH_ALIASES.get(arch or start.arch, arch or start.arch),
        start.base_image if not (python or libc) else None,
    )
