"""The command line's dispatch: bare ``workbench`` (with TUI options) opens the workbench."""

from __future__ import annotations

import pytest

from workbench.cli import SUBCOMMANDS, build_parser, main


def test_tui_options_without_a_command_go_to_the_workbench(tmp_path, capsys):
    assert main(["--recipe", str(tmp_path / "missing.toml")]) == 2
    assert capsys.readouterr().err.startswith("workbench tui: error: recipe ")


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["-h"])
    out = capsys.readouterr().out
    assert all(name in out for name in SUBCOMMANDS)


def test_a_command_builds_only_its_own_parser():
    sub = build_parser("estimate")._subparsers._group_actions[0]
    assert list(sub.choices) == ["estimate"]
