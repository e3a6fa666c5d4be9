"""Record real BuildKit build streams for the fast decoding tests (``tests/fixtures/buildkit``).

Run ``python -m tests.support.buildkit_streams`` with the engine up and the local test base
image: it builds each Dockerfile below through ``POST /build?version=2`` and stores the JSON
chunks exactly as the engine sent them, beside the Dockerfile. No package index is involved
(no index host names get into the fixtures); the images are not tagged and are removed afterwards.
"""

from __future__ import annotations

import io
import json
import os
import threading
import uuid
from pathlib import Path

from workbench.core.engine.build import connect, make_context

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "buildkit"
BASE = os.environ.get("WORKBENCH_TEST_BASE", "workbench-test/debian-python:bookworm")
_BUILDER = """FROM {base} AS builder
WORKDIR /out
RUN echo making /out/a && echo warning: a warning line >&2 \\
    && echo built > /out/a
COPY hello.txt /out/
FROM {base}
ENV GREETING=hi
COPY --from=builder /out /out
RUN {last}
LABEL dev.workbench.fixture=buildkit
"""
# name -> (Dockerfile, build without cache, seconds until cancelled)
STREAMS = {
    "multistage-first": (_BUILDER.format(base=BASE, last="ls /out"), True, None),
    "multistage-rebuild": (_BUILDER.format(base=BASE, last="ls -l /out"), False, None),
    "failing-step": (
        f"FROM {BASE}\nRUN echo about to fail && echo the reason >&2 && exit 3\n",
        True,
        None,
    ),
    "cancelled": (f"FROM {BASE}\nRUN echo started && sleep 60\n", True, 2.0),
}


def record(client, dockerfile: str, nocache: bool, cancel_after: float | None) -> list[dict]:
    """The decoded JSON chunks of one BuildKit build, in order."""
    build_id = uuid.uuid4().hex
    params = {"version": "2", "buildid": build_id}  # untagged: removed by its id afterwards
    if nocache:
        params["nocache"] = "1"
    response = client.api._post(
        client.api._url("/build"),
        data=io.BytesIO(make_context(dockerfile, {"hello.txt": "hello\n"})),
        params=params,
        headers={"Content-Type": "application/tar"},
        stream=True,
    )
    if cancel_after is not None:
        cancel = client.api._url("/build/cancel")
        threading.Timer(
            cancel_after, client.api._post, (cancel,), {"params": {"id": build_id}}
        ).start()
    chunks = list(client.api._stream_helper(response, decode=True))
    for chunk in chunks:
        if chunk.get("id") == "moby.image.id":
            client.images.remove(chunk["aux"]["ID"], noprune=True)
    return chunks


def main() -> None:
    client = connect()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, (dockerfile, nocache, cancel_after) in STREAMS.items():
        chunks = record(client, dockerfile, nocache, cancel_after)
        data = {"dockerfile": dockerfile, "chunks": chunks}
        (FIXTURES / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
        print(f"{name}: {len(chunks)} chunks")


if __name__ == "__main__":
    main()
