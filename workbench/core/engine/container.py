"""Run the in-container driver (``smoke_driver.py``) in one throw-away container with no
network: the payloads, the spec and the run's files are copied in before it starts (nothing
is mounted from the host, nothing is added to the image)."""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
from collections.abc import Callable, Mapping, Sequence
from importlib import resources

from workbench.core.errors import WorkbenchError

RUN_DIR = "/tmp/workbench-run"
PAYLOADS = ("smoke_driver.py", "fakeazure.py", "fakedata.py", "fakegraph.py")


def payload_files() -> dict[str, bytes]:
    """The in-container code (standard library only), by file name."""
    root = resources.files("workbench.core.engine.payloads")
    return {name: root.joinpath(name).read_bytes() for name in PAYLOADS}


def _archive(files: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{RUN_DIR.lstrip('/')}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def run_driver(
    client,
    image: str,
    spec: dict,
    *,
    files: Mapping[str, bytes] | None = None,
    extra_hosts: Mapping[str, str] | None = None,
    timeout: float = 1800,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Run the driver with ``spec`` inside ``image`` (``--network none``; ``extra_hosts``
    mapped in ``/etc/hosts``) and return its JSON result. ``files`` (name -> bytes) land in
    ``RUN_DIR`` beside the driver.

    ``progress`` gets each line the driver logs on stderr while it runs. Raises
    WorkbenchError (exit 1) when the image cannot run it.
    """
    content = {**payload_files(), **(files or {}), "spec.json": json.dumps(spec).encode()}
    argv = ["python3", f"{RUN_DIR}/smoke_driver.py", f"{RUN_DIR}/spec.json"]
    run = run_offline(
        client,
        image,
        argv,
        files=content,
        extra_hosts=extra_hosts,
        timeout=timeout,
        progress=progress,
        what="the check container",
    )
    return _json_of(image, *run)


def run_python(
    client,
    image: str,
    source: str,
    args: Sequence[str] = (),
    *,
    timeout: float = 1800,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Run the standard-library script ``source`` with ``args`` in a throw-away container of
    ``image`` with no network, as root, and return the JSON of the last line it prints."""
    argv = ["python3", f"{RUN_DIR}/script.py", *args]
    files = {"script.py": source.encode()}
    run = run_offline(client, image, argv, files=files, timeout=timeout, progress=progress)
    return _json_of(image, *run)


def run_offline(
    client,
    image: str,
    argv: list[str],
    *,
    files: Mapping[str, bytes] | None = None,
    extra_hosts: Mapping[str, str] | None = None,
    timeout: float = 600,
    progress: Callable[[str], None] | None = None,
    what: str = "the container",
) -> tuple[dict, str, str]:
    """Run ``argv`` (its first word the entrypoint) in a throwaway container of ``image``
    (``--network none``, root; ``files`` copied into ``RUN_DIR`` before it starts):
    ``(wait status, stdout, stderr)``. ``progress`` gets each stderr line while it runs.
    One WorkbenchError line when it cannot run."""
    import docker

    try:
        client.images.get(image)  # run() would try to pull it instead
    except docker.errors.ImageNotFound:
        raise WorkbenchError(f"image {image} is not on the engine; build it first") from None
    container = None
    try:
        container = client.containers.create(
            image,
            entrypoint=argv[:1],
            command=argv[1:],
            network_mode="none",
            extra_hosts=dict(extra_hosts or {}),
            user="0",
        )
        if files:
            container.put_archive("/", _archive(files))
        container.start()
    except docker.errors.APIError as exc:
        if container is not None:
            with contextlib.suppress(Exception):
                container.remove(force=True)
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


def _json_of(image: str, status: dict, out: str, err: str) -> dict:
    """The JSON of the last line a container printed; one line saying why when there is none."""
    try:
        return json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        last = (err.strip().splitlines() or [f"exit {status.get('StatusCode')}"])[-1]
        raise WorkbenchError(
            f"the checks could not run inside {image}: {last}; the image needs python3 on PATH",
            exit_code=1,
        ) from None
