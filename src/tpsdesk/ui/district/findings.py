"""Findings to decide: duplicates, conflicts, duplicate TPS, rollbacks."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tpsdesk.i18n import N_, _
from tpsdesk.ui.district.pane import DeskPane


class FindingsPane(DeskPane):
    TITLE = N_("Findings")

    def compose(self) -> ComposeResult:
        yield Static(_("Findings"), classes="title")
