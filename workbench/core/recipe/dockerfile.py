"""Render a recipe into a Dockerfile and the build context files it COPYs.

Layout rules (each explained again in the Dockerfile's own comments):
- A single-stage image (modes system, venv) has one ``RUN`` for OS packages, install, trims and
  cleanup, so nothing deleted is left behind in a lower layer.
- A builder stage (mode multistage, or any mode with a pip CA bundle) is discarded, so its waste
  costs nothing: it installs in cached layers ordered by how often they change (tools,
  ``azure-cli`` + core, the SDK set, the trims), and a rebuild after a toggle redoes only the
  layers from the first changed one on. Its installer is uv (``[pip] installer`` picks pip).
  The final stage is one ``COPY --from=builder`` of the result, as before.
- Build dependencies only when the resolution reports a package without a wheel for the
  target; then as an apk virtual package / apt packages purged in the same ``RUN``.
- ``azure-cli`` with ``--no-deps`` (its Requires-Dist pulls in every SDK); everything else
  pinned from the resolution, or installed from a hashed lock with ``--require-hashes``.
- A pip CA bundle never reaches the final image: Docker's classic builder keeps whatever is
  COPYed in a layer, so with a CA the install happens in a builder stage and only its result
  (the venv, or a ``pip --root`` tree in system mode) is copied into the final stage. An index
  URL with credentials is likewise a build arg of the builder stage only (``build_args``), so
  it is neither in the Dockerfile text nor in the final image's history.
- Recipe text never becomes an instruction: values are checked against their grammars
  (``recipe.fields``), every value in a RUN is shell-quoted, COPY uses the JSON form and
  comments are flattened to one line.
"""

from __future__ import annotations

import json
import shlex
import stat
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from workbench.core.defaults import VENV
from workbench.core.errors import WorkbenchError
from workbench.core.files import same_file, write_atomic
from workbench.core.recipe import fields
from workbench.core.recipe.recipe import FAMILIES, Recipe, canonical
from workbench.core.trims.registry import (
    PLAN_FILE,
    TRIMS,
    TrimContext,
    ordered,
    pip_flags,
    trim_plan,
    trim_script,
)

AZCOPY_DIR = "/opt/azcopy"
SCRIPTS_DIR = "/scripts"
STAGING = "/tmp/workbench"  # where COPYed build inputs live inside the build
INSTALL_ROOT = "/install"  # pip --root tree of a system-mode builder stage
CONTEXT_DIR = "workbench-build"  # generated files in the build context
TOOLS = f"{STAGING}/tools"  # a builder stage's pip --target folder holding uv (never copied)
UV_VERSION = "0.13.9"  # fetched into the builder from the recipe's index, pinned

_BUILD_DEPS = {
    "apk": ["build-base", "cargo", "libffi-dev", "openssl-dev"],
    "apt": ["build-essential", "cargo", "libffi-dev", "libssl-dev"],
}
_AZCOPY_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
CLI = "azure-cli"
_INDENT = "    "
_INDEX_ARG = "PIP_INDEX_URL"  # pip reads it from the environment


@dataclass(frozen=True)
class Resolution:
    """What the resolver decided: canonical name -> version for every distribution to
    install, the names with no wheel for the target (they need build deps), optionally the
    text of a hashed requirements lock (``pip --require-hashes``), and the names of
    azure-cli-core's own closure (``core``: a builder stage installs them in a layer of their
    own, below the SDK set; empty puts everything in the SDK layer)."""

    versions: Mapping[str, str]
    no_wheel: frozenset[str] = frozenset()
    lock: str | None = None
    core: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "versions", {canonical(k): v for k, v in self.versions.items()})
        object.__setattr__(self, "no_wheel", frozenset(canonical(n) for n in self.no_wheel))
        object.__setattr__(self, "core", frozenset(canonical(n) for n in self.core) - {CLI})

    @classmethod
    def from_json(cls, data: Mapping) -> Resolution:
        """From ``{"versions": {...}, "no_wheel": [...], "lock": "...", "core": [...]}``;
        WorkbenchError (one line) for data of another shape."""
        versions = data.get("versions", {}) if isinstance(data, Mapping) else None
        no_wheel = data.get("no_wheel", []) if isinstance(data, Mapping) else None
        lock = data.get("lock") if isinstance(data, Mapping) else None
        core = data.get("core", []) if isinstance(data, Mapping) else None
        if not (
            isinstance(versions, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in versions.items())
            and isinstance(no_wheel, list)
            and all(isinstance(n, str) for n in no_wheel)
            and (lock is None or isinstance(lock, str))
            and isinstance(core, list)
            and all(isinstance(n, str) for n in core)
        ):
            raise WorkbenchError(
                'a resolution is {"versions": {name: version}, "no_wheel": [name], '
                '"lock": text, "core": [name]}'
            )
        return cls(dict(versions), frozenset(no_wheel), lock, frozenset(core))

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
            frozenset(p.name for p in model.estimate([]).packages),
        )

    def lock_part(self, core: bool) -> str:
        """The lock lines of azure-cli and the core closure (``core``), or of the rest."""
        lines = (self.lock or "").splitlines(keepends=True)
        return "".join(line for line in lines if (_lock_name(line) in self.core | {CLI}) == core)


