"""The run tier and the traced scripts on the real engine: every call runs past a fake login
against the fake Azure inside a ``--network none`` container, and nothing tries to leave.

- the blog sample's all-trims image passes every tier on every path, its script runs to exit 0
  under the trace, and the reference image is not even needed;
- a breakage only a real run sees (azure-core's requests transport gone): help and no-login
  pass, run fails naming the path, the full install passes, so the smoke fails;
- a script whose command path is read from a file: the analysis flags it, ``--run-script`` in
  the reference image sees the real path, ``init --trace`` records it;
- a script using Blob storage and Key Vault runs to exit 0 against the fake's data planes.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from tests.support.cli import workbench as _workbench
from workbench.core.engine.build import BuildResult, build_image

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.docker, pytest.mark.network]
BLOG_TAG = "workbench-test/run-tier:blog"
BROKEN_TAG = "workbench-test/run-tier:no-requests-transport"
DYNAMIC = """#!/usr/bin/env bash
# The az command path comes from a file the script reads: no static analysis can know it.
set -euo pipefail
az login --service-principal -u "$AZURE_CLIENT_ID" -p "$AZURE_CLIENT_SECRET" \\
    --tenant "$AZURE_TENANT_ID" --output none
read -r noun verb < "$(dirname "$0")/command.txt"
az "$noun" "$verb" --output none
"""

DATA_PLANES = """#!/usr/bin/env bash
# Artifacts to Blob storage and a secret to Key Vault: both data planes, as a pipeline does.
set -euo pipefail
az login --service-principal -u "$AZURE_CLIENT_ID" -p "$AZURE_CLIENT_SECRET" \\
    --tenant "$AZURE_TENANT_ID" --output none
az storage container create --account-name wbartifacts --name builds --auth-mode login -o none
echo "build 42" > /tmp/report.txt
az storage blob upload --account-name wbartifacts --container-name builds --name report.txt \\
    --file /tmp/report.txt --auth-mode login --output none
az storage blob list --account-name wbartifacts --container-name builds --auth-mode login \\
    --query "[].name" --output tsv
az storage blob download --account-name wbartifacts --container-name builds --name report.txt \\
    --file /tmp/back.txt --auth-mode login --output none
