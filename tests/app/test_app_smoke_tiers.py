"""The Build result's smoke table: per command path its help / no-login / run verdicts
(``both`` when the full install fails the same way), the other checks, and each traced script
run with the paths the analysis missed and the failing invocations; the confirmation's
run-script checkbox reaches the builder."""

from __future__ import annotations

from test_app_probe import _build_with_probe
from textual.widgets import DataTable

from workbench.core.engine.build import BuildResult
from workbench.core.engine.pipeline import BuildOutcome
from workbench.core.engine.smoke import (
    Check,
    CommandResult,
    ScriptFailure,
    ScriptRun,
    SmokeReport,
)

SIZE = (150, 40)


def _tiers(help_ok, no_login_ok, run_ok, run_detail="exit 0"):
    return {
        "help": {"ok": help_ok, "detail": "help loads"},
        "no_login": {"ok": no_login_ok, "detail": "auth boundary"},
        "run": {"ok": run_ok, "detail": run_detail},
    }


def _outcome() -> BuildOutcome:
    commands = (
        CommandResult("group list", True, "help loads; exit 0", _tiers(True, True, True)),
        CommandResult(
            "login",
            False,
            "run: No module named 'msal_extensions'",
            _tiers(True, True, False, "No module named 'msal_extensions'"),
        ),
        CommandResult("disk list", True, "exit 2 (both)", _tiers(True, True, False, "exit 2")),
    )
    checks = (Check("certifi", "certifi cacert.pem", True, "/x/cacert.pem (234072 bytes)", 0),)
    run = ScriptRun(
        "dyn.sh",
        0,
        (("login", 1), ("vm list", 1)),
        ("vm list",),
        (ScriptFailure("tag update", "The command failed with an unexpected error", "11"),),
    )
    smoke = SmokeReport(
        "sha256:" + "cd" * 32, False, commands, checks, None, (), (), 9.0, run_script=(run,)
    )
    result = BuildResult("sha256:" + "cd" * 32, "workbench/t:1", 3.0)
    return BuildOutcome(result=result, smoke=smoke, record={"estimate_bytes": None}, exit_code=4)


async def test_smoke_table_shows_tiers_and_traced_runs(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    requests = []

    def builder(session, request, **kwargs):
        requests.append(request)
        return _outcome()

    app = make_app(builder=builder)
    async with app.run_test(size=SIZE) as pilot:
        await _build_with_probe(pilot, box="run-script")
        assert requests[0].run_script and requests[0].smoke
        table = app.screen.query_one("#smoke-table", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0][:5] == ["az group list", "pass", "pass", "pass", "pass"]
        assert rows[1][:5] == ["az login", "FAIL", "pass", "pass", "FAIL"]
        assert rows[2][:5] == ["az disk list", "pass", "pass", "pass", "both"]
        assert rows[3][:2] == ["certifi certifi cacert.pem", "pass"]
        assert rows[4] == [
            "script dyn.sh",
            "FAIL",
            "",
            "",
            "",
            "exit 0; seen: login x1, vm list x1",
        ]
        assert rows[5][:2] == ["  az vm list", "FAIL"] and "missed by the analysis" in rows[5][5]
        assert rows[6][:2] == ["  az tag update (line 11)", "FAIL"]
        summary = str(app.screen.query_one("#result-summary").render())
        assert "branches the run did not take are not covered" in summary