@dataclass(frozen=True)
class BuildContext:
    """The Dockerfile and the files it COPYs: context path -> bytes, or a Path to copy."""

    dockerfile: str
    files: Mapping[str, bytes | Path] = field(default_factory=dict)
    build_args: Mapping[str, str] = field(default_factory=dict)

    def write(
        self, directory: str | Path, dockerfile: str = "Dockerfile", *, keep: Iterable[Path] = ()
    ) -> Path:
        """Write the Dockerfile and every file into ``directory``; returns the Dockerfile path.

        A file already there with other content is backed up to ``<name>.bak`` first. Nothing
        is written onto a file this context copies from, nor onto ``keep`` (the recipe).
        """
        directory = Path(directory)
        sources = [*keep, *(c for c in self.files.values() if isinstance(c, Path))]
        generated = [directory / dockerfile] + [
            directory / rel for rel, c in self.files.items() if not isinstance(c, Path)
        ]
        for dest in generated:
            hit = next((s for s in sources if same_file(dest, s)), None)
            if hit is not None:
                raise WorkbenchError(
                    f"{dest} is {hit}, an input of this build; write the Dockerfile elsewhere"
                )
        for rel, content in self.files.items():
            dest = directory / rel
            if not (isinstance(content, Path) and dest.exists() and dest.samefile(content)):
                _write_kept(dest, content)
        path = directory / dockerfile
        _write_kept(path, self.dockerfile.encode())
        return path


def _write_kept(dest: Path, content: bytes | Path) -> None:
    """Write (or copy, with the source's mode) atomically unless identical; a different
    existing file is kept as ``.bak``."""
    data = content.read_bytes() if isinstance(content, Path) else content
    if dest.is_file() and dest.read_bytes() == data:
        return
    mode = stat.S_IMODE(content.stat().st_mode) if isinstance(content, Path) else None
    write_atomic(dest, data, backup="single", mode=mode)


