"""The size-floor trims run for real: prune-command-files on the load plan, prune-pygments on
the real pygments (knack's jsonc/yamlc colouring still works), strip-binaries on a real ELF
extension (the estimate's stripped size is the built one), sourceless (imports without
sources), and the estimator's in-place effects."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import markupsafe
import pygments
import pytest

from tests.support.contexts import scripts_context
from tests.test_trims import listing, make_tree, write_script
from workbench.core import cache
from workbench.core.errors import WorkbenchError
from workbench.core.sizes import strip
from workbench.core.sizes.layout import pyc_bytes
from workbench.core.sizes.model import Dist, SizeModel, load_size_model
from workbench.core.sizes.target import make_target
from workbench.core.trims.registry import (
    TRIMS,
    TrimContext,
    all_trims,
    get_trim,
    ordered,
    path_trims,
)

ROOT = Path(__file__).resolve().parents[1]
TARGET = make_target("python:3.11-slim-bookworm")
CM = "azure/cli/command_modules/"


def run_script(tmp_path: Path, names: list[str], ctx: TrimContext | None = None) -> str:
    script = write_script(tmp_path, names, ctx or TrimContext())
    done = subprocess.run(
        [sys.executable, "-B", str(script), "--root", str(tmp_path / "root")],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def site_python(site: Path, code: str) -> subprocess.CompletedProcess:
    """Run ``code`` with only ``site`` (and the standard library) importable."""
    return subprocess.run(
        [
            sys.executable,
            "-S",
            "-B",
            "-c",
            f"import sys; sys.path.insert(0, {str(site)!r})\n{code}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )


# ---- prune-command-files -----------------------------------------------------------------
def test_prune_command_files_keeps_what_the_plan_reaches():
    ctx = TrimContext(
        modules=frozenset({"vm", "monitor", "storage"}),
        module_files={"vm": frozenset({"__init__.py", "_params.py"}), "monitor": frozenset()},
    )
    paths = [
        CM + "vm/__init__.py",
        CM + "vm/_params.py",
        CM + "vm/__pycache__/_params.cpython-311.pyc",
        CM + "vm/custom.py",
        CM + "vm/__pycache__/custom.cpython-311.pyc",
        CM + "vm/aaz/latest/disk/_list.py",  # prune-aaz's business
        CM + "vm/_help.yaml",  # not Python: stays
        CM + "monitor/__init__.py",
        CM + "monitor/_legacy/__init__.py",
        CM + "monitor/_legacy/aaz/latest/x/_show.py",  # under an unreached sub-package
        CM + "storage/custom.py",  # no mapping: whole
    ]
    assert get_trim("prune-command-files").removes(paths, ctx) == {
        CM + "vm/custom.py",
        CM + "vm/__pycache__/custom.cpython-311.pyc",
        CM + "monitor/__init__.py",
        CM + "monitor/_legacy/__init__.py",
        CM + "monitor/_legacy/aaz/latest/x/_show.py",
    }
    kept = TrimContext(
        modules=ctx.modules, module_files={"monitor": frozenset({"_legacy/__init__.py"})}
    )
    assert CM + "monitor/_legacy/aaz/latest/x/_show.py" not in get_trim(
        "prune-command-files"
    ).removes(paths, kept)


def test_blog_sample_context_lists_reached_files_and_keep_table_keeps_modules_whole():
    ctx = scripts_context([ROOT / "sample-scripts" / "tag-disks.sh"])
    assert set(ctx.module_files) == set(ctx.modules)
    assert {"__init__.py", "_params.py", "commands.py", "_help.py"} <= ctx.module_files["vm"]
    assert "custom.py" not in ctx.module_files["vm"]  # disk list is AAZ code
    assert not any(f.startswith("_legacy/") for f in ctx.module_files["monitor"])
    assert TrimContext.from_json(ctx.to_json()) == ctx
    # a module kept by hand ([keep] modules) is kept whole; the analysis' modules stay trimmed
    merged = ctx.merged(TrimContext(modules=frozenset({"monitor"})))
    assert "monitor" not in merged.module_files and "vm" in merged.module_files
    files = load_size_model(TARGET).files_of("azure-cli")
    gone = get_trim("prune-command-files").removes(files, ctx)
    assert CM + "vm/custom.py" in gone and CM + "vm/_params.py" not in gone
    assert any(p.startswith(CM + "monitor/_legacy/aaz/") for p in gone)
    assert not any(p.startswith(CM + "vm/aaz/") for p in gone)


def test_a_validator_imported_inside_the_command_table_keeps_what_it_imports(tmp_path):
    """storage's commands.py imports its validators inside load_command_table; upload-batch's
    validator imports storage_url_helpers in its body: prune-command-files must keep it."""
    script = tmp_path / "up.sh"
    script.write_text("az storage blob upload-batch -d c -s . --account-name a\n")
    kept = scripts_context([script]).module_files["storage"]
    assert {"_validators.py", "storage_url_helpers.py"} <= kept


# ---- prune-pygments ----------------------------------------------------------------------
def test_pruned_pygments_still_colours_json_and_yaml(tmp_path):
    site = make_tree(tmp_path / "root", {})
    shutil.copytree(Path(pygments.__file__).parent, site / "pygments")
    before = listing(site)
    out = run_script(tmp_path, ["prune-pygments"])
    after = listing(site)
    assert "workbench-trim: prune-pygments:" in out
    assert after == before - get_trim("prune-pygments").removes(before, TrimContext())
    assert len(after) < len(before) / 5
    done = site_python(
        site / "pygments" / "..",
        "from pygments import highlight, lexers, formatters\n"
        "from pygments.lexers import get_lexer_by_name\n"
        "from pygments.styles import get_style_by_name\n"
        "j = highlight('{\"a\": 1}', lexers.JsonLexer(), formatters.TerminalFormatter())\n"
        "y = highlight('a: 1\\n', lexers.YamlLexer(), formatters.TerminalFormatter())\n"
        "assert '\\x1b[' in j and '\\x1b[' in y, (j, y)\n"
        "print(get_lexer_by_name('json').name, get_lexer_by_name('yaml').name)\n"
        "print(get_style_by_name('default').__name__)\n",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["JSON", "YAML", "DefaultStyle"]


# ---- strip-binaries ----------------------------------------------------------------------
def _speedups() -> Path:
    found = sorted(Path(markupsafe.__file__).parent.glob("_speedups*.so"))
    if not found or shutil.which("strip") is None:
        pytest.skip("needs markupsafe's compiled _speedups and binutils' strip")
    return found[0]


def test_strip_binaries_estimate_is_the_built_size_and_the_module_still_imports(
    tmp_path, monkeypatch
):
    so = _speedups()
    rel = f"markupsafe/{so.name}"
    package = Path(markupsafe.__file__).parent
    files = {f"markupsafe/{p.name}": p.read_bytes() for p in package.iterdir() if p.is_file()}
    wheel = tmp_path / "markupsafe-1-cp311-cp311-linux_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("markupsafe-1.dist-info/METADATA", "Name: markupsafe\n")
    measured = strip.strip_wheel(wheel)
    assert set(measured) == {rel} and measured[rel] < len(files[rel])

    site = make_tree(tmp_path / "root", {})
    (site / "markupsafe").mkdir(parents=True)
    for name, data in files.items():
        (site / name).write_bytes(data)
    out = run_script(tmp_path, ["strip-binaries"])
    assert (site / rel).stat().st_size == measured[rel]
    assert f"1 files, {len(files[rel]) - measured[rel]} bytes" in out
    done = site_python(
        site,
        "import markupsafe, markupsafe._speedups as s; print(markupsafe.escape('<'), s.__file__)",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["&lt;", str(site / rel)]

    # the estimator: the file's saving is exactly what strip took (cached by the wheel sha256)
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    sha = "1" * 64
    cache.put_json(strip._KIND, sha, measured)
    entries = {n: len(d) for n, d in files.items()} | {"markupsafe-1.dist-info/METADATA": 17}
    dists = [
        Dist(n, "1", f"{n}-1.whl", "0" * 64, 1, True, (), {}, {f"{n}/x.py": 1}, "")
        for n in ("azure-cli", "azure-cli-core")
    ]
    dists.append(Dist("markupsafe", "1", wheel.name, sha, 1, True, (), {}, entries, ""))
    model = SizeModel("9.9", TARGET, dists, "index")
    est = model.estimate(["markupsafe"], trims=path_trims(["strip-binaries"], TrimContext()))
    assert dict((t.name, t.saves_bytes) for t in est.trims)["strip-binaries"] == (
        len(files[rel]) - measured[rel]
    )


def test_strip_without_binutils_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(WorkbenchError, match="needs binutils' strip"):
        strip.strip_wheel(tmp_path / "none.whl")


# ---- sourceless --------------------------------------------------------------------------
def test_sourceless_keeps_bytecode_only_and_imports(tmp_path, monkeypatch):
    site = make_tree(
        tmp_path / "root",
        {"pkg/__init__.py": "from pkg.mod import VALUE\n", "pkg/mod.py": "VALUE = 42\n"},
    )
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(site)], check=True)
    (site / "pkg" / "broken.py").write_text("def (:\n")  # does not compile: stays
    (site / "pkg" / "late.py").write_text("LATE = 7\n")  # not compiled yet: compiled now
    out = run_script(tmp_path, ["sourceless"])
    assert listing(site) == {"pkg/__init__.pyc", "pkg/mod.pyc", "pkg/late.pyc", "pkg/broken.py"}
    assert "workbench-trim: sourceless: 3 files" in out
    done = site_python(site, "import pkg, pkg.late; print(pkg.VALUE, pkg.late.LATE)")
    assert done.returncode == 0 and done.stdout.split() == ["42", "7"], done.stderr

    dists = [
        Dist(n, "1", f"{n}-1.whl", "0" * 64, 1, True, (), {}, {f"{n}/x.py": 1000}, "")
        for n in ("azure-cli", "azure-cli-core")
    ]
    model = SizeModel("9.9", TARGET, dists, "index")
    est = model.estimate([], trims=path_trims(["sourceless"], TrimContext()))
    assert dict((t.name, t.saves_bytes) for t in est.trims)["sourceless"] == 2000
    assert (
        est.total_bytes
        == sum(pyc_bytes(f"{n}/x.py", 1000, "3.11") for n in ("azure-cli", "azure-cli-core"))
        + sum(model.base_bytes.values())
        - 2000
    )


def test_sourceless_is_an_alternative_to_no_compile_not_part_of_all():
    assert "sourceless" not in all_trims() and "no-compile" in all_trims()
    assert "drop-records" not in all_trims(system=True)
    with pytest.raises(WorkbenchError, match="sourceless and no-compile are alternatives"):
        ordered(["sourceless", "no-compile"])
    assert TRIMS["sourceless"].effect == "sourceless" and TRIMS["strip-binaries"].effect == "strip"


# ---- small things ------------------------------------------------------------------------
def test_tests_stubs_docs_and_records():
    paths = [
        "certifi/tests/test_certify.py",
        "colorama/tests/__init__.py",
        "tests/__init__.py",  # a top-level package called tests: not ours to judge
        "pkginfo/index.pyi",
        "pkginfo/py.typed",
        "pkg/docs/index.html",
        "pkg/README.md",
        "pkg-1.dist-info/LICENSE.md",
        "pkg-1.dist-info/RECORD",
        "pkg-1.dist-info/licenses/NOTICE",
        "pkg/testing.py",
    ]
    ctx = TrimContext()
    assert get_trim("drop-tests").removes(paths, ctx) == set(paths[:2])
    assert get_trim("drop-stubs").removes(paths, ctx) == set(paths[3:5])
    assert get_trim("drop-docs").removes(paths, ctx) == set(paths[5:7])
    assert get_trim("drop-records").removes(paths, ctx) == {"pkg-1.dist-info/RECORD"}


def test_records_dropped_without_dropping_console_scripts(tmp_path):
    root = tmp_path / "root"
    site = make_tree(
        root,
        {
            "pkg/__init__.py": "",
            "pkg-1.dist-info/METADATA": "Name: pkg\n",
            "pkg-1.dist-info/RECORD": "pkg/__init__.py,,\n../../../bin/az,,\n",
        },
    )
    az = Path(str(root) + sys.prefix) / "bin" / "az"
    az.parent.mkdir(parents=True)
    az.write_text("#!python")
    run_script(tmp_path, ["drop-records"])
    assert listing(site) == {"pkg/__init__.py", "pkg-1.dist-info/METADATA"}
    assert az.exists()  # the distribution is still installed: its scripts stay


# ---- prune-aaz-commands ------------------------------------------------------------------
AAZ = CM + "vm/aaz/latest/"
INIT = "from .__cmd_group import *\n"
AAZ_TREE = {
    AAZ + "__init__.py": "",
    AAZ + "disk/__init__.py": INIT + "from ._create import *\nfrom ._list import *\n"
    "from ._show import *\n",
    AAZ + "disk/__cmd_group.py": "class Disk: ...\n",
    AAZ + "disk/_create.py": "class Create: ...\n" * 3,
    AAZ + "disk/_list.py": "class List: ...\n" * 2,
    AAZ + "disk/_show.py": "class Show: ...\n" * 4,
    AAZ + "snapshot/__init__.py": INIT + "from ._create import *\nfrom ._list_by_group import *\n",
    AAZ + "snapshot/__cmd_group.py": "class Snapshot: ...\n",
    AAZ + "snapshot/_create.py": "class Create: ...\n",
    AAZ + "snapshot/_list_by_group.py": "class ListByGroup: ...\n" * 5,
    AAZ + "sig/__init__.py": INIT + "from ._list import *\n",
    AAZ + "sig/_list.py": "class List: ...\n",
    AAZ + "image/__init__.py": INIT + "from ._list import *\nfrom ._show import *\n",
    AAZ + "image/_show.py": "class Show: ...\n",
    AAZ + "image/_list.py": "class List: ...\n",
}
AAZ_CONTEXT = TrimContext(
    modules=frozenset({"vm"}),
    aaz_groups={"vm": frozenset({"vm disk list", "snapshot/", "sig/", "image"})},
    aaz_names={
        "vm": {"snapshot": frozenset({"Create"}), "sig": frozenset({"*"}), "image": {"List"}}
    },
)


def test_prune_aaz_commands_keeps_imported_classes_and_used_commands():
    paths = [*AAZ_TREE, AAZ + "disk/__pycache__/_show.cpython-311.pyc"]
    ctx = TrimContext(
        modules=AAZ_CONTEXT.modules,
        aaz_groups={"vm": frozenset({"disk list", "snapshot/", "sig/", "image"})},
        aaz_names=AAZ_CONTEXT.aaz_names,
    )
    assert get_trim("prune-aaz-commands").removes(paths, ctx) == {
        AAZ + "disk/_create.py",  # `az disk list` runs _list.py only
        AAZ + "disk/_show.py",
        AAZ + "disk/__pycache__/_show.cpython-311.pyc",
        AAZ + "snapshot/_list_by_group.py",  # code imports Create from snapshot, nothing else
    }  # sig is star-imported, image kept whole: both left alone
    unknown = TrimContext(
        modules=ctx.modules, aaz_groups=ctx.aaz_groups, aaz_names={"vm": {"snapshot": {"Nope"}}}
    )
    assert not any("snapshot" in p for p in get_trim("prune-aaz-commands").removes(paths, unknown))


def test_prune_aaz_commands_in_the_build_matches_the_estimate(tmp_path):
    ctx = TrimContext(
        modules=AAZ_CONTEXT.modules,
        aaz_groups={"vm": frozenset({"disk list", "snapshot/", "sig/", "image"})},
        aaz_names=AAZ_CONTEXT.aaz_names,
    )
    packages = ["azure", "azure/cli", "azure/cli/command_modules", CM + "vm", CM + "vm/aaz"]
    tree = {**AAZ_TREE, **{f"{p.rstrip('/')}/__init__.py": "" for p in packages}}
    site = make_tree(tmp_path / "root", tree)
    out = run_script(tmp_path, ["prune-aaz-commands"], ctx)
    assert (site / AAZ / "disk/__init__.py").read_text() == INIT + "from ._list import *\n"
    assert (site / AAZ / "snapshot/__init__.py").read_text() == INIT + "from ._create import *\n"
    built = sum((site / p).stat().st_size for p in listing(site))
    entries = {p: len(c.encode()) for p, c in tree.items()}
    dists = [
        Dist("azure-cli", "1", "a.whl", "0" * 64, 1, True, (), {}, entries, ""),
        Dist("azure-cli-core", "1", "c.whl", "0" * 64, 1, True, (), {}, {"c/x.py": 1}, ""),
    ]
    model = SizeModel("9.9", TARGET, dists, "index")
    est = model.estimate([], compile=False, trims=path_trims(["prune-aaz-commands"], ctx))
    saving = dict((t.name, t.saves_bytes) for t in est.trims)["prune-aaz-commands"]
    assert f"3 files, {saving} bytes" in out
    assert built == sum(entries.values()) - saving
    done = site_python(
        site,
        "import azure.cli.command_modules.vm.aaz.latest.disk as d\n"
        "print(sorted(n for n in vars(d) if n[0].isupper()))",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['Disk', 'List']"