cmp /tmp/report.txt /tmp/back.txt
az keyvault secret set --vault-name wbvault --name db-password --value s3cr3t --output none
az keyvault secret show --vault-name wbvault --name db-password --query value --output tsv
"""


def _tiers(out: dict) -> dict[str, dict[str, bool | None]]:
    return {c["path"]: {t: v["ok"] for t, v in c["tiers"].items()} for c in out["commands"]}


@pytest.fixture(scope="module")
def blog(tmp_path_factory, docker_client, base_image, reference_image):
    """The blog sample with all trims, built with --smoke --run-script (reference ready)."""
    work = tmp_path_factory.mktemp("run-tier")
    shutil.copy(ROOT / "sample-scripts" / "tag-disks.sh", work)
    argv = ["--script", "tag-disks.sh", "--base", base_image, "--family", "apt", "--trim", "all"]
    init = _workbench("init", *argv, "-o", "blog.toml", cwd=work)
    assert init.returncode == 0, init.stderr
    build = ["--recipe", "blog.toml", "--tag", BLOG_TAG, "--smoke", "--run-script", "--json"]
    done = _workbench("build", *build, cwd=work)
    assert done.returncode in (0, 4), done.stderr[-3000:]
    return work, json.loads(done.stdout), done.returncode


def test_blog_all_trims_passes_the_run_tier_on_every_path(blog):
    _, out, code = blog
    smoke = out["smoke"]
    tiers = _tiers(smoke)
    assert set(tiers) >= {"login", "account set", "group list", "disk list", "tag update", "rest"}
    own_login = {"account", "logout"}  # kept for the image's own login, not called: help only
    assert all(tiers[p]["help"] for p in own_login), tiers
    called = {p: t for p, t in tiers.items() if p not in own_login}
    assert all(t == {"help": True, "no_login": True, "run": True} for t in called.values()), tiers
    assert next(c for c in smoke["checks"] if c["kind"] == "certifi")["ok"]
    [run] = smoke["run_script"]
    assert run["script"] == "tag-disks.sh" and run["exit_code"] == 0
    seen = {s["path"] for s in run["seen"]}
    assert {"login", "account set", "group list", "resource list", "rest"} <= seen
    assert run["missed_by_analysis"] == [] and run["failures"] == []
    assert smoke["fake"]["escapes"] == [] and smoke["fake"]["requests"] > 0
    assert smoke["passed"] and code == 0
    # the figure the report quotes: the whole smoke (three tiers, the script) of this image
    print(f"\nblog all-trims smoke {out['durations']['smoke_s']:.1f} s", file=sys.stderr)


def test_a_breakage_only_the_run_tier_sees(blog, docker_client):
    work, _, _ = blog
    dockerfile = (
        f"FROM {BLOG_TAG}\n"
        "RUN rm /opt/az/lib/python3*/site-packages/azure/core/pipeline/transport/"
        "_requests_basic.py\n"  # a bad trim: azure-core imports it only to send a request
    )
    events = list(build_image(dockerfile, tag=BROKEN_TAG, client=docker_client))
    assert isinstance(events[-1], BuildResult), events[-1]
    done = _workbench("smoke", BROKEN_TAG, "--recipe", "blog.toml", "--json", cwd=work)
    assert done.returncode == 4, done.stderr[-2000:]
    smoke = json.loads(done.stdout)
    tiers = _tiers(smoke)
    assert all(t["help"] and t["no_login"] for t in tiers.values()), tiers
    assert tiers["login"]["run"] is False
    login = next(c for c in smoke["commands"] if c["path"] == "login")
    assert not login["ok"] and "_requests_basic" in login["tiers"]["run"]["detail"]
    assert smoke["reference"]  # the full install passed the same calls: counted
    assert not smoke["passed"] and smoke["fake"]["escapes"] == []


def test_a_path_built_at_run_time_is_seen_and_recorded(
    tmp_path, docker_client, base_image, reference_image
):
    (tmp_path / "dynamic.sh").write_text(DYNAMIC)
    (tmp_path / "command.txt").write_text("vm list\n")
    analysed = _workbench("analyze", "dynamic.sh", "--json", cwd=tmp_path)
    spots = json.loads(analysed.stdout)["unresolved"]
    assert [s["line"] for s in spots] == [7]  # flagged: the path is not known statically
    done = _workbench(
        "smoke", reference_image, "--script", "dynamic.sh", "--run-script", "--json", cwd=tmp_path
    )
    smoke = json.loads(done.stdout)
    [run] = smoke["run_script"]
    assert {"path": "vm list", "count": 1} in run["seen"]
    assert run["missed_by_analysis"] == ["vm list"] and run["exit_code"] == 0
    assert done.returncode == 4 and not smoke["passed"]  # a missed path fails the smoke
    assert smoke["fake"]["escapes"] == []
    init = _workbench(
        "init",
        "--script",
        "dynamic.sh",
        "--base",
        base_image,
        "--family",
        "apt",
        "--trace",
        "-o",
        "dyn.toml",
        cwd=tmp_path,
    )
    assert init.returncode == 0, init.stderr[-2000:]
    assert "observed at run time: vm list" in init.stderr
    text = (tmp_path / "dyn.toml").read_text()
    assert 'observed_paths = ["vm list"]' in text and "azure-mgmt-compute" in text


def test_blob_and_key_vault_scripts_run_against_the_fake(tmp_path, reference_image):
    (tmp_path / "data.sh").write_text(DATA_PLANES)
    done = _workbench(
        "smoke", reference_image, "--script", "data.sh", "--run-script", "--json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    smoke = json.loads(done.stdout)
    [run] = smoke["run_script"]
    assert run["exit_code"] == 0 and run["failures"] == [] and run["missed_by_analysis"] == []
    assert "s3cr3t" in run["tail"] and "report.txt" in run["tail"]
    assert set(smoke["fake"]["data_planes"]) == {
        "wbartifacts.blob.core.windows.net",
        "wbvault.vault.azure.net",
    }
    assert smoke["fake"]["escapes"] == []
    # run alone, the upload's file is missing: it fails on the full install too (not counted)
    upload = next(c for c in smoke["commands"] if c["path"] == "storage blob upload")
    assert upload["ok"] and upload["tiers"]["run"]["ok"] is False


STORAGE_SAMPLE = ROOT / "tests/fixtures/azure-cli-samples/storage/calculate-container-size"


@pytest.fixture(scope="module")
def storage_sample(tmp_path_factory, docker_client, base_image, reference_image):
    """Azure-Samples' container-size script (group, account, keys, container, upload-batch,
    blob list | paste | bc), ``init --trim all`` then ``build --smoke --run-script``."""
    work = tmp_path_factory.mktemp("storage-sample")
    shutil.copy(STORAGE_SAMPLE / "calculate-container-size.sh", work / "size.sh")
    argv = ["--script", "size.sh", "--base", base_image, "--family", "apt", "--trim", "all"]
    init = _workbench("init", *argv, "-o", "size.toml", cwd=work)
    assert init.returncode == 0, init.stderr
    build = ["--recipe", "size.toml", "--tag", "workbench-test/run-tier:storage-sample"]
    done = _workbench("build", *build, "--smoke", "--run-script", "--json", cwd=work)
    assert done.returncode in (0, 4), done.stderr[-3000:]
    return work, init.stderr, json.loads(done.stdout)


def test_the_storage_sample_runs_to_exit_0_in_its_all_trims_image(storage_sample):
    work, said, out = storage_sample
    assert "runtime package bc added" in said and "size.sh:51" in said
    assert '"bc"' in (work / "size.toml").read_text()
    smoke = out["smoke"]
    [run] = smoke["run_script"]
    assert smoke["passed"] and run["exit_code"] == 0 and run["failures"] == [], run
    seen = {s["path"] for s in run["seen"]}
    assert seen == {
        "group create",
        "storage account create",
        "storage account keys list",
        "storage container create",
        "storage blob upload-batch",
        "storage blob list",
    }
    total = next(line for line in run["tail"] if line.startswith("Total bytes in container:"))
    assert int(total.rsplit(":", 1)[1]) > 0  # paste | bc summed the listed blob sizes
    assert any(h.endswith(".blob.core.windows.net") for h in smoke["fake"]["data_planes"])
    assert smoke["fake"]["escapes"] == []
    tiers = _tiers(smoke)
    assert all(t["run"] for p, t in tiers.items() if p in seen), tiers  # placeholders too
    assert tiers["login"]["help"]  # kept for the pipeline's own login though the script has none


def test_a_program_the_image_lacks_fails_the_run(tmp_path, reference_image):
    (tmp_path / "sum.sh").write_text("#!/usr/bin/env bash\necho 1+2 | bc\necho done\n")
    done = _workbench(
        "smoke", reference_image, "--script", "sum.sh", "--run-script", "--json", cwd=tmp_path
    )
    assert done.returncode == 4, done.stderr[-2000:]
    [run] = json.loads(done.stdout)["run_script"]
    assert run["exit_code"] == 0  # the script went on: only the stderr line tells
    [failure] = run["failures"]
    assert failure["program"] == "bc" and failure["line"] == "2" and not failure["excused"]
