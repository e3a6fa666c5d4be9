"""An in-place panel for a part that is loading, failed, or not available yet."""

from __future__ import annotations

from textual.widgets import Static


class Notice(Static):
    """A bordered message shown where the real content would be."""

    def show(self, text: str, *, kind: str = "info") -> None:
        """Show ``text``; ``kind`` is info, error or unavailable (a CSS class)."""
        self.set_classes(f"-{kind}")
        self.update(text)
        self.display = True
