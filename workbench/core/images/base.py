"""The base image's size: exact from the engine when the image is there (measured), else
from its registry manifest (derived: compressed layer bytes times a measured ratio)."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.errors import WorkbenchError

# Uncompressed (engine) bytes per compressed (registry, gzip) byte of an OS base layer,
# measured by tests/test_images_registry.py on the loopback registry: the Debian bookworm
# test base is 190,837,970 B on the engine and 79,424,260 B as a pushed gzip layer (2.40).
# A Python site-packages layer compresses better (4.9x measured on the blog image), so the
# ratio is only used for base images.
COMPRESSED_RATIO = 2.40
RATIO_PROVENANCE = "ratio 2.40 measured on the Debian bookworm test base"


@dataclass(frozen=True)
class BaseSize:
    """Bytes of the base image and how they were found."""

    image: str
    bytes: int
    how: str  # measured | derived
    source: str

    def line(self) -> str:
        return f"{self.image}: {self.bytes / 1e6:.1f} MB {self.how} ({self.source})"


def engine_size(client, image: str) -> BaseSize | None:
    """The engine's size of ``image``, or None when it is not there (or no engine)."""
    if client is None:
        return None
    try:
        attrs = client.api.inspect_image(image)
    except Exception:  # not found, or the engine went away: the registry is the fallback
        return None
    return BaseSize(image, int(attrs["Size"]), "measured", "Docker engine")


def registry_size(image: str, arch: str = "x86_64", *, client=None, registry=None) -> BaseSize:
    """The base's size derived from its registry manifest (compressed x ``COMPRESSED_RATIO``)."""
    from workbench.core.images.registry import Registry, daemon_settings, engine_settings

    if registry is None:
        settings = daemon_settings()
        engine = engine_settings(client) if client is not None else {}
        for key in ("registry-mirrors", "insecure-registries"):
            settings[key] += [v for v in engine.get(key, []) if v not in settings[key]]
        settings["index-server"] = engine.get("index-server")
        registry = Registry(settings)
    found = registry.image(image, arch)
    return BaseSize(
        image,
        round(found.compressed_bytes * COMPRESSED_RATIO),
        "derived",
        f"registry {found.endpoint}: {found.compressed_bytes / 1e6:.1f} MB compressed x "
        f"{COMPRESSED_RATIO} ({RATIO_PROVENANCE})",
    )


def base_size(
    image: str, arch: str = "x86_64", *, client=None, registry=None, offline: bool = False
) -> BaseSize:
    """Exact from the engine when it has ``image``, else derived from the registry (never
    with ``offline``)."""
    found = engine_size(client, image)
    if found is not None:
        return found
    if offline:
        raise WorkbenchError(
            f"base image {image} is not on the engine and --offline forbids asking a registry",
            exit_code=1,
        )
    try:
        return registry_size(image, arch, client=client, registry=registry)
    except WorkbenchError as exc:
        raise WorkbenchError(
            f"base image {image} is neither on the engine nor readable from a registry ({exc})",
            exit_code=1,
        ) from None
