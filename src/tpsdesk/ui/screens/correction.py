"""A district correction that met a change made on this laptop: every field with this laptop's
value beside the district's, the differing ones marked; T takes the district's, K keeps this
laptop's (sync.corrections). Dismissed with True once one was chosen."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Header, Static

from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.store.db import Store, StoreError
from tpsdesk.sync.corrections import resolve_correction
from tpsdesk.sync.laptop_status import correction_sides, shown_value
from tpsdesk.sync.receipt import field_label
from tpsdesk.terminal import printable
from tpsdesk.ui.screens.base import BaseModal
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.widgets.key_bar import KeyBar

DIFFERS = "≠"


def _sides(store: Store, officer_id: str) -> tuple[str, list[tuple[str, str, str, bool]]] | None:
    found = correction_sides(store, officer_id)
    if found is None:
        return None
    officer, _correction, sides = found
    rows = [
        (
            field_label(side.field),
            shown_value(store, side.field, side.mine),
            shown_value(store, side.field, side.district),
            side.differs,
        )
        for side in sides
    ]
    return officer.name, rows


class CorrectionScreen(BaseModal[bool]):
    DEFAULT_CSS = """
    CorrectionScreen > Vertical {
        width: 100%;
        height: 100%;
        background: $surface;
    }
    CorrectionScreen #explain {
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding(
            "t",
            "take",
            N_("Take district's"),
            id="correction.take",
            tooltip=N_("Take the district's values for the marked fields"),
        ),
        Binding(
            "k",
            "keep",
            N_("Keep laptop's"),
            id="correction.keep",
            tooltip=N_("Keep this laptop's values; the district gets them with the next bundle"),
        ),
        Binding("escape", "back", N_("Back"), id="correction.back"),
    ]

    def __init__(self, officer_id: str) -> None:
        super().__init__()
        self.officer_id = officer_id
        self.differing = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Header()
            yield Static("", id="explain", classes="summary")
            yield DataTable(id="sides", cursor_type="row", zebra_stripes=True)
            yield KeyBar()

    def on_mount(self) -> None:
        self.title = _("Correction from the district")
        table: DataTable[str | Text] = self.query_one("#sides", DataTable)
        table.add_column("", key="mark", width=1)
        table.add_column(_("Field"), key="field", width=18)
        table.add_column(_("This laptop"), key="mine", width=26)
        table.add_column(_("District"), key="district", width=26)
        self.load()

    @work(exclusive=True, group="correction", exit_on_error=False)
    async def load(self) -> None:
        store = self.desk.require_store()
        found = await self.in_thread(_sides, store, self.officer_id)
        if found is None:
            self.notify(_("No correction from the district is waiting for this officer."))
            self.dismiss(False)
            return
        name, rows = found
        self.sub_title = printable(name)
        table: DataTable[str | Text] = self.query_one("#sides", DataTable)
        table.clear()
        first_differing: int | None = None
        self.differing = 0
        for label, mine, district, differs in rows:
            style = "bold reverse" if differs else ""
            if differs:
                self.differing += 1
                if first_differing is None:
                    first_differing = table.row_count
            table.add_row(
                DIFFERS if differs else "",
                Text(label, style="bold" if differs else ""),
                Text(printable(mine), style=style),
                Text(printable(district), style=style),
            )
        self.query_one("#explain", Static).update(
            Text(
                ngettext(
                    "{name}: the district corrected {n} field ({mark}) that was changed here "
                    "too. T takes the district's value, K keeps this laptop's.",
                    "{name}: the district corrected {n} fields ({mark}) that were changed here "
                    "too. T takes the district's values, K keeps this laptop's.",
                    self.differing,
                ).format(name=printable(name), n=self.differing, mark=DIFFERS)
            )
        )
        if first_differing is not None:
            table.move_cursor(row=first_differing)
        table.focus()

    def action_take(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._resolve(take=True)

        self.app.push_screen(
            ConfirmScreen(
                ngettext(
                    "Take the district's value for the marked field? This laptop's value of "
                    "it is replaced.",
                    "Take the district's values for the {n} marked fields? This laptop's "
                    "values of them are replaced.",
                    self.differing,
                ).format(n=self.differing)
            ),
            callback=answered,
        )

    def action_keep(self) -> None:
        self._resolve(take=False)

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _resolve(self, *, take: bool) -> None:
        store = self.desk.require_store()
        try:
            await self.in_thread(resolve_correction, store, self.officer_id, take=take)
        except StoreError as error:
            self.notify(str(error), severity="error")
            return
        self.notify(
            _("The district's values were taken; they go with the next bundle.")
            if take
            else _("This laptop's values were kept; they go with the next bundle.")
        )
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)