def build_context(
    recipe: Recipe, resolution: Resolution, trim_context: TrimContext | None = None
) -> BuildContext:
    """Dockerfile plus context files for ``recipe``, pinned by ``resolution``.

    ``trim_context``: what the trims keep (the project merges the recipe's ``[keep]`` in).
    """
    recipe.check_values()
    family = recipe.package_family()
    if family is None or family not in FAMILIES:
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
    if family is None or family not in FAMILIES:
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
        self.context = trim_context or TrimContext()
        self.secret_index = _has_credentials(recipe.pip.index_url)
        self.builder = (
            recipe.mode == "multistage" or bool(recipe.pip.ca_bundle) or self.secret_index
        )
        self.root = recipe.mode == "system" and self.builder  # a pip --root tree
        # uv has no --root: a system-mode builder keeps pip
        self.uv = self.builder and not self.root and recipe.pip.builder_installer == "uv"
        self.files: dict[str, bytes | Path] = {}
        self.distro_python = not _is_python_image(recipe.base)
        self.python = "python3" if recipe.mode == "system" else f"{VENV}/bin/python"

    # ---- top level -------------------------------------------------------------------
    def render(self) -> BuildContext:
        lines = self._header()
        if self.builder:
            lines += self._uv_stage()
            lines += self._builder_stage()
            lines += self._final_stage_from_builder()
        else:
            lines += self._single_stage()
        lines += self._tail()
        args = {_INDEX_ARG: self.r.pip.index_url} if self.secret_index else {}
        return BuildContext("\n".join(lines) + "\n", self.files, args)

    def _stage(self, name: str, content: bytes | Path) -> str:
        """Register a build input in the context; its context path."""
        self.files[f"{CONTEXT_DIR}/{name}"] = content
        return f"{CONTEXT_DIR}/{name}"

    def _trim_inputs(self) -> list[str]:
        if not self.trims:
            return []
        return [
            self._stage("trim.py", trim_script().encode()),
            self._stage(PLAN_FILE, trim_plan(self.trims, self.context).encode()),
        ]

    def _ca_input(self) -> list[str]:
        if not self.r.pip.ca_bundle:
            return []
        return [self._stage("pip-ca.pem", self.r._file(self.r.pip.ca_bundle))]

    def _header(self) -> list[str]:
        source = self.r.path.name if self.r.path else "a workbench recipe"
        lines = [
            f"# Generated by workbench from {_flat(source)} (recipe sha256 "
            f"{self.r.digest()[:12]});",
            "# edit the recipe and re-render rather than editing this file.",
            f"# Azure CLI {self.r.azure_cli} on {self.r.base} ({self.family} packages), "
            f"install mode {self.r.mode}.",
        ]
        if self.trims:
            lines += _comment(
                f"Trims run by the generated script {CONTEXT_DIR}/trim.py as "
                f"{CONTEXT_DIR}/{PLAN_FILE} lists them, in this order:"
            )
            for n in self.trims:
                lines += _comment(f"{n}: {TRIMS[n].why}", indent="#   ", rest="#     ")
        else:
            lines.append("# No trims selected.")
        return [*lines, ""]

    # ---- stages ----------------------------------------------------------------------
    def _single_stage(self) -> list[str]:
        staged = self._trim_inputs() + self._ca_input()
        if self.res.lock is not None:
            staged.append(self._stage("requirements.lock", self.res.lock.encode()))
        lines = [f"FROM {_image(self.r.base)}", ""]
        lines += self._copy_staged(staged)
        steps = self._runtime_steps() + self._single_install_steps() + self._azcopy_steps()
        steps += self._cleanup_steps(staged)
        lines += _comment(
            "One RUN for OS packages, install, trims and cleanup: whatever it deletes never "
            "lands in a layer, so the image has no wasted bytes from this step. (This is why "
            "a single-stage image cannot reuse cached install layers: splitting the RUN would "
            "leave the deleted files in the image; mode multistage can.)"
        )
        lines += [*self._install_comment(), *_run(steps), ""]
        return lines

    def _uv_stage(self) -> list[str]:
        """The venv and the installer in a stage of their own: BuildKit makes them while the
        builder installs its OS tools (the classic builder runs the two one after the other)."""
        if not self.uv:
            return []
        lines = [
            "# ---- uv stage: the venv and the builder's installer, copied to the builder",
            *_comment(
                f"uv {UV_VERSION} installs (pip stays a recipe option: [pip] installer = "
                f'"pip"). It comes from the same index with the same CA, through the venv\'s own '
                f"pip, into {TOOLS}; BuildKit builds this stage at the same time as the "
                "builder's OS tools."
            ),
            f"FROM {_image(self.r.base)} AS uv",
            "",
            *self._index_arg(),
        ]
        venv, pip = (
            f"python3 -m venv {VENV}",
            f"{self._pip((f'--target {TOOLS}',))} uv=={UV_VERSION}",
        )
        ca = self._ca_input()
        if not ca:
            return [*lines, *_run([venv, pip]), ""]
        # the venv first: a stage opening with the builder's own COPY would share its cached
        # layer on the classic builder, whose cache then mixes up the two stages' next steps
        return [*lines, *_run([venv]), "", *self._copy_staged(ca), *_run([pip]), ""]

    def _index_arg(self) -> list[str]:
        if not self.secret_index:
            return []
        return [
            *_comment(
                f"The index URL carries credentials: a build arg of this stage only "
                f"(docker build --build-arg {_INDEX_ARG}=...); pip reads it from the "
                "environment, and the final stage never sees it."
            ),
            f"ARG {_INDEX_ARG}",
            "",
        ]

    def _builder_stage(self) -> list[str]:
        why = (
            "the pip CA bundle is COPYed here and must not reach the final image (the classic "
            "builder keeps every COPY in a layer)"
            if self.r.pip.ca_bundle
            else "build inputs, the installer and build deps stay here"
        )
        lines = [
            "# ---- builder stage: installs and trims in cached layers; discarded after the build",
            *_comment(
                f"A separate stage because {why}. Its layers go from the least to the most "
                "often changed (tools, azure-cli and core, the SDK set, the trims), so a rebuild "
                "after a toggle redoes only the layers from the first changed one on; whatever "
                "a later layer deletes costs nothing, since only the result is copied."
            ),
            f"FROM {_image(self.r.base)} AS builder",
            "",
            *self._index_arg(),
        ]
        lines += self._copy_staged(self._ca_input())
        tools = self._tool_steps()
        lines += self._tools_comment() if tools or self.uv else []
        lines += [*_run(tools), ""] if tools else []
        if self.uv:
            lines += [
                f'COPY --from=uv ["{VENV}", "{VENV}"]',
                f'COPY --from=uv ["{TOOLS}", "{TOOLS}"]',
                "",
            ]
        core, sdk = self._install_layers()
        lines += self._layer(
            "azure-cli with --no-deps (its Requires-Dist pulls in every SDK, ~674 MB), then "
            "azure-cli-core and its dependencies"
            + (" from the hashed lock" if self.res.lock is not None else ", pinned as resolved")
            + ": they change with the azure-cli version only.",
            core,
            lock="core.lock",
        )
        if sdk:
            lines += self._layer(
                "The SDK set the scripts need beyond core"
                + (" from the hashed lock" if self.res.lock is not None else ", pinned as resolved")
                + ": it changes when a package is added, removed or re-pinned.",
                sdk,
                lock="sdk.lock",
            )
        if self.r.azcopy:
            lines += self._layer(self._azcopy_note(), self._azcopy_steps())
        finish = self._trim_steps() + self._compile_steps()
        if finish:
            staged = self._trim_inputs()
            lines += self._copy_staged(staged) if staged else []
            lines += self._layer(self._finish_note(), finish)
        return lines

    def _layer(self, note: str, steps: list[str], lock: str | None = None) -> list[str]:
        """One cached builder layer: its comment, its lock part COPYed just before, its RUN."""
        lines = []
        if lock and self.res.lock is not None:
            part = self.res.lock_part(core=lock == "core.lock")
            lines += self._copy_staged([self._stage(lock, part.encode())])
        return [*lines, *_comment(note), *_run(steps), ""]

    def _tools_comment(self) -> list[str]:
        notes = ["Tools: they change with the base image or workbench only."]
        if self.res.no_wheel:
            notes.append(
                f"Build deps because {', '.join(sorted(self.res.no_wheel))} has no wheel for "
                "this target (builder only)."
            )
        if self.uv:
            notes.append(f"The venv and uv ({TOOLS}, never copied on) come from the uv stage.")
        elif self.root:
            notes.append("pip installs: uv cannot write a --root tree for a system-mode image.")
        return [line for note in notes for line in _comment(note)]

    def _finish_note(self) -> str:
        parts = []
        if self.trims:
            parts.append(
                f"Trims: the script and {PLAN_FILE} (the trims and what they keep) are COPYed "
                "just before, so toggling a trim or editing [keep] redoes this layer only."
            )
        if self._compile_steps():
            parts.append(
                "The installer wrote no .pyc; they are compiled here, after the trims, so "
                "turning no-compile on or off redoes this layer only."
            )
        return " ".join(parts)

    def _install_comment(self) -> list[str]:
        """Why the single-stage install RUN looks the way it does."""
        notes = []
        if self.res.no_wheel:
            notes.append(
                f"Build deps because {', '.join(sorted(self.res.no_wheel))} has no wheel for "
                "this target; removed again in this RUN."
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
        if "strip-binaries" in self.trims:
            notes.append(
                "binutils (for strip-binaries) "
                + (
                    "stays in the builder stage."
                    if self.builder
                    else "only when the base lacks strip, and removed again in this RUN."
                )
            )
        if self.r.mode == "system" and self.trims:
            notes.append(
                "trim.py --snapshot/--before: trims touch only files this RUN installed, never "
                "the base image's own (deleting those would add whiteouts, not save bytes)."
            )
        if self.r.azcopy:
            notes.append(self._azcopy_note())
        return [line for note in notes for line in _comment(note)]

    def _azcopy_note(self) -> str:
        return (
            f"AzCopy {self.r.azcopy.version}: downloaded and checked against its sha256 "
            "before it is unpacked."
        )

    def _final_stage_from_builder(self) -> list[str]:
        lines = [
            "# ---- final stage: the base image plus the trimmed result, nothing else ----",
            f"FROM {_image(self.r.base)}",
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
            "trim.py": "the generated trim script",
            PLAN_FILE: "its plan (trims and context)",
            "pip-ca.pem": "the pip CA bundle",
            "requirements.lock": "the hashed requirements lock",
            "core.lock": "the hashed lock of azure-cli and core",
            "sdk.lock": "the hashed lock of the SDK set",
        }
        names = ", ".join(what[PurePosixPath(s).name] for s in staged)
        note = "" if self.builder else "; removed by the RUN below (a few KB stay in this layer)"
        return [
            *_comment(f"Build inputs: {names}{note}."),
            _copy([*staged, f"{STAGING}/"]),
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
            _copy([*seen.values(), f"{SCRIPTS_DIR}/"]),
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
            return [f"apk add --no-cache {_words(packages)}"]
        return [
            "apt-get update",
            f"apt-get install -y --no-install-recommends {_words(packages)}",
        ]

    def _build_deps(self) -> list[str]:
        if not self.res.no_wheel:
            return []
        deps = list(_BUILD_DEPS[self.family])
        if self.distro_python:
            deps.append("python3-dev")  # python:* images ship the headers; distro Python does not
        return deps

    def _build_dep_steps(self, update: bool) -> list[str]:
        deps = self._build_deps()
        if deps and self.family == "apk":
            return [f"apk add --no-cache --virtual=.build-deps {_words(deps)}"]
        if deps:
            return ["apt-get update"] * update + [
                f"apt-get install -y --no-install-recommends {_words(deps)}"
            ]
        return []

    def _single_install_steps(self) -> list[str]:
        """Build deps (if needed), venv, pip installs, trims, build-dep removal in one RUN."""
        steps = self._build_dep_steps(update=not self._runtime_packages())
        if self.r.mode != "system":
            steps.append(f"python3 -m venv {VENV}")
        if self.trims and self.r.mode == "system":
            steps.append(f"{self.python} -B {STAGING}/trim.py --snapshot {STAGING}/before.txt")
        pip = self._pip(pip_flags(self.trims))
        if self.res.lock is not None:
            steps.append(f"{pip} --no-deps --require-hashes -r {STAGING}/requirements.lock")
        else:
            steps += [
                f"{pip} --no-deps {_arg(f'{CLI}=={self.r.azure_cli}')}",
                _continued(pip, [_arg(s) for s in self._specs().values()]),
            ]
        if self.trims:
            before = f" --before {STAGING}/before.txt" if self.r.mode == "system" else ""
            add_strip, del_strip = self._strip_tool_steps(final=True)
            steps += [*add_strip, f"{self.python} -B {STAGING}/trim.py{before}", *del_strip]
        deps = self._build_deps()
        if deps and self.family == "apk":
            steps.append("apk del --purge .build-deps")
        elif deps:
            steps.append(f"apt-get purge -y --auto-remove {_words(deps)}")
        return steps

    def _tool_steps(self) -> list[str]:
        """A builder's first layer: build deps, binutils for strip-binaries, the venv (with
        uv, the venv comes from the uv stage)."""
        steps = self._build_dep_steps(update=True)
        steps += self._strip_tool_steps(final=False)[0]
        if self.r.mode != "system" and not self.uv:
            steps.append(f"python3 -m venv {VENV}")
        return steps

    def _install_layers(self) -> tuple[list[str], list[str]]:
        """A builder's install steps: (azure-cli and core, the SDK set)."""
        install = self._uv() if self.uv else self._pip(("--no-compile",), root=self.root)
        if self.res.lock is not None:
            core = [f"{install} --no-deps --require-hashes -r {STAGING}/core.lock"]
            has_sdk = bool(self.res.lock_part(core=False))
            return core, [f"{install} --no-deps --require-hashes -r {STAGING}/sdk.lock"] * has_sdk
        specs = {n: _arg(s) for n, s in self._specs().items()}
        core_specs = [s for n, s in specs.items() if n in self.res.core]
        sdk_specs = [s for n, s in specs.items() if n not in self.res.core]
        core = [f"{install} --no-deps {_arg(f'{CLI}=={self.r.azure_cli}')}"]
        core += [_continued(install, core_specs)] * bool(core_specs)
        return core, [_continued(install, sdk_specs)] * bool(sdk_specs)

    def _strip_tool_steps(self, final: bool) -> tuple[list[str], list[str]]:
        """binutils for strip-binaries: (steps before the trim, steps after it). A builder
        installs it with its tools and keeps it there; a single stage adds it only when the
        base lacks ``strip`` and removes it again in the same RUN."""
        if "strip-binaries" not in self.trims:
            return [], []
        if self.family == "apk":
            add = "apk add --no-cache --virtual=.strip-deps binutils"
            drop = "apk del --purge .strip-deps"
        else:
            updated = bool(self.res.no_wheel) or (final and bool(self._runtime_packages()))
            add = "apt-get update && " * (not updated) + (
                "apt-get install -y --no-install-recommends binutils"
            )
            drop = "apt-get purge -y --auto-remove binutils"
        if not final:
            return [add], []
        flag = f"{STAGING}/strip-added"
        return (
            [f"{{ command -v strip >/dev/null || {{ {add} && touch {flag}; }}; }}"],
            [f"{{ [ ! -e {flag} ] || {drop}; }}"],
        )

    def _trim_steps(self) -> list[str]:
        if not self.trims:
            return []
        return [f"{self.python} -B {STAGING}/trim.py" + f" --root {INSTALL_ROOT}" * self.root]

    def _compile_steps(self) -> list[str]:
        """The builder's .pyc, compiled after the trims unless no-compile is chosen."""
        if "no-compile" in self.trims:
            return []
        code = (
            "import compileall, sys, sysconfig; d = sysconfig.get_path('purelib'); "
            "compileall.compile_dir(''.join(sys.argv[1:]) + d, ddir=d, quiet=2, workers=0)"
        )
        return [f"{self.python} -c {shlex.quote(code)}" + f" {INSTALL_ROOT}" * self.root]

    def _pip(self, flags, *, root: bool = False) -> str:
        """A ``pip install`` command with the recipe's index, CA and the given flags."""
        opts = ["--no-cache-dir", "--disable-pip-version-check"]
        if self.r.pip.index_url and not self.secret_index:
            opts.append(f"--index-url {_arg(self.r.pip.index_url)}")
        if self.r.pip.ca_bundle:
            opts.append(f"--cert {STAGING}/pip-ca.pem")
        if self.r.mode == "system" and self.distro_python:
            opts.append("--break-system-packages")  # PEP 668: the distro marks its Python managed
        if root:
            opts.append(f"--root {INSTALL_ROOT}")
        opts += flags
        return f"{self.python} -m pip install {' '.join(opts)}"

    def _uv(self) -> str:
        """A ``uv pip install`` command into the venv with the recipe's index and CA."""
        env = f"SSL_CERT_FILE={STAGING}/pip-ca.pem " if self.r.pip.ca_bundle else ""
        opts = [f"--python {VENV}/bin/python", "--no-cache"]
        if self.secret_index:  # the stage's build arg, expanded by the shell (quoted)
            opts.append(f'--index-url "${_INDEX_ARG}"')
        elif self.r.pip.index_url:
            opts.append(f"--index-url {_arg(self.r.pip.index_url)}")
        return f"{env}{TOOLS}/bin/uv pip install {' '.join(opts)}"

    def _specs(self) -> dict[str, str]:
        """Pinned requirement specs by name: selected packages by their pin mode, the rest
        ``==``, azure-cli (installed on its own, ``--no-deps``) left out."""
        chosen = {canonical(p.name): p for p in self.r.packages}
        names = sorted((set(self.res.versions) | set(chosen)) - {CLI})
        specs = {}
        for name in names:
            pkg = chosen.get(name)
            version = (pkg.version if pkg else None) or self.res.versions.get(name)
            pin = pkg.pin if pkg else "exact"
            if pin == "none":
                specs[name] = name
            elif version is None:
                raise WorkbenchError(
                    f"package {name} has no resolved version; resolve the recipe first, "
                    f'set packages.{name} = {{pin = "{pin}", version = "..."}}, or pin "none"'
                )
            else:
                specs[name] = f"{name}{'==' if pin == 'exact' else '~='}{version}"
        if not specs:
            raise WorkbenchError("nothing to install besides azure-cli; select packages first")
        return specs

    def _azcopy_steps(self) -> list[str]:
        az = self.r.azcopy
        if az is None:
            return []
        arch = self.r.target.arch or "x86_64"
        url = fields.expand_template(az.url, version=az.version, arch=_AZCOPY_ARCH.get(arch, arch))
        dest = (INSTALL_ROOT if self.root else "") + AZCOPY_DIR
        env = f"SSL_CERT_FILE={STAGING}/pip-ca.pem " if self.r.pip.ca_bundle else ""
        fetch = (
            "import hashlib, sys, urllib.request as u; d = u.urlopen(sys.argv[1]).read(); "
            "sys.exit('azcopy: sha256 mismatch') if hashlib.sha256(d).hexdigest() != sys.argv[2] "
            "else open(sys.argv[3], 'wb').write(d)"
        )
        return [
            f"mkdir -p {STAGING} {dest}",
            f"{env}python3 -c {_arg(fetch)} {_arg(url)} {_arg(az.sha256)} {STAGING}/azcopy.tar.gz",
            f"tar -xzf {STAGING}/azcopy.tar.gz -C {dest} --strip-components=1",
        ]

    def _os_cleanup(self) -> list[str]:
        # apt-get clean drops the .deb files and the ~70 MB pkgcache/srcpkgcache that
        # `apt-get update` writes (bases without docker-clean keep them otherwise)
        return ["apt-get clean", "rm -rf /var/lib/apt/lists/*"] if self.family == "apt" else []

    def _cleanup_steps(self, staged: list[str]) -> list[str]:
        steps = []
        strip = "strip-binaries" in self.trims
        if self.family == "apt" and (self._runtime_packages() or self.res.no_wheel or strip):
            steps += self._os_cleanup()
        if staged or self.r.azcopy:
            steps.append(f"rm -rf {STAGING}")
        return steps


def _has_credentials(url: str | None) -> bool:
    """Whether an index URL carries a user name or password."""
    if not url:
        return False
    try:
        parts = urlsplit(url)
        return bool(parts.username or parts.password)
    except ValueError:
        return False


def _copy(paths: list[str]) -> str:
    """A COPY in the JSON form: no path can break it (spaces, quotes, newlines)."""
    return "COPY " + json.dumps(paths)


def _words(values: list[str]) -> str:
    """Shell-quoted arguments."""
    return " ".join(_arg(v) for v in values)


def _arg(value: str) -> str:
    """``value`` shell-quoted for a RUN line; a control character (a newline would end the
    instruction whatever the quoting) is refused."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise WorkbenchError(f"{value!r}: a control character cannot reach a RUN line")
    return shlex.quote(value)


def _image(base: str) -> str:
    """``base`` for a FROM line: one word, no control characters."""
    if not base or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in base):
        raise WorkbenchError(f"base {base!r}: an image reference is one word")
    return base


def _flat(text: str) -> str:
    """``text`` on one line (for comments): control characters become spaces."""
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)


def _lock_name(line: str) -> str:
    """The canonical distribution name a lock line pins (``name==version --hash=...``)."""
    return canonical(line.split("==", 1)[0].strip())


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
