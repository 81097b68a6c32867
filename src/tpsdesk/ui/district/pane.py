"""One tab of the district desk: a widget that reads the store in a worker when it is shown."""

from __future__ import annotations

from typing import Any

from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget

from tpsdesk.ui.bindings import translate_bindings
from tpsdesk.ui.screens.base import StoreCalls


class DeskChanged(Message):
    """Posted by a pane after it changed the district's data (a merge, an approval, a
    decision): every pane reads the store again when it is next shown."""


def office_settings_saved(app: Any, result: object) -> None:
    """Callback of the office's name-and-code form: once saved, the desk under it reads every
    pane again (Files out and the exports show the name and code)."""
    if not result:
        return
    from tpsdesk.ui.district.desk import DistrictDeskScreen

    for screen in app.screen_stack:
        if isinstance(screen, DistrictDeskScreen):
            screen.post_message(DeskChanged())


class DeskPane(StoreCalls, Vertical):
    """Base of the desk's tabs. Subclasses read the store in `load()` (in a worker, never on
    the UI thread) and post `DeskChanged` after changing it. Their BINDINGS carry ids (F1
    lists them) and English msgids marked with N_, translated per instance."""

    DEFAULT_CSS = """
    DeskPane {
        height: 1fr;
    }
    """

    #: The tab's title, an English msgid marked with N_.
    TITLE = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)
        self.stale = True

    def load(self) -> None:
        """Read what the pane shows from the store (start a worker)."""

    def show(self) -> None:
        """The pane's tab was opened: read the store if something changed since."""
        if self.stale:
            self.stale = False
            self.load()

    def changed(self) -> None:
        self.post_message(DeskChanged())

    @property
    def is_shown(self) -> bool:
        """Whether this pane's tab is the one open."""
        from textual.widgets import ContentSwitcher

        switcher = self.parent
        return isinstance(switcher, ContentSwitcher) and switcher.current == self.id

    def focus_main(self) -> None:
        """Focus the pane's table (else its first focusable widget): called when its tab is
        opened, so the keys of the pane work at once and focus never stays in a closed tab."""
        from textual.widgets import DataTable

        tables = [w for w in self.query(DataTable) if w.can_focus and w.display]
        others = [w for w in self.query("*") if w.can_focus and w.display]
        for widget in [*tables, *others][:1]:
            widget.focus()

    def focus_if_shown(self, widget: Widget) -> None:
        """Focus `widget` only while this pane is open: focusing a widget of another tab
        opens that tab, so a load finishing after the clerk moved on would pull them back."""
        if self.is_shown:
            widget.focus()
