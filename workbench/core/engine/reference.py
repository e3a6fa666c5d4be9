"""The reference image: a full ``pip install azure-cli==VER`` on a given base, built once and
kept under its own tag (base + version), so a trimmed image's failures can be told from calls
that fail on a full install too.

The package index and its CA come from the same places a recipe build takes them (the user's
pip configuration, ``PIP_CERT`` and friends); the CA lives only in the discarded builder stage.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from workbench.core.defaults import VENV
from workbench.core.engine.build import BuildFailed, BuildResult, LogLine, build_image
from workbench.core.errors import WorkbenchError
from workbench.core.http import ca_bundle
from workbench.core.sizes.resolve import pip_index_url

REPOSITORY = "workbench-ref/azure-cli-full"
LABEL_BASE = "dev.workbench.reference.base-id"
LABEL_VERSION = "dev.workbench.reference.azure-cli"


def reference_tag(base: str, version: str, repository: str = REPOSITORY) -> str:
    """The tag the reference for ``base`` + ``version`` is kept under."""
    slug = re.sub(r"[^a-z0-9_.-]+", "-", base.lower()).strip("-.")[:80]
    return f"{repository}:{version}-{slug}"


def reference_dockerfile(base: str, version: str, *, index_url: str | None, ca: bool) -> str:
    """A two-stage Dockerfile: the builder installs azure-cli with every dependency into the
    same venv path the recipes use; the final stage is the base plus that venv."""
    pip = [f"{VENV}/bin/python", "-m", "pip", "install", "--no-cache-dir"]
    pip.append("--disable-pip-version-check")
    if index_url:
        pip.append(f"--index-url '{index_url}'")
    if ca:
        pip.append("--cert /tmp/workbench/pip-ca.pem")
    lines = [f"FROM {base} AS builder"]
    if ca:
        lines.append("COPY pip-ca.pem /tmp/workbench/pip-ca.pem")
    lines += [
        f"RUN python3 -m venv {VENV} && {' '.join(pip)} azure-cli=={version}",
        f"FROM {base}",
        f"COPY --from=builder {VENV} {VENV}",
        f'ENV PATH="{VENV}/bin:${{PATH}}"',
    ]
    return "\n".join(lines) + "\n"


def reference_image(
    client,
    base: str,
    version: str,
    *,
    tag: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> str:
    """The tag of a full azure-cli ``version`` install on ``base``: reused when an image under
    that tag was built from the same base image id, built (minutes) otherwise.

    Raises WorkbenchError when the base is missing or the build fails.
    """
    import docker

    tag = tag or reference_tag(base, version)
    try:
        base_id = client.images.get(base).id
    except docker.errors.ImageNotFound:
        raise WorkbenchError(f"base image {base} is not on the engine; build or pull it") from None
    try:
        labels = client.images.get(tag).labels or {}
        if all(labels.get(k) == v for k, v in _labels(base, base_id, version).items()):
            return tag
    except docker.errors.ImageNotFound:
        pass
    bundle = ca_bundle()
    files = {"pip-ca.pem": Path(bundle)} if bundle and Path(bundle).is_file() else {}
    dockerfile = reference_dockerfile(base, version, index_url=pip_index_url(), ca=bool(files))
    last: BuildResult | BuildFailed | None = None
    for event in build_image(
        dockerfile,
        files,
        tag=tag,
        labels=_labels(base, base_id, version),
        client=client,
    ):
        if isinstance(event, LogLine) and progress:
            progress(event.text)
        if isinstance(event, BuildResult | BuildFailed):
            last = event
    if not isinstance(last, BuildResult):
        why = last.line() if last else "no result from the engine"
        raise WorkbenchError(
            f"the reference image (azure-cli {version} on {base}) did not build: {why}",
            exit_code=1,
        )
    return tag


def _labels(base: str, base_id: str, version: str) -> dict[str, str]:
    return {
        LABEL_BASE: base_id,
        LABEL_VERSION: version,
        "org.opencontainers.image.base.name": base,
        "org.opencontainers.image.version": version,
    }


def image_origin(client, image: str) -> tuple[str | None, str | None]:
    """The base image and azure-cli version a workbench-built image records in its labels."""
    try:
        labels = client.images.get(image).labels or {}
    except Exception:  # the smoke run itself reports a missing image
        return None, None
    return labels.get("org.opencontainers.image.base.name"), labels.get(
        "org.opencontainers.image.version"
    )


def lazy_reference(
    client,
    base: str | None,
    version: str | None,
    progress: Callable[[str], None] | None = None,
) -> Callable[[], str]:
    """A callable giving the reference tag, built only when first asked (it costs minutes);
    raises WorkbenchError saying why there is none."""

    def get() -> str:
        if not base or not version:
            raise WorkbenchError(
                "the image does not say its base and azure-cli version (labels "
                "org.opencontainers.image.base.name/.version); smoke it with --recipe"
            )
        if progress:
            progress(f"reference: full azure-cli {version} on {base} (built once, then reused)")
        return reference_image(client, base, version, progress=progress)

    return get
