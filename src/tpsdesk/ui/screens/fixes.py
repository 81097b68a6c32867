"""The officers the district asks to fix, with its reasons; Enter opens the officer form, C the
district's correction side by side. After a receipt, the same list under what it said."""

from __future__ import annotations

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from tpsdesk.domain.area import format_tps
from tpsdesk.domain.posts import Unit
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.sync.laptop_status import OfficerToFix, needing_fixes
from tpsdesk.terminal import printable
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.units import UnitRef
from tpsdesk.ui.widgets.columns import Column, FitTable
from tpsdesk.ui.widgets.key_bar import KeyBar


def safe(text: str) -> str:
    """Text from a file or the district (names, reasons) for a Static: no markup, no escape
    codes."""
    return escape(printable(text))


def place_of(fix: OfficerToFix) -> str:
    if fix.tps_number is not None:
        return _("TPS {number} {kelurahan}").format(
            number=format_tps(fix.tps_number), kelurahan=fix.kelurahan_name or ""
        )
    return fix.kelurahan_name or fix.kelurahan_code or fix.kecamatan_code


def unit_of(fix: OfficerToFix) -> UnitRef:
    if fix.tps_id is not None and fix.tps_number is not None:
        return UnitRef.for_tps(
            fix.tps_id, fix.tps_number, fix.kelurahan_code or "", fix.kelurahan_name or ""
        )
    if fix.kelurahan_code:
        return UnitRef(Unit.KELURAHAN, fix.kelurahan_code, fix.kelurahan_name or fix.kelurahan_code)
    return UnitRef(Unit.KECAMATAN, fix.kecamatan_code, fix.kecamatan_code)


def reason_of(fix: OfficerToFix) -> str:
    if fix.correction:
        # The stored reason names the command line; on screen the key does the same.
        return _(
            "The district corrected this record, and it was changed here too: press C to "
            "compare both values and take the district's or keep this laptop's."
        )
    from tpsdesk.sync.corrections import CONFLICT_REASON

    if fix.reason in {CONFLICT_REASON, _(CONFLICT_REASON)}:  # taken or kept since
        reason = _("The district corrected this record, and it was changed here too.")
    else:
        reason = fix.reason or _("The district asks for a check of this record.")
    if fix.changed_since:
        reason += " " + _(
            "Changed here since the last bundle: the change goes with the next one, and the "
            "district's next receipt says whether it is right now."
        )
    return reason


class FixesScreen(BaseScreen):
    DEFAULT_CSS = """
    FixesScreen #report, FixesScreen #reason {
        padding: 0 1;
    }
    FixesScreen #reason {
        height: auto;
        max-height: 4;
    }
    """

    BINDINGS = [
        Binding(
            "enter",
            "open",
            N_("Open"),
            id="fixes.open",
            tooltip=N_("Open the officer form of the selected officer"),
            priority=True,  # over the table's own (hidden) Enter, so the footer shows it
        ),
        Binding(
            "c",
            "correction",
            N_("Compare"),
            id="fixes.correction",
            tooltip=N_("The district's correction beside this laptop's values"),
        ),
        Binding("escape", "back", N_("Back"), id="fixes.back"),
    ]

    def __init__(self, *, heading: str | None = None, report: list[str] | None = None) -> None:
        """`heading` and `report`: what a receipt just said (already safe to show), shown
        above the list."""
        super().__init__()
        self.heading = heading
        self.report = report or []
        self.fixes: list[OfficerToFix] = []

    def compose(self) -> ComposeResult:
        yield Header()
        if self.report:
            yield Static("\n".join(self.report), id="report", classes="report")
        yield Static("", id="summary", classes="summary")
        yield FitTable(id="fixes", cursor_type="row", zebra_stripes=True)
        yield Static("", id="reason", classes="reason")
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = self.heading or _("Officers needing a fix")
        # The reason is also shown whole under the table, for the selected officer.
        self.query_one("#fixes", FitTable).set_columns(
            Column("name", _("Name"), shrink_to=14, grow=True),
            Column("post", _("Post")),
            Column("place", _("Place"), shrink_to=12, grow=True),
            Column("reason", _("Reason"), shrink_to=10, drop=1, grow=True),
        )
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    @work(exclusive=True, group="fixes", exit_on_error=False)
    async def load(self) -> None:
        store = self.desk.require_store()
        self.fixes = await self.in_thread(needing_fixes, store)
        table: DataTable[str | Text] = self.query_one("#fixes", DataTable)
        keep_row = table.cursor_row
        table.clear()
        for fix in self.fixes:
            table.add_row(
                Text(printable(fix.name)),
                Text(printable(fix.post_name)),
                Text(printable(place_of(fix))),
                Text(printable(reason_of(fix))),
                key=fix.id,
            )
        summary = self.query_one("#summary", Static)
        if self.fixes:
            corrections = sum(1 for fix in self.fixes if fix.correction)
            text = ngettext(
                "{n} officer needs a fix", "{n} officers need a fix", len(self.fixes)
            ).format(n=len(self.fixes))
            if corrections:
                text += " · " + ngettext(
                    "{n} correction of the district to compare",
                    "{n} corrections of the district to compare",
                    corrections,
                ).format(n=corrections)
            summary.update(text + " — " + _("Enter opens the officer form"))
            table.move_cursor(row=min(keep_row, table.row_count - 1))
        else:
            summary.update(_("No officer needs a fix."))
        table.display = bool(self.fixes)
        self._show_reason()
        self.refresh_bindings()
        table.focus()

    def selected(self) -> OfficerToFix | None:
        table: DataTable[str | Text] = self.query_one("#fixes", DataTable)
        if not self.fixes or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((fix for fix in self.fixes if fix.id == key), None)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_reason()
        # The footer is redrawn only when C (compare) comes or goes: a redraw on every move
        # costs more than a keystroke may.
        fix = self.selected()
        can_compare = fix is not None and bool(fix.correction)
        if can_compare != getattr(self, "_could_compare", None):
            self._could_compare = can_compare
            self.refresh_bindings()

    def _show_reason(self) -> None:
        fix = self.selected()
        reason = self.query_one("#reason", Static)
        reason.display = fix is not None
        if fix is not None:
            reason.update(Text(printable(f"{fix.name}: {reason_of(fix)}")))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "correction":
            fix = self.selected()
            return fix is not None and fix.correction
        if action == "open":
            return bool(self.fixes)
        return True

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        from tpsdesk.ui.screens.officer_form import OfficerFormScreen

        fix = self.selected()
        if fix is not None:
            self.app.push_screen(OfficerFormScreen(unit_of(fix), officer_id=fix.id))

    def action_correction(self) -> None:
        from tpsdesk.ui.screens.correction import CorrectionScreen

        fix = self.selected()
        if fix is not None and fix.correction:
            self.app.push_screen(CorrectionScreen(fix.id))

    def action_back(self) -> None:
        self.app.pop_screen()
