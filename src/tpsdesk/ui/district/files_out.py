"""Files out (F7 on the district desk): setup files for one area or all with the district
fingerprint to read aloud, receipts for every laptop with news (or one), the exports, and the
KPJ numbers BPJS sends back.

The rules are in `tpsdesk.sync.outbox` (which laptop has news, writing many files to one
folder) and `tpsdesk.exchange.participant_numbers`; this pane draws, asks for places with the
PlacePicker and runs every write in a worker with a progress line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, ProgressBar, Static

from tpsdesk.exchange.sheet_reader import SheetError
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.store.db import StoreError
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.fingerprint import format_fingerprint
from tpsdesk.sync.outbox import (
    STANDING_LABELS,
    LaptopNews,
    ReceiptBatch,
    SetupBatch,
    Standing,
)
from tpsdesk.sync.setup import DistrictNotSet
from tpsdesk.terminal import printable
from tpsdesk.ui.district.pane import DeskPane
from tpsdesk.ui.widgets.places import PlacePicker

KPJ_SUFFIXES = (".csv", ".xlsx", ".xls", ".ods")


def district_not_set_text() -> str:
    return _(
        "The district's name and code are not set yet: set them with F8 (Settings) first. "
        "Setup files and receipts carry them."
    )


def grouped(fingerprint: str) -> str:
    return format_fingerprint(fingerprint)


def short_fingerprint(fingerprint: str) -> str:
    """The first two groups of a laptop's fingerprint: enough to tell laptops apart on screen
    (the Laptops tab shows it whole)."""
    return " ".join(grouped(fingerprint).split()[:2]) if fingerprint else ""


def laptop_name(news: LaptopNews) -> str:
    return short_fingerprint(news.fingerprint) or news.device_id[:8]


def setup_report(batch: SetupBatch) -> list[Text]:
    """The lines shown after writing setup files: the fingerprint first, in groups."""
    lines: list[Text] = []
    if batch.written:
        lines.append(
            Text(
                ngettext(
                    "{n} setup file written to {folder}",
                    "{n} setup files written to {folder}",
                    len(batch.written),
                ).format(n=len(batch.written), folder=printable(str(batch.folder))),
                style="bold",
            )
        )
        lines.append(Text(_("Read this fingerprint aloud when an operator enrols a laptop:")))
        lines.append(Text("  " + batch.fingerprint, style="bold reverse"))
        if batch.sheet is not None:
            lines.append(
                Text(
                    _("Printable sheet with the fingerprint and the file names: {file}").format(
                        file=printable(batch.sheet.name)
                    )
                )
            )
        if batch.sheet_problem:
            lines.append(Text(printable(batch.sheet_problem), style="red"))
    for item in batch.files:
        place = printable(f"{item.area} {item.area_name}".strip())
        if item.path is None:
            lines.append(
                Text(
                    _("✗ {area}: {problem}").format(area=place, problem=printable(item.problem)),
                    style="red",
                )
            )
            continue
        lines.append(
            Text(
                _("✓ {file}  {fingerprint}").format(
                    file=printable(item.path.name), fingerprint=batch.fingerprint
                )
            )
        )
        lines.append(Text("    " + _("{area} · {tps} TPS").format(area=place, tps=item.tps)))
        if item.left_out:
            lines.append(
                Text(
                    "  "
                    + ngettext(
                        "{n} TPS was left out: another TPS has its number in its kelurahan. "
                        "Resolve the duplicate TPS finding (F5), then write the file again.",
                        "{n} TPS were left out: other TPS have their numbers in their "
                        "kelurahan. Resolve the duplicate TPS findings (F5), then write the "
                        "file again.",
                        item.left_out,
                    ).format(n=item.left_out),
                    style="yellow",
                )
            )
    return lines


def receipt_report(batch: ReceiptBatch) -> list[Text]:
    lines: list[Text] = [
        Text(
            ngettext(
                "{n} receipt written to {folder}",
                "{n} receipts written to {folder}",
                len(batch.written),
            ).format(n=len(batch.written), folder=printable(str(batch.folder))),
            style="bold",
        )
    ]
    for item in batch.results:
        who = short_fingerprint(item.fingerprint) or item.device_id[:8]
        if item.path is None:
            lines.append(
                Text(
                    _("✗ {laptop}: {problem}").format(laptop=who, problem=printable(item.problem)),
                    style="red",
                )
            )
            continue
        assert item.tells is not None
        lines.append(
            Text(
                _("✓ {file}  {laptop}: {tells}").format(
                    file=printable(item.path.name), laptop=who, tells=item.tells.describe()
                )
            )
        )
    if batch.skipped:
        lines.append(Text(_("Skipped:")))
    for news in batch.skipped:
        lines.append(
            Text(
                "  "
                + _("{laptop} ({area}): {why}").format(
                    laptop=laptop_name(news),
                    area=printable(f"{news.area} {news.area_name}".strip()),
                    why=_(STANDING_LABELS[news.standing]),
                )
            )
        )
    return lines


class FilesOutPane(DeskPane):
    TITLE = N_("Files out")

    BINDINGS = [
        Binding(
            "s",
            "setup_files",
            N_("Setup"),
            id="files.setup",
            tooltip=N_("Write setup files for one area or for all, with the fingerprint"),
        ),
        Binding(
            "r",
            "receipts",
            N_("Receipts"),
            id="files.receipts",
            tooltip=N_("Write a receipt for every laptop with news"),
        ),
        Binding(
            "w",
            "receipt_one",
            N_("One receipt"),
            id="files.receipt_one",
            show=False,
            tooltip=N_("Write the receipt of the laptop selected in the list (or Enter)"),
        ),
        Binding(
            "e",
            "exports",
            N_("Exports"),
            id="files.exports",
            tooltip=N_("BPJS enrolment sheet, contribution budget, completion per TPS"),
        ),
        Binding(
            "k",
            "kpj",
            N_("KPJ"),
            id="files.kpj",
            tooltip=N_("Record the KPJ numbers from the file BPJS sends back"),
        ),
    ]

    DEFAULT_CSS = """
    FilesOutPane #files-laptops {
        height: auto;
        max-height: 7;
    }
    FilesOutPane #files-detail {
        height: auto;
        max-height: 2;
    }
    FilesOutPane #files-result-box {
        height: 1fr;
    }
    FilesOutPane #files-progress-line {
        height: auto;
    }
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.news: list[LaptopNews] = []
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static("", id="files-head", classes="hint")
        yield DataTable(id="files-laptops", cursor_type="row", zebra_stripes=True)
        yield Static("", id="files-detail", classes="hint")
        yield ProgressBar(id="files-progress", show_eta=False)
        yield Static("", id="files-progress-line", classes="hint")
        with VerticalScroll(id="files-result-box"):
            yield Static("", id="files-result")

    def on_mount(self) -> None:
        self.query_one("#files-progress").display = False
        table: DataTable[Any] = self.query_one("#files-laptops", DataTable)
        table.add_column(_("Laptop"), key="laptop")
        table.add_column(_("Area"), key="area", width=25)
        table.add_column(_("Receipts"), key="receipts")
        table.add_column(_("Status"), key="status")

    # -- reading ----------------------------------------------------------------------------

    def load(self) -> None:
        self._load()

    @work(exclusive=True, group="files-out-load", exit_on_error=False)
    async def _load(self) -> None:
        from tpsdesk.sync.outbox import laptops_news

        store = self.desk.require_store()
        head_line = self.query_one("#files-head", Static)

        def reading(done: int, total: int, _area: str) -> None:
            if done % 10 == 0 or done == total:
                self.app.call_from_thread(
                    head_line.update,
                    _("Reading the laptops: {done}/{total}").format(done=done, total=total),
                )

        try:
            self.news = await self.in_thread(laptops_news, store, progress=reading)
        except (SyncError, StoreError) as failure:
            self._show([Text(failure.message, style="red")])
            return
        table: DataTable[Any] = self.query_one("#files-laptops", DataTable)
        table.clear()
        for news in self.news:
            table.add_row(
                laptop_name(news),
                Text(printable(f"{news.area} {news.area_name}".strip()), overflow="ellipsis"),
                str(news.receipts),
                _(STANDING_LABELS[news.standing]),
                key=news.device_id,
            )
        with_news = sum(1 for n in self.news if n.has_news)
        head = ngettext(
            "{n} laptop has news for a receipt (R writes them all).",
            "{n} laptops have news for a receipt (R writes them all).",
            with_news,
        ).format(n=with_news)
        if not with_news:
            head = _("No laptop has news since its last receipt.")
        if not self.news:
            head = _("No laptop has sent a bundle yet: no receipts to write.")
        self.query_one("#files-head", Static).update(head)
        if not self.busy:
            self.focus_if_shown(table)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        news = next((n for n in self.news if n.device_id == event.row_key.value), None)
        detail = self.query_one("#files-detail", Static)
        if news is None or news.tells is None:
            detail.update("")
            return
        detail.update(
            Text(
                _("A receipt now tells {laptop}: {tells}").format(
                    laptop=laptop_name(news), tells=news.tells.describe()
                )
            )
        )

    # -- showing ----------------------------------------------------------------------------

    def _show(self, lines: list[Text]) -> None:
        self.query_one("#files-result", Static).update(Text("\n").join(lines))
        self.query_one("#files-result-box", VerticalScroll).scroll_home(animate=False)

    def _start(self, what: str) -> None:
        self.busy = True
        bar = self.query_one("#files-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self.query_one("#files-progress-line", Static).update(what)
        self._show([])

    def _progress(self, done: int, total: int, name: str) -> None:
        if not self.is_attached:
            return
        self.query_one("#files-progress", ProgressBar).update(total=total or None, progress=done)
        line = f"{done}/{total}" + (f": {printable(name)}" if name else "")
        self.query_one("#files-progress-line", Static).update(Text(line))

    def _progress_from_thread(self, done: int, total: int, name: str) -> None:
        self.app.call_from_thread(self._progress, done, total, name)

    def _finish(self) -> None:
        self.busy = False
        self.query_one("#files-progress").display = False
        self.query_one("#files-progress-line", Static).update("")

    def _refuse(self, text: str) -> None:
        self._show([Text(text, style="red")])
        self.notify(text, severity="error", timeout=10)

    # -- setup files ------------------------------------------------------------------------

    def action_setup_files(self) -> None:
        if not self.busy:
            self._ask_setup_area()

    @work(exclusive=True, group="files-out-setup-areas", exit_on_error=False)
    async def _ask_setup_area(self) -> None:
        from tpsdesk.sync.outbox import district_areas, district_ready

        store = self.desk.require_store()
        try:
            await self.in_thread(district_ready, store)
            areas = await self.in_thread(district_areas, store)
        except DistrictNotSet:
            self._refuse(district_not_set_text())
            return
        except SyncError as failure:
            self._refuse(failure.message)
            return
        if not any(area.tps for area in areas):
            self._refuse(
                _("The district's area has no TPS yet: there is nothing to put in a setup file.")
            )
            return
        from tpsdesk.ui.district.setup_area import SetupAreaScreen

        self.app.push_screen(SetupAreaScreen(areas), self._setup_area_chosen)

    def _setup_area_chosen(self, choice: str | None) -> None:
        if not choice:
            return

        def folder_chosen(folder: Path | None) -> None:
            if folder is not None:
                self.write_setup_files(choice, folder)

        self.app.push_screen(
            PlacePicker(
                "setup-files", title=_("Folder or drive for the setup files"), kind="folder"
            ),
            folder_chosen,
        )

    def write_setup_files(self, choice: str, folder: Path) -> None:
        """Write the setup files of `choice` (an area code, ALL_KELURAHAN or ALL_KECAMATAN)."""
        if self.busy:
            return
        self._start(_("Writing setup files…"))
        self._write_setup(choice, folder)

    @work(thread=True, exclusive=True, group="files-out-write", exit_on_error=False)
    def _write_setup(self, choice: str, folder: Path) -> None:
        from tpsdesk.sync.outbox import setup_targets, write_setup_files

        store = self.desk.require_store()
        try:
            areas = setup_targets(store, choice)
            batch = write_setup_files(store, areas, folder, progress=self._progress_from_thread)
        except DistrictNotSet:
            self.app.call_from_thread(self._failed, district_not_set_text())
            return
        except (SyncError, StoreError) as failure:
            self.app.call_from_thread(self._failed, failure.message)
            return
        self.app.call_from_thread(self._setup_done, batch)

    def _failed(self, text: str) -> None:
        self._finish()
        self._refuse(text)

    def _setup_done(self, batch: SetupBatch) -> None:
        self._finish()
        if not batch.files:
            self._refuse(_("No area with a TPS to write a setup file for."))
            return
        self._show(setup_report(batch))
        if batch.refused:
            self.notify(_("Some setup files were not written: see the list."), severity="warning")
        self.changed()

    # -- receipts ---------------------------------------------------------------------------

    def action_receipts(self) -> None:
        if self.busy:
            return
        if not any(news.has_news for news in self.news):
            self._refuse(_("No laptop has news since its last receipt: nothing to write."))
            return
        self._ask_receipt_folder(None)

    def action_receipt_one(self) -> None:
        if self.busy or not self.news:
            return
        table: DataTable[Any] = self.query_one("#files-laptops", DataTable)
        if table.cursor_row < 0 or table.cursor_row >= len(self.news):
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        news = next((n for n in self.news if n.device_id == key), None)
        if news is None:
            return
        if news.standing in (Standing.REVOKED, Standing.WAITING, Standing.NEVER_MERGED):
            self._refuse(
                _("No receipt for {laptop}: {why}.").format(
                    laptop=laptop_name(news), why=_(STANDING_LABELS[news.standing])
                )
            )
            return
        self._ask_receipt_folder([news.device_id])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_receipt_one()

    def _ask_receipt_folder(self, only: list[str] | None) -> None:
        def folder_chosen(folder: Path | None) -> None:
            if folder is not None:
                self.write_receipts(folder, only)

        self.app.push_screen(
            PlacePicker("receipts", title=_("Folder or drive for the receipts"), kind="folder"),
            folder_chosen,
        )

    def write_receipts(self, folder: Path, only: list[str] | None = None) -> None:
        """Receipts for every laptop with news (or the laptops `only` names) into `folder`."""
        if self.busy:
            return
        self._start(_("Writing receipts…"))
        self._write_receipts(folder, only)

    @work(thread=True, exclusive=True, group="files-out-write", exit_on_error=False)
    def _write_receipts(self, folder: Path, only: list[str] | None) -> None:
        from tpsdesk.sync.outbox import write_receipts

        store = self.desk.require_store()
        try:
            batch = write_receipts(store, folder, progress=self._progress_from_thread, only=only)
        except (SyncError, StoreError) as failure:
            self.app.call_from_thread(self._failed, failure.message)
            return
        self.app.call_from_thread(self._receipts_done, batch)

    def _receipts_done(self, batch: ReceiptBatch) -> None:
        self._finish()
        self._show(receipt_report(batch))
        if batch.refused:
            self.notify(_("Some receipts were not written: see the list."), severity="warning")
        self.changed()

    # -- exports and KPJ --------------------------------------------------------------------

    def action_exports(self) -> None:
        from tpsdesk.ui.screens.exports import ExportsScreen

        self.app.push_screen(ExportsScreen())

    def action_kpj(self) -> None:
        if self.busy:
            return

        def file_chosen(path: Path | None) -> None:
            if path is not None:
                self.preview_participants(path)

        self.app.push_screen(
            PlacePicker(
                "participants",
                title=_("The KPJ file from BPJS (CSV, XLSX, XLS or ODS)"),
                kind="file",
                suffixes=KPJ_SUFFIXES,
            ),
            file_chosen,
        )

    @work(exclusive=True, group="files-out-kpj", exit_on_error=False)
    async def preview_participants(self, path: Path) -> None:
        """Read and plan a KPJ file, show the preview, record it if the clerk agrees."""
        from tpsdesk.exchange.participant_numbers import (
            plan_participant_numbers,
            read_participant_numbers,
        )
        from tpsdesk.ui.district.participants_import import ParticipantsPreview

        store = self.desk.require_store()
        self.query_one("#files-progress-line", Static).update(
            Text(_("Reading {file}…").format(file=printable(path.name)))
        )
        try:
            rows = await self.in_thread(read_participant_numbers, path)
            plan = await self.in_thread(plan_participant_numbers, store, path, rows)
        except SheetError as failure:
            self.query_one("#files-progress-line", Static).update("")
            self._refuse(printable(failure.message))
            return
        except OSError as failure:
            self.query_one("#files-progress-line", Static).update("")
            self._refuse(
                _("Could not read {file}: {reason}").format(
                    file=printable(path.name), reason=printable(str(failure.strerror or failure))
                )
            )
            return
        self.query_one("#files-progress-line", Static).update("")

        def answered(record: bool | None) -> None:
            if record:
                self._record_participants(plan, len(rows))
            else:
                self._show([Text(_("Nothing was recorded from {file}.").format(
                    file=printable(path.name)))])  # fmt: skip

        self.app.push_screen(ParticipantsPreview(plan, len(rows)), answered)

    @work(exclusive=True, group="files-out-kpj", exit_on_error=False)
    async def _record_participants(self, plan: Any, rows: int) -> None:
        from tpsdesk.exchange.participant_numbers import record_participant_numbers
        from tpsdesk.ui.district.participants_import import plan_summary

        store = self.desk.require_store()
        try:
            recorded = await self.in_thread(record_participant_numbers, store, plan)
        except StoreError as failure:
            self._refuse(failure.message)
            return
        self._show(
            [
                Text(plan_summary(plan, rows)),
                Text(
                    ngettext(
                        "{n} officer is now enrolled; the next receipt tells the laptop.",
                        "{n} officers are now enrolled; the next receipts tell their laptops.",
                        recorded,
                    ).format(n=recorded),
                    style="bold",
                ),
            ]
        )
        self.changed()
