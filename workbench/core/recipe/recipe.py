"""The recipe: the user's choices in ``workbench.toml``, loaded, validated and saved.

Loaded with tomlkit so a rewrite keeps the user's comments and layout; saved with
``files.write_atomic`` (an existing file kept as ``<name>.bak``; a file changed on disk since
it was loaded is refused). Every bad input is one ``WorkbenchError`` line naming the file, the
key and what to do.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError

from workbench.core.defaults import (
    DEFAULT_AZURE_CLI,
    DEFAULT_BASE_IMAGE,
    DEFAULT_LOGIN,
    LOGIN_ROUTES,
    NO_LOGIN,
    PIN_MODES,
)
from workbench.core.defaults import INSTALL_MODES as MODES
from workbench.core.errors import WorkbenchError
from workbench.core.files import Backup, Stamp, one_line, os_reason, same_file, write_atomic
from workbench.core.recipe import fields
from workbench.core.trims.registry import TRIMS, TrimContext, get_trim

FAMILIES = ("apk", "apt")
INSTALLERS = ("uv", "pip")  # a builder stage's installer; single-stage modes use pip

_APK_BASE = re.compile(r"^(?:.*/)?(?:python:[^:]*alpine[^:]*|alpine(?::.*)?)$")
_APT_BASE = re.compile(
    r"^(?:.*/)?(?:debian|ubuntu)(?::.*)?$"
    r"|^(?:.*/)?python:(?:[^:]*-)?(?:slim|bookworm|bullseye|trixie|buster)[^:]*$"
)


@dataclass
class Package:
    """A selected distribution and how the Dockerfile pins it.

    ``pin``: exact (``==`` resolved version), compatible (``~=``) or none. ``version``
    overrides the resolution's version when set.
    """

    name: str
    pin: str = "exact"
    version: str | None = None


@dataclass
class TargetOverride:
    """Target fields set by hand; unset ones are derived from the base image."""

    python: str | None = None
    libc: str | None = None
    libc_version: str | None = None
    arch: str | None = None


@dataclass
class Keep:
    """Extra things trims must keep, beyond what the analysis finds (hand corrections)."""

    modules: list[str] = field(default_factory=list)
    aaz: dict[str, list[str]] = field(default_factory=dict)

    def context(self) -> TrimContext:
        """These overrides as a TrimContext to merge into the analysis's one."""
        return TrimContext(
            modules=frozenset(self.modules) if self.modules else None,
            aaz_groups={m: frozenset(g) for m, g in self.aaz.items()},
        )


@dataclass
class AzCopy:
    """AzCopy download: ``url`` may use {version} and {arch} (amd64/arm64)."""

    version: str
    url: str
    sha256: str


@dataclass
class PipSettings:
    """Installer options for the build: an index URL, an extra CA bundle (path), and the
    installer a builder stage uses (``uv``, the default, or ``pip``)."""

    index_url: str | None = None
    ca_bundle: str | None = None
    installer: str | None = None

    @property
    def builder_installer(self) -> str:
        """The installer of a builder stage: ``installer`` or the default, uv."""
        return self.installer or "uv"


