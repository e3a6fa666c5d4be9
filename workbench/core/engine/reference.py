"""A full azure-cli reference image: the local Debian base + a venv with ``azure-cli==VER``.

Built once per version and reused by tag (``workbench-test/azure-cli-full:VER``): the command
table dump (``scripts/dump_command_table.py``) and the tests that compare against the untrimmed
CLI share it. pip inside the build uses the user's index (pip configuration) and CA bundle.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from workbench.core.engine.build import BuildFailed, BuildResult, LogLine, build_image, connect
from workbench.core.errors import WorkbenchError
from workbench.core.http import ca_bundle
from workbench.core.sizes.resolve import pip_index_url

BASE_IMAGE = "workbench-test/debian-python:bookworm"
VENV = "/opt/az"
PYTHON = f"{VENV}/bin/python"


def reference_tag(version: str) -> str:
    """Tag of the full azure-cli ``version`` reference image."""
    return f"workbench-test/azure-cli-full:{version}"


def reference_dockerfile(version: str, base: str = BASE_IMAGE, *, cert: bool = False) -> str:
    """Dockerfile text: venv at /opt/az with the whole azure-cli ``version`` installed."""
    opts = ["--no-cache-dir", "--disable-pip-version-check"]
    index = pip_index_url()
    if index:
        opts.append(f"--index-url {shlex.quote(index)}")
    if cert:
        opts.append("--cert /tmp/pip-ca.pem")
    lines = [f"FROM {base}"]
    if cert:
        lines.append("COPY pip-ca.pem /tmp/pip-ca.pem")
    lines.append(
        f"RUN python3 -m venv {VENV} && {VENV}/bin/pip install {' '.join(opts)} "
        f"azure-cli=={version}" + (" && rm -f /tmp/pip-ca.pem" if cert else "")
    )
    lines.append(f'ENV PATH="{VENV}/bin:$PATH"')
    return "\n".join(lines) + "\n"


def ensure_reference_image(
    version: str,
    *,
    base: str = BASE_IMAGE,
    client=None,
    progress: Callable[[str], None] | None = None,
) -> str:
    """Tag of the reference image for ``version``, building it first when it is missing.

    Raises WorkbenchError with the failing step's last line when pip cannot install it.
    """
    import docker

    client = client or connect()
    tag = reference_tag(version)
    try:
        client.images.get(tag)
        return tag
    except docker.errors.ImageNotFound:
        pass
    bundle = ca_bundle()
    files = {"pip-ca.pem": Path(bundle)} if bundle and Path(bundle).is_file() else {}
    dockerfile = reference_dockerfile(version, base, cert=bool(files))
    for event in build_image(dockerfile, files, tag=tag, client=client):
        if isinstance(event, LogLine) and progress:
            progress(event.text)
        elif isinstance(event, BuildFailed):
            raise WorkbenchError(f"reference image {tag}: {event.line()}")
        elif isinstance(event, BuildResult):
            return tag
    raise WorkbenchError(f"reference image {tag}: the build ended without a result")
