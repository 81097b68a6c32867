"""F1: every key of the screen beneath, and the keys that work everywhere."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tpsdesk.i18n import N_, _
from tpsdesk.ui.screens.base import BaseModal


class HelpScreen(BaseModal[None]):
    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="help.close", tooltip=N_("Close help")),
        Binding("f1", "close", N_("Close"), id="help.close_f1", show=False),
    ]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="help", classes="dialog wide"):
            yield Static(_("Keys"), classes="title")
            table: DataTable[str] = DataTable(
                id="help-table", cursor_type="row", zebra_stripes=True
            )
            table.add_column(_("Key"), key="key")
            table.add_column(_("Action"), key="action")
            for key, description in self.rows:
                table.add_row(key, description)
            yield table
            yield Static(_("Press Esc to close."), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
