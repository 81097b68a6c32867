"""Posts filled against needed per kecamatan, kelurahan and TPS; who has not sent.

One level at a time, under a breadcrumb: Enter goes down (kecamatan → kelurahan → TPS),
Backspace or Esc goes up, o opens the officers of the row; n and s keep the kelurahan that
never sent, or not since a date; w opens the area set-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from tpsdesk.domain.area import format_tps
from tpsdesk.domain.dates import format_date, parse_date
from tpsdesk.domain.posts import Unit
from tpsdesk.i18n import N_, _
from tpsdesk.sync.coverage import Coverage, CoverageRow, late_kelurahan, read_coverage
from tpsdesk.terminal import printable
from tpsdesk.ui.district.pane import DeskPane
from tpsdesk.ui.screens.simple_form import FormField, SimpleForm, SubmitRefused
from tpsdesk.ui.units import UnitRef


@dataclass(frozen=True)
class Filter:
    """Which kelurahan to keep: all (None), those that never sent, or not since a day."""

    never: bool = False
    since: date | None = None

    @property
    def active(self) -> bool:
        return self.never or self.since is not None


def _shown(text: str) -> str:
    """Text from the store (names typed on a laptop, read from a CSV) as plain text."""
    return printable(text)


def _cell(row: CoverageRow) -> str:
    """Places filled of needed (store/completion.py's numbers); ✓ when none is missing."""
    mark = "✓" if row.needed and not row.missing else " "
    return f"{row.filled}/{row.needed} {mark}"


class CoveragePane(DeskPane):
    TITLE = N_("Coverage")

    DEFAULT_CSS = """
    CoveragePane #coverage-path {
        text-style: bold;
        color: $primary;
        padding: 0 1;
    }
    CoveragePane #coverage-filter, CoveragePane #coverage-empty {
        padding: 0 1;
    }
    CoveragePane #coverage-table {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding(
            "enter",
            "down",
            N_("Open"),
            id="coverage.down",
            tooltip=N_("Show the kelurahan of the kecamatan, or the TPS of the kelurahan"),
            priority=True,  # over the table's own (hidden) Enter, so the footer shows it
        ),
        Binding(
            "backspace",
            "up",
            N_("Up"),
            id="coverage.up",
            tooltip=N_("Back to the level above"),
        ),
        Binding("escape", "up", N_("Up"), id="coverage.up_escape", show=False),
        Binding(
            "o",
            "officers",
            N_("Officers"),
            id="coverage.officers",
            tooltip=N_("Open the officers of the selected row"),
        ),
        Binding(
            "n",
            "never",
            N_("Never sent"),
            id="coverage.never",
            tooltip=N_("Show only the kelurahan that never sent a bundle (again: all of them)"),
        ),
        Binding(
            "s",
            "since",
            N_("Not since"),
            id="coverage.since",
            tooltip=N_("Show only the kelurahan that sent nothing since a date"),
        ),
        Binding(
            "w",
            "area",
            N_("Area"),
            id="coverage.area",
            tooltip=N_("Set up the kecamatan, kelurahan and TPS of the district"),
        ),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.coverage: Coverage | None = None
        self.kecamatan: CoverageRow | None = None  # the level shown: None = the district
        self.kelurahan: CoverageRow | None = None
        self.filter = Filter()
        self.away = False  # another screen was opened from here (it may change the store)

    def compose(self) -> ComposeResult:
        yield Static("", id="coverage-path")
        yield Static("", id="coverage-summary", classes="summary")
        yield Static("", id="coverage-filter", classes="hint")
        yield Static("", id="coverage-empty", classes="hint")
        yield DataTable(id="coverage-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#coverage-filter", Static).display = False
        self.query_one("#coverage-empty", Static).display = False
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def _screen_changed(self, screen: Screen[object]) -> None:
        # Back from the officers or the area set-up: they may have changed the store.
        if self.away and screen is self.screen:
            self.away = False
            self.changed()

    # -- reading --------------------------------------------------------------------------

    def load(self) -> None:
        self._load()

    @work(exclusive=True, group="coverage", exit_on_error=False)
    async def _load(self) -> None:
        store = self.desk.require_store()
        table: DataTable[object] = self.query_one("#coverage-table", DataTable)
        if self.coverage is None:
            # Half a second at 100,000 officers. A line, not an animated indicator: that
            # would take the CPU the reading needs. A reload keeps the old numbers shown.
            self.query_one("#coverage-summary", Static).update(_("Reading the coverage…"))
        coverage = await self.in_thread(read_coverage, store)
        self.coverage = coverage
        # Keep the level shown if it still exists (the area may have changed).
        if self.kecamatan is not None:
            self.kecamatan = next(
                (r for r in coverage.kecamatan if r.code == self.kecamatan.code), None
            )
        if self.kelurahan is not None:
            self.kelurahan = next(
                (
                    r
                    for r in coverage.kelurahan_rows()
                    if self.kecamatan is not None and r.code == self.kelurahan.code
                ),
                None,
            )
        self.render_level()
        self.focus_if_shown(table)

    # -- drawing --------------------------------------------------------------------------

    def rows(self) -> list[CoverageRow]:
        """The rows of the level shown, filtered."""
        coverage = self.coverage
        if coverage is None:
            return []
        since = self.filter.since
        if self.kelurahan is not None:
            return coverage.tps.get(self.kelurahan.code, [])
        if self.kecamatan is not None:
            rows = coverage.kelurahan.get(self.kecamatan.code, [])
            if self.filter.active:
                late = set(late_kelurahan(coverage, self.kecamatan.code, since))
                rows = [r for r in rows if r.code in late]
            return rows
        if self.filter.active:
            return [r for r in coverage.kecamatan if late_kelurahan(coverage, r.code, since)]
        return coverage.kecamatan

    def render_level(self) -> None:
        coverage = self.coverage
        if coverage is None:
            return
        table: DataTable[object] = self.query_one("#coverage-table", DataTable)
        empty = self.query_one("#coverage-empty", Static)
        if not coverage.has_area():
            table.clear(columns=True)  # kept shown and focused: the pane's keys work
            empty.display = True
            empty.update(
                _(
                    "No area yet. Press w to load the kecamatan, kelurahan and TPS of the "
                    "district (from a list or one by one)."
                )
            )
            self._render_path()
            self.query_one("#coverage-summary", Static).update("")
            self._render_filter()
            return
        previous = table.cursor_row
        rows = self.rows()
        table.clear(columns=True)
        if self.kelurahan is not None:
            self._tps_columns(table, rows)
        elif self.kecamatan is not None:
            self._kelurahan_columns(table, rows)
        else:
            self._kecamatan_columns(table, rows)
        if table.row_count:
            table.move_cursor(row=min(max(previous, 0), table.row_count - 1))
        self._render_path()
        self._render_summary()
        self._render_filter()
        empty.display = not rows
        if not rows:
            empty.update(_("No kelurahan here matches the filter (n or s changes it)."))
        self.refresh_bindings()

    def _kecamatan_columns(self, table: DataTable[object], rows: list[CoverageRow]) -> None:
        assert self.coverage is not None
        table.add_column(_("Code"), key="code", width=8)
        table.add_column(_("Kecamatan"), key="name", width=17)
        table.add_column(_("Filled"), key="filled", width=12)
        table.add_column(_("To fix"), key="waiting", width=9)
        table.add_column(_("KPJ"), key="enrolled", width=6)
        table.add_column(_("Not sent"), key="late", width=11)
        for row in rows:
            late = len(late_kelurahan(self.coverage, row.code, self.filter.since))
            table.add_row(
                row.code,
                Text(_shown(row.name)),
                _cell(row),
                str(row.waiting),
                str(row.enrolled),
                f"{late}/{row.kelurahan_count}",
                key=row.code,
            )

    def _kelurahan_columns(self, table: DataTable[object], rows: list[CoverageRow]) -> None:
        table.add_column(_("Code"), key="code", width=13)
        table.add_column(_("Kelurahan"), key="name", width=14)
        table.add_column(_("Filled"), key="filled", width=9)
        table.add_column(_("To fix"), key="waiting", width=9)
        table.add_column(_("KPJ"), key="enrolled", width=5)
        table.add_column(_("Last sent"), key="sent", width=14)
        for row in rows:
            sent = (
                format_date(row.last_sent.astimezone().date())
                if row.last_sent is not None
                else _("never")
            )
            table.add_row(
                row.code,
                Text(_shown(row.name)),
                _cell(row),
                str(row.waiting),
                str(row.enrolled),
                sent,
                key=row.code,
            )

    def _tps_columns(self, table: DataTable[object], rows: list[CoverageRow]) -> None:
        table.add_column(_("TPS"), key="tps", width=4)
        table.add_column(_("Address"), key="name", width=24)
        table.add_column(_("Filled"), key="filled", width=9)
        table.add_column(_("To fix"), key="waiting", width=9)
        table.add_column(_("KPJ"), key="enrolled", width=5)
        table.add_column(_("Voters"), key="voters", width=7)
        for row in rows:
            table.add_row(
                format_tps(row.number or 0),
                Text(_shown(row.name)),
                _cell(row),
                str(row.waiting),
                str(row.enrolled),
                "" if row.voters is None else str(row.voters),
                key=row.code,
            )

    def _render_path(self) -> None:
        assert self.coverage is not None
        parts = [self.coverage.district_name or _("District")]
        if self.kecamatan is not None:
            parts.append(_("Kec. {name}").format(name=self.kecamatan.name))
        if self.kelurahan is not None:
            parts.append(_("Kel. {name}").format(name=self.kelurahan.name))
        self.query_one("#coverage-path", Static).update(
            escape(" › ".join(_shown(part) for part in parts))
        )

    def _render_summary(self) -> None:
        assert self.coverage is not None
        scope = self.kelurahan or self.kecamatan or self.coverage.total
        if scope is None:
            return
        self.query_one("#coverage-summary", Static).update(
            _("Posts filled {filled} of {needed} · to fix {waiting} · enrolled {enrolled}").format(
                filled=scope.filled,
                needed=scope.needed,
                waiting=scope.waiting,
                enrolled=scope.enrolled,
            )
        )

    def _render_filter(self) -> None:
        line = self.query_one("#coverage-filter", Static)
        line.display = self.filter.active
        if self.filter.since is not None:
            line.update(
                _("Only kelurahan not sent since {date} · s another date · n all").format(
                    date=format_date(self.filter.since)
                )
            )
        elif self.filter.never:
            line.update(_("Only kelurahan that never sent · n all"))

    # -- moving ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "up":
            return self.kecamatan is not None
        if action in ("down", "officers"):
            return self.selected() is not None
        return True

    def selected(self) -> CoverageRow | None:
        if self.coverage is None or not self.is_mounted:
            return None
        table: DataTable[object] = self.query_one("#coverage-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for row in self.rows() if row.code == key), None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # Redrawing the footer costs more than a keystroke may: only when what the keys can
        # do changed (a row under the cursor or none), not on every move.
        can_open = self.selected() is not None
        if can_open != getattr(self, "_could_open", None):
            self._could_open = can_open
            self.refresh_bindings()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # A mouse click on a row: as Enter.
        event.stop()
        self.action_down()

    def action_down(self) -> None:
        row = self.selected()
        if row is None:
            return
        if row.unit == Unit.KECAMATAN:
            self.kecamatan = row
        elif row.unit == Unit.KELURAHAN:
            self.kelurahan = row
        else:
            self.action_officers()
            return
        self.query_one("#coverage-table", DataTable).move_cursor(row=0)
        self.render_level()

    def action_up(self) -> None:
        table: DataTable[object] = self.query_one("#coverage-table", DataTable)
        came_from = self.kelurahan or self.kecamatan
        if self.kelurahan is not None:
            self.kelurahan = None
        elif self.kecamatan is not None:
            self.kecamatan = None
        else:
            return
        table.move_cursor(row=0)
        self.render_level()
        if came_from is not None:
            codes = [row.code for row in self.rows()]
            if came_from.code in codes:
                table.move_cursor(row=codes.index(came_from.code))

    def action_officers(self) -> None:
        from tpsdesk.ui.screens.unit import UnitScreen

        row = self.selected()
        if row is None:
            return
        if row.unit == Unit.TPS:
            assert row.number is not None and row.kelurahan_code is not None
            unit = UnitRef.for_tps(row.code, row.number, row.kelurahan_code, row.kelurahan_name)
        else:
            unit = UnitRef(unit=row.unit, code=row.code, name=row.name)
        self.away = True
        self.app.push_screen(UnitScreen(unit))

    def action_area(self) -> None:
        from tpsdesk.ui.screens.area import AreaScreen

        self.away = True
        self.app.push_screen(AreaScreen())

    # -- filters --------------------------------------------------------------------------

    def action_never(self) -> None:
        self.filter = Filter() if self.filter.active else Filter(never=True)
        self.render_level()

    def action_since(self) -> None:
        def submit(values: dict[str, str]) -> object:
            raw = values["since"].strip()
            if not raw:
                return Filter()
            day = parse_date(raw)
            if day is None:
                raise SubmitRefused(
                    _("“{text}” is not a date: write it as dd-mm-yyyy, e.g. 17-08-2024.").format(
                        text=escape(_shown(raw))
                    )
                )
            return Filter(since=day)

        current = self.filter.since
        self.app.push_screen(
            SimpleForm(
                _("Kelurahan that sent nothing since"),
                [
                    FormField(
                        "since",
                        _("Date (dd-mm-yyyy)"),
                        value=format_date(current) if current is not None else "",
                        placeholder="17-08-2024",
                    )
                ],
                submit,
                hint=_("Leave it empty to show every kelurahan again."),
            ),
            callback=self._since_chosen,
        )

    def _since_chosen(self, result: object) -> None:
        if isinstance(result, Filter):
            self.filter = result
            self.render_level()
