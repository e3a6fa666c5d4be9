"""The Layers screen: dive-like analysis of an image, archive or OCI layout directory.

Workers do everything slow: reading the build history for the default image, the analysis
(streamed through the core with progress) and each file-tree view (big images have 50k+
paths). Results come back as messages; a result for a request since replaced is dropped.
"""

from __future__ import annotations

import re
from functools import partial
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import DataTable, Input, ProgressBar, Static
from textual.worker import get_current_worker

from workbench.app.layer_messages import (
    AnalysisDone,
    AnalysisProgress,
    DefaultImage,
    TreeDone,
    TreeView,
)
from workbench.app.screens.base import WorkbenchScreen
from workbench.app.widgets.file_tree import COLUMNS, FileTreeView
from workbench.app.widgets.layer_table import LayerTable, WasteTable
from workbench.app.widgets.notice import Notice
from workbench.core.files import one_line
from workbench.core.units import fmt_bytes

KINDS = (("A", "Added"), ("M", "Modified"), ("D", "Removed"), ("U", "Unchanged"))
SEARCH_DELAY = 0.2  # seconds without typing before the tree is searched
ASK = (
    "Type an image name, a `docker save` archive or an OCI layout directory, then Enter "
    "(Escape leaves the field)."
)


class _Cancelled(Exception):
    """Raised from the progress callback to stop an analysis nobody waits for."""


