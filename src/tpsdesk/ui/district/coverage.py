"""Posts filled against needed per kecamatan, kelurahan and TPS; who has not sent."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tpsdesk.i18n import N_, _
from tpsdesk.ui.district.pane import DeskPane


class CoveragePane(DeskPane):
    TITLE = N_("Coverage")

    def compose(self) -> ComposeResult:
        yield Static(_("Coverage"), classes="title")
