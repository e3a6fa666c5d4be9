"""The strip of screen tabs at the top of every screen (click, or press 1-6)."""

from __future__ import annotations

from textual.widgets import Tab, Tabs

SCREENS = (
    ("packages", "Packages"),
    ("scripts", "Scripts"),
    ("dockerfile", "Dockerfile"),
    ("build", "Build"),
    ("layers", "Layers"),
    ("history", "History"),
)


class NavTabs(Tabs, can_focus=False):
    """Tabs naming the app's screens; activating one switches the app's mode."""

    def __init__(self, active: str) -> None:
        tabs = [Tab(f"{i} {label}", id=mode) for i, (mode, label) in enumerate(SCREENS, 1)]
        super().__init__(*tabs, active=active)

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id and event.tab.id != self.app.current_mode:
            self.app.switch_mode(event.tab.id)
