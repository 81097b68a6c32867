"""After a merge from the inbox: what happened to each file, in the clerk's language."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tpsdesk.i18n import N_, _
from tpsdesk.sync.inbox import OutcomeKind, OutcomeLines, report_title
from tpsdesk.terminal import printable
from tpsdesk.ui.screens.base import BaseModal

STYLES = {
    OutcomeKind.MERGED: "success",
    OutcomeKind.MERGED_BEFORE: "hint",
    OutcomeKind.MERGED_WITH_REFUSALS: "warning",
    OutcomeKind.WAITING: "warning",
    OutcomeKind.REFUSED: "error",
}


class MergeReportScreen(BaseModal[None]):
    """One block per file: its name, what happened, and why (refusals, waiting approval,
    refused rows, missing changes). `skipped`: names of chosen files that are not bundles."""

    DEFAULT_CSS = """
    MergeReportScreen .report-file {
        text-style: bold;
    }
    MergeReportScreen .report-detail {
        padding-left: 2;
    }
    MergeReportScreen .success {
        color: $success;
    }
    MergeReportScreen #report {
        height: auto;
        max-height: 18;
    }
    """

    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="merge_report.close"),
        Binding("enter", "close", N_("Close"), id="merge_report.close_enter", show=False),
    ]

    def __init__(
        self, lines: Sequence[OutcomeLines], skipped: Sequence[str] = (), *, province: bool = False
    ) -> None:
        super().__init__()
        self.lines = list(lines)
        self.skipped = list(skipped)
        self.province = province  # the files are roll-up files

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(escape(report_title(self.lines)), id="report-title", classes="title")
            with VerticalScroll(id="report"):
                for line in self.lines:
                    name = escape(printable(line.file))
                    yield Static(
                        f"{name}: {escape(line.headline)}",
                        classes=f"report-file {STYLES[line.kind]}",
                    )
                    for detail in line.details:
                        yield Static(escape(printable(detail)), classes="report-detail")
                for name in self.skipped:
                    yield Static(
                        escape(
                            (
                                _("{file}: not a roll-up file; skipped.")
                                if self.province
                                else _("{file}: not a bundle; skipped.")
                            ).format(file=printable(name))
                        ),
                        classes="report-file hint",
                    )
            yield Static(_("Press Esc to close."), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#report").focus()

    def action_close(self) -> None:
        self.dismiss(None)
