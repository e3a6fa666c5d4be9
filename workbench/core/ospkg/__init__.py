"""OS package indexes: installed sizes and dependency closures of apt (Debian) and apk
(Alpine) packages, read from the distribution's own index files."""

from workbench.core.ospkg.index import (
    OsPackage,
    OsPackagesCost,
    PackageIndex,
    alpine_index,
    debian_index,
    debian_mirror,
    download_cached,
    os_packages_cost,
)

__all__ = [
    "OsPackage",
    "OsPackagesCost",
    "PackageIndex",
    "alpine_index",
    "debian_index",
    "debian_mirror",
    "download_cached",
    "os_packages_cost",
]
