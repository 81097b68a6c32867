"""Coverage on the province desk (F6): posts filled against needed, officers waiting for a fix
and enrolled, per kab/kota, with the day each last rolled up (`rollup.coverage_by_kabkota`,
what `tpsdesk province coverage` prints)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tpsdesk.domain.dates import format_date
from tpsdesk.i18n import N_, _, format_number
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.rollup import KabkotaCoverage, coverage_by_kabkota
from tpsdesk.terminal import printable
from tpsdesk.ui.district.pane import DeskPane

NAME_WIDTH = 14


def percent(filled: int, needed: int) -> str:
    return f"{100 * filled // needed}%" if needed else "-"


class KabkotaCoveragePane(DeskPane):
    TITLE = N_("Coverage")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[KabkotaCoverage] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="kabkota-summary", classes="summary")
        yield Static("", id="kabkota-empty", classes="hint")
        yield DataTable(id="kabkota-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#kabkota-empty", Static).display = False
        table: DataTable[Any] = self.query_one("#kabkota-table", DataTable)
        table.add_column(_("Kab/kota"), key="code")
        table.add_column(_("Name"), key="name", width=NAME_WIDTH)
        table.add_column(_("Filled"), key="filled")
        table.add_column(_("Posts"), key="needed")
        table.add_column(_("To fix"), key="waiting")
        table.add_column(_("Enrolled"), key="enrolled")
        table.add_column(_("Rolled up"), key="last")

    def load(self) -> None:
        self._load()

    @work(exclusive=True, group="kabkota-coverage", exit_on_error=False)
    async def _load(self) -> None:
        store = self.desk.require_store()
        summary = self.query_one("#kabkota-summary", Static)
        if not self.rows:
            summary.update(_("Reading the coverage…"))
        try:
            self.rows = await self.in_thread(coverage_by_kabkota, store)
        except SyncError as error:
            summary.update(Text(error.message))
            return
        table: DataTable[Any] = self.query_one("#kabkota-table", DataTable)
        table.clear()
        for row in self.rows:
            sent = row.last_rollup.astimezone().date() if row.last_rollup else None
            table.add_row(
                row.code,
                Text(printable(row.name) or "-", overflow="ellipsis"),
                format_number(row.filled),
                format_number(row.needed),
                format_number(row.waiting),
                format_number(row.enrolled),
                format_date(sent) if sent else _("never"),
                key=row.code,
            )
        needed = sum(r.needed for r in self.rows)
        filled = sum(r.filled for r in self.rows)
        summary.update(
            _(
                "The province: posts filled {filled} of {needed} ({percent}) in {n} kab/kota "
                "that rolled up."
            ).format(
                filled=format_number(filled),
                needed=format_number(needed),
                percent=percent(filled, needed),
                n=len(self.rows),
            )
        )
        empty = self.query_one("#kabkota-empty", Static)
        empty.display = not self.rows
        table.display = bool(self.rows)
        empty.update(
            _(
                "No district has rolled up yet: approve a district (F4) and merge its roll-up "
                "files (F2)."
            )
        )
        self.focus_if_shown(table)