@dataclass
class Recipe:
    """Everything needed to render the Dockerfile (see ``workbench init``)."""

    base: str = DEFAULT_BASE_IMAGE
    family: str | None = None
    azure_cli: str = DEFAULT_AZURE_CLI
    mode: str = "multistage"
    scripts: list[str] = field(default_factory=list)
    packages: list[Package] = field(default_factory=list)
    trims: list[str] = field(default_factory=list)
    runtime_packages: list[str] = field(default_factory=list)
    login: str = DEFAULT_LOGIN
    target: TargetOverride = field(default_factory=TargetOverride)
    keep: Keep = field(default_factory=Keep)
    dropped: dict[str, str] = field(default_factory=dict)  # package left out -> why
    azcopy: AzCopy | None = None
    pip: PipSettings = field(default_factory=PipSettings)
    observed_paths: list[str] = field(default_factory=list)
    path: Path | None = field(default=None, compare=False)
    _doc: Any = field(default=None, compare=False, repr=False)
    _stamp: Stamp | None = field(default=None, compare=False, repr=False)

    # ---- derived values -------------------------------------------------------------
    @property
    def root(self) -> Path:
        """The directory relative paths in the recipe are resolved against."""
        return self.path.parent if self.path else Path.cwd()

    def package_family(self) -> str | None:
        """``apk`` or ``apt``: explicit ``family`` or derived from the base image name (None
        when the name does not tell)."""
        return self.family or family_of(self.base)

    def target_of(self):
        """The size engine's Target: derived from the base image name, hand-set fields win;
        a base whose name tells nothing needs ``[target] python`` and ``libc``."""
        from dataclasses import replace

        from workbench.core.sizes.target import Target

        hand = {k: v for k, v in asdict(self.target).items() if v is not None}
        arch = hand.pop("arch", "x86_64")
        try:
            return replace(Target.from_image(self.base, arch=arch), **hand)
        except WorkbenchError:
            if "python" not in hand or "libc" not in hand:  # the recipe's words, not flags
                raise WorkbenchError(
                    f"{self.path or 'recipe'}: cannot tell Python/libc from base image "
                    f'{self.base!r}; set [target] python = "X.Y" and libc = "glibc" or '
                    '"musl" (or use a python:X.Y-* base)'
                ) from None
            return Target(hand["python"], hand["libc"], hand.get("libc_version"), arch, self.base)

    def to_data(self) -> dict:
        """The recipe's meaning as plain data (comments and layout left out)."""
        data = asdict(self)
        data.pop("path")
        data.pop("_doc")
        data.pop("_stamp")
        return data

    def digest(self) -> str:
        """sha256 of the recipe's meaning: the OCI label that ties an image to its recipe.
        The order packages are listed in means nothing, so it does not count; nor do the
        reasons for packages left out (``dropped``: notes, not choices)."""
        data = self.to_data()
        data.pop("dropped")
        data["packages"] = sorted(data["packages"], key=lambda p: p["name"])
        if not data["observed_paths"]:  # recipes from before the field hash as they did
            del data["observed_paths"]
        if data["login"] == DEFAULT_LOGIN:
            del data["login"]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    # ---- validation ------------------------------------------------------------------
    def validate(self, where: str = "recipe") -> None:
        """Check values, conflicts and files; WorkbenchError with one line otherwise."""
        self.check_values(where)
        if self.mode not in MODES:
            raise WorkbenchError(
                f"{where}: mode must be one of {', '.join(MODES)}, not {self.mode!r}"
            )
        check_login(self.login, where)
        if self.family is not None and self.family not in FAMILIES:
            raise WorkbenchError(
                f"{where}: family must be one of {', '.join(FAMILIES)}, not {self.family!r}"
            )
        for name in self.trims:
            try:
                get_trim(name)
            except WorkbenchError as exc:
                raise WorkbenchError(f"{where}: trims: {exc}") from None
        for name in self.trims:
            if self.mode == "system" and TRIMS[name].venv_only:
                raise WorkbenchError(
                    f"{where}: trim {name} conflicts with mode 'system' (it would remove the "
                    "base image's own pip); use mode venv or multistage, or drop the trim"
                )
        seen = set()
        for pkg in self.packages:
            if pkg.pin not in PIN_MODES:
                raise WorkbenchError(
                    f"{where}: packages.{pkg.name}: pin must be one of {', '.join(PIN_MODES)}, "
                    f"not {pkg.pin!r}"
                )
            if canonical(pkg.name) in seen:
                raise WorkbenchError(f"{where}: packages: {pkg.name} is listed twice")
            seen.add(canonical(pkg.name))
        if self.azcopy is not None and not re.fullmatch(r"[0-9a-f]{64}", self.azcopy.sha256):
            raise WorkbenchError(
                f"{where}: azcopy.sha256 must be 64 hex digits (the download is verified)"
            )
        for script in self.scripts:
            if not self._file(script).is_file():
                raise WorkbenchError(f"{where}: script {script} not found in {self.root}")
        if self.pip.ca_bundle and not self._file(self.pip.ca_bundle).is_file():
            raise WorkbenchError(f"{where}: pip.ca_bundle {self.pip.ca_bundle} not found")
        if self.pip.installer not in (None, *INSTALLERS):
            raise WorkbenchError(
                f"{where}: pip.installer must be one of {', '.join(INSTALLERS)}, "
                f"not {self.pip.installer!r}"
            )
        if not self.packages:
            raise WorkbenchError(f"{where}: no packages selected; add a [packages] table")
        if self.package_family() is None:
            raise WorkbenchError(
                f"{where}: cannot tell the package family of base image {self.base!r}; "
                f"set family = one of {', '.join(FAMILIES)} (supported: apk for Alpine, "
                "apt for Debian/Ubuntu)"
            )

    def check_values(self, where: str = "recipe") -> None:
        """Every value that reaches the Dockerfile against its grammar (see ``fields``)."""
        family = self.package_family() or "apt"
        checks: list[tuple[str, str | None]] = [
            ("base", fields.image_reference(self.base)),
            ("azure_cli", fields.version(self.azure_cli)),
        ]
        for pkg in self.packages:
            checks.append((f"packages.{pkg.name}", fields.distribution_name(pkg.name)))
            if pkg.version is not None:
                compatible = pkg.pin == "compatible"
                checks.append(
                    (
                        f"packages.{pkg.name}.version",
                        fields.version(pkg.version, compatible=compatible),
                    )
                )
        checks += [
            ("runtime_packages", fields.os_package(p, family)) for p in self.runtime_packages
        ]
        t = self.target
        checks += [
            ("target.python", t.python and fields.python_version(t.python)),
            ("target.libc_version", t.libc_version and fields.libc_version(t.libc_version)),
            ("target.libc", _one_of(t.libc, ("glibc", "musl"))),
            ("target.arch", _one_of(t.arch, ("x86_64", "aarch64"))),
            ("pip.index_url", self.pip.index_url and fields.http_url(self.pip.index_url)),
        ]
        if self.azcopy is not None:
            checks += [
                ("azcopy.version", fields.token(self.azcopy.version, "AzCopy version")),
                ("azcopy.url", fields.url_template(self.azcopy.url)),
            ]
        for key, problem in checks:
            if problem:
                raise WorkbenchError(f"{where}: {key}: {problem}")

    def _file(self, name: str) -> Path:
        return (self.root / os.path.expanduser(name)).resolve()

    # ---- persistence -----------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike) -> Recipe:
        """Read and validate ``path``."""
        path = Path(path)
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8")
        except FileNotFoundError:
            raise WorkbenchError(
                f"recipe {path} not found; create one with workbench init"
            ) from None
        except IsADirectoryError:
            raise WorkbenchError(f"recipe {path} is a directory; name the TOML file") from None
        except OSError as exc:
            raise WorkbenchError(f"cannot read recipe {path}: {os_reason(exc)}") from None
        except UnicodeDecodeError as exc:
            raise WorkbenchError(
                f"recipe {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
            ) from None
        recipe = cls.from_toml(text, path)
        recipe._stamp = Stamp.of(path, raw)
        return recipe

    @classmethod
    def from_toml(cls, text: str, path: Path | None = None) -> Recipe:
        """Parse and validate recipe text (``path`` names it and anchors relative paths)."""
        where = str(path or "recipe")
        text = text.removeprefix("\ufeff")  # a UTF-8 BOM some editors write
        try:
            doc = tomlkit.parse(text)
        except ParseError as exc:
            message = re.sub(r" at line \d+ col \d+$", "", str(exc))
            raise WorkbenchError(
                f"{where}:{exc.line}:{exc.col + 1}: invalid TOML: {message}"
            ) from None
        except TOMLKitError as exc:  # a key defined twice, and the like
            raise WorkbenchError(f"{where}: invalid TOML: {one_line(exc)}") from None
        except RecursionError:
            raise WorkbenchError(f"{where}: invalid TOML: nested too deeply") from None
        recipe = _from_data(doc.unwrap(), where)
        recipe.path = path
        recipe._doc = doc
        recipe.validate(where)
        return recipe

    def to_toml(self) -> str:
        """The recipe as TOML; a loaded recipe keeps its comments and layout."""
        data = _to_toml_data(self)
        if self._doc is None:
            doc = _template()
        else:  # a hand-written file stays as terse as it was: no defaults added
            doc = self._doc
            defaults = _to_toml_data(Recipe())
            data = {k: v for k, v in data.items() if k in doc or v != defaults[k]}
        _sync_table(doc, data)
        return tomlkit.dumps(doc)

    def save(
        self,
        path: str | os.PathLike | None = None,
        *,
        force: bool = False,
        overwrite: bool = True,
        backup: Backup = "single",
    ) -> Path:
        """Write atomically; an existing file is first copied to ``<name>.bak`` (``backup``:
        see ``files.write_atomic``). Saving over the file it was loaded from refuses
        (``ChangedOnDisk``) when that file changed on disk since, unless ``force``;
        ``overwrite=False`` refuses any existing file."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise WorkbenchError("recipe has no file name; pass one to save")
        text = self.to_toml()
        same = self.path is not None and self._stamp is not None and same_file(target, self.path)
        expect = self._stamp if same and not force else None
        write_atomic(target, text, backup=backup, overwrite=overwrite, expect=expect)
        self.path = target
        self._stamp = Stamp.of(target, text.encode("utf-8"))
        return target


def _one_of(value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is None or value in allowed:
        return None
    return f"{value!r} is not one of {', '.join(allowed)}"


def canonical(name: str) -> str:
    """PEP 503 name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def family_of(base: str) -> str | None:
    """``apk`` / ``apt`` for known base image names, None when the name does not tell."""
    if _APK_BASE.match(base):
        return "apk"
    if _APT_BASE.match(base):
        return "apt"
    return None


