"""Dashboard: posts filled against posts needed, per TPS and per kelurahan/kecamatan,
incomplete ones first."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from tpsdesk.domain.area import format_tps
from tpsdesk.domain.posts import Unit
from tpsdesk.i18n import N_, _
from tpsdesk.store import completion
from tpsdesk.store.db import Store
from tpsdesk.store.election import ElectionStatus, election_status
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.units import UnitRef
from tpsdesk.ui.widgets.columns import Column, FitTable
from tpsdesk.ui.widgets.key_bar import KeyBar

PAGE_SIZE = 100
# F4 imports and F6 exports share one footer label: at 80 columns in Indonesian there is no
# room for both of theirs. F1 help and the tooltips name each.


def family_of(post_code: str) -> str:
    """Chair and members of one body share a column: kpps_ketua + kpps_anggota → kpps."""
    return post_code.split("_", 1)[0]


def family_label(family: str) -> str:
    labels = {"kpps": "KPPS", "linmas": "Linmas", "ptps": "PTPS", "pantarlih": "Pantarlih"}
    return labels.get(family, family.upper())


class DashboardScreen(BaseScreen):
    BINDINGS = [
        Binding(
            "enter",
            "open_selected",
            N_("Open"),
            id="dashboard.open",
            tooltip=N_("Open the officers of the selected TPS or unit"),
            priority=True,  # over the table's own (hidden) Enter, so the footer shows it
        ),
        Binding(
            "f2",
            "area",
            N_("Area"),
            id="dashboard.area",
            tooltip=N_("Set up kecamatan, kelurahan and TPS"),
        ),
        Binding(
            "f4",
            "import_officers",
            N_("Import"),
            id="dashboard.import",
            tooltip=N_("Import officers from a spreadsheet (XLSX, XLS, ODS) or CSV file"),
        ),
        Binding(
            "f6",
            "exports",
            N_("Export"),
            id="dashboard.export",
            tooltip=N_("Write the BPJS sheet, the budget or the completion report"),
        ),
        Binding(
            "f7",
            "sync",
            N_("Sync"),
            id="dashboard.sync",
            tooltip=N_("Enrol, send changes to the district, read its receipt"),
        ),
        Binding(
            "t",
            "other_tab",
            N_("Other tab"),
            id="dashboard.other_tab",
            tooltip=N_("Switch between the TPS and the kelurahan and kecamatan tab"),
        ),
        Binding(
            "p",
            "fixes",
            N_("Fixes"),
            id="dashboard.fixes",
            tooltip=N_("The officers the district asks to fix"),
            show=False,  # the banner above the table says "press P"
        ),
        Binding(
            "f8",
            "settings",
            N_("Settings"),
            id="dashboard.settings",
            tooltip=N_("Operator name, language, passphrase"),
            show=False,  # 80 columns in Indonesian leave no room once F7 is there; F1 lists it
        ),
        # The dashboard reloads whenever it comes back into view; F5 is there for habit.
        Binding("f5", "refresh", N_("Refresh"), id="dashboard.refresh", show=False),
        Binding(
            "right_square_bracket",
            "page(1)",
            N_("Next page"),
            id="dashboard.next_page",
            key_display="]",
        ),
        Binding(
            "left_square_bracket",
            "page(-1)",
            N_("Previous page"),
            id="dashboard.previous_page",
            key_display="[",
        ),
        Binding("slash", "app.search", N_("Search"), id="dashboard.search", show=False),
        Binding(
            "e",
            "election",
            N_("Election settings"),
            id="dashboard.election",
            tooltip=N_("Duty periods and honoraria of every post"),
            show=False,  # the election banner says "press E"; F1 lists it
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page = 0
        self.tps_rows: list[completion.TpsCompletion] = []
        self.unit_rows: list[completion.UnitCompletion] = []
        self.families: list[str] = []
        self.to_fix = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="summary", classes="summary")
        # What the district's last receipt asks to fix (field laptops): P opens the list.
        yield Static("", id="fix-banner", classes="warning summary")
        election = Static("", id="election-banner", classes="warning summary")  # store.election
        election.display = False  # until the store says there is something to say
        yield election
        with TabbedContent(id="tabs"):
            with TabPane(_("TPS"), id="tab-tps"):
                yield FitTable(id="tps-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="page-info", classes="hint")
            with TabPane(_("Kelurahan and kecamatan"), id="tab-units"):
                yield FitTable(id="unit-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="empty", classes="empty")
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = _("Completion per TPS")
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    @work(exclusive=True, group="dashboard", exit_on_error=False)
    async def load(self) -> None:
        store = self.desk.require_store()
        tps_rows, unit_rows = await self.in_thread(_load_completion, store)
        self._show_fixes(*await self.in_thread(_fix_counts, store))
        self._show_election(await self.in_thread(election_status, store, self.desk.today))
        self.tps_rows = tps_rows
        self.unit_rows = unit_rows
        families: list[str] = []
        for post in store.catalogue.for_unit(Unit.TPS):
            family = family_of(post.code)
            if family not in families:
                families.append(family)
        self.families = families
        self.page = min(self.page, max(0, (len(tps_rows) - 1) // PAGE_SIZE))
        self._render_summary()
        self._render_tps_page()
        self._render_units()
        self.refresh_bindings()
        if self.focused is None or not isinstance(self.focused, DataTable):
            # Arrow keys must move through the TPS list, not along the tabs.
            self.query_one("#tps-table", DataTable).focus()

    def _render_summary(self) -> None:
        total = completion.AreaFill.total([*self.tps_rows, *self.unit_rows])
        incomplete = sum(1 for row in self.tps_rows if not row.complete)
        summary = self.query_one("#summary", Static)
        empty = self.query_one("#empty", Static)
        tabs = self.query_one("#tabs", TabbedContent)
        if not self.tps_rows and not self.unit_rows:
            summary.update("")
            tabs.display = False
            empty.display = True
            empty.update(
                _("No area yet. Press F2 to set up the kecamatan, kelurahan and TPS of this desk.")
            )
            return
        tabs.display = True
        empty.display = False
        summary.update(
            _("{tps} TPS, {incomplete} incomplete · posts filled {filled} of {needed}").format(
                tps=len(self.tps_rows),
                incomplete=incomplete,
                filled=total.filled,
                needed=total.needed,
            )
        )

    def _render_tps_page(self) -> None:
        table = self.query_one("#tps-table", FitTable)
        # TPS and filled always whole; when narrow, the kelurahan is cut, then the last
        # families go (the filled column still counts them).
        table.set_columns(
            Column("kelurahan", _("Kelurahan"), shrink_to=10, grow=True),
            Column("tps", _("TPS")),
            Column("filled", _("Filled")),
            *(
                Column(family, family_label(family), drop=index + 1)
                for index, family in enumerate(self.families)
            ),
        )
        start = self.page * PAGE_SIZE
        for row in self.tps_rows[start : start + PAGE_SIZE]:
            cells = [
                row.kelurahan_name,
                format_tps(row.number),
                _cell(row),
            ]
            for family in self.families:
                posts = [p for p in row.posts if family_of(p.post_code) == family]
                cells.append(_cell(completion.AreaFill.total(posts)))
            table.add_row(*cells, key=f"tps:{row.tps_id}")
        pages = max(1, (len(self.tps_rows) + PAGE_SIZE - 1) // PAGE_SIZE)
        info = self.query_one("#page-info", Static)
        info.display = pages > 1
        info.update(
            _("Page {page} of {pages} — [ and ] change page").format(
                page=self.page + 1, pages=pages
            )
        )

    def _render_units(self) -> None:
        table = self.query_one("#unit-table", FitTable)
        table.set_columns(
            Column("unit", _("Unit"), drop=1),
            Column("name", _("Name"), shrink_to=12, grow=True),
            Column("filled", _("Filled")),
            Column("posts", _("Posts"), shrink_to=16, grow=True),
        )
        for row in self.unit_rows:
            parts = [f"{p.post_name} {_places(p)}" for p in row.posts]
            unit_label = _("Kelurahan") if row.unit == Unit.KELURAHAN else _("Kecamatan")
            table.add_row(
                unit_label,
                row.name,
                _cell(row),
                ", ".join(parts),
                key=f"{row.unit.value}:{row.code}",
            )

    def _show_fixes(self, to_fix: int, corrections: int) -> None:
        from tpsdesk.ui.screens.sync_screen import fixes_banner

        self.to_fix = to_fix
        banner = self.query_one("#fix-banner", Static)
        banner.update(fixes_banner(to_fix, corrections, key="P"))
        banner.display = bool(to_fix)

    def _show_election(self, status: ElectionStatus) -> None:
        from tpsdesk.ui.screens.first_start import election_banner

        banner = self.query_one("#election-banner", Static)
        banner.update(election_banner(status, key="E"))
        banner.display = status.anything

    def action_election(self) -> None:
        from tpsdesk.ui.screens.pay_settings import PaySettingsScreen

        self.app.push_screen(PaySettingsScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "page":
            return len(self.tps_rows) > PAGE_SIZE
        if action == "fixes":
            return self.to_fix > 0
        if action == "sync":  # a field laptop's (a district store opens the desk)
            store = self.desk.store
            return store is not None and store.role == "field"
        return True

    def action_other_tab(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        if not tabs.display:
            return
        tabs.active = "tab-units" if tabs.active == "tab-tps" else "tab-tps"
        table_id = "#tps-table" if tabs.active == "tab-tps" else "#unit-table"
        self.query_one(table_id, DataTable).focus()

    def action_page(self, step: int) -> None:
        pages = max(1, (len(self.tps_rows) + PAGE_SIZE - 1) // PAGE_SIZE)
        page = min(max(0, self.page + step), pages - 1)
        if page != self.page:
            self.page = page
            self._render_tps_page()

    def _selected_unit(self) -> UnitRef | None:
        tabs = self.query_one("#tabs", TabbedContent)
        table_id = "#tps-table" if tabs.active == "tab-tps" else "#unit-table"
        table: DataTable[str] = self.query_one(table_id, DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._unit_for_key(key) if key else None

    def _unit_for_key(self, key: str) -> UnitRef | None:
        kind, _sep, ident = key.partition(":")
        if kind == "tps":
            for row in self.tps_rows:
                if row.tps_id == ident:
                    return UnitRef.for_tps(
                        row.tps_id, row.number, row.kelurahan_code, row.kelurahan_name
                    )
        for unit_row in self.unit_rows:
            if unit_row.unit.value == kind and unit_row.code == ident:
                return UnitRef(unit=unit_row.unit, code=unit_row.code, name=unit_row.name)
        return None

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        unit = self._unit_for_key(key) if key else None
        if unit is not None:
            self._open(unit)

    def action_open_selected(self) -> None:
        unit = self._selected_unit()
        if unit is not None:
            self._open(unit)

    def _open(self, unit: UnitRef) -> None:
        from tpsdesk.ui.screens.unit import UnitScreen

        self.app.push_screen(UnitScreen(unit))

    def action_sync(self) -> None:
        from tpsdesk.ui.screens.sync_screen import SyncScreen

        self.app.push_screen(SyncScreen())

    def action_fixes(self) -> None:
        from tpsdesk.ui.screens.fixes import FixesScreen

        self.app.push_screen(FixesScreen())

    def action_settings(self) -> None:
        from tpsdesk.ui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen())

    def action_import_officers(self) -> None:
        from tpsdesk.ui.screens.officer_import import OfficerImportScreen

        self.app.push_screen(OfficerImportScreen())

    def action_exports(self) -> None:
        from tpsdesk.ui.screens.exports import ExportsScreen

        self.app.push_screen(ExportsScreen())

    def action_area(self) -> None:
        from tpsdesk.ui.screens.area import AreaScreen

        self.app.push_screen(AreaScreen())


def _places(fill: completion.Fills | completion.AreaFill | completion.PostFill) -> str:
    """Places filled of needed, and the officers beyond them: "6/7 +5" (completion.py's)."""
    extra = f" +{fill.extra}" if fill.extra else ""
    return f"{fill.filled}/{fill.needed}{extra}"


def _cell(fill: completion.Fills | completion.AreaFill) -> str:
    mark = "✓" if fill.needed and fill.complete else " "
    return f"{_places(fill)} {mark}"


def _fix_counts(store: Store) -> tuple[int, int]:
    from tpsdesk.sync.laptop_status import fix_counts

    return fix_counts(store) if store.role == "field" else (0, 0)


def _load_completion(
    store: Store,
) -> tuple[list[completion.TpsCompletion], list[completion.UnitCompletion]]:
    return completion.tps_completion(store), completion.unit_completion(store)
