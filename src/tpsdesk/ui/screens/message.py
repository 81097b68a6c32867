"""A message with a list of details (for example every bad line of a file), scrollable."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tpsdesk.i18n import N_, _
from tpsdesk.ui.screens.base import BaseModal

MAX_SHOWN = 200


class MessageScreen(BaseModal[None]):
    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="message.close"),
        Binding("enter", "close", N_("Close"), id="message.close_enter", show=False),
    ]

    def __init__(self, message: str, details: list[str]) -> None:
        super().__init__()
        self.message = message
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(self.message, classes="title")
            with VerticalScroll(id="details"):
                for line in self.details[:MAX_SHOWN]:
                    yield Static("• " + line, classes="detail")
                if len(self.details) > MAX_SHOWN:
                    yield Static(
                        _("… and {n} more.").format(n=len(self.details) - MAX_SHOWN),
                        classes="detail",
                    )
            yield Static(_("Press Esc to close."), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#details").focus()

    def action_close(self) -> None:
        self.dismiss(None)
