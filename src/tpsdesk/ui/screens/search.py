"""Search by name or NIK from anywhere (F3): results page in SQL, Enter opens the officer."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Input, Static

from tpsdesk.domain.area import format_tps
from tpsdesk.i18n import N_, _
from tpsdesk.store import officers
from tpsdesk.store.officers import OfficerHit, status_label
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.units import UnitRef
from tpsdesk.ui.widgets.columns import Column, FitTable
from tpsdesk.ui.widgets.key_bar import KeyBar

RESULT_LIMIT = 50


class SearchScreen(BaseScreen):
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="search.back"),
        Binding("down", "to_results", N_("Results"), id="search.results", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[OfficerHit] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(id="query", placeholder=_("Name or NIK…"))
        yield Static("", id="result-info", classes="hint")
        yield FitTable(id="results", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = _("Search officers")
        # Post, TPS and status always whole; when narrow the kelurahan, then the NIK go.
        self.query_one("#results", FitTable).set_columns(
            Column("nik", _("NIK"), drop=1),
            Column("name", _("Name"), shrink_to=14, grow=True),
            Column("post", _("Post")),
            Column("tps", _("TPS")),
            Column("kelurahan", _("Kelurahan"), shrink_to=10, drop=2, grow=True),
            Column("status", _("Status")),
        )
        self.query_one("#query", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_to_results()

    @work(exclusive=True, group="search", exit_on_error=False)
    async def search(self, text: str) -> None:
        info = self.query_one("#result-info", Static)
        table: DataTable[str] = self.query_one("#results", DataTable)
        if len(text.strip()) < 2:
            self.hits = []
            table.clear()
            info.update(_("Type at least two letters or digits."))
            return
        store = self.desk.require_store()
        hits = await self.in_thread(officers.search_officers, store, text, RESULT_LIMIT)
        if self.query_one("#query", Input).value != text:
            return  # a newer keystroke is on its way
        self.hits = hits
        table.clear()
        for hit in hits:
            table.add_row(
                hit.nik,
                hit.name,
                hit.post_name,
                format_tps(hit.tps_number) if hit.tps_number is not None else "",
                hit.kelurahan_name or "",
                status_label(hit.status),
                key=hit.id,
            )
        if not hits:
            info.update(_("No officer matches."))
        elif len(hits) >= RESULT_LIMIT:
            info.update(_("First {n} matches — type more to narrow down.").format(n=RESULT_LIMIT))
        else:
            info.update(_("{n} match(es). ↓ to choose, Enter to open.").format(n=len(hits)))

    def action_to_results(self) -> None:
        table: DataTable[str] = self.query_one("#results", DataTable)
        if table.row_count:
            table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        hit = next((h for h in self.hits if h.id == event.row_key.value), None)
        if hit is not None:
            self.open_hit(hit)

    def open_hit(self, hit: OfficerHit) -> None:
        from tpsdesk.ui.screens.officer_form import OfficerFormScreen

        self.app.push_screen(
            OfficerFormScreen(unit_of(hit), officer_id=hit.id),
            callback=lambda _result: self.search(self.query_one("#query", Input).value),
        )

    def action_back(self) -> None:
        self.app.pop_screen()


def unit_of(hit: OfficerHit) -> UnitRef:
    from tpsdesk.domain.posts import Unit

    if hit.tps_id is not None and hit.tps_number is not None:
        return UnitRef.for_tps(
            hit.tps_id, hit.tps_number, hit.kelurahan_code or "", hit.kelurahan_name or ""
        )
    if hit.kelurahan_code:
        return UnitRef(Unit.KELURAHAN, hit.kelurahan_code, hit.kelurahan_name or hit.kelurahan_code)
    return UnitRef(Unit.KECAMATAN, hit.kecamatan_code, hit.kecamatan_code)
