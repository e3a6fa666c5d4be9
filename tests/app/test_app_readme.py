"""The README's key tables name every key each screen (and its widgets and dialogs) binds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench.app.app import WorkbenchApp
from workbench.app.screens.build import BuildScreen
from workbench.app.screens.build_confirm import BuildConfirmModal
from workbench.app.screens.dockerfile import DockerfileScreen
from workbench.app.screens.history import HistoryScreen
from workbench.app.screens.layers import LayersScreen
from workbench.app.screens.modals import ConfirmModal
from workbench.app.screens.packages import PackagesScreen
from workbench.app.screens.scripts import AddScriptModal, ScriptsScreen
from workbench.app.widgets.cursor_list import CursorList
from workbench.app.widgets.file_tree import FileTreeView
from workbench.app.widgets.package_table import PackageTable
from workbench.app.widgets.trims import TrimToggle

README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS = {
    "Everywhere:": (WorkbenchApp, ConfirmModal),
    "Packages:": (PackagesScreen, PackageTable, CursorList, TrimToggle),
    "Scripts:": (ScriptsScreen, AddScriptModal),
    "Dockerfile:": (DockerfileScreen,),
    "Build:": (BuildScreen, BuildConfirmModal),
    "Layers:": (LayersScreen, FileTreeView, CursorList),
    "History:": (HistoryScreen,),
}
SHOWN = {"slash": "/"}


def _section(title: str) -> str:
    keys = README.read_text().split("### Keys", 1)[1]
    return re.split(r"\n\n(?=\S+:\n)", keys.split(f"\n{title}\n", 1)[1], maxsplit=1)[0]


@pytest.mark.parametrize("title", SECTIONS)
def test_readme_lists_every_bound_key(title):
    table = _section(title)
    for cls in SECTIONS[title]:
        for binding in cls.BINDINGS:
            if binding.action.startswith("switch_mode"):
                assert "`1`–`6`" in table
                continue
            for key in binding.key.split(","):
                assert f"`{SHOWN.get(key, key)}`" in table, (title, cls.__name__, key)
