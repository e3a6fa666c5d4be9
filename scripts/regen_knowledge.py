#!/usr/bin/env python3
"""Regenerate the shipped knowledge base: workbench/data/knowledge-<VERSION>.json.gz.

Usage: scripts/regen_knowledge.py [--azure-cli VERSION] [--wheels DIR]
Inputs come from the size engine (resolver, wheel cache, file lists); with --wheels DIR the
closure's wheels are fetched with the machine's pip into DIR/<VERSION>/ instead. Everything is
read statically; nothing of azure-cli is imported.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from workbench.core.knowledge.build import build_knowledge
from workbench.core.knowledge.model import (
    DATA_DIR,
    EMBEDDED_VERSION,
    data_file_name,
    write_data,
)
from workbench.core.knowledge.sources import PipDownloadSources, SizeEngineSources


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--azure-cli", default=EMBEDDED_VERSION, metavar="VERSION")
    parser.add_argument("--wheels", type=Path, metavar="DIR", help="use pip download into DIR")
    args = parser.parse_args()
    sources = PipDownloadSources(args.wheels) if args.wheels else SizeEngineSources()
    started = time.perf_counter()
    cli_wheel, core_wheel = sources.wheels(args.azure_cli)
    data = build_knowledge(
        cli_wheel,
        core_wheel,
        sources.dist_files(args.azure_cli),
        sources.member_reader(args.azure_cli),
    )
    out = DATA_DIR / data_file_name(args.azure_cli)
    write_data(data, out)
    print(
        f"{out}: {out.stat().st_size} bytes, {len(data['commands'])} commands, "
        f"{len(data['modules'])} modules, built in {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
