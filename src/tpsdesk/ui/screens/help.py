"""F1: every key of the screen beneath, and the keys that work everywhere."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tpsdesk.i18n import N_, _
from tpsdesk.ui.screens.base import BaseModal


class HelpScreen(BaseModal[None]):
    # Opaque: dimming the screen beneath on every frame was a third of what F1 cost.
    DEFAULT_CSS = """
    HelpScreen {
        background: $background;
    }
    """

    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="help.close", tooltip=N_("Close help")),
        Binding("f1", "close", N_("Close"), id="help.close_f1", show=False),
    ]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        # One Static rather than a DataTable: the list is read, not navigated, and a table
        # made opening help cost more than a keystroke may (benchmarks/RESULTS-desk.md).
        width = max((len(key) for key, _description in self.rows), default=0) + 2
        # Text, not markup: a key such as "[" would open a tag.
        lines = Text("\n").join(
            Text.assemble((key.ljust(width), "bold"), description) for key, description in self.rows
        )
        with Vertical(id="help", classes="dialog wide"):
            yield Static(_("Keys"), classes="title")
            with VerticalScroll(id="help-table"):
                yield Static(lines, id="help-keys")
            yield Static(_("Press Esc to close."), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#help-table").focus()

    def action_close(self) -> None:
        self.dismiss(None)
