"""Commands -> OS packages: a Debian mirror (Contents + Packages) and an Alpine APKINDEX the
tests build, served by a real HTTP server on loopback; the real Debian index (network) and
the real base image (docker) for the probe."""

from __future__ import annotations

import gzip
import lzma
from dataclasses import dataclass

import pytest

from tests.support.wheels import WheelServer
from workbench.core.errors import WorkbenchError
from workbench.core.ospkg.contents import (
    BaseFacts,
    apk_command_providers,
    debian_contents,
    debian_priorities,
    parse_contents,
    provide,
)
from workbench.core.ospkg.index import PackageIndex, debian_index, parse_apkindex


@dataclass(frozen=True)
class Run:
    """An external command as the scan reports it (``scan.model.ExternalCommand``)."""

    name: str
    where: str


CONTENTS = b"""\
bin/cat                                                 utils/coreutils
usr/bin/bc                                              math/bc
usr/bin/envsubst                                        utils/gettext-base
usr/bin/nc                                              net/netcat-openbsd,net/netcat-traditional
usr/share/doc/zip/README                                doc/zip
usr/bin/zip                                             utils/zip
usr/sbin/visudo                                         admin/sudo
"""
CONTENTS_ALL = b"usr/bin/dos2unix-all                                    text/dos2unix-all\n"
PACKAGES = """\
Package: coreutils
Version: 9.1-1
Essential: yes
Priority: required
Installed-Size: 18000

Package: libc6
Version: 2.36-9
Priority: optional
Installed-Size: 12000

Package: bc
Version: 1.07.1-3
Priority: optional
Installed-Size: 241
Depends: libc6 (>= 2.34), libreadline8 (>= 6.0)

Package: libreadline8
Version: 8.2-1.3
Priority: optional
Installed-Size: 500
Depends: readline-common

Package: readline-common
Version: 8.2-1.3
Priority: optional
Installed-Size: 100

Package: gettext-base
Version: 0.21-12
Priority: standard
Installed-Size: 645

Package: zip
Version: 3.0-13
Priority: optional
Installed-Size: 616

Package: netcat-openbsd
Version: 1.219-1
Priority: important
Installed-Size: 109
Depends: libbsd0

Package: libbsd0
Version: 0.11.7-2
Priority: optional
Installed-Size: 400

Package: netcat-traditional
Version: 1.10-47
Priority: optional
Installed-Size: 50

Package: mawk
Version: 1.3.4-1
Priority: required
Installed-Size: 263
Provides: awk
"""
BASE = BaseFacts(
    "test/base:1", frozenset({"coreutils", "libc6"}), ("bc", "nc", "awk", "envsubst", "ghost")
)


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    main = tmp_path / "www" / "dists" / "bookworm" / "main"
    (main / "binary-amd64").mkdir(parents=True)
    (main / "Contents-amd64.gz").write_bytes(gzip.compress(CONTENTS))
    (main / "Contents-all.gz").write_bytes(gzip.compress(CONTENTS_ALL))
    (main / "binary-amd64" / "Packages.xz").write_bytes(lzma.compress(PACKAGES.encode()))
    with WheelServer(tmp_path / "www") as server:
        yield server, server.url("").rstrip("/"), main


def test_contents_map_bin_and_sbin_files_to_packages():
    table = parse_contents(CONTENTS)
    assert table["bc"] == ["bc"] and table["cat"] == ["coreutils"]
    assert table["nc"] == ["netcat-openbsd", "netcat-traditional"]
    assert table["visudo"] == ["sudo"] and "README" not in table


def test_debian_contents_are_downloaded_once_and_cached(mirror):
    server, url, _ = mirror
    table = debian_contents("bookworm", "x86_64", mirror=url)
    assert table["zip"] == ["zip"] and table["dos2unix-all"] == ["dos2unix-all"]
    asked = len(server.requests)
    assert debian_contents("bookworm", "x86_64", mirror=url, offline=True) == table
    assert len(server.requests) == asked


def test_a_corrupt_contents_file_is_one_line(mirror):
    _, url, main = mirror
    (main / "Contents-amd64.gz").write_bytes(b"not gzip")
    with pytest.raises(WorkbenchError, match=r"Contents-amd64.gz: not a gzip Contents file"):
        debian_contents("bookworm", "x86_64", mirror=url)


def test_missing_commands_get_the_best_package_and_its_size_over_the_base(mirror):
    _, url, _ = mirror
    index = debian_index("bookworm", "x86_64", mirror=url)
    lookup = debian_contents("bookworm", "x86_64", mirror=url)
    runs = [Run("bc", "sum.sh:9"), Run("cat", "sum.sh:2"), Run("nc", "net.sh:4"), Run("bc", "b:1")]
    runs += [Run("awk", "sum.sh:3"), Run("envsubst", "t.sh:1"), Run("ghost", "t.sh:7")]
    done = provide(runs, BASE, index, lookup, debian_priorities(index))
    chosen = {p.command: (p.package, p.bytes, p.where) for p in done.missing}
    assert chosen["bc"] == ("bc", (241 + 500 + 100) * 1024, "sum.sh:9")  # libc6 is there
    assert chosen["nc"][0] == "netcat-openbsd"  # priority important beats the smaller one
    assert chosen["awk"][0] == "mawk"  # no file ships it: the virtual package does
    assert chosen["envsubst"] == ("gettext-base", 645 * 1024, "t.sh:1")
    assert chosen["ghost"] == (None, 0, "t.sh:7") and "cat" not in chosen
    assert done.packages == ["bc", "netcat-openbsd", "mawk", "gettext-base"]
    assert done.total_bytes == (241 + 500 + 100 + 109 + 400 + 263 + 645) * 1024
    assert done.problems() == [
        "ghost (t.sh:7) is not in test/base:1 and no package of Debian bookworm amd64 provides "
        "it; install it in the base or drop it from the script"
    ]
    assert done.to_json()["found"] == ["bc", "cat", "nc", "awk", "envsubst", "ghost"]


