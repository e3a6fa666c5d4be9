"""Ask a base image, in one throwaway offline container, which commands it lacks.

``/bin/sh`` runs ``command -v`` for each name (passed as arguments, never spliced into the
script) and prints the release, the architecture, the apk repositories and the package
database, so sizes can be counted over what the base already has.
"""

from __future__ import annotations

from collections.abc import Iterable

from workbench.core.engine.container import run_offline
from workbench.core.errors import WorkbenchError
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
    apk_installed,
    debian_index,
    dpkg_installed,
)

_SCRIPT = r"""
. /etc/os-release 2>/dev/null
echo "id=$ID"
echo "release=${VERSION_CODENAME:-$VERSION_ID}"
echo "arch=$(uname -m)"
for c in "$@"; do command -v "$c" >/dev/null 2>&1 || echo "missing=$c"; done
echo "@@repositories"; cat /etc/apk/repositories 2>/dev/null
echo "@@dpkg"; cat /var/lib/dpkg/status 2>/dev/null
echo "@@apk"; cat /lib/apk/db/installed 2>/dev/null
exit 0
"""


def parse_probe(image: str, out: str) -> BaseFacts:
    """The probe's output as ``BaseFacts``."""
    head, _, rest = out.partition("@@repositories\n")
    repos, _, rest = rest.partition("@@dpkg\n")
    dpkg, _, apk = rest.partition("@@apk\n")
    values: dict[str, str] = {}
    missing = []
    for line in head.splitlines():
        key, _, value = line.partition("=")
        if key == "missing":
            missing.append(value)
        else:
            values[key] = value
    if dpkg.strip():
        family, installed = "apt", dpkg_installed(dpkg)
    elif apk.strip():
        family, installed = "apk", apk_installed(apk)
    else:
        raise WorkbenchError(
            f"{image} has neither a dpkg nor an apk package database; cannot tell which OS "
            "packages would add the commands its scripts run"
        )
    release = values.get("release", "")
    if family == "apk":
        release = ".".join(release.split(".")[:2])
    return BaseFacts(
        image=image,
        family=family,
        release=release,
        arch=values.get("arch", ""),
        installed=frozenset(installed),
        missing=tuple(missing),
        repositories=tuple(
            r.strip() for r in repos.splitlines() if r.strip() and not r.startswith("#")
        ),
    )


def probe_base(client, image: str, commands: Iterable[str], *, timeout: float = 120) -> BaseFacts:
    """Run the probe in ``image`` (no network) for the command names in ``commands``."""
    names = [c for c in dict.fromkeys(commands) if COMMAND_NAME.match(c)]
    status, out, err = run_offline(
        client, image, ["/bin/sh", "-c", _SCRIPT, "sh", *names], timeout=timeout, what="the probe"
    )
    if status.get("StatusCode") != 0:
        last = (err.strip().splitlines() or [f"exit {status.get('StatusCode')}"])[-1]
        raise WorkbenchError(f"the command probe could not run in {image}: {last}")
    return parse_probe(image, out)


def provision(client, image: str, commands: Iterable, *, offline: bool = False) -> Provision:
    """Which of ``commands`` (``ExternalCommand``-like: ``name``, ``where``) ``image`` lacks
    and the OS packages of its release that add them, with their sizes over the base."""
    commands = list(commands)
    base = probe_base(client, image, [c.name for c in commands])
    if not base.missing:
        return provide(
            commands, base, PackageIndex(base.family, base.release, base.arch, {}, image), {}
        )
    if base.family == "apt":
        index = debian_index(base.release, base.arch, offline=offline)
        lookup = debian_contents(base.release, base.arch, offline=offline)
        return provide(commands, base, index, lookup, debian_priorities(index, offline=offline))
    repositories = list(base.repositories) or alpine_repositories()
    index = alpine_index(base.release, base.arch, repositories, offline=offline)
    return provide(commands, base, index, apk_command_providers(index))
