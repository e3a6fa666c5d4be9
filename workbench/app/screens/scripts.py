"""The Scripts screen: the analysed scripts with their ``az`` calls marked, each call's command
modules and packages, the spots the analysis could not resolve; add a script (``a``); the
programs the scripts run that the base lacks, with the OS packages that add them (``r``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, OptionList, Static

from workbench.app.screens.base import WorkbenchScreen
from workbench.app.widgets.notice import Notice
from workbench.core.analysis.scripts import OBSERVED
from workbench.core.files import one_line
from workbench.core.units import fmt_bytes

if TYPE_CHECKING:
    from workbench.app.loader import ScriptsView
    from workbench.app.session import Session
    from workbench.core.analysis.scripts import ScriptAnalysis
    from workbench.core.ospkg.contents import Provision
    from workbench.core.project import Project

CALL_MARK, SPOT_MARK = "▶", "?"  # text marks beside the colours (monochrome terminals)


@dataclass
class ViewLoaded(Message):
    """Script texts and command rows for the analysis ``analysis``."""

    analysis: ScriptAnalysis
    view: ScriptsView


@dataclass
class ScriptAdded(Message):
    """A script was added and everything analysed again."""

    project: Project


@dataclass
class ProgramsChecked(Message):
    """The base was asked for the scripts' programs: a ``Provision``, or one line."""

    analysis: ScriptAnalysis
    provision: Provision | None
    error: str = ""


@dataclass
class ScriptFailed(Message):
    """Adding a script (or reading the scripts) failed: one line."""

    error: str


