"""Findings to decide: duplicates, conflicts, duplicate TPS, old copies; paged by kind and area,
newest first; Enter opens one side by side (`finding_detail.py`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Select, Static

from tpsdesk.i18n import N_, _, format_number, ngettext
from tpsdesk.store.db import Store
from tpsdesk.sync import finding_view as view
from tpsdesk.sync.district_models import FindingKind, FindingStatus
from tpsdesk.terminal import printable
from tpsdesk.ui.bindings import translate_bindings
from tpsdesk.ui.district.pane import DeskPane

ALL = "*"


def _date(row: view.FindingRow, resolved: bool) -> str:
    when = row.resolved_at if resolved and row.resolved_at else row.created_at
    return when.strftime("%d-%m-%Y")


def decision_label(decision: str) -> str:
    labels = {
        "keep_one": N_("kept one"),
        "keep_both": N_("kept both"),
        "edit": N_("edited"),
    }
    return _(labels[decision]) if decision in labels else decision


def cell(text: str) -> Text:
    """Text from the store (names, labels), shown as it is: no markup, no control chars."""
    return Text(printable(text))


class FindingsTable(DataTable[Any]):
    """The page of findings; its Enter (open the finding) is shown in the footer."""

    BINDINGS = [Binding("enter", "select_cursor", N_("Open"), id="findings.open")]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)


class FindingsPane(DeskPane):
    TITLE = N_("Findings")

    DEFAULT_CSS = """
    FindingsPane #findings-filters {
        height: 1;
    }
    FindingsPane #findings-filters Select {
        width: 1fr;
    }
    FindingsPane #findings-table {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("space", "mark", N_("Mark"), id="findings.mark"),
        Binding("b", "keep_marked", N_("Keep both"), id="findings.keep_marked", key_display="B"),
        Binding(
            "r", "toggle_resolved", N_("Open/decided"), id="findings.resolved", key_display="R"
        ),
        Binding(
            "left_square_bracket",
            "page(-1)",
            N_("Page"),
            id="findings.previous_page",
            key_display="[ ]",
        ),
        Binding(
            "right_square_bracket",
            "page(1)",
            N_("Next page"),
            id="findings.next_page",
            key_display="]",
            show=False,
        ),
        Binding("k", "focus_kind", N_("Kind"), id="findings.kind", key_display="K", show=False),
        Binding(
            "a", "focus_area", N_("Area filter"), id="findings.area", key_display="A", show=False
        ),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The space bar by its name in the language shown (Textual would write "space").
        self._bindings.key_to_bindings["space"] = [
            replace(binding, key_display=_("Space"))
            for binding in self._bindings.key_to_bindings["space"]
        ]
        self.kind = FindingKind.DUPLICATE_NIK.value
        self.status = FindingStatus.OPEN.value
        self.kecamatan: str | None = None
        self.kelurahan: str | None = None
        self.start = 0
        self.total = 0
        self.marked: set[str] = set()
        self.rows: list[view.FindingRow] = []
        self.kelurahan_of: dict[str, list[view.AreaChoice]] = {}
        self._quiet = 0  # Select.Changed events set by the pane itself, to ignore
        self._drawn_width = 0  # the width the columns were last drawn for

    def compose(self) -> ComposeResult:
        with Horizontal(id="findings-filters"):
            yield Select(
                [(_(view.KIND_SHORT[k]), k) for k in view.KINDS],
                id="findings-kind",
                value=self.kind,
                allow_blank=False,
                compact=True,
            )
            yield Select(
                [(_("Every kecamatan"), ALL)],
                id="findings-kecamatan",
                value=ALL,
                allow_blank=False,
                compact=True,
            )
            yield Select(
                [(_("Every kelurahan"), ALL)],
                id="findings-kelurahan",
                value=ALL,
                allow_blank=False,
                compact=True,
            )
        yield Static("", id="findings-info", classes="hint")
        yield FindingsTable(id="findings-table", cursor_type="row", zebra_stripes=True)

    # -- reading ---------------------------------------------------------------------------

    def load(self, *, counts: bool = True) -> None:
        """Read the page (and the counts per kind, unless only the page changed)."""
        self._load(counts)

    @work(exclusive=True, group="findings-load", exit_on_error=False)
    async def _load(self, with_counts: bool = True) -> None:
        store = self.desk.require_store()
        if with_counts:
            # The area may have changed since (a merge, the area screen): the filters follow,
            # keeping what is chosen while it still exists.
            kecamatan, self.kelurahan_of = await self.in_thread(view.area_choices, store)
            if self.kecamatan not in {a.code for a in kecamatan}:
                self.kecamatan = self.kelurahan = None
            kelurahan = self.kelurahan_of.get(self.kecamatan or "", [])
            if self.kelurahan not in {a.code for a in kelurahan}:
                self.kelurahan = None
            self._set_options(
                "#findings-kecamatan",
                [(_("Every kecamatan"), ALL), *((cell(a.name), a.code) for a in kecamatan)],
                self.kecamatan or ALL,
            )
            self._set_options(
                "#findings-kelurahan",
                [(_("Every kelurahan"), ALL), *((cell(a.name), a.code) for a in kelurahan)],
                self.kelurahan or ALL,
            )
        counts, found = await self.in_thread(self._read, store, with_counts)
        self.start = found.offset
        self.total = found.total
        self.rows = found.rows
        if counts is not None:
            self._set_options(
                "#findings-kind",
                [
                    (f"{_(view.KIND_SHORT[k])} ({format_number(counts.get(k, 0))})", k)
                    for k in view.KINDS
                ],
                self.kind,
            )
        self.draw()
        table = self.query_one("#findings-table", DataTable)
        if not isinstance(self.screen.focused, Select):
            self.focus_if_shown(table)

    def _read(
        self, store: Store, with_counts: bool
    ) -> tuple[dict[str, int] | None, view.FindingPage]:
        counts = (
            view.counts(
                store, status=self.status, kecamatan=self.kecamatan, kelurahan=self.kelurahan
            )
            if with_counts
            else None
        )
        found = view.page(
            store,
            kind=self.kind,
            status=self.status,
            kecamatan=self.kecamatan,
            kelurahan=self.kelurahan,
            offset=self.start,
        )
        return counts, found

    def _set_options(
        self, selector: str, options: list[tuple[str | Text, str]], value: str = ALL
    ) -> None:
        select: Select[str] = self.query_one(selector, Select)
        self._quiet += 1
        with select.prevent(Select.Changed):
            select.set_options(options)
            select.value = value
        self._quiet -= 1

    # -- drawing ---------------------------------------------------------------------------

    def resolved(self) -> bool:
        return self.status == FindingStatus.RESOLVED.value

    def on_resize(self, event: events.Resize) -> None:
        # Column widths follow the pane's width: drawn while the tab was closed (read ahead,
        # width 0) or before the terminal was resized, they are drawn again.
        if event.size.width and event.size.width != self._drawn_width and self.rows:
            self.draw()

    def draw(self) -> None:
        self._drawn_width = self.size.width
        table: DataTable[Any] = self.query_one("#findings-table", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        resolved = self.resolved()
        # Widths that keep every column on an 80-column screen (cells are cut to fit).
        spare = max(20, self.size.width - 3 - 12 - 2)
        table.add_column("", key="mark", width=1)
        table.add_column(_("Decided") if resolved else _("Found"), key="date", width=10)
        if resolved:
            table.add_column(_("Place"), key="place", width=spare * 30 // 100 - 2)
            table.add_column(_("Decided by"), key="by", width=spare * 20 // 100 - 2)
            table.add_column(_("Decision"), key="decision", width=spare * 22 // 100 - 2)
            table.add_column(_("Who"), key="who", width=spare * 28 // 100 - 2)
        else:
            table.add_column(_("Place"), key="place", width=spare * 38 // 100 - 2)
            table.add_column(_("Who"), key="who", width=spare * 32 // 100 - 2)
            table.add_column(_("About"), key="about", width=spare * 30 // 100 - 2)
        for row in self.rows:
            cells: list[Any] = [
                "✓" if row.id in self.marked else "",
                _date(row, resolved),
                cell(row.place),
            ]
            if resolved:
                cells += [cell(row.resolved_by), decision_label(row.decision), cell(row.people)]
            else:
                cells += [cell(row.people), cell(row.summary)]
            table.add_row(*cells, key=row.id)
        if self.rows:
            table.move_cursor(row=min(max(cursor, 0), len(self.rows) - 1))
        self.query_one("#findings-info", Static).update(self._info())

    def _info(self) -> str:
        status = _("decided") if self.resolved() else _("open")
        kind = _(view.KIND_SHORT.get(self.kind, self.kind))
        if not self.total:
            shown = _("No findings here.")
        else:
            shown = _("Showing {first}–{last} of {total}").format(
                first=format_number(self.start + 1),
                last=format_number(self.start + len(self.rows)),
                total=format_number(self.total),
            )
        parts = [shown, f"{kind}, {status}"]
        if self.marked:
            parts.append(
                ngettext("{n} marked", "{n} marked", len(self.marked)).format(n=len(self.marked))
            )
        return " · ".join(parts)

    # -- filters ---------------------------------------------------------------------------

    @on(Select.Changed)
    def _filter_changed(self, event: Select.Changed) -> None:
        event.stop()
        if self._quiet or event.value is Select.NULL:
            return
        if not self.is_shown:  # a Select announcing its first value while the tab is closed
            return
        value = str(event.value)
        if event.select.id == "findings-kind":
            if value == self.kind:
                return
            self.kind = value
            self.marked.clear()
        elif event.select.id == "findings-kecamatan":
            self.kecamatan = None if value == ALL else value
            self.kelurahan = None
            choices = self.kelurahan_of.get(value, []) if self.kecamatan else []
            self._set_options(
                "#findings-kelurahan",
                [(_("Every kelurahan"), ALL), *((cell(a.name), a.code) for a in choices)],
            )
        elif event.select.id == "findings-kelurahan":
            self.kelurahan = None if value == ALL else value
        else:
            return
        self.start = 0
        self.load()

    def choose_kind(self, kind: str) -> None:
        self.query_one("#findings-kind", Select).value = kind

    def action_focus_kind(self) -> None:
        self.query_one("#findings-kind", Select).focus()

    def action_focus_area(self) -> None:
        self.query_one("#findings-kecamatan", Select).focus()

    def action_toggle_resolved(self) -> None:
        self.status = FindingStatus.OPEN.value if self.resolved() else FindingStatus.RESOLVED.value
        self.start = 0
        self.marked.clear()
        self.load()

    def action_page(self, step: int) -> None:
        offset = self.start + step * view.PAGE
        if 0 <= offset < self.total and offset != self.start:
            self.start = offset
            self.load(counts=False)

    # -- acting ----------------------------------------------------------------------------

    def current(self) -> view.FindingRow | None:
        table: DataTable[Any] = self.query_one("#findings-table", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowSelected, "#findings-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        from tpsdesk.ui.district.finding_detail import FindingDetailScreen

        row = self.current()
        if row is None:
            return

        def closed(decided: bool | None) -> None:
            if decided:
                self.marked.discard(row.id)
                self.changed()

        self.app.push_screen(FindingDetailScreen(row.id), closed)

    def action_mark(self) -> None:
        row = self.current()
        if row is None:
            return
        if row.kind != FindingKind.LIKELY_DUPLICATE.value or self.resolved():
            self.notify(_("Only open likely duplicates are marked, to keep both at once."))
            return
        if row.id in self.marked:
            self.marked.remove(row.id)
        else:
            self.marked.add(row.id)
        table: DataTable[Any] = self.query_one("#findings-table", DataTable)
        table.update_cell(row.id, "mark", "✓" if row.id in self.marked else "")
        self.query_one("#findings-info", Static).update(self._info())

    def action_keep_marked(self) -> None:
        from tpsdesk.ui.screens.confirm import ConfirmScreen

        if not self.marked:
            self.notify(
                _("Mark the likely duplicates you checked with Space first."), severity="warning"
            )
            return
        chosen = sorted(self.marked)
        if self.desk.require_store().role == "province":  # it sends no receipts
            question = ngettext(
                "Keep both records of {n} likely duplicate? They all stay as they are.",
                "Keep both records of {n} likely duplicates? They all stay as they are.",
                len(chosen),
            ).format(n=len(chosen))
        else:
            question = ngettext(
                "Keep both records of {n} likely duplicate? They all stay as they are, and "
                "the decision goes to the laptops with their next receipts.",
                "Keep both records of {n} likely duplicates? They all stay as they are, and "
                "the decision goes to the laptops with their next receipts.",
                len(chosen),
            ).format(n=len(chosen))

        def answered(yes: bool | None) -> None:
            if yes:
                self._keep_both(chosen)

        self.app.push_screen(ConfirmScreen(question), answered)

    @work(exclusive=True, group="findings-bulk", exit_on_error=False)
    async def _keep_both(self, chosen: list[str]) -> None:
        from tpsdesk.sync import district
        from tpsdesk.sync.errors import SyncError

        store = self.desk.require_store()
        info = self.query_one("#findings-info", Static)
        failed: list[str] = []
        for number, finding_id in enumerate(chosen, start=1):
            info.update(_("Keeping both: {n}/{total}").format(n=number, total=len(chosen)))
            try:
                await self.in_thread(
                    district.resolve_finding, store, finding_id, district.Decision.KEEP_BOTH
                )
            except SyncError as exc:
                failed.append(f"{finding_id[:12]}: {exc.message}")
            self.marked.discard(finding_id)
        if failed:
            from tpsdesk.ui.screens.message import MessageScreen

            self.app.push_screen(MessageScreen(_("Some findings were not decided:"), failed))
        else:
            self.notify(
                ngettext("{n} finding decided.", "{n} findings decided.", len(chosen)).format(
                    n=len(chosen)
                )
            )
        self.changed()
