"""analyze: scripts -> command paths -> modules -> packages, with reasons; bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.fixtures import SCRIPTS, expected_of
from workbench.cli import main
from workbench.core.analysis.scripts import analyze
from workbench.core.knowledge.model import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample-scripts" / "tag-disks.sh"


@pytest.fixture(scope="module")
def sample():
    return analyze([SAMPLE])


def test_sample_command_paths(sample):
    paths = {" ".join(c.path) for c in sample.commands}
    assert paths == {
        "login",
        "account set",
        "account show",
        "group list",
        "group show",
        "disk list",
        "tag update",
        "resource list",
        "rest",
    }
    assert sample.analysed and not sample.errors and not sample.unresolved


def test_sample_package_set_is_sufficient_and_small(sample):
    names = set(sample.package_names())
    measured_minimum = {  # research/azure_cli.md, measured in a real venv
        "azure-cli",
        "azure-cli-core",
        "azure-mgmt-resource",
        "azure-mgmt-resource-deployments",
        "azure-mgmt-resource-deploymentstacks",
        "semver",
        "azure-mgmt-compute",
        "azure-mgmt-imagebuilder",
        "azure-mgmt-monitor",
        "msrest",
        "azure-common",
        "python-dateutil",
        "isodate",
        "colorama",
    }
    assert measured_minimum <= names
    cli_requires = set(load_knowledge().data["requires"])
    assert len(names & cli_requires) < len(cli_requires) / 2
    for absent in ("azure-mgmt-web", "azure-mgmt-containerservice", "azure-mgmt-sql"):
        assert absent not in names


def test_reasons_chain_package_to_command(sample):
    compute = next(p for p in sample.packages if p.name == "azure-mgmt-compute")
    assert compute.reasons == ("module vm ← `az disk list` at tag-disks.sh:30",)
    monitor = next(m for m in sample.modules if m.name == "monitor")
    assert monitor.reasons == ("imported by vm",)
    msrest = next(p for p in sample.packages if p.name == "msrest")
    assert any(r.startswith("baseline: ") for r in msrest.reasons)


def test_undeclared_imports_come_with_their_importer(sample, tmp_path):
    """Old AutoRest SDKs import six without declaring it; it comes only with such an SDK."""
    six = next(p for p in sample.packages if p.name == "six")
    assert "imported by azure-mgmt-managementgroups, which does not declare it" in six.reasons
    script = _write(tmp_path, "keys.sh", b"az keyvault secret show --name x --vault-name v\n")
    assert "six" not in analyze([script], login="none").package_names()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_bad_inputs_are_one_line_each_and_the_rest_is_reported(tmp_path, capsys):
    good = _write(tmp_path, "ok.sh", b"#!/bin/bash\naz frobnicate list\naz storage account list\n")
    binary = _write(tmp_path, "blob.sh", b"\x7fELF\x00\x00\x01\x02" * 20)
    pwsh = _write(tmp_path, "deploy.ps1", b"$rg = 'x'\nGet-AzResourceGroup -Name $rg\n")
    missing = tmp_path / "nope.sh"
    code = main(["analyze", "--json", str(good), str(binary), str(pwsh), str(missing)])
    out, err = capsys.readouterr()
    assert code == 0
    errors = err.strip().splitlines()
    assert len(errors) == 3 and all("Traceback" not in e for e in errors)
    data = json.loads(out)
    assert [c["path"] for c in data["commands"]] == ["storage account list"]
    assert "storage" in {m["name"] for m in data["modules"]}
    (spot,) = data["unresolved"]
    assert spot["line"] == 2 and "extension" in spot["reason"]
    assert set(data) >= {"commands", "modules", "packages", "unresolved"}
    assert set(data["commands"][0]) == {"path", "file", "line", "args"}


def test_unknown_version_still_reports_commands(tmp_path, capsys, monkeypatch):
    from workbench.core.analysis import scripts as analyze_module
    from workbench.core.errors import WorkbenchError

    def unknown(version):
        raise WorkbenchError(f"azure-cli {version} is not on the package index")

    monkeypatch.setattr(analyze_module, "load_knowledge", unknown)
    code = main(["analyze", "--azure-cli", "9.99.0", str(SAMPLE)])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and "9.99.0" in err
    assert "az disk list" in out


def test_nothing_readable_exits_non_zero(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "missing.sh")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_human_output_groups_paths_modules_packages(capsys):
    assert main(["analyze", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    order = [out.index(h) for h in ("Command paths", "Modules (", "Packages (")]
    assert order == sorted(order)
    assert "azure-mgmt-compute" in out and "← module vm ← `az disk list` at tag-disks.sh:30" in out


def test_command_path_recall_and_precision_on_fixtures():
    hits = expected_total = found_total = 0
    for script in SCRIPTS:
        expected = [entry["path"] for entry in expected_of(script)]
        found = [" ".join(c.path) for c in analyze([script]).commands]
        remaining = list(found)
        for path in expected:
            if path in remaining:
                remaining.remove(path)
                hits += 1
        expected_total += len(expected)
        found_total += len(found)
    assert hits / expected_total >= 0.95, f"recall {hits}/{expected_total}"
    assert hits / found_total >= 0.95, f"precision {hits}/{found_total}"


HIDDEN = (
    '#!/bin/bash\nrun() { eval "$1"; }\nrun "az keyvault secret list --vault-name v"\nrun "$STEP"\n'
)


def test_verdict_per_script_human_and_json(tmp_path, capsys):
    hidden = tmp_path / "hidden.sh"
    hidden.write_text(HIDDEN)
    assert main(["analyze", str(SAMPLE), str(hidden)]) == 0
    out = capsys.readouterr().out
    rows = [" ".join(line.split()) for line in out.splitlines()]
    assert f"{hidden} 1 call(s) resolved, 1 spot(s) may hide calls" in rows
    assert f"{SAMPLE} 9 call(s) resolved, 0 spot(s) may hide calls" in rows
    assert out.rstrip().endswith(
        "Verdict: 1 spot may hide az calls: trims that depend on the analysis are off"
    )
    assert main(["analyze", str(SAMPLE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "every az call resolved"
    assert data["scripts"] == [{"file": str(SAMPLE), "calls_resolved": 9, "spots_may_hide": 0}]
    assert {"name": "jq", "where": f"{SAMPLE}:22"} in data["external_commands"]


def test_prune_modules_refusal_names_the_line_and_the_keep_entry(tmp_path):
    from tests.support.contexts import scripts_context
    from workbench.core.errors import WorkbenchError
    from workbench.core.trims.registry import TRIMS, TrimContext

    hidden = tmp_path / "hidden.sh"
    hidden.write_text(HIDDEN)
    context = scripts_context([hidden])
    with pytest.raises(WorkbenchError) as refused:
        TRIMS["prune-modules"].check_context(context)
    message = str(refused.value)
    assert "hidden.sh:4:" in message and "[keep]" in message and "\n" not in message
    kept = context.merged(TrimContext(frozenset({"storage"})))
    assert kept.modules is not None and {"keyvault", "storage"} <= kept.modules
    TRIMS["prune-modules"].check_context(kept)  # a [keep] list lets it go on
