"""Officer import (F4 on the dashboard): read an XLSX or CSV list, preview what it would change,
correct the heading → field mapping, then import the valid rows after a confirmation.

The reading and checking is `exchange.officer_sheet.preview_officer_import` (nothing is written);
the writing is `apply_officer_import`, one transaction. Both run in thread workers with a
progress bar. Invalid rows are shown a page at a time: a file may have ten thousand of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
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
    preview_officer_import,
    save_mapping,
)
from tpsdesk.exchange.sheet_reader import SheetError
from tpsdesk.i18n import N_, _, ngettext, os_error_text
from tpsdesk.store import areas
from tpsdesk.store.db import StoreError
from tpsdesk.store.models import Kelurahan
from tpsdesk.store.officer_import import RowProblem, RowStatus
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.message import MessageScreen
from tpsdesk.ui.widgets.key_bar import KeyBar

PAGE_SIZE = 200  # invalid-row problems rendered at once; the rest are a keypress away

# The folder of the last file read, per running app: typed once per session, not per file.
_last_folder: WeakKeyDictionary[App[Any], Path] = WeakKeyDictionary()


def clean_path(raw: str) -> Path | None:
    """What people paste: quoted, with ~; None when empty."""
    text = raw.strip().strip('"').strip("'").strip()
    return Path(text).expanduser() if text else None


def last_folder(app: App[Any]) -> Path | None:
    return _last_folder.get(app)


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
        self.preview: OfficerImportPreview | None = None
        self.problems: list[RowProblem] = []
        self.page = 0
        self.overrides: dict[str, str] = {}  # heading → field corrections made here
        # The headings shown in the Columns tab, and the file they are from.
        self.columns: list[MappedColumn] = []
        self.columns_path: Path | None = None
        self.busy = False

    def compose(self) -> ComposeResult:
        folder = last_folder(self.app)
        yield Header()
        with Vertical(id="import-form"):
            with Horizontal(classes="field-row"):
                yield Label(_("File (XLSX, XLS, ODS, CSV)"), classes="field-label")
                yield Input(
                    f"{folder}/" if folder else "",
                    id="path",
                    placeholder="/media/usb/petugas.xlsx",
                    compact=True,
                    select_on_focus=False,
                )
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
            _("Enter the file and press F2: the file is checked, nothing is written yet."),
            id="import-summary",
            classes="summary",
        )
        yield Static("", id="import-error", classes="error")
        with TabbedContent(id="import-tabs"):
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
        self.query_one("#path", Input).focus()
        self._load_kelurahan()

    @work(exclusive=True, group="import-area", exit_on_error=False)
    async def _load_kelurahan(self) -> None:
        found: list[Kelurahan] = await self.in_thread(
            areas.list_kelurahan, self.desk.require_store()
        )
        select: Select[str] = self.query_one("#kelurahan", Select)
        select.set_options((f"{k.code} {k.name}", k.code) for k in found)

    # -- reading ------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "path":
            self.action_preview()
        else:
            self.focus_next()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "import_rows":
            return self.preview is not None and bool(self.preview.plan.to_write)
        if action == "page":
            return len(self.problems) > PAGE_SIZE
        return True

    def action_preview(self) -> None:
        if self.busy:
            return
        path = clean_path(self.query_one("#path", Input).value)
        if path is None:
            self._show_error(_("Enter the path of the file to import."))
            self.query_one("#path", Input).focus()
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
        _last_folder[self.app] = preview.sheet.path.parent
        plan = preview.plan
        self.problems = [problem for row in plan.invalid_rows for problem in row.errors]
        self.page = 0
        self.query_one("#import-tabs").display = True
        self.query_one("#import-summary", Static).update(Text(self._summary_text(preview)))
        self._render_problems()
        self._render_mapping(preview.sheet.columns, preview.sheet.path)
        tabs = self.query_one("#import-tabs", TabbedContent)
        tabs.get_tab("tab-invalid").label = _("Invalid rows ({n})").format(n=plan.counts.invalid)
        tabs.active = "tab-invalid" if self.problems else "tab-columns"
        if self.problems:
            # Arrow keys, [ and ] move through the problems; F2 and F4 work from there.
            self.query_one("#invalid", DataTable).focus()
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
        lines = [where, _("Rows: {counts}").format(counts=describe_counts(preview.plan.counts))]
        if sheet.missing:
            lines.append(
                _("No column for: {fields}").format(
                    fields=", ".join(_(TARGET_LABELS[name]) for name in sheet.missing)
                )
            )
        warnings = sum(
            len(row.warnings) for row in preview.plan.rows if row.status is not RowStatus.INVALID
        )
        if warnings:
            lines.append(
                ngettext(
                    "{n} warning on rows that are imported.",
                    "{n} warnings on rows that are imported.",
                    warnings,
                ).format(n=warnings)
            )
        writable = len(preview.plan.to_write)
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

    def action_page(self, step: int) -> None:
        pages = max(1, -(-len(self.problems) // PAGE_SIZE))
        page = min(max(0, self.page + step), pages - 1)
        if page != self.page:
            self.page = page
            self._render_problems()

    # -- importing ----------------------------------------------------------------------------

    def action_import_rows(self) -> None:
        preview = self.preview
        if preview is None or self.busy or not preview.plan.to_write:
            return
        if self._corrections():
            self.notify(
                _("The mapping was changed: press F2 to read the file again with it."),
                severity="warning",
            )
            return
        counts = preview.plan.counts
        writable = len(preview.plan.to_write)
        question = ngettext(
            "Import {n} valid row ({new} new, {updated} updated)?",
            "Import {n} valid rows ({new} new, {updated} updated)?",
            writable,
        ).format(n=writable, new=counts.new, updated=counts.updated)
        if counts.invalid:
            question += "\n" + ngettext(
                "{n} invalid row is left out.", "{n} invalid rows are left out.", counts.invalid
            ).format(n=counts.invalid)

        def answered(yes: bool | None) -> None:
            if yes and self.preview is preview:
                save = self.query_one("#save-mapping", Checkbox).value and bool(self.overrides)
                self._set_busy(True, _("Importing…"))
                self._apply(preview, save)

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
        self.app.call_from_thread(self._imported, preview, counts.new, counts.updated, save)

    def _failed_import(self, message: str) -> None:
        if not self.is_attached:
            return
        self._set_busy(False)
        self.preview = None
        self.refresh_bindings()
        self.query_one("#import-summary", Static).update(_("Nothing was imported."))
        self._show_error(message)
        self.app.push_screen(MessageScreen(message, []))

    def _imported(self, preview: OfficerImportPreview, new: int, updated: int, saved: bool) -> None:
        if not self.is_attached:
            return
        self._set_busy(False)
        self.preview = None  # applied: importing it again would be refused as stale
        self.refresh_bindings()
        message = _("Imported: {new} new, {updated} updated.").format(new=new, updated=updated)
        self.query_one("#import-summary", Static).update(
            message + "\n" + _("F2 reads the file again.")
        )
        details = []
        invalid = preview.plan.counts.invalid
        if invalid:
            details.append(
                ngettext(
                    "{n} row is invalid and was not imported.",
                    "{n} rows are invalid and were not imported.",
                    invalid,
                ).format(n=invalid)
            )
        if saved:
            details.append(_("Your column corrections are kept for the next imports."))
        self.app.push_screen(MessageScreen(message, details))

    def action_back(self) -> None:
        self.app.pop_screen()
