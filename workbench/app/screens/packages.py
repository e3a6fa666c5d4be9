"""The Packages screen: the checklist with live size totals, target, install mode and trims."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, ProgressBar, Static

from workbench.app.messages import LoadProgress
from workbench.app.screens.base import WorkbenchScreen
from workbench.app.session import PATH_TRIMS
from workbench.app.widgets.notice import Notice
from workbench.app.widgets.package_table import SORTS, PackageTable
from workbench.app.widgets.trims import TrimToggle
from workbench.core.defaults import NO_COMPILE
from workbench.core.units import fmt_bytes

if TYPE_CHECKING:
    from workbench.core.project import Project

# the trims row, wrapped: azure-cli and SDK code; other packages' files; small things
TRIM_ROWS = (
    PATH_TRIMS[:5],
    ("prune-pygments", "strip-binaries", "drop-pip", "drop-records", "sourceless"),
    ("drop-tests", "drop-stubs", "drop-docs"),
)


@dataclass
class LoginChanged(Message):
    """The scripts were analysed for another login route."""

    route: str
    project: Project
    saving: int | None


class Toggle(Static):
    """A one-line header item that runs a screen action when clicked."""

    def __init__(self, action: str, **kwargs) -> None:
        super().__init__(classes="toggle", **kwargs)
        self._action = action

    async def on_click(self) -> None:
        await self.screen.run_action(self._action)


class PackagesScreen(WorkbenchScreen):
    """Checklist of Azure SDK packages; every toggle re-estimates synchronously (< 16 ms)."""

    MODE = "packages"
    AUTO_FOCUS = "#packages"
    BINDINGS: ClassVar[list] = [
        Binding("space", "toggle", "Toggle", id="toggle-package"),
        Binding("p", "pin", "Pin mode", id="cycle-pin"),
        Binding("m", "install_mode", "Install mode", id="cycle-install-mode"),
        Binding("c", "compile", ".pyc", id="toggle-pyc"),
        Binding("o", "sort", "Sort", id="cycle-sort"),
        Binding("t", "focus_trims", "Trims", id="focus-trims"),
        Binding("d", "drop_dead_weight", "Drop dead weight", id="drop-dead-weight"),
        Binding("b", "pick_target", "Target", id="pick-target"),
        Binding("g", "compare_targets", "Compare targets", id="compare-targets"),
        Binding("l", "login", "Login", id="cycle-login", show=False),  # the toggle says (l)
        Binding("slash", "filter", "Filter", id="filter", priority=True),  # typed keys follow
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        yield Toggle("pick_target", id="target")
        yield Static(id="image")
        with Horizontal(id="options-bar"):
            yield Toggle("install_mode", id="install")
            yield Toggle("compile", id="pyc")
            yield Toggle("sort", id="sort")
            yield Toggle("login", id="login")
        for row, names in enumerate(TRIM_ROWS):
            with Horizontal(id="trims" if row == 0 else f"trims-{row + 1}", classes="trims"):
                label = _labelled("Trims", "(t)") if row == 0 else " " * len("Trims (t)")
                yield Static(label, id="trims-label" if row == 0 else None)
                for name in names:
                    yield TrimToggle(name)
        yield Static(id="trim-note")
        yield Static(id="totals")
        yield Input(placeholder="/ filter packages by name", id="filter", compact=True)
        yield ProgressBar(id="load-progress", show_eta=False)
        notice = Notice(id="notice")
        notice.show("Loading the size model…")
        yield notice
        yield PackageTable(id="packages")

    # -- session -> widgets -------------------------------------------------------------

    def show_session(self, session) -> None:
        self.query_one(Notice).display = False
        self.query_one("#load-progress").remove_class("-shown")
        t = session.target
        libc = f"{t.libc} {t.libc_version}" if t.libc_version else t.libc
        self.query_one("#target", Static).update(
            _labelled(
                "Target",
                f"{t.base_image or 'custom'} · Python {t.python} · {libc} · {t.arch}"
                f" · azure-cli {session.model.azure_cli_version} (b)",
            )
        )
        self._refill()

    def _refill(self) -> None:
        session = self.app.session
        if session is None:
            return
        text = self.query_one("#filter", Input).value.strip().lower()
        names = [n for n in session.model.names() if text in n]
        estimate = session.estimate()
        self.query_one(PackageTable).fill(session, estimate, names)
        self._show_numbers(estimate)

    def refresh_numbers(self) -> None:
        """Re-estimate and repaint every number: the hot path of each toggle."""
        estimate = self.app.session.estimate()
        self.query_one(PackageTable).apply(self.app.session, estimate)
        self._show_numbers(estimate)
        self.app.mark_changed()

    def _show_numbers(self, estimate) -> None:
        session = self.app.session
        table = self.query_one(PackageTable)
        self.query_one("#install", Toggle).update(
            _labelled("Install", f"{session.install_mode} (m)")
        )
        savings = session.trim_savings(estimate)
        pyc = f"on (c) · off saves {fmt_bytes(savings[NO_COMPILE])}"
        if not session.compile:
            pyc = f"off (c) · saves {fmt_bytes(savings[NO_COMPILE])}"
        self.query_one("#pyc", Toggle).update(_labelled(".pyc", pyc))
        problems = {}
        for toggle in self.query(TrimToggle):
            problem = session.trim_problem(toggle.trim)
            toggle.show(toggle.trim in session.trims, savings[toggle.trim], problem)
            if problem:
                problems[toggle.trim] = problem
        note = self.query_one("#trim-note", Static)
        note.display = bool(problems)
        note.update(Content(" · ".join(f"{n} n/a: {why}" for n, why in problems.items())))
        self.query_one("#sort", Toggle).update(_labelled("Sort", f"{table.sort_mode} (o)"))
        line = session.image_line(estimate)
        why = self.app.image_error if session.image is None else None
        self.query_one("#image", Static).update(
            _labelled("Image", line or (f"not estimated: {why}" if why else "estimating…"))
        )
        login = self.query_one("#login", Toggle)
        login.display = session.login_saving is not None
        login.update(_labelled("Login", _login_text(session)))
        script = sum(1 for n in session.checked if n in session.needed)
        hand = len(session.checked) - script
        dead = sum(session.dead_weight.get(n, 0) for n in session.checked)
        self.query_one("#totals", Static).update(
            Content.assemble(
                (f"Total {fmt_bytes(session.total_bytes(estimate))}", "bold"),
                _seed_note(session),
                (f" · probe: {fmt_bytes(dead)} dead weight (d drops it)", "$warning")
                if dead
                else "",
                f" · {len(estimate.packages)} distributions · {len(session.checked)} requested: ",
                (f"{script} [x] script", "$success"),
                ", ",
                (f"{hand} [+] hand", "$accent"),
                f" · {estimate.source} sizes",
            )
        )

    # -- loading states -----------------------------------------------------------------

    @on(LoadProgress)
    def _progress(self, message: LoadProgress) -> None:
        bar = self.query_one("#load-progress", ProgressBar)
        bar.add_class("-shown")
        bar.update(total=message.total or None, progress=message.done)
        self.query_one(Notice).show(f"Loading the size model… {message.what}")

    def show_load_error(self, error: str) -> None:
        self.query_one("#load-progress").remove_class("-shown")
        self.query_one(Notice).show(f"Could not open the session: {error}", kind="error")

    # -- actions ------------------------------------------------------------------------

    def _current(self) -> str | None:
        if self.app.session is None:
            return None
        return self.query_one(PackageTable).current_name

    def action_toggle(self) -> None:
        name = self._current()
        if name is None:
            return
        if self.app.session.toggle(name):
            self.refresh_numbers()
        else:
            self.notify(f"{name} is always installed (the CLI itself)", timeout=3)

    def action_pin(self) -> None:
        name = self._current()
        if name is not None:
            self.app.session.cycle_pin(name)
            self.refresh_numbers()

    def action_install_mode(self) -> None:
        if self.app.session is not None:
            self.app.session.cycle_install_mode()
            self.refresh_numbers()

    def action_compile(self) -> None:
        if self.app.session is not None:
            self.app.session.toggle_compile()
            self.refresh_numbers()

    def action_trim(self, name: str) -> None:
        session = self.app.session
        if session is None:
            return
        problem = session.trim_problem(name)
        if problem and name not in session.trims:
            self.notify(problem, title=f"{name} cannot apply", severity="warning", timeout=6)
            return
        session.toggle_trim(name)
        self.refresh_numbers()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "drop_dead_weight":  # offered once a probe proved packages unneeded
            session = self.app.session
            return bool(session and session.dead_weight) or None
        return True

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.refresh_bindings()

    def action_drop_dead_weight(self) -> None:
        session = self.app.session
        names, saved = session.drop_dead_weight()
        self.refresh_bindings()
        if names:
            self.notify(
                f"unchecked {', '.join(names)}: −{fmt_bytes(saved)}; the recipe records why",
                title="Dead weight dropped",
            )
            self.refresh_numbers()

    def action_pick_target(self) -> None:
        from workbench.app.loader import official_bases
        from workbench.app.screens.target import TargetModal

        session = self.app.session
        if session is None:
            return
        current = {
            "base": session.target.base_image or "",
            **session.overrides,
            "azure_cli": session.model.azure_cli_version,
        }
        self.app.push_screen(
            TargetModal(current, official_bases()),
            lambda choice: self.app.retarget(choice) if choice else None,
        )
        self.app.find_bases()
        self.app.find_versions()

    def action_compare_targets(self) -> None:
        from workbench.app.screens.target import CompareModal

        session = self.app.session
        if session is None:
            return
        t = session.target
        mine = [t.base_image] if t.base_image else []
        others = [
            f"python:{v}-{f}" for v in ("3.11", "3.12", "3.13") for f in ("alpine", "slim-trixie")
        ]
        self.app.push_screen(CompareModal())
        self.app.compare_targets(list(dict.fromkeys([*mine, *others])))

    def action_login(self) -> None:
        """Keep the image's login or not (``login = "none"``): the scripts are analysed again."""
        from workbench.core.defaults import LOGIN_ROUTES

        session = self.app.session
        if session is None or session.login_saving is None:
            return
        route = LOGIN_ROUTES[(LOGIN_ROUTES.index(session.login) + 1) % len(LOGIN_ROUTES)]
        self.query_one("#login", Toggle).update(_labelled("Login", f"{route}… (analysing)"))
        self.relogin(session.snapshot(), route)

    @work(thread=True, exit_on_error=False, exclusive=True, group="login")
    def relogin(self, session, route: str) -> None:
        from workbench.app.loader import change_login
        from workbench.core.files import one_line

        try:
            project, saving = change_login(session, route)
        except Exception as exc:  # shown in place; the app keeps working
            self.notify(one_line(exc), title="Login", severity="error")
        else:
            self.post_message(LoginChanged(route, project, saving))

    @on(LoginChanged)
    def _login_changed(self, message: LoginChanged) -> None:
        from workbench.app.loader import apply_login

        session = self.app.session
        apply_login(session, message.route, message.project)
        session.login_saving = message.saving
        self.app.session_changed.publish(session)
        self.refresh_numbers()

    def action_focus_trims(self) -> None:
        self.query(TrimToggle).first().focus()

    def action_sort(self) -> None:
        table = self.query_one(PackageTable)
        table.sort_mode = SORTS[(SORTS.index(table.sort_mode) + 1) % len(SORTS)]
        if self.app.session is not None:
            self.refresh_numbers()

    def action_filter(self) -> None:
        self.set_focus(self.query_one("#filter", Input))

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.set_focus(self.query_one(PackageTable))

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._refill()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.set_focus(self.query_one(PackageTable))

    @on(PackageTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_toggle()


def _labelled(label: str, value: str) -> Content:
    """``label value`` with the label in bold."""
    return Content.assemble((label, "bold"), " ", value)


def _login_text(session) -> str:
    """The login choice and what ``login = "none"`` saves."""
    saved = fmt_bytes(session.login_saving)
    if session.login == "none":
        return f"none (l) · the image never logs in itself; saves {saved}"
    return f"{session.login} (l) · none saves {saved}"


def _seed_note(session) -> str:
    """Say so when the total includes the venv's own pip (and setuptools, up to 3.11)."""
    seed = session.seed_bytes()
    return f" (incl. venv pip {fmt_bytes(seed)})" if seed else ""
