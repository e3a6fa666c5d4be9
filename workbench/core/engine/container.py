"""Run the in-container driver (``smoke_driver.py``) in one throw-away, offline container."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from importlib import resources

from workbench.core.errors import WorkbenchError


def driver_source() -> str:
    """The driver script's text, passed to the image's ``python3 -c``."""
    return resources.files("workbench.core.engine.payloads").joinpath("smoke_driver.py").read_text()


def run_offline(
    client,
    image: str,
    argv: list[str],
    *,
    timeout: float = 600,
    progress: Callable[[str], None] | None = None,
    what: str = "the container",
) -> tuple[dict, str, str]:
    """Run ``argv`` (its first word the entrypoint) in a throwaway container of ``image``
    with no network, as root; ``(wait status, stdout, stderr)``. ``progress`` gets each
    stderr line while it runs. One WorkbenchError line when it cannot run."""
    import docker

    try:
        client.images.get(image)  # run() would try to pull it instead
    except docker.errors.ImageNotFound:
        raise WorkbenchError(f"image {image} is not on the engine; build it first") from None
    try:
        container = client.containers.run(
            image,
            entrypoint=argv[:1],
            command=argv[1:],
            network_disabled=True,
            detach=True,
            user="0",
        )
    except docker.errors.APIError as exc:
        raise WorkbenchError(
            f"cannot start a container from {image}: {exc.explanation}", exit_code=1
        ) from None
    try:
        if progress:
            for raw in container.logs(stream=True, follow=True, stdout=False, stderr=True):
                for line in raw.decode(errors="replace").splitlines():
                    progress(line)
        status = container.wait(timeout=timeout)
        out = container.logs(stdout=True, stderr=False).decode(errors="replace")
        err = container.logs(stdout=False, stderr=True).decode(errors="replace")
    except Exception as exc:
        raise WorkbenchError(
            f"{what} for {image} did not finish ({exc}); is {argv[0]} on its PATH?",
            exit_code=1,
        ) from None
    finally:
        with contextlib.suppress(Exception):  # already gone
            container.remove(force=True)
    return status, out, err


def run_driver(
    client,
    image: str,
    spec: dict,
    *,
    timeout: float = 1800,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Run the driver with ``spec`` inside ``image`` (no network) and return its JSON result.

    ``progress`` gets each line the driver logs on stderr while it runs. Raises
    WorkbenchError (exit 1) when the image cannot run it.
    """
    status, out, err = run_offline(
        client,
        image,
        ["python3", "-c", driver_source(), json.dumps(spec)],
        timeout=timeout,
        progress=progress,
        what="the check container",
    )
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        last = (err.strip().splitlines() or [f"exit {status.get('StatusCode')}"])[-1]
        raise WorkbenchError(
            f"the checks could not run inside {image}: {last}; the image needs python3 on PATH",
            exit_code=1,
        ) from None
