"""Officer import (F4 on the dashboard): choose an XLSX or CSV list in the folder tree, preview
what it would change, correct the heading → field mapping, then import the valid rows after a
confirmation.

The reading and checking is `exchange.officer_sheet.preview_officer_import` (nothing is written);
the writing is `apply_officer_import`, one transaction. Both run in thread workers with a
progress bar. The preview lists every officer an update changes with each field old → new, the
rows whose NIK the district removed as a duplicate (skipped unless the user ticks the box that
adds them again), and the invalid rows, a page at a time: a file may have ten thousand of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Checkbox,
    DataTable,
    Header,
    Input,
    Label,
    ProgressBar,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from tpsdesk.exchange.officer_sheet import (
    IGNORE,
    TARGET_FIELDS,
    TARGET_LABELS,
    MappedColumn,
    NoNikColumn,
    OfficerImportPreview,
    apply_officer_import,
    describe_counts,
    describe_imported,
    describe_left,
    preview_officer_import,
    save_mapping,
)
from tpsdesk.exchange.sheet_reader import SheetError
from tpsdesk.i18n import N_, _, ngettext, os_error_text
from tpsdesk.store import areas
from tpsdesk.store.db import StoreError
from tpsdesk.store.models import Kelurahan
from tpsdesk.store.officer_import import ImportCounts, ImportPlan, PlannedRow, RowProblem, RowStatus
from tpsdesk.terminal import printable
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.message import MessageScreen
from tpsdesk.ui.widgets.key_bar import KeyBar

PAGE_SIZE = 200  # invalid-row problems rendered at once; the rest are a keypress away
PLACE_PURPOSE = "officer-import"  # the picker opens in the folder chosen last time
OFFICER_FILE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


def clean_path(raw: str) -> Path | None:
    """What people paste: quoted, with ~; None when empty."""
    text = raw.strip().strip('"').strip("'").strip()
    return Path(text).expanduser() if text else None


class OfficerImportScreen(BaseScreen):
    BINDINGS = [
        Binding(
            "f2",
            "preview",
            N_("Preview"),
            id="import.preview",
            tooltip=N_("Read the file with the mapping shown; nothing is written"),
        ),
        Binding(
            "f5",
            "choose_file",
            N_("Choose file"),
            id="import.choose",
            tooltip=N_("Choose the file to import in the folder tree"),
        ),
        Binding(
            "f4",
            "import_rows",
            N_("Import"),
            id="import.apply",
            tooltip=N_("Import the valid rows of the preview, after a confirmation"),
        ),
        Binding(
            "right_square_bracket",
            "page(1)",
            N_("Next page"),
            id="import.next_page",
            key_display="]",
            show=False,  # the line under the table says it; the footer has no room
        ),
        Binding(
            "left_square_bracket",
            "page(-1)",
            N_("Previous page"),
            id="import.previous_page",
            key_display="[",
            show=False,
        ),
        Binding("escape", "back", N_("Back"), id="import.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._picker_opened = False
        self.preview: OfficerImportPreview | None = None
        self.problems: list[RowProblem] = []
        self.page = 0
        self.change_page = self.removed_page = 0
        self.overrides: dict[str, str] = {}  # heading → field corrections made here
        # The headings shown in the Columns tab, and the file they are from.
        self.columns: list[MappedColumn] = []
        self.columns_path: Path | None = None
        self.busy = False
        self.path: Path | None = None  # the file chosen in the picker
        self.updated: list[PlannedRow] = []  # the preview's updated rows, as the table shows
        self.removed: list[PlannedRow] = []  # rows whose NIK the district removed

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="import-form"):
            with Horizontal(classes="field-row"):
                yield Label(_("File (XLSX, XLS, ODS, CSV)"), classes="field-label")
                yield Static(_("none chosen yet: F5 chooses it"), id="file", classes="hint")
            with Horizontal(classes="field-row"):
                yield Label(_("Sheet"), classes="field-label")
                yield Input(
                    id="sheet",
                    placeholder=_("optional: the first sheet with values"),
                    compact=True,
                )
            with Horizontal(classes="field-row"):
                yield Label(_("Kelurahan for rows without one"), classes="field-label")
                yield Select[str](
                    [],
                    id="kelurahan",
                    prompt=_("as the file says (or the store's only one)"),
                    compact=True,
                )
        yield ProgressBar(id="progress", show_eta=False)
        yield Static(
            _("Choose the file with F5: it is checked, nothing is written yet."),
            id="import-summary",
            classes="summary",
        )
        yield Static("", id="import-error", classes="error")
        with TabbedContent(id="import-tabs"):
            with TabPane(_("Changes"), id="tab-changes"):
                yield DataTable(id="changes", cursor_type="row", zebra_stripes=True)
                yield Static("", id="changes-page", classes="hint")
                yield Static("", id="change-detail", classes="hint")
            with TabPane(_("Removed by the district"), id="tab-removed"):
                yield DataTable(id="removed", cursor_type="row", zebra_stripes=True)
                yield Static("", id="removed-page", classes="hint")
                yield Static(
                    _(
                        "The district removed these officers as duplicates: the same NIK is "
                        "registered elsewhere. They are skipped."
                    ),
                    id="removed-why",
                    classes="hint",
                )
                yield Checkbox(
                    _("Add them again anyway (the district reviews them again)"),
                    id="add-removed",
                    compact=True,
                )
            with TabPane(_("Invalid rows"), id="tab-invalid"):
                yield DataTable(id="invalid", cursor_type="row", zebra_stripes=True)
                yield Static("", id="problem-detail", classes="hint")
                yield Static("", id="invalid-page", classes="hint")
            with TabPane(_("Columns"), id="tab-columns"):
                with VerticalScroll(id="mapping"):
                    yield Static(
                        _("Read a file first: its headings and the fields they fill show here."),
                        classes="hint",
                    )
                yield Checkbox(
                    _("Keep my corrections for the next imports"),
                    id="save-mapping",
                    compact=True,
                )
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = _("Import officers")
        self.query_one("#progress").display = False
        self.query_one("#import-error").display = False
        self.query_one("#import-tabs").display = False
        table: DataTable[str] = self.query_one("#invalid", DataTable)
        table.add_column(_("Row"), key="row", width=6)
        table.add_column(_("Column"), key="column", width=22)
        table.add_column(_("Problem"), key="problem")
        changes: DataTable[str] = self.query_one("#changes", DataTable)
        changes.add_column(_("Row"), key="row", width=6)
        changes.add_column(_("Officer"), key="name", width=22)
        changes.add_column(_("What changes"), key="fields")
        removed: DataTable[str] = self.query_one("#removed", DataTable)
        removed.add_column(_("Row"), key="row", width=6)
        removed.add_column(_("NIK"), key="nik", width=18)
        removed.add_column(_("Name"), key="name")
        self._load_kelurahan()
        # The picker opens by itself once, on the first mount: F9 mounts the screen again
        # (ui/relabel.py) and must not stack a second picker.
        if not self._picker_opened:
            self._picker_opened = True
            self.action_choose_file()

    @work(exclusive=True, group="import-area", exit_on_error=False)
    async def _load_kelurahan(self) -> None:
        found: list[Kelurahan] = await self.in_thread(
            areas.list_kelurahan, self.desk.require_store()
        )
        select: Select[str] = self.query_one("#kelurahan", Select)
        select.set_options((f"{k.code} {k.name}", k.code) for k in found)

    # -- reading ------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "sheet" and self.path is not None:
            self.action_preview()
        else:
            self.focus_next()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "import_rows":
            return self.preview is not None and bool(self._plan_to_apply(self.preview).to_write)
        if action == "page":
            rows = {"changes": self.updated, "removed": self.removed}.get(
                self._paged(), self.problems
            )
            return len(rows) > PAGE_SIZE
        return True

    def action_choose_file(self) -> None:
        if self.busy:
            return
        from tpsdesk.ui.widgets.places import PlacePicker

        self.app.push_screen(
            PlacePicker(
                PLACE_PURPOSE,
                title=_("Choose the officer list (XLSX, XLS, ODS or CSV)"),
                kind="file",
                suffixes=OFFICER_FILE_SUFFIXES,
            ),
            callback=self._chosen,
        )

    def _chosen(self, path: Path | None) -> None:
        if path is not None:
            self.read_file(path)

    def read_file(self, path: Path) -> None:
        """Preview `path` (the file chosen in the picker)."""
        self.path = path
        # The name first: a narrow screen cuts the folder, not the file.
        shown = f"{path.name}  ({path.parent})" if str(path.parent) != "." else path.name
        self.query_one("#file", Static).update(Text(printable(shown)))
        self.action_preview()

    def action_preview(self) -> None:
        if self.busy:
            return
        path = self.path
        if path is None:
            self.action_choose_file()
            return
        self._show_error("")
        sheet = self.query_one("#sheet", Input).value.strip() or None
        select: Select[str] = self.query_one("#kelurahan", Select)
        kelurahan = select.selection  # None: blank, the store's only kelurahan
        if self.columns_path == path:
            self.overrides.update(self._corrections())
        else:
            self.overrides = {}
        self._set_busy(True, _("Reading {file}…").format(file=path.name))
        self._read(path, sheet, kelurahan, list(self.overrides.items()))

    def _show_error(self, message: str) -> None:
        error = self.query_one("#import-error", Static)
        error.update(Text(message))
        error.display = bool(message)

    def _corrections(self) -> dict[str, str]:
        """The headings whose field the user changed in the Columns tab."""
        found: dict[str, str] = {}
        for column in self.columns:
            for select in self.query(f"#map-{column.index}").results(Select):
                value = select.selection or IGNORE
                if value != (column.field or IGNORE):
                    found[column.heading] = value
        return found

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def _read(
        self, path: Path, sheet: str | None, kelurahan: str | None, overrides: list[tuple[str, str]]
    ) -> None:
        store = self.desk.require_store()
        try:
            preview = preview_officer_import(
                store,
                path,
                sheet=sheet,
                overrides=overrides,
                default_kelurahan=kelurahan,
                today=self.desk.today,
                progress=self._progress_from_thread,
            )
        except NoNikColumn as failure:
            self.app.call_from_thread(self._choose_nik_column, failure)
            return
        except (SheetError, StoreError) as failure:
            self.app.call_from_thread(self._failed, failure.message)
            return
        except OSError as failure:
            self.app.call_from_thread(
                self._failed,
                _("{file} cannot be read: {reason}").format(
                    file=str(path), reason=os_error_text(failure)
                ),
            )
            return
        self.app.call_from_thread(self._show_preview, preview)

    def _progress_from_thread(self, done: int, total: int) -> None:
        self.app.call_from_thread(self._progress, done, total)

    def _progress(self, done: int, total: int) -> None:
        if not self.is_attached:
            return
        bar = self.query_one("#progress", ProgressBar)
        # Total 0: a CSV does not say how many rows it has; the bar pulses until it is known.
        bar.update(total=total if total else None, progress=done)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        bar = self.query_one("#progress", ProgressBar)
        bar.display = busy
        if busy:
            bar.update(total=None, progress=0)
            self.query_one("#import-summary", Static).update(Text(text))
        self.refresh_bindings()

    def _failed(self, message: str) -> None:
        if not self.is_attached:
            return
        self._set_busy(False)
        # The last file's preview goes: F4 must not import it under this file's name.
        self.preview = None
        self.query_one("#import-tabs").display = False
        self.refresh_bindings()
        self.query_one("#import-summary", Static).update(
            _("The file was not read: nothing was imported.")
        )
        self._show_error(message)
        self.notify(message, severity="error", timeout=10)

    def _choose_nik_column(self, failure: NoNikColumn) -> None:
        """No heading is known to hold the NIK: show the headings found, to pick it."""
        if not self.is_attached:
            return
        self._set_busy(False)
        self.preview = None
        self.problems = []
        self._render_problems()
        self.query_one("#import-summary", Static).update(
            _("The file was not read: nothing was imported.")
        )
        self._show_error(
            failure.message
            + "\n"
            + _("In the Columns tab, choose NIK for the column that holds it, then press F2.")
        )
        self._render_mapping(failure.columns, failure.path)
        self.query_one("#import-tabs").display = True
        self.query_one("#import-tabs", TabbedContent).active = "tab-columns"
        self.refresh_bindings()

    def _show_preview(self, preview: OfficerImportPreview) -> None:
        if not self.is_attached:
            return
        self._set_busy(False)
        self.preview = preview
        plan = preview.plan
        self.problems = [problem for row in plan.invalid_rows for problem in row.errors]
        self.updated = plan.updated_rows
        self.removed = plan.removed_rows
        self.page = self.change_page = self.removed_page = 0
        self.query_one("#add-removed", Checkbox).value = False  # a choice made for each file
        self.query_one("#import-tabs").display = True
        self.query_one("#import-summary", Static).update(Text(self._summary_text(preview)))
        self._render_problems()
        self._render_changes()
        self._render_removed()
        self._render_mapping(preview.sheet.columns, preview.sheet.path)
        tabs = self.query_one("#import-tabs", TabbedContent)
        tabs.get_tab("tab-changes").label = _("Changes ({n})").format(n=len(self.updated))
        tabs.get_tab("tab-removed").label = _("Removed by the district ({n})").format(
            n=len(self.removed)
        )
        tabs.get_tab("tab-invalid").label = _("Invalid rows ({n})").format(n=plan.counts.invalid)
        # Rows the district removed are rare: their tab only when there are some.
        if self.removed:
            tabs.show_tab("tab-removed")
        else:
            tabs.hide_tab("tab-removed")
        # What the clerk must look at first: what changes, what is held back, what is wrong.
        for tab, table, rows in (
            ("tab-changes", "#changes", self.updated),
            ("tab-removed", "#removed", self.removed),
            ("tab-invalid", "#invalid", self.problems),
        ):
            if rows:
                tabs.active = tab
                # Arrow keys move through the rows; F2 and F4 work from there.
                self.query_one(table, DataTable).focus()
                break
        else:
            tabs.active = "tab-columns"
        self.refresh_bindings()

    def _summary_text(self, preview: OfficerImportPreview) -> str:
        sheet = preview.sheet
        if sheet.sheet_name:
            where = _("{file}, sheet {sheet}: header on row {row}").format(
                file=sheet.path.name, sheet=f"“{sheet.sheet_name}”", row=sheet.header_row
            )
        else:
            where = _("{file}: header on line {row}").format(
                file=sheet.path.name, row=sheet.header_row
            )
        lines = [
            where,
            _("Rows: {counts}").format(counts=describe_counts(self._plan_to_apply(preview).counts)),
        ]
        if sheet.missing:
            lines.append(
                _("No column for: {fields}").format(
                    fields=", ".join(_(TARGET_LABELS[name]) for name in sheet.missing)
                )
            )
        warnings = sum(
            len(row.warnings)
            for row in preview.plan.rows
            if row.status not in (RowStatus.INVALID, RowStatus.REMOVED)
        )
        if warnings:
            lines.append(
                ngettext(
                    "{n} warning on rows that are imported.",
                    "{n} warnings on rows that are imported.",
                    warnings,
                ).format(n=warnings)
            )
        plan = self._plan_to_apply(preview)
        if plan.removed_rows:
            lines.append(
                ngettext(
                    "{n} row is skipped: the district removed its NIK as a duplicate.",
                    "{n} rows are skipped: the district removed their NIK as a duplicate.",
                    len(plan.removed_rows),
                ).format(n=len(plan.removed_rows))
            )
        writable = len(plan.to_write)
        if not preview.plan.rows:
            lines.append(_("The file has no rows under its header: there is nothing to import."))
            return "\n".join(lines)
        lines.append(
            ngettext(
                "Nothing is written yet: F4 imports the {n} new or changed row.",
                "Nothing is written yet: F4 imports the {n} new or changed rows.",
                writable,
            ).format(n=writable)
            if writable
            else _("No row is new or changed: there is nothing to import.")
        )
        return "\n".join(lines)

    def _plan_to_apply(self, preview: OfficerImportPreview) -> ImportPlan:
        """The preview's plan, with the removed duplicates added again if the box says so."""
        if preview.plan.removed_rows and self.query_one("#add-removed", Checkbox).value:
            return preview.plan.adding_removed()
        return preview.plan

    @on(Checkbox.Changed, "#add-removed")
    def _add_removed_changed(self) -> None:
        if self.preview is not None:
            self.query_one("#import-summary", Static).update(Text(self._summary_text(self.preview)))
        self.refresh_bindings()

    def _page_line(self, selector: str, page: int, count: int) -> None:
        """ "Page 2 of 5" under a table that has several pages; nothing otherwise."""
        pages = max(1, -(-count // PAGE_SIZE))
        info = self.query_one(selector, Static)
        info.display = pages > 1
        info.update(
            _("Page {page} of {pages} — [ and ] change page").format(page=page + 1, pages=pages)
        )

    def _render_changes(self) -> None:
        """One line per updated officer: who, and the fields that change; the values (old →
        new) of the one under the cursor below the table. A page at a time: a file whose
        every row changes may have ten thousand."""
        table: DataTable[str | Text] = self.query_one("#changes", DataTable)
        table.clear()
        start = self.change_page * PAGE_SIZE
        for index, row in enumerate(self.updated[start : start + PAGE_SIZE], start):
            fields = ", ".join(change.label for change in row.changes)
            table.add_row(str(row.row), Text(printable(row.name)), Text(fields), key=str(index))
        self._page_line("#changes-page", self.change_page, len(self.updated))
        if not self.updated:
            self.query_one("#change-detail", Static).update(_("No officer in the store changes."))

    @on(DataTable.RowHighlighted, "#changes")
    def _change_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        index = int(key) if key is not None and key.isdigit() else -1
        detail = self.query_one("#change-detail", Static)
        if not 0 <= index < len(self.updated):
            detail.update("")
            return
        row = self.updated[index]
        # Text, not markup: the values come from the file and the store.
        lines = [_("Row {row}, {name}:").format(row=row.row, name=row.name)]
        lines += [f"  {change.describe()}" for change in row.changes]
        detail.update(Text("\n".join(printable(line) for line in lines)))

    def _render_removed(self) -> None:
        table: DataTable[str | Text] = self.query_one("#removed", DataTable)
        table.clear()
        start = self.removed_page * PAGE_SIZE
        for index, row in enumerate(self.removed[start : start + PAGE_SIZE], start):
            nik = row.fields.nik if row.fields is not None else ""
            table.add_row(str(row.row), nik, Text(printable(row.name)), key=str(index))
        self._page_line("#removed-page", self.removed_page, len(self.removed))
        self.query_one("#removed-why").display = bool(self.removed)
        self.query_one("#add-removed").display = bool(self.removed)

    def _render_problems(self) -> None:
        table: DataTable[str | Text] = self.query_one("#invalid", DataTable)
        table.clear()
        start = self.page * PAGE_SIZE
        for index, problem in enumerate(self.problems[start : start + PAGE_SIZE], start):
            column = (
                f"{problem.column.letter} {problem.column.heading}"
                if problem.column is not None
                else ""
            )
            # Text, not markup: headings and messages quote the file.
            table.add_row(str(problem.row), Text(column), Text(problem.message), key=str(index))
        pages = max(1, -(-len(self.problems) // PAGE_SIZE))
        info = self.query_one("#invalid-page", Static)
        if not self.problems:
            info.update(_("No invalid rows."))
        elif pages > 1:
            info.update(
                _("Page {page} of {pages} — [ and ] change page").format(
                    page=self.page + 1, pages=pages
                )
            )
        else:
            info.update("")

    @on(DataTable.RowHighlighted, "#invalid")
    def _problem_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The whole message of the row under the cursor: the table cuts long ones."""
        key = event.row_key.value
        index = int(key) if key is not None and key.isdigit() else -1
        detail = self.query_one("#problem-detail", Static)
        if 0 <= index < len(self.problems):
            detail.update(Text(self.problems[index].describe()))
        else:
            detail.update("")

    def _render_mapping(self, columns: list[MappedColumn], path: Path) -> None:
        self.columns = columns
        self.columns_path = path
        container = self.query_one("#mapping", VerticalScroll)
        container.remove_children()
        options = [(_("(ignored)"), IGNORE)] + [
            (_(TARGET_LABELS[name]), name) for name in TARGET_FIELDS
        ]
        rows: list[Any] = [
            Static(
                _("The field each heading fills; change one and press F2 to read again."),
                classes="hint",
            )
        ]
        for column in columns:
            rows.append(
                Horizontal(
                    Label(Text(f"{column.letter:>3}  {column.heading}"), classes="map-heading"),
                    Select[str](
                        options,
                        id=f"map-{column.index}",
                        value=column.field or IGNORE,
                        allow_blank=False,
                        compact=True,
                    ),
                    classes="field-row map-row",
                )
            )
            if column.note:
                rows.append(Static(Text(column.note), classes="field-info map-note"))
        container.mount_all(rows)

    @on(Select.Changed, ".map-row Select")
    def _mapping_changed(self) -> None:
        if self.preview is not None and self._corrections():
            self.query_one("#import-summary", Static).update(
                Text(
                    self._summary_text(self.preview)
                    + "\n"
                    + _("The mapping was changed: press F2 to read the file again with it.")
                )
            )

    def _paged(self) -> str:
        """The table `[` and `]` page: the one on the tab shown."""
        found = list(self.query("#import-tabs").results(TabbedContent))
        active = found[0].active if found else ""
        return {"tab-changes": "changes", "tab-removed": "removed"}.get(active, "invalid")

    @on(TabbedContent.TabActivated, "#import-tabs")
    def _tab_shown(self) -> None:
        self.refresh_bindings()  # `[` and `]` page the table of the tab shown

    def action_page(self, step: int) -> None:
        table = self._paged()
        if table == "changes":
            pages = max(1, -(-len(self.updated) // PAGE_SIZE))
            page = min(max(0, self.change_page + step), pages - 1)
            if page != self.change_page:
                self.change_page = page
                self._render_changes()
            return
        if table == "removed":
            pages = max(1, -(-len(self.removed) // PAGE_SIZE))
            page = min(max(0, self.removed_page + step), pages - 1)
            if page != self.removed_page:
                self.removed_page = page
                self._render_removed()
            return
        pages = max(1, -(-len(self.problems) // PAGE_SIZE))
        page = min(max(0, self.page + step), pages - 1)
        if page != self.page:
            self.page = page
            self._render_problems()

    # -- importing ----------------------------------------------------------------------------

    def action_import_rows(self) -> None:
        preview = self.preview
        if preview is None or self.busy:
            return
        plan = self._plan_to_apply(preview)
        if not plan.to_write:
            return
        if self._corrections():
            self.notify(
                _("The mapping was changed: press F2 to read the file again with it."),
                severity="warning",
            )
            return
        counts = plan.counts
        writable = len(plan.to_write)
        question = ngettext(
            "Import {n} valid row ({new} new, {updated} updated)?",
            "Import {n} valid rows ({new} new, {updated} updated)?",
            writable,
        ).format(n=writable, new=counts.new, updated=counts.updated)
        question += "\n" + describe_left(counts)
        if plan is not preview.plan:
            question += "\n" + ngettext(
                "{n} officer the district removed as a duplicate is added again.",
                "{n} officers the district removed as duplicates are added again.",
                len(preview.plan.removed_rows),
            ).format(n=len(preview.plan.removed_rows))
        chosen = OfficerImportPreview(preview.sheet, plan, preview.mapping)

        def answered(yes: bool | None) -> None:
            if yes and self.preview is preview:
                save = self.query_one("#save-mapping", Checkbox).value and bool(self.overrides)
                self._set_busy(True, _("Importing…"))
                self._apply(chosen, save)

        self.app.push_screen(
            ConfirmScreen(question, yes=_("Import (Y)"), no=_("Not now (N)")),
            callback=answered,
        )

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def _apply(self, preview: OfficerImportPreview, save: bool) -> None:
        store = self.desk.require_store()
        try:
            counts = apply_officer_import(store, preview, progress=self._progress_from_thread)
            if save:
                save_mapping(store, preview.mapping)
        except StoreError as failure:  # ImportStale included: nothing was written
            self.app.call_from_thread(self._failed_import, failure.message)
            return
        self.app.call_from_thread(self._imported, counts, save)

    def _failed_import(self, message: str) -> None:
        if not self.is_attached:
            return
        self._set_busy(False)
        self.preview = None
        self.refresh_bindings()
        self.query_one("#import-summary", Static).update(_("Nothing was imported."))
        self._show_error(message)
        self.app.push_screen(MessageScreen(message, []))

    def _imported(self, counts: ImportCounts, saved: bool) -> None:
        if not self.is_attached:
            return
        self._set_busy(False)
        self.preview = None  # applied: importing it again would be refused as stale
        self.refresh_bindings()
        message = describe_imported(counts)
        left = describe_left(counts)
        self.query_one("#import-summary", Static).update(
            message + "\n" + left + "\n" + _("F2 reads the file again.")
        )
        details = [left]
        if saved:
            details.append(_("Your column corrections are kept for the next imports."))
        self.app.push_screen(MessageScreen(message, details))

    def action_back(self) -> None:
        self.app.pop_screen()
