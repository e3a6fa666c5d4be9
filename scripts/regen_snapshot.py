"""Regenerate the embedded size snapshots (workbench/data/sizes-*.json.gz) from the index.

Usage: python scripts/regen_snapshot.py [--azure-cli VER] [--stripped-only] [BASE_IMAGE ...]
Defaults: azure-cli 2.91.0 on python:3.12-alpine and python:3.11-slim-bookworm (x86_64).
File URLs are left out of the snapshot: they come from the resolver when needed. Then the
snapshot wheels' stripped ELF sizes (strip-binaries; needs binutils' strip) are measured into
workbench/data/stripped-sizes.json; ``--stripped-only`` measures them for the snapshots as
they are, without resolving anew.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from workbench.core.sizes import strip
from workbench.core.sizes.model import (
    DEFAULT_AZURE_CLI,
    dists_from_index,
    load_snapshot,
    snapshot_name,
)
from workbench.core.sizes.resolve import resolve
from workbench.core.sizes.target import Target

DATA = Path(__file__).resolve().parent.parent / "workbench" / "data"
DEFAULT_BASES = ["python:3.12-alpine", "python:3.11-slim-bookworm"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--azure-cli", default=DEFAULT_AZURE_CLI)
    parser.add_argument("--stripped-only", action="store_true")
    parser.add_argument("bases", nargs="*", default=DEFAULT_BASES)
    args = parser.parse_args()
    for base in [] if args.stripped_only else args.bases:
        target = Target.from_image(base)
        dists = dists_from_index(resolve([f"azure-cli=={args.azure_cli}"], target), target)
        data = {
            "azure_cli": args.azure_cli,
            "target": target.to_dict(),
            "dists": sorted((d.to_json() for d in dists), key=lambda d: d["name"]),
        }
        path = DATA / snapshot_name(args.azure_cli, target)
        body = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        path.write_bytes(gzip.compress(body, mtime=0))
        print(f"{path.name}: {len(dists)} distributions, {path.stat().st_size:,} bytes")
    stripped = {}
    strip.embedded.cache_clear()
    for base in args.bases:
        model = load_snapshot(args.azure_cli, Target.from_image(base))
        for name in model.names():
            if strip.has_elf(model, name):
                sha = model.dists[name].sha256
                known = strip.embedded().get(sha) or strip.stripped_sizes(model, name)
                stripped[sha] = known
    (DATA / strip.EMBEDDED).write_text(json.dumps(stripped, sort_keys=True, indent=1) + "\n")
    print(f"{strip.EMBEDDED}: {len(stripped)} wheels")


if __name__ == "__main__":
    main()
