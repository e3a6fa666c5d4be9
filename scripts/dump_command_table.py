"""Dump azure-cli's whole loaded command table (every command path and group) as JSON.

Usage: ``scripts/dump_command_table.py VER [--base IMAGE] [-o FILE]``. Builds or reuses the
reference image of VER on the local test base (``workbench.core.engine.reference``), then loads the
command table inside it, offline and without credentials: every module, AAZ fully loaded.
Output: ``{"version", "commands": [...], "groups": [...]}`` (groups: every declared group and
every prefix of a command path, as azure-cli's parser builds them).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.core.defaults import VENV  # noqa: E402
from workbench.core.engine.build import connect  # noqa: E402
from workbench.core.engine.reference import reference_image  # noqa: E402
from workbench.core.errors import WorkbenchError  # noqa: E402

# Runs inside the image: standard library + azure-cli only.
PAYLOAD = r"""
import json, logging, os
os.environ["AZURE_AAZ_FULL_LOAD"] = "true"
os.environ["AZURE_CORE_COLLECT_TELEMETRY"] = "false"
errors = []
class Keep(logging.Handler):
    def emit(self, record):
        if record.levelno >= logging.ERROR:
            errors.append(record.getMessage())
logging.getLogger().addHandler(Keep())
from azure.cli.core import get_default_cli
cli = get_default_cli()
cli.invocation = cli.invocation_cls(
    cli_ctx=cli, parser_cls=cli.parser_cls, commands_loader_cls=cli.commands_loader_cls,
    help_cls=cli.help_cls,
)
cli.invocation.data = {"command_string": ""}
loader = cli.invocation.commands_loader
table = loader.load_command_table(None)
commands = sorted(" ".join(name.split()) for name in table)
groups = {" ".join(name.split()) for name in loader.command_group_table if name.strip()}
for name in commands:
    words = name.split()
    groups.update(" ".join(words[:n]) for n in range(1, len(words)))
from azure.cli.core import __version__
print(json.dumps({"version": __version__, "commands": commands, "groups": sorted(groups),
                  "load_errors": errors}))
"""


BASE = "workbench-test/debian-python:bookworm"  # scripts/base-image.sh


def dump(version: str, base: str = BASE, progress=None) -> dict:
    """The command table of azure-cli ``version`` as ``{"version", "commands", "groups"}``."""
    client = connect()
    image = reference_image(client, base, version, progress=progress)
    out = client.containers.run(
        image,
        [f"{VENV}/bin/python", "-c", PAYLOAD],
        network_disabled=True,
        remove=True,
        stdout=True,
        stderr=False,
        environment={"HOME": "/tmp/home"},
    )
    data = json.loads(out.decode().strip().splitlines()[-1])
    if data["version"] != version:
        raise WorkbenchError(f"the image runs azure-cli {data['version']}, not {version}")
    errors = data.pop("load_errors")
    if errors:
        raise WorkbenchError(f"azure-cli {version} could not load its whole table: {errors[0]}")
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", metavar="VER")
    parser.add_argument("--base", default=BASE, metavar="IMAGE", help="base with a python3")
    parser.add_argument("-o", "--output", type=Path, help="write here instead of stdout")
    args = parser.parse_args()
    try:
        data = dump(args.version, args.base, progress=lambda line: print(line, file=sys.stderr))
    except WorkbenchError as exc:
        print(f"dump_command_table: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(data, indent=1) + "\n"
    if args.output:
        args.output.write_text(text)
        print(
            f"{args.output}: {len(data['commands'])} commands, {len(data['groups'])} groups",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