class LayersScreen(WorkbenchScreen):
    """Layer table, file tree of the selected layer (or aggregated) and the image's waste."""

    MODE = "layers"
    BINDINGS: ClassVar[list] = [
        Binding("a", "aggregated", "Aggregated", id="layers-aggregated"),
        Binding("o", "sort", "Sort", id="layers-sort"),
        *(Binding(k, f"kind('{k}')", label, id=f"layers-show-{k}") for k, label in KINDS),
        Binding("slash", "search", "Search", id="layers-search"),
        Binding("escape", "clear_search", "Clear search", show=False),
        Binding("i", "choose", "Image", id="layers-image"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.analysis = None
        self.source: str | None = None  # being analysed, or shown
        self.selected_layer = 0
        self.aggregated = False
        self.sort = "name"
        self.kinds = {k for k, _ in KINDS}
        self.pattern: str | None = None
        self._shown: TreeView | None = None
        self._default: str | None = None  # the image of the last build, once analysed
        self._search_timer: Timer | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="layers-source-bar"):
            yield Static("Image ", id="layers-source-label")
            yield Input(placeholder=ASK, id="layers-source", compact=True)
        yield ProgressBar(id="layers-progress", show_eta=False)
        yield Notice(id="layers-notice")
        yield Static(id="layers-summary")
        with Horizontal(id="layers-body"):
            with Vertical(id="layers-left"):
                yield LayerTable(id="layers-table")
                yield Static(id="layers-detail")
                yield Static(id="layers-waste-title")
                yield WasteTable(id="layers-waste")
            with Vertical(id="layers-right"):
                yield Static(id="layers-tree-title")
                yield Input(placeholder="path regex", id="layers-search", compact=True)
                yield Static(id="layers-tree-error")
                yield Static(COLUMNS, id="layers-tree-columns")
                yield FileTreeView(id="layers-tree")

    def on_mount(self) -> None:
        self.query_one("#layers-body").display = False
        self.query_one("#layers-summary").display = False
        self.query_one("#layers-notice", Notice).show("Waiting for the session…")
        super().on_mount()

    # -- choosing the image ------------------------------------------------------------------

    def show_session(self, session) -> None:
        """Unless the user chose an image, follow the recipe's last build (checked each visit)."""
        if self.source in (None, self._default):
            self.find_default(session)

    def show_load_error(self, error: str) -> None:
        if self.source is None:
            self._ask(f"No session ({error}). {ASK}")

    @work(thread=True, exclusive=True, group="layers-default", exit_on_error=False)
    def find_default(self, session) -> None:
        """The tag (or id) of the last build of the session's recipe, from its history."""
        from workbench.app.loader import session_recipe
        from workbench.core.engine.history import last_image, load_history

        try:
            image = last_image(load_history(session_recipe(session).path))
        except Exception as exc:  # shown in place; the user can still type an image
            self.post_message(DefaultImage(None, one_line(exc)))
        else:
            self.post_message(DefaultImage(image))

    @on(DefaultImage)
    def _default_image(self, message: DefaultImage) -> None:
        if self.source not in (None, self._default):
            return  # the user chose another image
        if message.image and message.image != self.source:
            self._default = message.image
            self.query_one("#layers-source", Input).value = message.image
            self.analyse(message.image)
        elif self.source is None:
            problem = f"Could not read the build history: {message.error}." if message.error else ""
            self._ask(f"{problem or 'No build of this recipe yet.'} {ASK}")

    def _ask(self, text: str) -> None:
        self.query_one("#layers-notice", Notice).show(text)
        self.query_one("#layers-source", Input).focus()

    def action_choose(self) -> None:
        self.query_one("#layers-source", Input).focus()

    @on(Input.Submitted, "#layers-source")
    def _source_submitted(self, event: Input.Submitted) -> None:
        source = event.value.strip()
        if source:
            self.analyse(source)
        else:
            self._ask(ASK)

    # -- analysis ----------------------------------------------------------------------------

    def analyse(self, source: str) -> None:
        """Start analysing ``source`` (a running analysis is dropped)."""
        self.source = source
        bar = self.query_one("#layers-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.add_class("-shown")
        self.query_one("#layers-notice", Notice).show(f"Analysing {source}…")
        self._run_analysis(source)

    @work(thread=True, exclusive=True, group="layers-analysis", exit_on_error=False)
    def _run_analysis(self, source: str) -> None:
        from workbench.core.layers.analysis import analyze_image

        worker = get_current_worker()

        def progress(done: int, total: int | None, what: str) -> None:
            if worker.is_cancelled:
                raise _Cancelled
            self.post_message(AnalysisProgress(source, done, total, what))

        try:
            analysis = analyze_image(source, progress)
        except _Cancelled:
            return
        except Exception as exc:  # shown in place; the app keeps working
            self.post_message(AnalysisDone(source, None, one_line(exc)))
        else:
            self.post_message(AnalysisDone(source, analysis))

    @on(AnalysisProgress)
    def _analysis_progress(self, message: AnalysisProgress) -> None:
        if message.source != self.source:
            return
        self.query_one("#layers-progress", ProgressBar).update(
            total=message.total, progress=message.done
        )
        of = f" of {fmt_bytes(message.total)}" if message.total else ""
        self.query_one("#layers-notice", Notice).show(
            f"Analysing {message.what}… {fmt_bytes(message.done)}{of} read"
        )

    @on(AnalysisDone)
    def _analysis_done(self, message: AnalysisDone) -> None:
        if message.source != self.source:
            return
        self.query_one("#layers-progress").remove_class("-shown")
        if message.error:
            self.query_one("#layers-notice", Notice).show(
                f"Could not analyse {message.source}: {message.error}", kind="error"
            )
            self.query_one("#layers-source", Input).focus()
            return
        self.query_one("#layers-notice").display = False
        self.analysis = analysis = message.analysis
        self._show_summary()
        self.query_one("#layers-waste-title", Static).update(_waste_title(analysis))
        self.query_one(WasteTable).fill(analysis.inefficient)
        self.query_one("#layers-summary").display = True
        self.query_one("#layers-body").display = True
        self._shown = None
        self.query_one(FileTreeView).clear()
        table = self.query_one(LayerTable)
        table.fill(analysis.layers)
        self.selected_layer = len(analysis.layers) - 1  # the top layer: what the last step did
        table.move_cursor(row=self.selected_layer)
        table.focus()
        self._layer_changed()

    def _show_summary(self) -> None:
        a = self.analysis
        pct = a.user_wasted_percent
        self.query_one("#layers-summary", Static).update(
            Content.assemble(
                (a.name, "bold"),
                f"   {fmt_bytes(a.size_bytes)} in {len(a.layers)} layers   efficiency ",
                (f"{a.efficiency:.1%}", "bold"),
                "   wasted ",
                (fmt_bytes(a.wasted_bytes), "bold $warning" if a.wasted_bytes else "bold"),
                f" (dive's figure {fmt_bytes(a.wasted_bytes_dive)})   user wasted ",
                ("∞" if pct == float("inf") else f"{pct:.1%}", "bold"),
            )
        )

    # -- layer and tree ------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#layers-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.analysis is not None and event.cursor_row != self.selected_layer:
            self.selected_layer = event.cursor_row
            self._layer_changed()

    def _layer_changed(self) -> None:
        layer = self.analysis.layers[self.selected_layer]
        c = layer.changes
        self.query_one("#layers-detail", Static).update(
            Content.assemble(
                (f"layer {layer.index}", "bold"),
                f" · {layer.digest[:23]}\n",
                _counted("A", c.added, c.added_bytes, "$success"),
                " · ",
                _counted("M", c.modified, c.modified_bytes, "$warning"),
                " · ",
                _counted("D", c.removed, c.removed_bytes, "$error"),
            )
        )
        self._request_tree()

    def _view(self) -> TreeView:
        return TreeView(
            self.analysis,
            self.selected_layer,
            self.aggregated,
            self.sort,
            self.pattern,
            frozenset(self.kinds),
        )

    def _request_tree(self) -> None:
        self._show_tree_title(None)
        self._build_tree(self._view())

    @work(thread=True, exclusive=True, group="layers-tree", exit_on_error=False)
    def _build_tree(self, view: TreeView) -> None:
        try:
            tree = view.analysis.tree(*view[1:])
        except Exception as exc:  # a bad regex, mostly: shown in place
            self.post_message(TreeDone(view, None, one_line(exc)))
        else:
            self.post_message(TreeDone(view, tree))

    @on(TreeDone)
    def _tree_done(self, message: TreeDone) -> None:
        view = message.view
        if view != self._view():
            return  # the user moved on (another layer, filter, image) since it was asked
        error = self.query_one("#layers-tree-error", Static)
        error.display = message.error is not None
        if message.error:
            error.update(message.error)
            return
        shown = self._shown
        resorted = shown is not None and shown._replace(sort=view.sort) == view
        self.query_one(FileTreeView).show(message.tree, keep_state=resorted)
        self._shown = view
        self._show_tree_title(message.tree.count)

    def _show_tree_title(self, count: int | None) -> None:
        what = "Aggregated up to" if self.aggregated else "Changes of"
        paths = "building…" if count is None else f"{count} paths"
        marks = "".join(k if k in self.kinds else "-" for k, _ in KINDS)
        search = f" · /{self.pattern}" if self.pattern else ""
        self.query_one("#layers-tree-title", Static).update(
            Content.assemble(
                (f"{what} layer {self.selected_layer}", "bold"),
                f" · {paths} · by {self.sort} · showing {marks}{search}",
            )
        )

    # -- actions -------------------------------------------------------------------------------

    def _changed_view(self) -> None:
        if self.analysis is not None:
            self._request_tree()

    def action_aggregated(self) -> None:
        self.aggregated = not self.aggregated
        self._changed_view()

    def action_sort(self) -> None:
        self.sort = "size" if self.sort == "name" else "name"
        self._changed_view()

    def action_kind(self, kind: str) -> None:
        self.kinds ^= {kind}
        self._changed_view()

    def action_search(self) -> None:
        search = self.query_one("#layers-search", Input)
        search.add_class("-shown")
        search.focus()

    def action_clear_search(self) -> None:
        """Escape: out of the image field (so 1-6 switch screens again), or clear the search."""
        if self.focused is self.query_one("#layers-source", Input):
            self.set_focus(None)
            return
        search = self.query_one("#layers-search", Input)
        if not search.has_class("-shown"):
            return
        search.value = ""
        search.remove_class("-shown")
        self.query_one(FileTreeView).focus()

    @on(Input.Changed, "#layers-search")
    def _search_changed(self, event: Input.Changed) -> None:
        """Search once typing pauses: each view of a big image takes a few hundred ms."""
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, partial(self._search, event.value))

    def _search(self, pattern: str) -> None:
        self._search_timer = None
        self.pattern = pattern or None
        self._changed_view()

    @on(DataTable.RowSelected, "#layers-waste")
    def _waste_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on an inefficient file: search the tree for exactly that path."""
        path = self.analysis.inefficient[event.cursor_row].path
        search = self.query_one("#layers-search", Input)
        search.add_class("-shown")
        search.value = f"^{re.escape(path)}$"
        self.query_one(FileTreeView).focus()

    @on(Input.Submitted, "#layers-search")
    def _search_submitted(self) -> None:
        self.query_one(FileTreeView).focus()


def _counted(mark: str, count: int, size: int, style: str) -> tuple[str, str]:
    """``A 3 (1.2 MB)`` in the mark's colour; just ``A 0`` when nothing changed."""
    return (f"{mark} {count} ({fmt_bytes(size)})" if count else f"{mark} 0"), style


def _waste_title(analysis) -> Content:
    files = analysis.inefficient
    return Content.assemble(
        ("Inefficient files", "bold"),
        f", largest first · {len(files)} · {fmt_bytes(analysis.wasted_bytes)} wasted",
    )