# ---- TOML <-> model -------------------------------------------------------------------
_TOP = {
    "base": str,
    "family": str,
    "azure_cli": str,
    "mode": str,
    "scripts": list,
    "trims": list,
    "runtime_packages": list,
    "login": str,
    "packages": dict,
    "target": dict,
    "keep": dict,
    "dropped": dict,
    "azcopy": dict,
    "pip": dict,
    "observed_paths": list,
}
_TABLES: dict[str, dict[str, type]] = {
    "target": {"python": str, "libc": str, "libc_version": str, "arch": str},
    "keep": {"modules": list, "aaz": dict},
    "azcopy": {"version": str, "url": str, "sha256": str},
    "pip": {"index_url": str, "ca_bundle": str, "installer": str},
}
_TYPE_NAMES = {str: "a string", list: "an array", dict: "a table"}


def _check_keys(data: dict, schema: dict, where: str, prefix: str = "") -> None:
    for key, value in data.items():
        if key not in schema:
            raise WorkbenchError(
                f"{where}: unknown key '{prefix}{key}' (known: {', '.join(schema)})"
            )
        if not isinstance(value, schema[key]):
            raise WorkbenchError(f"{where}: {prefix}{key} must be {_TYPE_NAMES[schema[key]]}")


def _strings(value: list, where: str, key: str) -> list[str]:
    if not all(isinstance(v, str) for v in value):
        raise WorkbenchError(f"{where}: {key} must be an array of strings")
    return list(value)


