"""Setup files, receipts and the exports of the district."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tpsdesk.i18n import N_, _
from tpsdesk.ui.district.pane import DeskPane


class FilesOutPane(DeskPane):
    TITLE = N_("Files out")

    def compose(self) -> ComposeResult:
        yield Static(_("Files out"), classes="title")
