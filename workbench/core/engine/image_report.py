"""What a build produced: image size, base size, bytes added over the base, the added layers
(from the engine's history) and the size estimate beside the measured Python install."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from workbench.core.created_by import clean_command as _instruction
from workbench.core.engine.container import run_driver
from workbench.core.errors import WorkbenchError
from workbench.core.units import fmt_bytes


@dataclass(frozen=True)
class Layer:
    """One history entry added over the base (metadata-only entries have size 0)."""

    size_bytes: int
    command: str
    id: str


@dataclass(frozen=True)
class Footprint:
    """The Python install az runs from, measured inside the image (apparent file sizes)."""

    prefix: str
    site_packages_bytes: int
    pyc_bytes: int
    dist_info_bytes: int
    outside_site_packages_bytes: int
    largest: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Comparison:
    """Estimate vs actual site-packages bytes, and where the difference comes from."""

    estimate_bytes: int
    actual_bytes: int
    difference_bytes: int
    difference_ratio: float
    explanation: tuple[str, ...]


@dataclass(frozen=True)
class ImageReport:
    """Sizes of a built image against its base."""

    image_id: str
    size_bytes: int
    base_image: str | None
    base_size_bytes: int
    added_bytes: int
    layers: tuple[Layer, ...]
    footprint: Footprint | None = None
    comparison: Comparison | None = None

    @property
    def python_layer_bytes(self) -> int | None:
        """Bytes of the added layers that write the Python install (None if not measured)."""
        if self.footprint is None:
            return None
        return sum(ly.size_bytes for ly in python_layers(self.layers, self.footprint.prefix))

    def to_json(self) -> dict:
        """Plain JSON-able dict (the CLI adds the contract keys from it)."""
        data = asdict(self)
        data["python_layer_bytes"] = self.python_layer_bytes
        data["layers"] = [
            {"size_bytes": ly.size_bytes, "command": ly.command} for ly in self.layers
        ]
        return data


def image_report(
    client,
    image: str,
    base_image: str | None,
    *,
    estimate_bytes: int | None = None,
    measure: bool = True,
) -> ImageReport:
    """Sizes and added layers of ``image`` over ``base_image``; with ``measure`` also the
    in-image Python footprint, compared with ``estimate_bytes`` when given."""
    import docker

    try:
        attrs = client.api.inspect_image(image)
        history = client.api.history(image)
        base_attrs = client.api.inspect_image(base_image) if base_image else None
        base_history = client.api.history(base_image) if base_image else []
    except docker.errors.ImageNotFound as exc:
        raise WorkbenchError(f"image not found on the engine: {exc.explanation}") from None
    base_size = int(base_attrs["Size"]) if base_attrs else 0
    layers = _added_layers(history, len(base_history))
    footprint = _footprint(client, image) if measure else None
    comparison = (
        compare(estimate_bytes, footprint, layers) if footprint and estimate_bytes else None
    )
    return ImageReport(
        image_id=attrs["Id"],
        size_bytes=int(attrs["Size"]),
        base_image=base_image,
        base_size_bytes=base_size,
        added_bytes=int(attrs["Size"]) - base_size,
        layers=layers,
        footprint=footprint,
        comparison=comparison,
    )


def _added_layers(history: list[dict], base_entries: int) -> tuple[Layer, ...]:
    """History entries above the base, oldest first (the image's history ends with the
    base's own ``base_entries`` entries)."""
    added = list(reversed(history[: max(len(history) - base_entries, 0)]))
    return tuple(
        Layer(int(e.get("Size", 0)), clean_command(e.get("CreatedBy", "")), e.get("Id", ""))
        for e in added
    )


def clean_command(created_by: str) -> str:
    """A history entry's instruction (``core.created_by``); an entry without one is the
    imported base."""
    return _instruction(created_by) or "(imported base)"


def _footprint(client, image: str) -> Footprint | None:
    result = run_driver(client, image, {"footprint": True})
    data = result.get("footprint")
    if not data:
        return None
    return Footprint(
        prefix=data["prefix"],
        site_packages_bytes=data["site_packages_bytes"],
        pyc_bytes=data["pyc_bytes"],
        dist_info_bytes=data["dist_info_bytes"],
        outside_site_packages_bytes=data["outside_site_packages_bytes"],
        largest=tuple((name, size) for name, size in data["largest"]),
    )


def python_layers(layers: tuple[Layer, ...], prefix: str) -> tuple[Layer, ...]:
    """The added layers that write the Python install (their command names its prefix)."""
    return tuple(ly for ly in layers if ly.size_bytes and prefix in ly.command)


def compare(estimate_bytes: int, footprint: Footprint, layers: tuple[Layer, ...]) -> Comparison:
    """Estimate vs measured site-packages, and what the Python layers hold beyond it."""
    actual = footprint.site_packages_bytes
    diff = actual - estimate_bytes
    ratio = diff / estimate_bytes if estimate_bytes else 0.0
    lines = [
        f"site-packages measured {fmt_bytes(actual)} vs estimate {fmt_bytes(estimate_bytes)} "
        f"({fmt_bytes(diff, signed=True)}, {ratio:+.1%}); .pyc {fmt_bytes(footprint.pyc_bytes)}, "
        f"dist-info {fmt_bytes(footprint.dist_info_bytes)}",
    ]
    outside = footprint.outside_site_packages_bytes
    if outside:
        lines.append(
            f"outside site-packages under {footprint.prefix}: {fmt_bytes(outside)} "
            "(interpreter links, console scripts, pyvenv.cfg) - not in the estimate"
        )
    mine = python_layers(layers, footprint.prefix)
    if mine:
        total = sum(ly.size_bytes for ly in mine)
        rest = total - actual - outside
        lines.append(
            f"Python layer(s) {fmt_bytes(total)} = site-packages + outside "
            f"{fmt_bytes(rest, signed=True)} "
            "(files a later step deletes still count in the layer that wrote them)"
        )
    for layer in layers:
        if layer.size_bytes and layer not in mine:
            lines.append(f"other added layer {fmt_bytes(layer.size_bytes)}: {layer.command[:70]}")
    return Comparison(estimate_bytes, actual, diff, ratio, tuple(lines))