def _from_data(data: dict, where: str) -> Recipe:
    _check_keys(data, _TOP, where)
    for table, schema in _TABLES.items():
        _check_keys(data.get(table, {}), schema, where, f"{table}.")
    for missing in ("version", "url", "sha256"):
        if "azcopy" in data and missing not in data["azcopy"]:
            raise WorkbenchError(f"{where}: azcopy.{missing} is missing")
    keep = data.get("keep", {})
    aaz = {}
    for module, groups in keep.get("aaz", {}).items():
        if not isinstance(groups, list):
            raise WorkbenchError(f"{where}: keep.aaz.{module} must be an array of group paths")
        aaz[module] = _strings(groups, where, f"keep.aaz.{module}")
    return Recipe(
        base=data.get("base", DEFAULT_BASE_IMAGE),
        family=data.get("family"),
        azure_cli=data.get("azure_cli", DEFAULT_AZURE_CLI),
        mode=data.get("mode", "multistage"),
        scripts=_strings(data.get("scripts", []), where, "scripts"),
        packages=[_package(n, v, where) for n, v in data.get("packages", {}).items()],
        trims=_strings(data.get("trims", []), where, "trims"),
        runtime_packages=_strings(data.get("runtime_packages", []), where, "runtime_packages"),
        login=data.get("login", DEFAULT_LOGIN),
        target=TargetOverride(**data.get("target", {})),
        keep=Keep(_strings(keep.get("modules", []), where, "keep.modules"), aaz),
        dropped=_reasons(data.get("dropped", {}), where),
        azcopy=AzCopy(**data["azcopy"]) if "azcopy" in data else None,
        pip=PipSettings(**data.get("pip", {})),
        observed_paths=_strings(data.get("observed_paths", []), where, "observed_paths"),
    )


def _reasons(value: dict, where: str) -> dict[str, str]:
    if not all(isinstance(v, str) for v in value.values()):
        raise WorkbenchError(f"{where}: dropped.<package> must be a string saying why")
    return dict(value)