class AddScriptModal(ModalScreen[str | None]):
    """Ask for a script's path; dismisses with it, or None."""

    BINDINGS: ClassVar[list] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Add a script to analyse (path, relative to the working directory)")
            yield Input(placeholder="scripts/deploy.sh", id="script-path")
            yield Static("enter: add · escape: cancel", classes="hint")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value if event.value.strip() else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ScriptsScreen(WorkbenchScreen):
    """Scripts and their analysis; re-analysis runs in a worker."""

    MODE = "scripts"
    AUTO_FOCUS = "#commands"
    BINDINGS: ClassVar[list] = [
        Binding("a", "add_script", "Add script", id="add-script"),
        Binding("r", "add_runtime", "Add OS packages", id="add-runtime"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._analysis: ScriptAnalysis | None = None  # the analysis shown
        self._view: ScriptsView | None = None  # its texts and command rows
        self.shown_script: str | None = None  # the script shown
        self.selected_line: int | None = None  # the selected line
        self._provision: Provision | None = None  # what the base lacks for the shown analysis

    def compose_body(self) -> ComposeResult:
        yield Static("Analysing the scripts…", id="scripts-status")
        yield Static(id="scripts-verdict")
        notice = Notice(id="notice")
        notice.display = False
        yield notice
        with Horizontal(id="scripts-body"):
            with Vertical(id="scripts-left"):
                yield OptionList(id="script-list")
                with ScrollableContainer(id="script-scroll"):
                    yield Static(id="script-text")
            with Vertical(id="scripts-right"):
                yield Static("Command paths", classes="section")
                yield DataTable(id="commands", cursor_type="row", zebra_stripes=True)
                yield Static("Unresolved", id="unresolved-title", classes="section")
                yield DataTable(id="unresolved", cursor_type="row")
                yield Static("Programs the base lacks", classes="section")
                yield Static("Asking the base image…", id="programs")

    def on_mount(self) -> None:
        self.query_one("#commands", DataTable).add_columns(
            "command", "where", "modules", "packages"
        )
        self.query_one("#unresolved", DataTable).add_columns("where", "reason", "text")
        super().on_mount()

    # -- session -> widgets -------------------------------------------------------------

    def show_session(self, session: Session) -> None:
        if session.analysis is None:
            self.query_one("#scripts-status", Static).update("No scripts analysed")
            self.query_one(Notice).show("This session has no scripts: press a to add one.")
        elif session.analysis is not self._analysis:
            self.load_view(session.snapshot())

    def show_load_error(self, error: str) -> None:
        self.query_one(Notice).show(f"Could not open the session: {error}", kind="error")

    @work(thread=True, exit_on_error=False, exclusive=True, group="scripts-view")
    def load_view(self, session: Session) -> None:
        """Read the scripts and map each call to its modules and packages."""
        from workbench.app.loader import base_programs, scripts_view

        analysis = session.analysis
        if analysis is None:  # only started for a session with scripts analysed
            return
        try:
            view = scripts_view(session.scripts, analysis)
        except Exception as exc:  # shown in place; the app keeps working
            self.post_message(ScriptFailed(one_line(exc)))
        else:
            self.post_message(ViewLoaded(analysis, view))
        try:
            provision = base_programs(session, offline=self.app.offline)
        except Exception as exc:  # the engine or the index is not there: said in place
            self.post_message(ProgramsChecked(analysis, None, one_line(exc)))
        else:
            self.post_message(ProgramsChecked(analysis, provision))

    @on(ProgramsChecked)
    def _programs_checked(self, message: ProgramsChecked) -> None:
        if self.app.session is None or message.analysis is not self.app.session.analysis:
            return
        self._provision = message.provision
        self.query_one("#programs", Static).update(
            programs_line(message.provision, self.app.session.added_runtime, message.error)
        )

    def action_add_runtime(self) -> None:
        session, provision = self.app.session, self._provision
        if session is None or provision is None or not provision.packages:
            self.notify("No OS package to add", title="Programs")
            return
        added = session.add_runtime(provision.packages)
        self.app.mark_changed()
        self.query_one("#programs", Static).update(programs_line(provision, session.added_runtime))
        self.notify(
            f"runtime packages: +{', '.join(added)}" if added else "already added",
            title="Programs",
        )

    @on(ViewLoaded)
    def _view_loaded(self, message: ViewLoaded) -> None:
        if self.app.session is None or message.analysis is not self.app.session.analysis:
            return  # analysed again since: a newer view is on its way
        analysis, view = message.analysis, message.view
        self._analysis, self._view = analysis, view
        self._fill_status(analysis)
        commands = self.query_one("#commands", DataTable)
        commands.clear()
        for i, row in enumerate(view.commands):
            commands.add_row(
                Text(row.label),
                _where(row.file, row.line),
                ", ".join(row.modules),
                ", ".join(row.packages) or "–",
                key=str(i),
            )
        spots = self.query_one("#unresolved", DataTable)
        spots.clear()
        for i, spot in enumerate(analysis.unresolved):
            spots.add_row(
                f"{Path(spot.file).name}:{spot.line}",
                Text(spot.reason),
                Text(spot.text),
                key=str(i),
            )
        self.query_one("#unresolved-title", Static).update(
            f"Unresolved ({len(analysis.unresolved)})"
        )
        scripts = self.query_one("#script-list", OptionList)
        scripts.clear_options()
        scripts.add_options(self._script_label(analysis, path) for path in view.texts)
        names = list(view.texts)
        self.shown_script = (
            self.shown_script if self.shown_script in names else (names[0] if names else None)
        )
        if self.shown_script is not None:
            scripts.highlighted = names.index(self.shown_script)
        self._show_text()
        first = next((i for i, r in enumerate(view.commands) if r.file == self.shown_script), None)
        if first is not None:  # the cursor follows the shown script (its first call)
            commands.move_cursor(row=first)

    def _fill_status(self, analysis: ScriptAnalysis) -> None:
        self.query_one("#scripts-status", Static).update(
            Content.assemble(
                (f"{len(analysis.files)} script(s)", "bold"),
                f" · {len(analysis.commands)} az call(s) · {len(analysis.modules)} module(s) · "
                f"{len(analysis.packages)} package(s) · ",
                (
                    f"{len(analysis.unresolved)} unresolved",
                    "$warning" if analysis.unresolved else "",
                ),
                "   a: add a script",
            )
        )
        hiding = bool(analysis.hiding)
        self.query_one("#scripts-verdict", Static).update(
            Content.assemble(
                ("⚠ " if hiding else "✓ "), (analysis.verdict, "$warning" if hiding else "$success")
            )
        )
        notice = self.query_one(Notice)
        if analysis.errors:
            notice.show(" · ".join(analysis.errors), kind="error")
        else:
            notice.display = False

    def _script_label(self, analysis: ScriptAnalysis, path: str) -> Content:
        summary = next((s for s in analysis.scripts() if s.file == path), None)
        if summary is None:
            return Content.assemble(Path(path).name, ("  unreadable", "$error"))
        return Content.assemble(
            Path(path).name,
            (f"  {summary.resolved} call(s) resolved", "$text-muted"),
            (f", {summary.hiding} may hide calls", "$warning") if summary.hiding else "",
        )

    def _show_text(self) -> None:
        """The shown script, numbered: az calls and unresolved spots marked, the selected line
        highlighted."""
        path, analysis, view = self.shown_script, self._analysis, self._view
        if analysis is None or view is None:  # nothing shown yet
            return
        text = view.texts.get(path, "") if path else ""
        calls = {c.line for c in analysis.commands if c.file == path}
        spots = {s.line for s in analysis.unresolved if s.file == path}
        lines = []
        for number, line in enumerate(text.splitlines(), 1):
            mark, style = " ", ""
            if number in spots:
                mark, style = SPOT_MARK, "$warning"
            elif number in calls:
                mark, style = CALL_MARK, "$success"
            if number == self.selected_line:
                style = f"{style} reverse".strip()
            lines.append(
                Content.assemble((f"{number:>4} ", "$text-muted"), (f"{mark} {line}", style))
            )
        self.query_one("#script-text", Static).update(Content("\n").join(lines))
        if self.selected_line is not None:
            self.query_one("#script-scroll").scroll_to(
                y=max(self.selected_line - 4, 0), animate=False
            )

    # -- selection ----------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#script-list")
    @on(OptionList.OptionHighlighted, "#script-list")
    def _script_chosen(
        self, event: OptionList.OptionSelected | OptionList.OptionHighlighted
    ) -> None:
        names = list(self._view.texts) if self._view else []
        if event.option_index < len(names) and names[event.option_index] != self.shown_script:
            self.shown_script, self.selected_line = names[event.option_index], None
            self._show_text()

    @on(DataTable.RowHighlighted, "#commands")
    def _command_chosen(self, event: DataTable.RowHighlighted) -> None:
        if self._view is None or event.row_key.value is None:  # rows come with their view
            return
        rows = self._view.commands
        index = int(event.row_key.value)
        if index < len(rows):  # not a late event from before a refill
            self._goto(rows[index].file, rows[index].line)

    @on(DataTable.RowHighlighted, "#unresolved")
    def _spot_chosen(self, event: DataTable.RowHighlighted) -> None:
        if self._analysis is None or event.row_key.value is None:  # spots come with theirs
            return
        spots = self._analysis.unresolved
        index = int(event.row_key.value)
        if index < len(spots):
            self._goto(spots[index].file, spots[index].line)

    def _goto(self, path: str, line: int) -> None:
        view = self._view
        if view is not None and path in view.texts:
            self.shown_script, self.selected_line = path, line
            self.query_one("#script-list", OptionList).highlighted = list(view.texts).index(path)
            self._show_text()

    # -- adding a script ----------------------------------------------------------------

    def action_add_script(self) -> None:
        if self.app.session is not None:
            self.app.push_screen(AddScriptModal(), self._add)

    def _add(self, text: str | None) -> None:
        if text:
            self.query_one("#scripts-status", Static).update(Content(f"Analysing with {text}…"))
            self.analyse_with(self.session.snapshot(), text)  # the modal needs a session

    @work(thread=True, exit_on_error=False, exclusive=True, group="scripts-add")
    def analyse_with(self, session: Session, text: str) -> None:
        """Analyse the session's scripts plus the one at ``text``."""
        from workbench.app.loader import add_script

        try:
            project = add_script(session, text)
        except Exception as exc:  # shown in place; the app keeps working
            self.post_message(ScriptFailed(one_line(exc)))
        else:
            self.post_message(ScriptAdded(project))

    @on(ScriptAdded)
    def _added(self, message: ScriptAdded) -> None:
        from workbench.app.loader import apply_project

        session = self.session  # a script is only added to a loaded session
        before = set(session.checked)
        apply_project(session, message.project)
        session.dirty = True
        self.shown_script, self.selected_line = str(session.scripts[-1]), None
        self.app.mark_changed()
        self.app.session_changed.publish(session)
        added = sorted(session.checked - before)
        self.notify(
            f"{Path(self.shown_script).name}: {len(added)} more package(s) checked"
            + (f" ({', '.join(added[:3])}{'…' if len(added) > 3 else ''})" if added else ""),
            title="Script added",
        )

    @on(ScriptFailed)
    def _failed(self, message: ScriptFailed) -> None:
        if self._analysis is not None:
            self._fill_status(self._analysis)
        self.notify(message.error, title="Scripts", severity="error", timeout=8)


def programs_line(provision: Provision | None, added: list[str], error: str = "") -> Content:
    """The programs the base lacks, each with its package and size, and the ``r`` offer."""
    if provision is None:
        return Content.assemble((f"cannot check the base: {error}", "$warning"))
    if not provision.missing:
        return Content(f"none: the base has all {len(provision.found)} program(s) the scripts run")
    parts: list[str | tuple[str, str]] = []
    for item in provision.missing:
        if item.package is None:
            parts.append((f"{item.command}: nothing provides it", "$error"))
        else:
            parts.append(f"{item.command} → {item.package} {fmt_bytes(item.bytes)}")
        parts.append(" · ")
    todo = [p for p in provision.packages if p not in added]
    offer = (
        f"  r: add {len(todo)} OS package(s), +{fmt_bytes(provision.total_bytes)}"
        if todo
        else "  (in the runtime packages)"
    )
    return Content.assemble(*parts[:-1], (offer, "$text-muted"))


def _where(file: str, line: int) -> str:
    """Where a call is: ``script:line``, or that only a traced run saw it (``init --trace``),
    so branches that run did not take are not covered."""
    if file == OBSERVED:
        return "seen at run time only (traced)"
    return f"{Path(file).name}:{line}"
