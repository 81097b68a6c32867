"""Bundles from a drive or folder, and merging them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tpsdesk.i18n import N_, _
from tpsdesk.ui.district.pane import DeskPane


class InboxPane(DeskPane):
    TITLE = N_("Inbox")

    def compose(self) -> ComposeResult:
        yield Static(_("Inbox"), classes="title")
