"""OS package indexes: an APKINDEX the test builds and serves over loopback HTTP, Debian
Packages/dpkg status parsing, the host's apt sources, offline without a cached index."""

from __future__ import annotations

import functools
import http.server
import io
import tarfile
import threading

import pytest

from workbench.core.errors import IndexUnreachable
from workbench.core.ospkg.index import (
    PackageIndex,
    alpine_index,
    apk_installed,
    apt_source_uris,
    debian_mirror,
    download_cached,
    dpkg_installed,
    os_packages_cost,
    parse_debian_packages,
)

APKINDEX = """C:Q1aaa=
P:jq
V:1.7.1-r0
I:282624
D:so:libc.musl-x86_64.so.1 so:libonig.so.5
p:cmd:jq=1.7.1-r0

C:Q1bbb=
P:oniguruma
V:6.9.9-r0
I:585728
D:so:libc.musl-x86_64.so.1
p:so:libonig.so.5=5.4.0

C:Q1ccc=
P:musl
V:1.2.5-r9
I:647168
p:so:libc.musl-x86_64.so.1=1

C:Q1ddd=
P:bash
V:5.2.37-r0
I:1327104
D:/bin/sh so:libc.musl-x86_64.so.1 so:libreadline.so.8
p:cmd:bash=5.2.37-r0

C:Q1eee=
P:readline
V:8.2.13-r0
I:307200
D:so:libc.musl-x86_64.so.1 so:libncursesw.so.6
p:so:libreadline.so.8=8.2

C:Q1fff=
P:ncurses-libs
V:6.5-r0
I:434176
p:so:libncursesw.so.6=6.5

C:Q1ggg=
P:busybox-binsh
V:1.37.0-r12
I:1
p:/bin/sh cmd:sh=1.37.0-r12
"""

INSTALLED = "P:musl\nV:1.2.5-r9\np:so:libc.musl-x86_64.so.1=1\n\nP:busybox-binsh\nV:1\np:/bin/sh\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A real HTTP server on loopback serving ``/v3.22/main/x86_64/APKINDEX.tar.gz``."""
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "www" / "v3.22" / "main" / "x86_64"
    folder.mkdir(parents=True)
    data = APKINDEX.encode()
    with tarfile.open(folder / "APKINDEX.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("APKINDEX")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "www")
    )
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v3.22/main"
    server.shutdown()


def test_apk_closure_counts_installed_sizes_minus_the_base(repo):
    index = alpine_index("3.22", "x86_64", [repo])
    cost = os_packages_cost(index, ["jq", "bash"], [], apk_installed(INSTALLED))
    assert dict(cost.runtime) == {
        "jq": 282624,
        "oniguruma": 585728,
        "bash": 1327104,
        "readline": 307200,
        "ncurses-libs": 434176,
    }
    assert cost.total_bytes == 282624 + 585728 + 1327104 + 307200 + 434176
    assert "musl" not in dict(cost.runtime)  # the base has it


def test_apk_build_deps_are_listed_at_zero_cost(repo):
    index = alpine_index("3.22", "x86_64", [repo])
    cost = os_packages_cost(index, ["jq"], ["bash"], apk_installed(INSTALLED))
    assert [d["final_bytes"] for d in cost.to_json()["build_deps"]] == [0, 0, 0]
    assert cost.total_bytes == 282624 + 585728


def test_unknown_os_package_is_one_line(repo):
    index = alpine_index("3.22", "x86_64", [repo])
    with pytest.raises(Exception, match="'jqq' is not in the Alpine 3.22 x86_64 index"):
        index.closure(["jqq"], set())


def test_a_second_read_comes_from_the_cache(repo, monkeypatch):
    alpine_index("3.22", "x86_64", [repo])
    again = alpine_index("3.22", "x86_64", [repo], offline=True)
    assert "jq" in again.packages


def test_offline_without_a_cached_index_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path))
    with pytest.raises(IndexUnreachable, match="not cached and --offline"):
        download_cached("http://127.0.0.1:9/dists/x/Packages.xz", offline=True)


PACKAGES = """Package: jq
Version: 1.6-2.1
Installed-Size: 111
Depends: libjq1 (= 1.6-2.1), libc6 (>= 2.34)

Package: libjq1
Version: 1.6-2.1
Installed-Size: 366
Depends: libonig5 (>= 6.1.0) | libonig-alt, libc6 (>= 2.14)

Package: libonig5
Version: 6.9.8-1
Installed-Size: 666
Depends: libc6 (>= 2.14)

Package: libc6
Version: 2.36-9
Installed-Size: 12000
Priority: required

Package: mawk
Version: 1.3.4
Installed-Size: 250
Provides: awk
Priority: required

Package: needs-awk
Version: 1
Installed-Size: 10
Depends: awk
"""

STATUS = """Package: libc6
Status: install ok installed
Version: 2.36-9

Package: mawk
Status: install ok installed
Provides: awk

Package: gone
Status: deinstall ok config-files
"""


def test_debian_closure_minus_dpkg_status():
    index = PackageIndex("apt", "bookworm", "amd64", parse_debian_packages(PACKAGES), "test")
    have = dpkg_installed(STATUS)
    assert "gone" not in have and "awk" in have
    cost = os_packages_cost(index, ["jq", "needs-awk"], [], have)
    assert dict(cost.runtime) == {
        "jq": 111 * 1024,
        "libjq1": 366 * 1024,
        "libonig5": 666 * 1024,
        "needs-awk": 10 * 1024,
    }
    assert index.required_names() >= {"libc6", "mawk", "awk"}


def test_mirror_from_the_host_apt_sources(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DEBIAN_MIRROR", raising=False)
    folder = tmp_path / "sources.list.d"
    folder.mkdir()
    (folder / "debian.sources").write_text(
        "Types: deb\n# a comment\nURIs: http://mirror.example/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        "Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\n"
        "Components: main\n"
    )
    (tmp_path / "sources.list").write_text(
        "deb [arch=amd64] http://other.example/x nodistro main\n"
    )
    paths = (tmp_path / "sources.list", folder)
    assert ("http://other.example/x", ["nodistro"]) in apt_source_uris(paths)
    assert debian_mirror(paths) == "http://mirror.example/debian"


def test_no_debian_mirror_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_DEBIAN_MIRROR", raising=False)
    with pytest.raises(Exception, match="no Debian mirror in the host's apt sources"):
        debian_mirror((tmp_path / "none",))
