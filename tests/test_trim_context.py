"""What the trims keep for real scripts: the analysed modules, or nothing known (no pruning)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.contexts import scripts_context
from workbench.core.errors import WorkbenchError
from workbench.core.trims.registry import path_trims

ROOT = Path(__file__).resolve().parent.parent


def test_blog_script_keeps_its_modules_and_their_imports():
    context = scripts_context([ROOT / "sample-scripts" / "tag-disks.sh"])
    assert {"profile", "resource", "vm", "util", "monitor"} <= context.modules
    assert "storage" not in context.modules and "network" not in context.modules
    assert "disk list" in context.aaz_groups["vm"]  # the command path: its group is kept
    assert "vmss" not in context.aaz_groups["vm"]  # only its own files ("vmss/"), code imports them
    assert "azure.mgmt.compute" in context.api_versions


@pytest.mark.parametrize("line", ['az "$sub" list', 'az "$@"', "$AZ_CMD group list"])
def test_an_unreadable_command_path_leaves_modules_unknown(tmp_path, line):
    script = tmp_path / "dynamic.sh"
    script.write_text(f"#!/bin/bash\naz login\n{line}\n")
    context = scripts_context([script])
    assert context.modules is None
    with pytest.raises(WorkbenchError):
        path_trims(["prune-modules"], context)


def test_an_indirection_the_scanner_reads_is_pruned_exactly(tmp_path):
    script = tmp_path / "array.sh"
    script.write_text('#!/bin/bash\nargs=(group list)\naz "${args[@]}"\n')
    assert scripts_context([script]).modules == {"resource", "profile"}  # + the login


def test_no_scripts_keeps_only_the_api_profile():
    context = scripts_context([])
    assert context.modules is None and context.api_versions