def test_alpine_commands_come_from_cmd_provides():
    apkindex = """\
P:bc
V:1.07.1-r4
I:196608
D:so:libc.musl-x86_64.so.1 so:libreadline.so.8
p:cmd:bc=1.07.1-r4

P:readline
V:8.2.13-r1
I:290816
D:so:libc.musl-x86_64.so.1 so:libncursesw.so.6
p:so:libreadline.so.8=8.2

P:gettext-envsubst
V:0.22.5-r0
I:40960
p:cmd:envsubst=0.22.5-r0

P:gettext
V:0.22.5-r0
I:9000000
p:cmd:envsubst=0.22.5-r0 cmd:gettext=0.22.5-r0
"""
    index = PackageIndex("apk", "3.22", "x86_64", parse_apkindex(apkindex), "fixture")
    lookup = apk_command_providers(index)
    assert lookup["bc"] == ["bc"] and sorted(lookup["envsubst"]) == ["gettext", "gettext-envsubst"]
    base = BaseFacts(
        "alpine:3.22",
        frozenset({"musl", "so:libc.musl-x86_64.so.1", "so:libncursesw.so.6"}),
        ("bc", "envsubst"),
    )
    done = provide([Run("bc", "a:1"), Run("envsubst", "a:2")], base, index, lookup)
    assert [(p.package, p.bytes) for p in done.missing] == [
        ("bc", 196608 + 290816),
        ("gettext-envsubst", 40960),  # the smaller of two providers
    ]


@pytest.mark.network
def test_the_real_debian_index_knows_bc_envsubst_and_zip():
    table = debian_contents("bookworm", "x86_64")
    assert "bc" in table["bc"] and table["envsubst"] == ["gettext-base"] and "zip" in table["zip"]
    index = debian_index("bookworm", "x86_64")
    have = frozenset({"libc6"})
    base = BaseFacts("bookworm", have, ("bc", "envsubst", "zip"))
    runs = [Run(n, "s.sh:1") for n in ("bc", "envsubst", "zip")]
    done = provide(runs, base, index, table, debian_priorities(index))
    assert done.packages == ["bc", "gettext-base", "zip"]
    assert all(100_000 < p.bytes < 20_000_000 for p in done.missing)


@pytest.mark.docker
def test_command_v_finds_bc_missing_on_the_local_base(docker_client, base_image):
    from workbench.core.images.programs import missing_commands

    assert missing_commands(docker_client, base_image, ["bc", "cat", "sh", "$(x)", "paste"]) == (
        "bc",
    )


@pytest.mark.docker
@pytest.mark.network
def test_init_fill_names_each_added_package_and_azcopy_goes_to_its_section(
    docker_client, base_image
):
    from workbench.core.images.programs import fill_runtime_packages
    from workbench.core.recipe.recipe import Recipe

    recipe = Recipe(base=base_image, runtime_packages=["bash"])
    runs = [Run("bc", "sum.sh:4"), Run("azcopy", "sync.sh:2"), Run("cat", "sum.sh:1")]
    said = fill_runtime_packages(recipe, runs, client=docker_client)
    assert recipe.runtime_packages == ["bash", "bc"]
    assert said[0].startswith("runtime package bc added (") and said[0].endswith("at sum.sh:4")
    assert "azcopy (sync.sh:2) is no OS package: add an [azcopy] section" in said[1]
    assert len(said) == 2


def test_command_not_found_lines_name_the_program():
    from workbench.core.engine.notfound import programs_not_found

    lines = [
        "/scripts/sum.sh: line 12: bc: command not found",
        "/scripts/sum.sh: 12: zip: not found",  # dash
        "env: 'envsubst': No such file or directory",
        "timeout: failed to run command 'curl': No such file or directory",
        "ERROR: (ResourceNotFound) The Resource was not found",
        "grep: pattern: not found",
        "/scripts/dns.sh: line 25: -z: command not found",  # a broken continuation, no program
    ]
    found = programs_not_found(lines)
    assert [p for p, _, _ in found] == ["bc", "zip", "envsubst", "curl"]
    assert [where for _, _, where in found] == ["12", "12", None, None]


def test_init_says_when_the_base_cannot_be_asked(tmp_path, capsys, monkeypatch):
    from workbench.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "sum.sh").write_text("paste -sd+ sizes | bc\n")
    assert main(["init", "--script", "sum.sh", "--base", "python:3.12-alpine"]) == 0
    err = capsys.readouterr().err
    assert "note: cannot check which programs python:3.12-alpine lacks: " in err
    assert len(err.strip().splitlines()) == 1
