"""The instruction behind an image history entry's ``created_by``, whichever builder wrote it:
the classic builder's ``/bin/sh -c #(nop) COPY ...`` and ``/bin/sh -c apt ...``, BuildKit's
``RUN /bin/sh -c apt ... # buildkit`` and ``COPY /a /b # buildkit``."""

from __future__ import annotations

SHELL = "/bin/sh -c "


def clean_command(created_by: str) -> str:
    """``/bin/sh -c #(nop) COPY ...`` -> ``COPY ...``; ``/bin/sh -c apt ...`` -> ``RUN apt ...``;
    BuildKit's ``# buildkit`` suffix and build-arg prefix (``|2 A=1 B=2``) dropped."""
    text = " ".join(created_by.split()).removesuffix("# buildkit").strip()
    if text.startswith("|"):  # build args first: "|2 A=1 B=2 /bin/sh -c ..."
        _, found, rest = text.partition(SHELL)
        text = SHELL + rest if found else text
    if text.startswith("RUN " + SHELL):
        text = text.removeprefix("RUN ")
    if text.startswith(SHELL + "#(nop) "):
        return text[len(SHELL + "#(nop) ") :].strip()
    if text.startswith(SHELL):
        return "RUN " + text[len(SHELL) :].strip()
    return text
