#!/usr/bin/env python3
"""List distributions whose code imports a module they do not declare (the data behind
``knowledge.baseline.UNDECLARED_IMPORTS``).

Usage: scripts/undeclared_imports.py IMAGE [PYTHON] [MODULE...]
Runs inside IMAGE (a full ``pip install azure-cli`` image, e.g. built from the debootstrap base)
with the image's PYTHON (default /opt/az/bin/python); prints ``distribution module files example``.
"""

from __future__ import annotations

import sys

import docker

PROBE = r"""
import collections, pathlib, re, sys
from importlib import metadata
modules = sys.argv[1:]
pattern = re.compile(r"^\s*(?:import|from)\s+(%s)\b" % "|".join(map(re.escape, modules)), re.M)
def canonical(text):
    return re.split(r"[ ;<>=!~\[(]", text)[0].lower().replace("_", "-")
hits = collections.defaultdict(list)
for dist in metadata.distributions():
    name = canonical(dist.metadata["Name"])
    declared = {canonical(r) for r in dist.requires or []}
    for file in dist.files or []:
        if file.suffix != ".py" or str(file).startswith("azure/cli/"):
            continue
        text = pathlib.Path(dist.locate_file(file)).read_text(errors="ignore")
        for module in set(pattern.findall(text)) - declared - {name}:
            hits[(name, module)].append(str(file))
for (name, module), files in sorted(hits.items()):
    print(name, module, len(files), sorted(files)[0])
"""


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    image, python = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "/opt/az/bin/python"
    modules = sys.argv[3:] or ["six"]
    out = docker.from_env().containers.run(
        image, [python, "-c", PROBE, *modules], remove=True, network_disabled=True
    )
    sys.stdout.write(out.decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
