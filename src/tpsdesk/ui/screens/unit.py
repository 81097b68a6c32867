"""The officers of one TPS (or kelurahan, or kecamatan), by post, with the empty places shown."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from tpsdesk.domain.dates import format_date
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.store import completion, officers
from tpsdesk.store.db import Store, StoreError
from tpsdesk.store.models import Officer
from tpsdesk.sync.laptop_status import roster_status
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.units import UnitRef
from tpsdesk.ui.widgets.columns import Column, FitTable
from tpsdesk.ui.widgets.key_bar import KeyBar

EMPTY_PREFIX = "empty:"


class UnitScreen(BaseScreen):
    BINDINGS = [
        Binding(
            "n",
            "new",
            N_("Add"),
            id="unit.new",
            tooltip=N_("Add an officer to the next empty post"),
        ),
        Binding(
            "enter",
            "open",
            N_("Edit"),
            id="unit.edit",
            tooltip=N_("Fill or edit the selected row"),
            priority=True,  # over the table's own (hidden) Enter, so the footer shows it
        ),
        Binding(
            "delete",
            "delete",
            N_("Delete"),
            id="unit.delete",
            tooltip=N_("Delete the selected officer"),
        ),
        Binding(
            "u",
            "undo",
            N_("Undo delete"),
            id="unit.undo",
            tooltip=N_("Bring back the last deleted officer"),
        ),
        Binding("escape", "back", N_("Back"), id="unit.back"),
        Binding("slash", "app.search", N_("Search"), id="unit.search", show=False),
    ]

    def __init__(self, unit: UnitRef) -> None:
        super().__init__()
        self.unit = unit
        self.rows: list[Officer] = []
        self.deleted: list[str] = []
        # Set when the officer form closes; read by whichever load runs last (the one the
        # form's result starts, or the one the screen's resume starts: each cancels the other).
        self.focus_after: str | None = None
        self.add_after = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="summary", classes="summary")
        yield FitTable(id="officers", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = self.unit.title
        table = self.query_one("#officers", FitTable)
        # Post and status always whole; at 60 columns sex, birth date and NIK make way.
        table.set_columns(
            Column("post", _("Post")),
            Column("nik", _("NIK"), drop=2),
            Column("name", _("Name"), shrink_to=14, grow=True),
            # i18n: a three-letter column header for sex (L/P)
            Column("sex", _("L/P"), drop=4),
            Column("born", _("Born"), drop=3),
            Column("status", _("Status")),
        )
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    @work(exclusive=True, group="unit", exit_on_error=False)
    async def load(self, focus_id: str | None = None) -> None:
        store = self.desk.require_store()
        self.rows = await self.in_thread(
            officers.officers_for_unit, store, self.unit.unit, self.unit.code
        )
        fills = await self.in_thread(completion.unit_fills, store, self.unit.unit, self.unit.code)
        # On an enrolled laptop the status says where each officer stands in sync.
        enrolled = await self.in_thread(_enrolled, store)
        focus_id = focus_id or self.focus_after
        add_next, self.focus_after, self.add_after = self.add_after, None, False
        table: DataTable[str] = self.query_one("#officers", DataTable)
        keep_row = table.cursor_row
        table.clear()
        by_post: dict[str, list[Officer]] = {}
        for hit in self.rows:
            by_post.setdefault(hit.post_code, []).append(hit)
        focus_index: int | None = None

        def add_officer_row(post_name: str, hit: Officer) -> None:
            nonlocal focus_index
            if hit.id == focus_id:
                focus_index = table.row_count
            table.add_row(
                post_name,
                hit.nik,
                hit.name,
                hit.sex,
                format_date(hit.birth_date),
                roster_status(hit.status, enrolled=enrolled),
                key=hit.id,
            )

        # Places and who fills them: completion.py's, as the dashboard counts them.
        for post in fills.posts:
            hits = by_post.pop(post.post_code, [])
            for hit in hits:
                add_officer_row(post.post_name, hit)
            for index in range(post.missing):
                table.add_row(
                    post.post_name,
                    "",
                    _("— empty —"),
                    "",
                    "",
                    "",
                    key=f"{EMPTY_PREFIX}{post.post_code}:{index}",
                )
        for leftover in by_post.values():  # saved between the two reads: shown all the same
            for hit in leftover:
                add_officer_row(hit.post_code, hit)
        summary = _places_summary(fills)
        self.query_one("#summary", Static).update(summary)
        if table.row_count:
            row = focus_index if focus_index is not None else min(keep_row, table.row_count - 1)
            table.move_cursor(row=row)
        table.focus()
        if add_next:
            post_code = self._first_empty_post()
            if post_code is None:
                self.notify(summary)
            else:
                self._edit(None, post_code)

    def _selected_key(self) -> str | None:
        table: DataTable[str] = self.query_one("#officers", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._open_key(event.row_key.value)

    def action_open(self) -> None:
        self._open_key(self._selected_key())

    def _open_key(self, key: str | None) -> None:
        if key is None:
            return
        if key.startswith(EMPTY_PREFIX):
            post_code = key[len(EMPTY_PREFIX) :].split(":", 1)[0]
            self._edit(None, post_code)
        else:
            self._edit(key, None)

    def action_new(self) -> None:
        self._edit(None, self._first_empty_post())

    def _first_empty_post(self) -> str | None:
        table: DataTable[str] = self.query_one("#officers", DataTable)
        for row_key in table.rows:
            if row_key.value and row_key.value.startswith(EMPTY_PREFIX):
                return row_key.value[len(EMPTY_PREFIX) :].split(":", 1)[0]
        return None

    def _edit(self, officer_id: str | None, post_code: str | None) -> None:
        from tpsdesk.ui.screens.officer_form import FormResult, OfficerFormScreen

        def saved(result: FormResult | None) -> None:
            if result is not None:
                self.focus_after = result.officer_id
                self.add_after = result.add_next
                self.load()

        self.app.push_screen(
            OfficerFormScreen(self.unit, officer_id=officer_id, post_code=post_code), callback=saved
        )

    def action_delete(self) -> None:
        key = self._selected_key()
        if key is None or key.startswith(EMPTY_PREFIX):
            return
        hit = next((row for row in self.rows if row.id == key), None)
        if hit is None:
            return
        post = self.desk.require_store().catalogue.get(hit.post_code)

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(key)

        self.app.push_screen(
            ConfirmScreen(
                _("Delete {name} ({post})? You can bring the record back with U.").format(
                    name=hit.name, post=post.name if post else hit.post_code
                )
            ),
            callback=answered,
        )

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _delete(self, officer_id: str) -> None:
        store = self.desk.require_store()
        await self.in_thread(officers.delete_officer, store, officer_id)
        self.deleted.append(officer_id)
        self.refresh_bindings()
        self.notify(_("Officer deleted. Press U to undo."))
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo":
            return bool(self.deleted)  # in the footer only when there is something to undo
        return True

    def action_undo(self) -> None:
        if not self.deleted:
            self.notify(_("Nothing to undo."), severity="warning")
            return
        self._undo(self.deleted.pop())
        self.refresh_bindings()

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _undo(self, officer_id: str) -> None:
        store = self.desk.require_store()
        try:
            await self.in_thread(officers.undo_delete, store, officer_id)
        except StoreError as error:  # e.g. the NIK is in this TPS again: U may try once more
            self.deleted.append(officer_id)
            self.refresh_bindings()
            self.notify(error.message, severity="error", timeout=10)
            return
        self.notify(_("Officer restored."))
        self.load(focus_id=officer_id)

    def action_back(self) -> None:
        self.app.pop_screen()


def _places_summary(fills: completion.Fills) -> str:
    summary = _("Posts filled {filled} of {needed}").format(
        filled=fills.filled, needed=fills.needed
    )
    if fills.extra:
        summary += " · " + ngettext(
            "{n} officer beyond their post's places",
            "{n} officers beyond their post's places",
            fills.extra,
        ).format(n=fills.extra)
    return summary


def _enrolled(store: Store) -> bool:
    from tpsdesk.sync.setup import installed_setup

    return store.role == "field" and installed_setup(store) is not None
