"""Trim rules, savings, and the generated in-build trim script run for real."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.trims.registry import (
    TRIMS,
    TrimContext,
    all_trims,
    get_trim,
    ordered,
    trim_plan,
    trim_savings,
    trim_script,
)

CONTEXT = TrimContext(
    modules=frozenset({"vm", "resource", "profile"}),
    api_versions={"azure.mgmt.compute": frozenset({"2024-11-01"}), "azure.mgmt.web": frozenset()},
    aaz_groups={"vm": frozenset({"disk", "vm/image"})},
)

# A fake site-packages: path -> content. Sizes are the content lengths.
FAKE = {
    "azure/cli/command_modules/__init__.py": "",
    "azure/cli/command_modules/vm/__init__.py": "x" * 10,
    "azure/cli/command_modules/vm/__pycache__/__init__.cpython-311.pyc": "p" * 7,
    "azure/cli/command_modules/vm/aaz/latest/__init__.py": "",
    "azure/cli/command_modules/vm/aaz/latest/disk/__init__.py": "d",
    "azure/cli/command_modules/vm/aaz/latest/disk/_create.py": "dd",
    "azure/cli/command_modules/vm/aaz/latest/vmss/__init__.py": "v" * 20,
    "azure/cli/command_modules/vm/aaz/latest/vm/_create.py": "vm",
    "azure/cli/command_modules/vm/aaz/latest/vm/__pycache__/_create.cpython-311.pyc": "pp",
    "azure/cli/command_modules/vm/aaz/latest/vm/image/_list.py": "il",
    "azure/cli/command_modules/vm/aaz/latest/vm/image/edge_zone/_list.py": "ez",
    "azure/cli/command_modules/vm/aaz/latest/vm/extension/_list.py": "e" * 30,
    "azure/cli/command_modules/resource/aaz/latest/group/_list.py": "g",
    "azure/cli/command_modules/storage/__init__.py": "s" * 100,
    "azure/cli/command_modules/network/aaz/latest/vnet/_list.py": "n" * 200,
    "azure/mgmt/compute/__init__.py": "",
    "azure/mgmt/compute/models.py": "from .v2021_07_01.models import *\n",
    "azure/mgmt/compute/aio/__init__.py": "a" * 40,
    "azure/mgmt/compute/v2016_03_30/__init__.py": "o" * 50,
    "azure/mgmt/compute/v2016_03_30/aio/_client.py": "o" * 5,
    "azure/mgmt/compute/v2021_07_01/models/__init__.py": "m",
    "azure/mgmt/compute/v2024_11_01/__init__.py": "k",
    "azure/mgmt/web/__init__.py": "",
    "azure/mgmt/web/operations/_ops.py": "w" * 9,
    "azure/mgmt/resource/resources/v2019_01_01/__init__.py": "r" * 11,
    "pip/__init__.py": "p" * 60,
    "pip-24.0.dist-info/METADATA": "Name: pip\n",
    "pip-24.0.dist-info/RECORD": "pip/__init__.py,,\n../../../bin/pip,,\n",
    "setuptools/__init__.py": "s" * 5,
    "_distutils_hack/__init__.py": "h",
    "distutils-precedence.pth": "x",
    "six.py": "six",
}
SIZES = {p: len(c) for p, c in FAKE.items()}


def read_fake(path):
    return FAKE.get(path)


def test_prune_modules_keeps_listed_modules_only():
    gone = get_trim("prune-modules").removes(FAKE, CONTEXT)
    assert gone == {p for p in FAKE if "/storage/" in p or "/network/" in p}


def test_prune_aaz_keeps_groups_their_ancestors_files_and_pycache():
    gone = get_trim("prune-aaz").removes(FAKE, CONTEXT)
    root = "azure/cli/command_modules/vm/aaz/latest/"
    assert gone == {root + "vmss/__init__.py", root + "vm/extension/_list.py"}


def test_trim_api_versions_follows_trim_sdk():
    gone = get_trim("trim-api-versions").removes(FAKE, CONTEXT, read_fake)
    assert gone == {
        "azure/mgmt/compute/aio/__init__.py",
        "azure/mgmt/compute/v2016_03_30/__init__.py",
        "azure/mgmt/compute/v2016_03_30/aio/_client.py",
    }
    # without models.py the re-exported version is not protected: the context must list it
    assert "azure/mgmt/compute/v2021_07_01/models/__init__.py" in get_trim(
        "trim-api-versions"
    ).removes(FAKE, CONTEXT)


def test_trim_api_versions_leaves_a_package_whole_when_no_kept_version_is_installed():
    ctx = TrimContext(api_versions={"azure.mgmt.resource.resources": frozenset({"2024-11-01"})})
    gone = get_trim("trim-api-versions").removes(FAKE, ctx)
    assert not any(p.startswith("azure/mgmt/resource/") for p in gone)


def test_drop_pip_and_no_compile():
    assert get_trim("drop-pip").removes(FAKE, CONTEXT) == {
        "pip/__init__.py",
        "pip-24.0.dist-info/METADATA",
        "pip-24.0.dist-info/RECORD",
        "setuptools/__init__.py",
        "_distutils_hack/__init__.py",
        "distutils-precedence.pth",
    }
    assert get_trim("no-compile").removes(FAKE, CONTEXT) == {p for p in FAKE if p.endswith(".pyc")}
    assert get_trim("no-compile").matches("a/__pycache__/b.cpython-311.pyc", CONTEXT)


def test_savings_are_marginal_and_add_up_to_the_union():
    names = [n for n in all_trims() if TRIMS[n].effect == "delete"]
    savings = dict(trim_savings(names, SIZES, CONTEXT))
    union = set().union(*(TRIMS[n].removes(FAKE, CONTEXT) for n in names))
    assert sum(savings.values()) == sum(SIZES[p] for p in union)
    assert savings["no-compile"] == 9  # both .pyc files, counted once
    assert savings["prune-modules"] == 300  # storage + network


def test_bad_names_and_missing_context_are_one_line_errors():
    with pytest.raises(WorkbenchError, match=r"unknown trim 'nope'.*no-compile"):
        ordered(["nope"])
    with pytest.raises(WorkbenchError, match="prune-modules needs every command module"):
        trim_plan(["prune-modules"], TrimContext())


def test_context_json_round_trip_and_merge():
    assert TrimContext.from_json(CONTEXT.to_json()) == CONTEXT
    merged = CONTEXT.merged(TrimContext(modules=frozenset({"monitor"})))
    assert merged.modules == {"vm", "resource", "profile", "monitor"}
    assert TrimContext().merged(TrimContext()).modules is None


def test_plan_is_deterministic_and_the_script_does_not_depend_on_it():
    a = trim_plan(["drop-pip", "no-compile"], CONTEXT)
    assert a == trim_plan(["no-compile", "drop-pip"], CONTEXT)
    assert json.loads(a)["trims"] == ["no-compile", "drop-pip"]
    assert json.loads(a)["context"] == CONTEXT.to_json()
    script = trim_script()
    assert all(f"def {t.rule.__name__}" in script for t in TRIMS.values())
    compile(script, "trim.py", "exec")


def write_script(directory: Path, names, context: TrimContext) -> Path:
    """trim.py and its trim.json in ``directory``."""
    (directory / "trim.json").write_text(trim_plan(names, context))
    script = directory / "trim.py"
    script.write_text(trim_script())
    return script


def make_tree(root: Path, files: dict[str, str]) -> Path:
    site = Path(str(root) + sysconfig.get_path("purelib"))
    for rel, content in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(content)
    return site


def listing(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}


def test_generated_script_deletes_exactly_what_the_rules_predict(tmp_path):
    site = make_tree(tmp_path / "root", FAKE)
    pip_script = Path(str(tmp_path / "root") + sys.prefix) / "bin" / "pip"
    pip_script.parent.mkdir(parents=True)
    pip_script.write_text("#!python")
    names = [n for n in all_trims() if TRIMS[n].effect == "delete"]
    script = write_script(tmp_path, names, CONTEXT)
    out = subprocess.run(
        [sys.executable, "-B", str(script), "--root", str(tmp_path / "root")],
        capture_output=True,
        text=True,
        check=True,
    )
    predicted = set().union(*(TRIMS[n].removes(FAKE, CONTEXT, read_fake) for n in names))
    assert listing(site) == set(FAKE) - predicted
    assert "workbench-trim: prune-modules: 2 files, 300 bytes" in out.stdout
    assert not pip_script.exists()  # from pip's RECORD, outside site-packages
    assert not (site / "azure/cli/command_modules/storage").exists()  # emptied dirs go
    assert (site / "azure/mgmt/compute/v2021_07_01").is_dir()  # kept: models.py re-exports it


def test_snapshot_protects_files_already_in_the_base(tmp_path):
    root = tmp_path / "root"
    site = make_tree(root, {"pip/__init__.py": "base pip", "old/__pycache__/x.pyc": "base"})
    script = write_script(tmp_path, ["no-compile"], CONTEXT)
    before = tmp_path / "before.txt"
    run = [sys.executable, "-B", str(script), "--root", str(root)]
    subprocess.run([*run, "--snapshot", str(before)], check=True)
    make_tree(root, {"new/__pycache__/y.pyc": "new"})
    subprocess.run([*run, "--before", str(before)], check=True, capture_output=True)
    assert listing(site) == {"pip/__init__.py", "old/__pycache__/x.pyc"}


@pytest.mark.network
def test_trim_api_versions_on_a_real_azure_mgmt_compute(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-compile", "azure-mgmt-compute==34.1.0"],
        check=True,
        capture_output=True,
    )
    keep = {"2024-11-01", "2023-04-02", "2023-10-02"}
    ctx = TrimContext(api_versions={"azure.mgmt.compute": frozenset(keep)})
    script = write_script(tmp_path, ["trim-api-versions", "drop-pip"], ctx)
    out = subprocess.run(
        [str(python), "-B", str(script)], capture_output=True, text=True, check=True
    ).stdout
    assert "workbench-trim: trim-api-versions:" in out
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    compute = site / "azure/mgmt/compute"
    folders = {p.name for p in compute.iterdir() if p.name.startswith("v20")}
    reexported = {"v2021_07_01", "v2023_07_03", "v2024_03_02", "v2024_11_04"}
    assert folders == {"v" + v.replace("-", "_") for v in keep} | reexported
    assert not list(site.glob("azure/mgmt/**/aio"))
    assert not (site / "pip").exists() and not (env_dir / "bin" / "pip").exists()
    code = (
        "from azure.mgmt.compute import ComputeManagementClient\n"
        "from azure.mgmt.compute.models import Disk\n"
        "import azure.mgmt.compute.v2024_11_01, azure.mgmt.compute.v2023_04_02.models\n"
        "import azure.mgmt.compute.v2023_10_02.operations\n"
    )
    subprocess.run([str(python), "-B", "-c", code], check=True)


NET = "azure/cli/command_modules/network/aaz/latest/network/"
NET_PATHS = [
    NET + "__init__.py",
    NET + "_list_usages.py",
    NET + "vnet/__init__.py",
    NET + "vnet/_create.py",
    NET + "vnet/__pycache__/_create.cpython-311.pyc",
    NET + "vnet/subnet/__init__.py",
    NET + "vnet/subnet/_create.py",
    NET + "nsg/__init__.py",
    NET + "nsg/rule/_create.py",
    NET + "lb/__init__.py",
    NET + "lb/_show.py",
]


@pytest.mark.parametrize(
    ("command", "kept"),
    [
        # a command: its group's own files, and the ancestors' own files
        (
            "network vnet create",
            {
                "__init__.py",
                "_list_usages.py",
                "vnet/__init__.py",
                "vnet/_create.py",
                "vnet/__pycache__/_create.cpython-311.pyc",
            },
        ),
        # a group path: the whole group
        (
            "network vnet",
            {
                "__init__.py",
                "_list_usages.py",
                "vnet/__init__.py",
                "vnet/_create.py",
                "vnet/__pycache__/_create.cpython-311.pyc",
                "vnet/subnet/__init__.py",
                "vnet/subnet/_create.py",
            },
        ),
        # a word that is neither a folder nor a command file: the deepest group, whole
        (
            "network nsg frobnicate",
            {"__init__.py", "_list_usages.py", "nsg/__init__.py", "nsg/rule/_create.py"},
        ),
    ],
)
def test_prune_aaz_keeps_the_narrowest_group_a_command_path_runs_in(command, kept):
    context = TrimContext(frozenset({"network"}), {}, {"network": frozenset({command})})
    gone = get_trim("prune-aaz").removes(NET_PATHS, context)
    assert {p[len(NET) :] for p in NET_PATHS} - {p[len(NET) :] for p in gone} == kept
