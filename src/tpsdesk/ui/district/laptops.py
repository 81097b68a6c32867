"""Field laptops: waiting, approved and revoked; approve, revoke, dismiss."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tpsdesk.i18n import N_, _
from tpsdesk.ui.district.pane import DeskPane


class LaptopsPane(DeskPane):
    TITLE = N_("Laptops")

    def compose(self) -> ComposeResult:
        yield Static(_("Laptops"), classes="title")
