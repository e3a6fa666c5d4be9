"""Render a recipe into a Dockerfile and the build context files it COPYs.

Layout rules (each explained again in the Dockerfile's own comments):
- One ``RUN`` per stage does OS packages, install, trims and cleanup, so nothing deleted is
  left behind in a lower layer.
- Build dependencies only when the resolution reports a package without a wheel for the
  target; then as an apk virtual package / apt packages purged in the same ``RUN``.
- ``azure-cli`` with ``--no-deps`` (its Requires-Dist pulls in every SDK); everything else
  pinned from the resolution, or installed from a hashed lock with ``--require-hashes``.
- A pip CA bundle never reaches the final image: Docker's classic builder keeps whatever is
  COPYed in a layer, so with a CA the install happens in a builder stage and only its result
  (the venv, or a ``pip --root`` tree in system mode) is copied into the final stage.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from workbench.core.errors import WorkbenchError
from workbench.core.recipe.recipe import FAMILIES, Recipe, canonical
from workbench.core.trims.registry import TRIMS, TrimContext, ordered, pip_flags, trim_script

VENV = "/opt/az"
AZCOPY_DIR = "/opt/azcopy"
SCRIPTS_DIR = "/scripts"
STAGING = "/tmp/workbench"  # where COPYed build inputs live inside the build
INSTALL_ROOT = "/install"  # pip --root tree of a system-mode builder stage
CONTEXT_DIR = "workbench-build"  # generated files in the build context

_BUILD_DEPS = {
    "apk": ["build-base", "cargo", "libffi-dev", "openssl-dev"],
    "apt": ["build-essential", "cargo", "libffi-dev", "libssl-dev"],
}
_AZCOPY_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
_INDENT = "    "


@dataclass(frozen=True)
class Resolution:
    """What the resolver decided: canonical name -> version for every distribution to
    install, the names with no wheel for the target (they need build deps), and optionally
    the text of a hashed requirements lock (``pip --require-hashes``)."""

    versions: Mapping[str, str]
    no_wheel: frozenset[str] = frozenset()
    lock: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "versions", {canonical(k): v for k, v in self.versions.items()})
        object.__setattr__(self, "no_wheel", frozenset(canonical(n) for n in self.no_wheel))

    @classmethod
    def from_json(cls, data: Mapping) -> Resolution:
        """From ``{"versions": {...}, "no_wheel": [...], "lock": "..."}``."""
        return cls(data.get("versions", {}), frozenset(data.get("no_wheel", ())), data.get("lock"))

    @classmethod
    def from_size_model(cls, model, requested, *, lock: bool = False) -> Resolution:
        """From the size engine's model: the closure of ``requested`` (azure-cli, core and
        their dependencies) pinned, sdist-only names flagged; with ``lock``, a hashed lock of
        the exact files the model resolved for the target."""
        names = [p.name for p in model.estimate(requested).packages]
        dists = [model.dists[n] for n in names]
        text = None
        if lock:
            text = "".join(f"{d.name}=={d.version} --hash=sha256:{d.sha256}\n" for d in dists)
        return cls(
            {d.name: d.version for d in dists},
            frozenset(d.name for d in dists if not d.is_wheel),
            text,
        )


@dataclass(frozen=True)
class BuildContext:
    """The Dockerfile and the files it COPYs: context path -> bytes, or a Path to copy."""

    dockerfile: str
    files: Mapping[str, bytes | Path] = field(default_factory=dict)

    def write(self, directory: str | Path, dockerfile: str = "Dockerfile") -> Path:
        """Write the Dockerfile and every file into ``directory``; returns the Dockerfile path.

        A file already there with other content is backed up to ``<name>.bak`` first.
        """
        directory = Path(directory)
        for rel, content in self.files.items():
            dest = directory / rel
            if not (isinstance(content, Path) and dest.exists() and dest.samefile(content)):
                _write_kept(dest, content)
        path = directory / dockerfile
        _write_kept(path, self.dockerfile.encode())
        return path


def _write_kept(dest: Path, content: bytes | Path) -> None:
    """Write (or copy, keeping the mode) atomically unless identical; back up a different
    existing file first."""
    data = content.read_bytes() if isinstance(content, Path) else content
    if dest.exists() and dest.read_bytes() == data:
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        shutil.copy2(dest, dest.with_name(dest.name + ".bak"))
    tmp = dest.with_name(f".{dest.name}.tmp")
    if isinstance(content, Path):
        shutil.copy2(content, tmp)
    else:
        tmp.write_bytes(data)
    os.replace(tmp, dest)


def render_dockerfile(
    recipe: Recipe, resolution: Resolution, trim_context: TrimContext | None = None
) -> str:
    """The Dockerfile text for ``recipe`` (see ``build_context`` for the files it needs)."""
    return build_context(recipe, resolution, trim_context).dockerfile


def build_context(
    recipe: Recipe, resolution: Resolution, trim_context: TrimContext | None = None
) -> BuildContext:
    """Dockerfile plus context files for ``recipe``, pinned by ``resolution``.

    ``trim_context`` comes from the analysis; the recipe's ``[keep]`` table is merged in.
    """
    family = recipe.package_family()
    if family not in FAMILIES:
        raise WorkbenchError(
            f"base image {recipe.base!r}: unknown package family; set family to one of "
            f"{', '.join(FAMILIES)} (apk for Alpine, apt for Debian/Ubuntu)"
        )
    return _Renderer(recipe, resolution, trim_context, family).render()


@dataclass(frozen=True)
class OsPackagePlan:
    """The OS packages a recipe's Dockerfile installs: the runtime ones the final image keeps,
    the build deps it adds and removes again, and whether the final stage runs the package
    manager at all (then its database files are rewritten into a layer)."""

    family: str
    runtime: tuple[str, ...]
    build: tuple[str, ...]
    final_runs_manager: bool


def os_package_plan(recipe: Recipe, resolution: Resolution) -> OsPackagePlan:
    """What ``build_context`` would install with the OS package manager, without rendering."""
    family = recipe.package_family()
    if family not in FAMILIES:
        raise WorkbenchError(
            f"base image {recipe.base!r}: unknown package family; set family to one of "
            f"{', '.join(FAMILIES)}"
        )
    r = _Renderer(recipe, resolution, None, family)
    runtime = tuple(r._runtime_packages())
    build = tuple(r._build_deps()) if resolution.no_wheel else ()
    return OsPackagePlan(family, runtime, build, bool(runtime) or (bool(build) and not r.builder))


class _Renderer:
    def __init__(self, recipe, resolution, trim_context, family) -> None:
        self.r = recipe
        self.res = resolution
        self.family = family
        self.trims = ordered(recipe.trims)
        self.context = (trim_context or TrimContext()).merged(recipe.keep.context())
        self.builder = recipe.mode == "multistage" or bool(recipe.pip.ca_bundle)
        self.files: dict[str, bytes | Path] = {}
        self.distro_python = not _is_python_image(recipe.base)

    # ---- top level -------------------------------------------------------------------
    def render(self) -> BuildContext:
        staged = self._stage_inputs()
        lines = self._header()
        if self.builder:
            lines += self._builder_stage(staged)
            lines += self._final_stage_from_builder()
        else:
            lines += self._single_stage(staged)
        lines += self._tail()
        return BuildContext("\n".join(lines) + "\n", self.files)

    def _stage_inputs(self) -> list[str]:
        """Files the install RUN needs, registered in the context; their context paths."""
        staged = []
        if self.trims:
            self.files[f"{CONTEXT_DIR}/trim.py"] = trim_script(self.trims, self.context).encode()
            staged.append(f"{CONTEXT_DIR}/trim.py")
        if self.r.pip.ca_bundle:
            self.files[f"{CONTEXT_DIR}/pip-ca.pem"] = self.r._file(self.r.pip.ca_bundle)
            staged.append(f"{CONTEXT_DIR}/pip-ca.pem")
        if self.res.lock is not None:
            self.files[f"{CONTEXT_DIR}/requirements.lock"] = self.res.lock.encode()
            staged.append(f"{CONTEXT_DIR}/requirements.lock")
        return staged

    def _header(self) -> list[str]:
        source = self.r.path.name if self.r.path else "a workbench recipe"
        lines = [
            f"# Generated by workbench from {source} (recipe sha256 {self.r.digest()[:12]});",
            "# edit the recipe and re-render rather than editing this file.",
            f"# Azure CLI {self.r.azure_cli} on {self.r.base} ({self.family} packages), "
            f"install mode {self.r.mode}.",
        ]
        if self.trims:
            lines.append(
                f"# Trims run by the generated script {CONTEXT_DIR}/trim.py, in this order:"
            )
            for n in self.trims:
                lines += _comment(f"{n}: {TRIMS[n].why}", indent="#   ", rest="#     ")
        else:
            lines.append("# No trims selected.")
        return [*lines, ""]

    # ---- stages ----------------------------------------------------------------------
    def _single_stage(self, staged: list[str]) -> list[str]:
        lines = [f"FROM {self.r.base}", ""]
        lines += self._copy_staged(staged)
        steps = self._runtime_steps() + self._install_steps(final=True) + self._azcopy_steps()
        steps += self._cleanup_steps(staged)
        lines += _comment(
            "One RUN for OS packages, install, trims and cleanup: whatever it deletes never "
            "lands in a layer, so the image has no wasted bytes from this step."
        )
        lines += [*self._install_comment(), *_run(steps), ""]
        return lines

    def _builder_stage(self, staged: list[str]) -> list[str]:
        why = (
            "the pip CA bundle is COPYed here and must not reach the final image (the classic "
            "builder keeps every COPY in a layer)"
            if self.r.pip.ca_bundle
            else "build inputs, pip and build deps stay here"
        )
        lines = [
            "# ---- builder stage: installs and trims; discarded after the build ----",
            *_comment(f"A separate stage because {why}."),
            f"FROM {self.r.base} AS builder",
            "",
        ]
        lines += self._copy_staged(staged)
        lines += _comment(
            "One RUN: install pinned packages, then trim, so the copied result is final."
        )
        lines += self._install_comment()
        lines += [*_run(self._install_steps(final=False) + self._azcopy_steps()), ""]
        return lines

    def _install_comment(self) -> list[str]:
        """Why the install RUN looks the way it does."""
        notes = []
        if self.res.no_wheel:
            notes.append(
                f"Build deps because {', '.join(sorted(self.res.no_wheel))} has no wheel for "
                "this target"
                + ("; removed again in this RUN." if not self.builder else " (builder only).")
            )
        if self.res.lock is not None:
            notes.append(
                "Every distribution comes from the hashed lock (--require-hashes, --no-deps)."
            )
        else:
            notes.append(
                "azure-cli with --no-deps: its Requires-Dist pulls in every SDK (~674 MB); the "
                "second pip call installs only what the scripts need, pinned as resolved."
            )
        if self.r.mode == "system" and self.distro_python:
            notes.append(
                "--break-system-packages: the distro marks its Python externally managed "
                "(PEP 668); this image is single-purpose, so installing into it is intended."
            )
        if self.r.mode == "system" and self.trims and not self.builder:
            notes.append(
                "trim.py --snapshot/--before: trims touch only files this RUN installed, never "
                "the base image's own (deleting those would add whiteouts, not save bytes)."
            )
        if self.r.azcopy:
            notes.append(
                f"AzCopy {self.r.azcopy.version}: downloaded and checked against its sha256 "
                "before it is unpacked."
            )
        return [line for note in notes for line in _comment(note)]

    def _final_stage_from_builder(self) -> list[str]:
        lines = [
            "# ---- final stage: the base image plus the trimmed result, nothing else ----",
            f"FROM {self.r.base}",
            "",
        ]
        runtime = self._runtime_steps()
        if runtime:
            lines += [
                "# Runtime OS packages; the package lists are removed in the same RUN.",
                *_run(runtime + self._os_cleanup()),
                "",
            ]
        if self.r.mode == "system":
            lines += [
                "# The builder's pip --root tree: site-packages and the az entry point.",
                f"COPY --from=builder {INSTALL_ROOT}/ /",
            ]
        else:
            lines += [
                "# The venv, built and trimmed in the builder (it points at the same base Python).",
                f"COPY --from=builder {VENV} {VENV}",
            ]
            if self.r.azcopy:
                lines.append(f"COPY --from=builder {AZCOPY_DIR} {AZCOPY_DIR}")
        return [*lines, ""]

    def _tail(self) -> list[str]:
        lines = []
        env = []
        path = [VENV + "/bin"] if self.r.mode != "system" else []
        if self.r.azcopy:
            path.append(AZCOPY_DIR)
        if path:
            env.append(f'PATH="{":".join(path)}:${{PATH}}"')
        if "no-compile" in self.trims:
            env.append("PYTHONDONTWRITEBYTECODE=1")
        if env:
            on_path = ["az"] * (self.r.mode != "system") + ["azcopy"] * bool(self.r.azcopy)
            why = [f"{' and '.join(on_path)} on PATH"] if on_path else []
            if "no-compile" in self.trims:
                why.append("no .pyc written at run time either (no-compile)")
            lines += [
                f"# {'; '.join(why)}.",
                "ENV " + f" \\\n{_INDENT}".join(env),
                "",
            ]
        if self.r.scripts:
            lines += self._copy_scripts()
        labels = {
            "org.opencontainers.image.title": "azure-cli (trimmed by workbench)",
            "org.opencontainers.image.description": (
                f"Azure CLI {self.r.azure_cli} with only the packages the scripts need"
            ),
            "org.opencontainers.image.version": self.r.azure_cli,
            "org.opencontainers.image.base.name": self.r.base,
            "dev.workbench.recipe.sha256": self.r.digest(),
            "dev.workbench.mode": self.r.mode,
            "dev.workbench.trims": ",".join(self.trims),
        }
        lines += [
            "# OCI labels; the recipe hash ties this image to the recipe that made it.",
            "LABEL " + f" \\\n{_INDENT}".join(f"{k}={json.dumps(v)}" for k, v in labels.items()),
        ]
        return lines

    # ---- pieces ----------------------------------------------------------------------
    def _copy_staged(self, staged: list[str]) -> list[str]:
        if not staged:
            return []
        what = {
            "trim.py": "the generated trim script (context embedded)",
            "pip-ca.pem": "the pip CA bundle",
            "requirements.lock": "the hashed requirements lock",
        }
        names = ", ".join(what[PurePosixPath(s).name] for s in staged)
        note = "" if self.builder else "; removed by the RUN below (a few KB stay in this layer)"
        return [
            *_comment(f"Build inputs: {names}{note}."),
            f"COPY {' '.join(staged)} {STAGING}/",
            "",
        ]

    def _copy_scripts(self) -> list[str]:
        seen: dict[str, str] = {}
        for script in self.r.scripts:
            name = PurePosixPath(script).name
            if name in seen:
                raise WorkbenchError(
                    f"scripts {seen[name]} and {script} share the file name {name}; rename one"
                )
            rel = PurePosixPath(script)
            inside = not rel.is_absolute() and ".." not in rel.parts
            seen[name] = str(rel) if inside else f"scripts/{name}"
            self.files[seen[name]] = self.r.root / script
        return [
            "# The scripts this image exists to run.",
            f"COPY {' '.join(seen.values())} {SCRIPTS_DIR}/",
            f"WORKDIR {SCRIPTS_DIR}",
            "",
        ]

    def _runtime_packages(self) -> list[str]:
        packages = list(self.r.runtime_packages)
        if self.r.azcopy and self.family == "apk" and "libc6-compat" not in packages:
            packages.append("libc6-compat")  # AzCopy is linked against glibc
        return packages

    def _runtime_steps(self) -> list[str]:
        packages = self._runtime_packages()
        if not packages:
            return []
        if self.family == "apk":
            return [f"apk add --no-cache {' '.join(packages)}"]
        return [
            "apt-get update",
            f"apt-get install -y --no-install-recommends {' '.join(packages)}",
        ]

    def _build_deps(self) -> list[str]:
        deps = list(_BUILD_DEPS[self.family])
        if self.distro_python:
            deps.append("python3-dev")  # python:* images ship the headers; distro Python does not
        return deps

    def _install_steps(self, final: bool) -> list[str]:
        """Build deps (if needed), venv, pip installs, trims, build-dep removal."""
        steps = []
        needs_build = sorted(self.res.no_wheel)
        deps = self._build_deps() if needs_build else []
        if deps and self.family == "apk":
            steps.append(f"apk add --no-cache --virtual=.build-deps {' '.join(deps)}")
        elif deps:
            if not (final and self._runtime_packages()):
                steps.append("apt-get update")
            steps.append(f"apt-get install -y --no-install-recommends {' '.join(deps)}")
        root = self.r.mode == "system" and self.builder
        if self.r.mode == "system":
            python = "python3"
        else:
            steps.append(f"python3 -m venv {VENV}")
            python = f"{VENV}/bin/python"
        if self.trims and self.r.mode == "system" and not root:
            steps.append(f"{python} -B {STAGING}/trim.py --snapshot {STAGING}/before.txt")
        steps += self._pip_steps(python, root)
        if self.trims:
            trim_args = (
                f" --root {INSTALL_ROOT}"
                if root
                else (f" --before {STAGING}/before.txt" if self.r.mode == "system" else "")
            )
            steps.append(f"{python} -B {STAGING}/trim.py{trim_args}")
        if deps and final:
            if self.family == "apk":
                steps.append("apk del --purge .build-deps")
            else:
                steps.append(f"apt-get purge -y --auto-remove {' '.join(deps)}")
        return steps

    def _pip_steps(self, python: str, root: bool) -> list[str]:
        opts = ["--no-cache-dir", "--disable-pip-version-check"]
        if self.r.pip.index_url:
            opts.append(f"--index-url {shlex.quote(self.r.pip.index_url)}")
        if self.r.pip.ca_bundle:
            opts.append(f"--cert {STAGING}/pip-ca.pem")
        if self.r.mode == "system" and self.distro_python:
            opts.append("--break-system-packages")  # PEP 668: the distro marks its Python managed
        if root:
            opts.append(f"--root {INSTALL_ROOT}")
        opts += pip_flags(self.trims)
        pip = f"{python} -m pip install {' '.join(opts)}"
        if self.res.lock is not None:
            return [f"{pip} --no-deps --require-hashes -r {STAGING}/requirements.lock"]
        return [
            f"{pip} --no-deps azure-cli=={self.r.azure_cli}",
            _continued(pip, self._requirements()),
        ]

    def _requirements(self) -> list[str]:
        """Pinned requirement specs: selected packages by their pin mode, the rest ``==``."""
        chosen = {canonical(p.name): p for p in self.r.packages}
        names = sorted((set(self.res.versions) | set(chosen)) - {"azure-cli"})
        specs = []
        for name in names:
            pkg = chosen.get(name)
            version = (pkg.version if pkg else None) or self.res.versions.get(name)
            pin = pkg.pin if pkg else "exact"
            if pin == "none":
                specs.append(name)
            elif version is None:
                raise WorkbenchError(
                    f"package {name} has no resolved version; resolve the recipe first, "
                    f'set packages.{name} = {{pin = "{pin}", version = "..."}}, or pin "none"'
                )
            else:
                specs.append(f"{name}{'==' if pin == 'exact' else '~='}{version}")
        if not specs:
            raise WorkbenchError("nothing to install besides azure-cli; select packages first")
        return specs

    def _azcopy_steps(self) -> list[str]:
        az = self.r.azcopy
        if az is None:
            return []
        arch = self.r.target.arch or "x86_64"
        url = az.url.format(version=az.version, arch=_AZCOPY_ARCH.get(arch, arch))
        dest = (INSTALL_ROOT if self.r.mode == "system" and self.builder else "") + AZCOPY_DIR
        env = f"SSL_CERT_FILE={STAGING}/pip-ca.pem " if self.r.pip.ca_bundle else ""
        fetch = (
            "import hashlib, sys, urllib.request as u; d = u.urlopen(sys.argv[1]).read(); "
            "sys.exit('azcopy: sha256 mismatch') if hashlib.sha256(d).hexdigest() != sys.argv[2] "
            "else open(sys.argv[3], 'wb').write(d)"
        )
        return [
            f"mkdir -p {STAGING} {dest}",
            f"{env}python3 -c {shlex.quote(fetch)} {shlex.quote(url)} {az.sha256} "
            f"{STAGING}/azcopy.tar.gz",
            f"tar -xzf {STAGING}/azcopy.tar.gz -C {dest} --strip-components=1",
        ]

    def _os_cleanup(self) -> list[str]:
        # apt-get clean drops the .deb files and the ~70 MB pkgcache/srcpkgcache that
        # `apt-get update` writes (bases without docker-clean keep them otherwise)
        return ["apt-get clean", "rm -rf /var/lib/apt/lists/*"] if self.family == "apt" else []

    def _cleanup_steps(self, staged: list[str]) -> list[str]:
        steps = []
        if self.family == "apt" and (self._runtime_packages() or self.res.no_wheel):
            steps += self._os_cleanup()
        if staged or self.r.azcopy:
            steps.append(f"rm -rf {STAGING}")
        return steps


def _is_python_image(base: str) -> bool:
    name = base.rsplit("/", 1)[-1]
    return name.startswith("python:") or name == "python"


def _comment(text: str, indent: str = "# ", rest: str | None = None) -> list[str]:
    """``text`` as Dockerfile comment lines wrapped at 100 columns."""
    return textwrap.wrap(
        text, 100, initial_indent=indent, subsequent_indent=rest or indent, break_long_words=False
    )


def _run(steps: list[str]) -> list[str]:
    """``RUN : \\`` with one ``&& step`` per line (the blog post's diff-friendly style)."""
    body = " \\\n".join(f"{_INDENT}&& {s}" for s in steps)
    return [f"RUN : \\\n{body}"]


def _continued(command: str, args: list[str]) -> str:
    """``command`` with one argument per continuation line."""
    return " \\\n".join([command, *(f"{_INDENT * 2}{a}" for a in args)])