def _package(name: str, value: Any, where: str) -> Package:
    if isinstance(value, str):
        return Package(name, value)
    if isinstance(value, dict):
        _check_keys(value, {"pin": str, "version": str}, where, f"packages.{name}.")
        return Package(name, value.get("pin", "exact"), value.get("version"))
    raise WorkbenchError(
        f"{where}: packages.{name} must be a pin mode string or a table {{pin, version}}"
    )


def _to_toml_data(recipe: Recipe) -> dict:
    """The recipe as the nested dict written to TOML (None / empty values left out)."""
    packages = {
        p.name: p.pin if p.version is None else {"pin": p.pin, "version": p.version}
        for p in recipe.packages
    }
    data = {
        "base": recipe.base,
        "family": recipe.family,
        "azure_cli": recipe.azure_cli,
        "mode": recipe.mode,
        "scripts": recipe.scripts,
        "trims": recipe.trims,
        "runtime_packages": recipe.runtime_packages,
        "login": recipe.login,
        "target": asdict(recipe.target),
        "packages": packages,
        "keep": asdict(recipe.keep),
        "dropped": dict(recipe.dropped),
        "azcopy": asdict(recipe.azcopy) if recipe.azcopy else None,
        "pip": asdict(recipe.pip),
        "observed_paths": recipe.observed_paths,
    }
    return data


def _empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    return value is None or value == []


def _sync_table(container, data: dict) -> None:
    """Make ``container`` (a tomlkit table) hold ``data``, touching only what changed."""
    for key in [k for k in container if k not in data]:
        del container[key]
    for key, value in data.items():
        if _empty(value) and not (isinstance(value, dict) and key == "packages"):
            if key in container:
                del container[key]
        elif isinstance(value, dict) and not _is_inline(key, value):
            if key not in container:
                container[key] = tomlkit.table()
            _sync_table(container[key], value)
        elif key not in container or container[key].unwrap() != value:
            container[key] = _inline(value)


def _is_inline(key: str, value: dict) -> bool:
    # package entries {pin, version} and keep.aaz are written inline; other tables as sections
    return "pin" in value or key == "aaz"


def _inline(value: Any) -> Any:
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update(value)
        return table
    return value


def _template() -> tomlkit.TOMLDocument:
    """A fresh document whose comments explain each setting."""
    return tomlkit.parse(
        """\
# workbench recipe: the choices behind one Azure CLI container image.
# Edit by hand or with `workbench tui`; `workbench dockerfile --recipe FILE` renders it.
#   base              base image; its name decides the OS package family (apk/apt) unless
#                     family = "apk" | "apt" is set, and the target unless [target] is set
#   mode              system (base Python) | venv (/opt/az) | multistage (venv built in a
#                     builder stage, copied to a clean final stage)
#   scripts           az scripts to analyse and to COPY into the image
#   trims             no-compile (or sourceless), prune-modules, prune-aaz, prune-aaz-commands,
#                     prune-command-files, trim-api-versions, prune-pygments, drop-tests,
#                     drop-stubs, drop-docs, drop-pip, drop-records, strip-binaries
#   runtime_packages  OS packages the scripts need at run time (e.g. bash coreutils jq)
#   login             service-principal (default: az login/logout/account are kept, as a
#                     pipeline logs in before the script) | none (the image never logs in)
#   [packages]        name = "exact" | "compatible" | "none" (or {pin = ..., version = ...})
#   [keep]            modules / aaz groups the trims must keep beyond the analysis
#   [dropped]         packages left out on purpose, and why (e.g. the probe's dead weight)
#   [azcopy]          version, url (may use {version}, {arch}), sha256
#   [pip]             index_url, ca_bundle (a CA for builds behind a proxy; not left in the image),
#                     installer = "uv" (default) | "pip" (the builder stage's installer)
#   observed_paths    az command paths seen only when the scripts ran (workbench init --trace);
#                     the analysis and trims count them (branches the run did not take: not
#                     covered)
"""
    )


def check_login(route: str, where: str = "recipe") -> str:
    """``route`` when it is one of ``LOGIN_ROUTES``; one WorkbenchError line otherwise."""
    if route not in LOGIN_ROUTES:
        raise WorkbenchError(
            f"{where}: login must be one of {', '.join(LOGIN_ROUTES)}, not {route!r} "
            f'("{NO_LOGIN}": the image never logs in itself, so the login commands are not kept)'
        )
    return route
