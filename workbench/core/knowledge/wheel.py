"""Static reading of the azure-cli and azure-cli-core wheels: sources, metadata, packaged JSON.

Nothing here imports azure-cli; files are read from the zip archive as text.
"""

from __future__ import annotations

import email.parser
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from workbench.core.errors import WorkbenchError


@dataclass(frozen=True)
class DistRequirement:
    """One Requires-Dist entry: canonical name and marker text ("" when unconditional)."""

    name: str
    marker: str


class WheelReader:
    """Read-only view of one wheel: its metadata and its Python sources."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise WorkbenchError(f"cannot read wheel {self.path}: {exc}") from exc
        self._names = self._zip.namelist()

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> WheelReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _metadata(self):
        meta = next((n for n in self._names if n.endswith(".dist-info/METADATA")), None)
        if meta is None:
            raise WorkbenchError(f"wheel {self.path.name} has no METADATA; is it a wheel?")
        return email.parser.BytesParser().parsebytes(self._zip.read(meta))

    @property
    def version(self) -> str:
        return str(self._metadata()["Version"])

    def requires(self) -> tuple[DistRequirement, ...]:
        """Requires-Dist entries (extras-only requirements skipped)."""
        out = []
        for text in self._metadata().get_all("Requires-Dist") or ():
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            marker = str(req.marker) if req.marker else ""
            if "extra ==" in marker:
                continue
            out.append(DistRequirement(canonicalize_name(req.name), marker))
        return tuple(out)

    def has(self, name: str) -> bool:
        return name in self._names

    def read_text(self, name: str) -> str:
        """A member as text; ``utf-8-sig`` drops the BOM some azure-cli files carry."""
        return self._zip.read(name).decode("utf-8-sig", errors="replace")

    def read_json(self, name: str):
        return json.loads(self.read_text(name))

    def sources(self, prefix: str) -> Iterator[tuple[str, str]]:
        """(member name, text) of every ``.py`` file under ``prefix``, tests excluded."""
        for name in self._names:
            if name.startswith(prefix) and name.endswith(".py") and "/tests/" not in name:
                yield name, self.read_text(name)
