"""Ask a base image which of the scripts' commands it lacks, and which OS packages add them.

``command -v`` runs for each name under the base's ``/bin/sh`` in one throwaway offline
container (names are arguments, never spliced into the script); the release, architecture
and package database come from the image probe (``images.probe``, cached by image id).
"""

from __future__ import annotations

from collections.abc import Iterable

from workbench.core.engine.container import run_offline
from workbench.core.errors import WorkbenchError
from workbench.core.images.probe import probe_image
from workbench.core.ospkg.contents import (
    COMMAND_NAME,
    BaseFacts,
    Provision,
    apk_command_providers,
    debian_contents,
    debian_priorities,
    provide,
)
from workbench.core.ospkg.index import (
    PackageIndex,
    alpine_index,
    alpine_repositories,
    debian_index,
)

_SCRIPT = 'for c in "$@"; do command -v "$c" >/dev/null 2>&1 || echo "$c"; done; exit 0'


def missing_commands(client, image: str, names: Iterable[str], *, timeout: float = 120):
    """The command names (valid ones only) that ``command -v`` does not find in ``image``."""
    names = [n for n in dict.fromkeys(names) if COMMAND_NAME.match(n)]
    if not names:
        return ()
    status, out, err = run_offline(
        client, image, ["/bin/sh", "-c", _SCRIPT, "sh", *names], timeout=timeout, what="the probe"
    )
    if status.get("StatusCode") != 0:
        last = (err.strip().splitlines() or [f"exit {status.get('StatusCode')}"])[-1]
        raise WorkbenchError(f"the command probe could not run in {image}: {last}")
    return tuple(line for line in out.splitlines() if line in names)


def provision(client, image: str, commands: Iterable, *, offline: bool = False) -> Provision:
    """Which of ``commands`` (``ExternalCommand``-like: ``name``, ``where``) ``image`` lacks
    and the OS packages of its release that add them, with their sizes over the base."""
    commands = list(commands)
    facts = probe_image(client, image)
    missing = missing_commands(client, image, [c.name for c in commands])
    base = BaseFacts(image, frozenset(facts.have()), missing)
    if not missing:
        return provide(
            commands, base, PackageIndex(facts.family or "", facts.release, "", {}, image), {}
        )
    if facts.family == "apt":
        index = debian_index(facts.release, facts.arch, offline=offline)
        lookup = debian_contents(facts.release, facts.arch, offline=offline)
        return provide(commands, base, index, lookup, debian_priorities(index, offline=offline))
    if facts.family == "apk":
        repositories = alpine_repositories(facts.apk_repositories)
        index = alpine_index(facts.release, facts.arch, repositories, offline=offline)
        return provide(commands, base, index, apk_command_providers(index))
    raise WorkbenchError(
        f"{image} has neither apt nor apk; cannot tell which OS packages would add "
        f"{', '.join(missing)} (install them in the base)"
    )


def fill_runtime_packages(recipe, commands: Iterable, *, client=None) -> list[str]:
    """Add to ``recipe.runtime_packages`` the OS packages for the programs (``commands``) its
    base lacks; the lines to tell the user (each package added and why, a command nothing
    provides, or why the base could not be asked: then the list stays as it was)."""
    from workbench.core.engine.build import connect
    from workbench.core.units import fmt_bytes

    commands = list(commands)
    notes = []
    azcopy = [c for c in commands if c.name == "azcopy"]
    if azcopy:  # no OS package: the recipe downloads it, verified by its sha256
        commands = [c for c in commands if c.name != "azcopy"]
        if recipe.azcopy is None:
            notes.append(
                f"azcopy ({azcopy[0].where}) is no OS package: add an [azcopy] section "
                "(version, url, sha256) to the recipe to have it in the image"
            )
    try:
        found = provision(client or connect(timeout=60), recipe.base, commands)
    except WorkbenchError as exc:
        return [f"cannot check which programs {recipe.base} lacks: {exc}"]
    seen = set(recipe.runtime_packages)
    added = []
    for p in found.missing:
        if p.package and p.package not in seen:
            seen.add(p.package)
            added.append(
                f"runtime package {p.package} added ({fmt_bytes(p.bytes)} over the base): "
                f"{recipe.base} lacks {p.command}, run at {p.where}"
            )
    recipe.runtime_packages = list(dict.fromkeys([*recipe.runtime_packages, *found.packages]))
    return added + notes + found.problems()
