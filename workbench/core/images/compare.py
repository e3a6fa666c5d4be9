"""One selection estimated on several targets (base images), the cheapest marked; and the
target of any base: from its name, else from a probe of the image on the engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from workbench.core.errors import WorkbenchError
from workbench.core.images.whole import ImageEstimate, estimate_image
from workbench.core.sizes.target import Target, make_target


@dataclass(frozen=True)
class Selection:
    """What to estimate on each target: packages, .pyc, path trims, install mode, OS
    packages of the final image."""

    requested: tuple[str, ...]
    azure_cli: str
    compile: bool = True
    trims: tuple = ()
    trim_names: tuple[str, ...] = ()
    mode: str = "multistage"
    runtime_packages: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetRow:
    """One target's figures, or the one line saying why there are none."""

    base: str
    target: Target | None = None
    python_bytes: int | None = None
    image: ImageEstimate | None = None
    error: str | None = None
    image_error: str | None = None  # the whole image could not be estimated (base unknown)

    @property
    def total_bytes(self) -> int | None:
        """The whole image when estimated, else the Python part."""
        return self.image.total_bytes if self.image else self.python_bytes

    def to_json(self) -> dict:
        return {
            "base": self.base,
            "target": self.target.to_dict() if self.target else None,
            "python_bytes": self.python_bytes,
            "total_bytes": self.total_bytes,
            "image": self.image.to_json() if self.image else None,
            "error": self.error,
            "image_error": self.image_error,
        }


def engine_or_none():
    """A docker client when an engine answers, else None (callers then use the registry)."""
    from workbench.core.engine.build import connect

    try:
        return connect(timeout=30)
    except WorkbenchError:
        return None


def target_for(
    base: str,
    client=None,
    *,
    python: str | None = None,
    libc: str | None = None,
    arch: str | None = None,
) -> Target:
    """The target of ``base``: derived from its name, else probed on the engine; explicit
    values win."""
    try:
        return make_target(base, python, libc, arch)
    except WorkbenchError:
        if client is None:
            raise
    from workbench.core.images.probe import probe_image

    probed = probe_image(client, base).target()
    return Target(
        python or probed.python,
        libc or probed.libc,
        probed.libc_version if not libc or libc == probed.libc else None,
        arch or probed.arch,
        base,
    )


def python_bytes(model, selection: Selection) -> int:
    """The Python layer: the size engine's estimate plus the venv seed the mode keeps."""
    from workbench.core.sizes.venv_seed import venv_seed

    est = model.estimate(
        list(selection.requested), compile=selection.compile, trims=selection.trims
    )
    seed = venv_seed(model.target, selection.mode, selection.trim_names)
    return est.total_bytes + (seed.bytes if seed else 0)


def image_of(
    base: str, selection: Selection, py_bytes: int, model, *, client=None, offline=False
) -> ImageEstimate:
    """The whole-image estimate of ``selection`` on ``base``."""
    from workbench.core.recipe.dockerfile import Resolution
    from workbench.core.recipe.recipe import Recipe, TargetOverride

    target = model.target
    recipe = Recipe(
        base=base,
        mode=selection.mode,
        azure_cli=selection.azure_cli,
        trims=list(selection.trim_names),
        runtime_packages=list(selection.runtime_packages),
        target=TargetOverride(target.python, target.libc, target.libc_version, target.arch),
    )
    resolution = Resolution.from_size_model(model, list(selection.requested))
    return estimate_image(recipe, py_bytes, resolution.no_wheel, client=client, offline=offline)


def compare_targets(
    bases: Sequence[str],
    selection: Selection,
    load_model: Callable[[Target], object],
    *,
    image: bool = True,
    client=None,
    offline: bool = False,
    overrides: dict | None = None,
) -> list[TargetRow]:
    """Each base's figures for ``selection``; ``load_model(target)`` gives its size model.
    A base that cannot be estimated gets a row with its one-line error."""
    rows = []
    for base in bases:
        try:
            target = target_for(base, client, **(overrides or {}))
            model = load_model(target)
            py = python_bytes(model, selection)
        except WorkbenchError as exc:
            rows.append(TargetRow(base, error=str(exc)))
            continue
        try:
            whole = (
                image_of(base, selection, py, model, client=client, offline=offline)
                if image
                else None
            )
        except WorkbenchError as exc:  # the Python part still compares
            rows.append(TargetRow(base, target, py, image_error=str(exc)))
        else:
            rows.append(TargetRow(base, target, py, whole))
    return rows


def cheapest(rows: Sequence[TargetRow]) -> TargetRow | None:
    """The row with the smallest whole image when every estimated row has one, else the
    smallest Python layer (whole and partial totals are never compared)."""
    done = [r for r in rows if r.python_bytes is not None]
    if not done:
        return None
    if all(r.image is not None for r in done):
        return min(done, key=lambda r: r.image.total_bytes)
    return min(done, key=lambda r: r.python_bytes)
