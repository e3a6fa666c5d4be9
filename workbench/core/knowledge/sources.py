"""Where the builder's inputs come from: the two azure-cli wheels and the closure's file lists.

``SizeEngineSources`` (the default) uses the size engine: the resolver's URLs, the
content-addressed wheel cache (``fetch_wheel``) and ``SizeModel.files_of``.
``PipDownloadSources`` gets whole wheels with the machine's own ``pip download`` into a
directory instead (handy to inspect them).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Protocol

from packaging.utils import canonicalize_name, parse_wheel_filename

from workbench.core.errors import WorkbenchError


class KnowledgeSources(Protocol):
    """Inputs of ``build_knowledge`` for one azure-cli version."""

    def wheels(self, version: str) -> tuple[Path, Path]:
        """(azure-cli wheel, azure-cli-core wheel) of ``version``."""
        ...

    def dist_files(self, version: str) -> Mapping[str, Iterable[str]]:
        """Distribution -> installed paths, for every distribution azure-cli may pull in."""
        ...

    def member_reader(self, version: str) -> Callable[[str, str], str | None]:
        """``read(dist, path)``: the text of one file of a closure wheel (None if absent)."""
        ...


def _read_member(wheel: Path, path: str) -> str | None:
    with zipfile.ZipFile(wheel) as archive:
        try:
            return archive.read(path).decode("utf-8", errors="replace")
        except KeyError:
            return None


class SizeEngineSources:
    """Inputs through the size engine, for ``target`` (default: the default base image)."""

    def __init__(self, target=None) -> None:
        from workbench.core.sizes.target import DEFAULT_BASE_IMAGE, Target

        self.target = target or Target.from_image(DEFAULT_BASE_IMAGE)

    def wheels(self, version: str) -> tuple[Path, Path]:
        from workbench.core.sizes.resolve import resolve
        from workbench.core.sizes.wheels import fetch_wheel

        found = {r.name: r for r in resolve([f"azure-cli=={version}"], self.target)}
        pair = []
        for name in ("azure-cli", "azure-cli-core"):
            dist = found.get(name)
            if dist is None or not dist.is_wheel:
                raise WorkbenchError(f"no {name} {version} wheel on the package index")
            pair.append(fetch_wheel(dist.url, dist.sha256))
        return pair[0], pair[1]

    def dist_files(self, version: str) -> dict[str, list[str]]:
        from workbench.core.sizes.model import load_size_model

        model = load_size_model(self.target, version)
        return {name: list(model.files_of(name)) for name in model.names()}

    def member_reader(self, version: str) -> Callable[[str, str], str | None]:
        from workbench.core.sizes.resolve import resolve
        from workbench.core.sizes.wheels import fetch_wheel

        found = {r.name: r for r in resolve([f"azure-cli=={version}"], self.target)}

        def read(dist: str, path: str) -> str | None:
            item = found.get(canonicalize_name(dist))
            if item is None or not item.is_wheel:
                return None
            return _read_member(fetch_wheel(item.url, item.sha256), path)

        return read


def _wheel_name(path: Path) -> tuple[str, str]:
    name, version, _, _ = parse_wheel_filename(path.name)
    return canonicalize_name(name), str(version)


class PipDownloadSources:
    """The azure-cli closure's wheels downloaded by ``pip download`` into ``directory``."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def _download(self, version: str) -> Path:
        target = self.directory / version
        if (target / ".complete").exists():
            return target
        target.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:"]
        cmd += ["--dest", str(target), f"azure-cli=={version}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            if any("No matching distribution" in ln for ln in lines):
                raise WorkbenchError(
                    f"azure-cli {version} is not on the package index; "
                    "pick a released version (e.g. 2.91.0)"
                )
            last = lines[-1] if lines else f"exit code {proc.returncode}"
            raise WorkbenchError(f"cannot download azure-cli {version} wheels: {last}")
        (target / ".complete").touch()
        return target

    def _wheels_of(self, version: str) -> dict[str, Path]:
        return {_wheel_name(p)[0]: p for p in self._download(version).glob("*.whl")}

    def wheels(self, version: str) -> tuple[Path, Path]:
        found = self._wheels_of(version)
        try:
            return found["azure-cli"], found["azure-cli-core"]
        except KeyError as exc:
            raise WorkbenchError(
                f"no {exc.args[0]} wheel for azure-cli {version} in {self.directory}"
            ) from None

    def member_reader(self, version: str) -> Callable[[str, str], str | None]:
        found = self._wheels_of(version)

        def read(dist: str, path: str) -> str | None:
            wheel = found.get(canonicalize_name(dist))
            return _read_member(wheel, path) if wheel else None

        return read

    def dist_files(self, version: str) -> dict[str, list[str]]:
        out = {}
        for name, path in self._wheels_of(version).items():
            with zipfile.ZipFile(path) as archive:
                out[name] = [n for n in archive.namelist() if not n.endswith("/")]
        return out
