"""The district's inbox: the files in a folder or drive, each bundle's standing, and merging
one, the marked ones or every new one (with progress, then a per-file report)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.widgets import DataTable, ProgressBar, Static

from tpsdesk.i18n import N_, _, os_error_text
from tpsdesk.store.db import Store, StoreError
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.inbox import (
    EntryKind,
    InboxRow,
    InboxStatus,
    OutcomeKind,
    file_date,
    merge_paths,
    outcome_lines,
    scan,
    status_label,
    statuses,
    summary_line,
)
from tpsdesk.terminal import printable
from tpsdesk.ui.district.pane import DeskPane
from tpsdesk.ui.screens.message import MessageScreen
from tpsdesk.ui.widgets.places import PlacePicker, last_place

PURPOSE = "inbox"
# Column widths at 80 columns (each cell has one space of padding either side).
WIDTHS = {"status": 18, "laptop": 9, "kelurahan": 10, "area": 8, "seq": 8, "size": 6, "date": 5}
MARK = "●"


@dataclass(frozen=True)
class InboxView:
    folder: Path
    rows: list[InboxRow]
    district_code: str
    district_name: str = ""


def read_inbox(store: Store, folder: Path) -> InboxView:
    """The folder's files and their statuses (run in a thread)."""
    from tpsdesk.sync.identity import district_settings

    settings = district_settings(store)
    rows = statuses(store, scan(folder))
    if settings is None:
        return InboxView(folder, rows, "")
    return InboxView(folder, rows, settings.code, settings.name)


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size // (1024 * 1024)} MB"


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class InboxPane(DeskPane):
    TITLE = N_("Inbox")
    #: At a province (ui/province/inbox.py): the files are roll-up files, the senders districts.
    PROVINCE = False

    DEFAULT_CSS = """
    InboxPane #inbox-table {
        height: 1fr;
    }
    InboxPane #inbox-detail {
        height: auto;
        max-height: 4;
        padding: 0 1;
    }
    InboxPane #inbox-progress-box {
        height: auto;
    }
    """

    BINDINGS = [
        Binding(
            "o",
            "choose_folder",
            N_("Folder"),
            id="inbox.choose",
            tooltip=N_("Choose the folder or drive that holds the bundles"),
        ),
        Binding(
            "r",
            "rescan",
            N_("Rescan"),
            id="inbox.rescan",
            tooltip=N_("Read the folder again"),
            show=False,
        ),
        Binding(
            "space",
            "toggle_mark",
            N_("Mark"),
            id="inbox.mark",
            tooltip=N_("Mark or unmark the file under the cursor"),
        ),
        Binding(
            "enter",
            "merge_one",
            N_("Merge"),
            id="inbox.merge_one",
            tooltip=N_("Merge the file under the cursor"),
            priority=True,
            show=False,  # room in the footer at 80 columns; F1 lists it
        ),
        Binding(
            "m",
            "merge_marked",
            N_("Merge marked"),
            id="inbox.merge_marked",
            tooltip=N_("Merge the marked files"),
        ),
        Binding(
            "a",
            "merge_all",
            N_("Merge all new"),
            id="inbox.merge_all",
            tooltip=N_("Merge every new bundle in the folder"),
        ),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.folder: Path | None = None
        self.rows: list[InboxRow] = []
        self.marked: set[Path] = set()
        self.merging = False
        self.district_code = ""
        self.district: tuple[str, str] = ("", "")
        self._last_view: InboxView | None = None
        # Files refused as a whole in this session that the store keeps no record of (a
        # damaged or forged file): (size, mtime) as then, and why; shown until they change.
        self.refused: dict[Path, tuple[int, float, str]] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="inbox-summary", classes="summary")
        table: DataTable[str | Text] = DataTable(
            id="inbox-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Static("", id="inbox-detail", classes="hint")
        with Vertical(id="inbox-progress-box"):
            yield ProgressBar(id="inbox-progress", show_eta=False)
            yield Static("", id="inbox-progress-text")

    def on_mount(self) -> None:
        table = self.query_one("#inbox-table", DataTable)
        columns = (
            ("status", N_("Status")),
            ("laptop", N_("Fingerprint") if self.PROVINCE else N_("Laptop")),
            ("kelurahan", N_("Kab/kota") if self.PROVINCE else N_("Kelurahan")),
            ("area", N_("Area")),
            ("seq", N_("Seq.")),  # the range of change numbers
            ("size", N_("Size")),
            ("date", N_("Made")),  # the day the bundle was written
        )
        for key, label in columns:
            table.add_column(_(label), key=key, width=WIDTHS[key])
        self.query_one("#inbox-progress-box").display = False
        self.focus_if_shown(table)

    # -- reading -----------------------------------------------------------------------------

    def show(self) -> None:
        # Files come and go on a drive: read the folder each time the tab is opened.
        self.stale = False
        self.load()

    def load(self) -> None:
        folder = self.folder or last_place(PURPOSE)
        if folder is None:
            self._summary(
                _("Press o to choose the folder or drive that holds the roll-up files.")
                if self.PROVINCE
                else _("Press o to choose the folder or drive that holds the bundles.")
            )
            return
        self.folder = folder
        self._summary(_("Reading {folder}…").format(folder=escape(printable(str(folder)))))
        self._read(folder)

    @work(exclusive=True, group="inbox-read", exit_on_error=False)
    async def _read(self, folder: Path) -> None:
        store = self.desk.require_store()
        try:
            view = await self.in_thread(read_inbox, store, folder)
        except SyncError as error:
            self.rows = []
            self.query_one("#inbox-table", DataTable).clear()
            self._summary(escape(printable(error.message)), error=True)
            return
        self._fill(view)

    def _summary(self, text: str, *, error: bool = False) -> None:
        widget = self.query_one("#inbox-summary", Static)
        widget.update(text)
        widget.set_class(error, "error")

    def _fill(self, view: InboxView) -> None:
        self._last_view = view
        self.rows = [self._with_refusal(row) for row in view.rows]
        self.district_code = view.district_code
        self.district = (view.district_name, view.district_code)
        present = {row.entry.path for row in view.rows}
        self.marked &= present
        table = self.query_one("#inbox-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        table.add_rows([self._cells(row) for row in self.rows])
        if self.rows:
            table.move_cursor(row=min(cursor, len(self.rows) - 1))
        where = escape(printable(str(view.folder)))
        line = summary_line(self.rows, province=self.PROVINCE)
        self._summary(f"{where}\n{escape(line)}")
        self._detail()
        self.focus_if_shown(table)

    def _with_refusal(self, row: InboxRow) -> InboxRow:
        entry = row.entry
        known = self.refused.get(entry.path)
        if known is None or known[:2] != (entry.size, entry.mtime):
            return row
        if row.status not in (InboxStatus.NEW, InboxStatus.DAMAGED):
            return row
        return replace(row, status=InboxStatus.REFUSED, reason=known[2])

    def _cells(self, row: InboxRow) -> list[str | Text]:
        entry = row.entry
        mark = MARK if entry.path in self.marked else " "
        label = status_label(row.status, province=self.PROVINCE)
        status = Text(clip(f"{mark} {label}", WIDTHS["status"]))
        if row.status is InboxStatus.NEW:
            status.stylize("bold")
        elif row.status not in (InboxStatus.MERGED, InboxStatus.WAITING):
            status.stylize("italic")
        if entry.kind is not EntryKind.BUNDLE:
            name = Text(clip(printable(entry.name), WIDTHS["laptop"]), style="italic")
            return [status, name, "", "", "", Text(size_text(entry.size)), ""]
        area = row.area
        prefix = self.district_code + "."
        if self.district_code and area.startswith(prefix):
            area = area[len(prefix) :]
        # A laptop the district does not know yet: the start of its fingerprint.
        laptop = row.laptop or (row.fingerprint[:5] + "…" if row.fingerprint else "")
        if self.PROVINCE:  # a district: the start of its fingerprint, the kab/kota's name
            return [
                status,
                Text(row.fingerprint[:5] + "…" if row.fingerprint else ""),
                Text(clip(printable(row.laptop), WIDTHS["kelurahan"])),
                Text(clip(printable(row.area), WIDTHS["area"])),
                Text(clip(f"{entry.seq_from}–{entry.seq_to}", WIDTHS["seq"])),
                Text(size_text(entry.size)),
                Text(file_date(entry).strftime("%d-%m")),
            ]
        return [
            status,
            Text(clip(printable(laptop), WIDTHS["laptop"])),
            Text(clip(printable(row.kelurahan or row.kecamatan), WIDTHS["kelurahan"])),
            Text(clip(printable(area), WIDTHS["area"])),
            Text(clip(f"{entry.seq_from}–{entry.seq_to}", WIDTHS["seq"])),
            Text(size_text(entry.size)),
            Text(file_date(entry).strftime("%d-%m")),
        ]

    # -- the row under the cursor ------------------------------------------------------------

    def current(self) -> InboxRow | None:
        table = self.query_one("#inbox-table", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._detail()

    def _detail(self) -> None:
        row = self.current()
        widget = self.query_one("#inbox-detail", Static)
        if row is None:
            widget.update("")
            return
        entry = row.entry
        lines = [printable(entry.name)]
        if entry.kind is EntryKind.BUNDLE:
            place = ", ".join(p for p in (row.kelurahan, row.kecamatan) if p)
            lines[0] += "".join(f" · {printable(part)}" for part in (row.laptop, place) if part)
            when = file_date(entry).strftime("%d-%m-%Y %H:%M")
            if row.fingerprint and row.status in (InboxStatus.WAITING, InboxStatus.NEW):
                # The fingerprint to read over the phone for a laptop not approved yet.
                when += " · " + _("fingerprint {fingerprint}").format(fingerprint=row.fingerprint)
            lines.append(when)
            if self.PROVINCE and entry.rollup:
                # Who the header says sent it (the Districts tab says who the province knows).
                lines.append(
                    _("from {district} ({code})").format(
                        district=printable(entry.district_name),
                        code=printable(entry.district_code),
                    )
                )
            elif not self.PROVINCE and (entry.district_name, entry.district_code) != self.district:
                # What the header says it is for, when that is not this office's own name.
                lines.append(
                    _("sent to {district} ({code})").format(
                        district=printable(entry.district_name),
                        code=printable(entry.district_code),
                    )
                )
        why = (
            printable(row.reason)
            if row.reason
            else status_label(row.status, province=self.PROVINCE)
        )
        lines.append(why)
        widget.update("\n".join(escape(line) for line in lines))

    # -- actions -----------------------------------------------------------------------------

    def action_choose_folder(self) -> None:
        def chosen(folder: Path | None) -> None:
            if folder is not None:
                self.open_folder(folder)

        self.app.push_screen(
            PlacePicker(
                PURPOSE,
                title=(
                    _("Choose the folder or drive that holds the roll-up files")
                    if self.PROVINCE
                    else _("Choose the folder or drive that holds the bundles")
                ),
                kind="folder",
            ),
            chosen,
        )

    def open_folder(self, folder: Path) -> None:
        self.folder = folder
        self.marked.clear()
        self.load()

    def action_rescan(self) -> None:
        self.load()

    def action_toggle_mark(self) -> None:
        row = self.current()
        if row is None:
            return
        path = row.entry.path
        if path in self.marked:
            self.marked.discard(path)
        else:
            self.marked.add(path)
        table = self.query_one("#inbox-table", DataTable)
        index = table.cursor_row
        table.update_cell_at(Coordinate(index, 0), self._cells(row)[0], update_width=False)
        if index + 1 < len(self.rows):
            table.move_cursor(row=index + 1)

    def action_merge_one(self) -> None:
        row = self.current()
        if row is not None:
            self._merge([row])

    def action_merge_marked(self) -> None:
        chosen = [row for row in self.rows if row.entry.path in self.marked]
        if not chosen:
            self.notify(_("Mark files with Space first."), severity="warning")
            return
        self._merge(chosen)

    def action_merge_all(self) -> None:
        chosen = [row for row in self.rows if row.status is InboxStatus.NEW]
        if not chosen:
            self.notify(
                _("No new roll-up file in this folder.")
                if self.PROVINCE
                else _("No new bundle in this folder."),
                severity="warning",
            )
            return
        self._merge(chosen)

    def _merge(self, chosen: list[InboxRow]) -> None:
        if self.merging:
            self.notify(_("A merge is running: wait until it ends."), severity="warning")
            return
        skipped = [row for row in chosen if not row.entry.mergeable]
        paths = [row.entry.path for row in chosen if row.entry.mergeable]
        if not paths:
            row = skipped[0]
            text = (
                _("{file} is not a roll-up file ({kind}): nothing to merge.")
                if self.PROVINCE
                else _("{file} is not a bundle ({kind}): nothing to merge.")
            )
            self.notify(
                text.format(
                    file=escape(printable(row.entry.name)),
                    kind=status_label(row.status, province=self.PROVINCE),
                ),
                severity="warning",
            )
            return
        self.merging = True
        box = self.query_one("#inbox-progress-box")
        box.display = True
        self.query_one("#inbox-progress", ProgressBar).update(total=len(paths), progress=0)
        self.query_one("#inbox-progress-text", Static).update("")
        self._run_merge(paths, [row.entry.name for row in skipped])

    @work(exclusive=True, group="inbox-merge", exit_on_error=False)
    async def _run_merge(self, paths: list[Path], skipped: list[str]) -> None:
        store = self.desk.require_store()

        def progress(done: int, total: int, name: str) -> None:
            self.app.call_from_thread(self._progress, done, total, name)

        try:
            outcomes = await self.in_thread(merge_paths, store, paths, progress=progress)
        except (StoreError, OSError) as error:
            # The store could not be written (a full disk, a file gone): said, not swallowed.
            # What each file's own transaction committed stays; merging again redoes the rest.
            reason = error.message if isinstance(error, StoreError) else os_error_text(error)
            self.app.push_screen(
                MessageScreen(
                    escape(_("The merge stopped: {reason}").format(reason=printable(reason))),
                    [escape(_("Read the folder again (r) to see what was merged."))],
                )
            )
            self.changed()
            return
        finally:
            self.merging = False
            if self.is_attached:
                self.query_one("#inbox-progress-box").display = False
        self.marked.clear()
        lines = [outcome_lines(outcome, province=self.PROVINCE) for outcome in outcomes]
        by_name = {path.name: path for path in paths}
        for line in lines:
            path = by_name.get(line.file)
            if line.kind is OutcomeKind.REFUSED and path is not None:
                entry = next((r.entry for r in self.rows if r.entry.path == path), None)
                if entry is not None:
                    why = line.details[0] if line.details else line.headline
                    self.refused[path] = (entry.size, entry.mtime, why)
        from tpsdesk.ui.district.merge_report import MergeReportScreen

        self.app.push_screen(MergeReportScreen(lines, skipped, province=self.PROVINCE))
        self.changed()

    def _progress(self, done: int, total: int, name: str) -> None:
        if not self.is_attached:
            return
        self.query_one("#inbox-progress", ProgressBar).update(total=total, progress=done)
        self.query_one("#inbox-progress-text", Static).update(
            escape(
                _("Merging {done}/{total}: {file}").format(
                    done=done + 1, total=total, file=printable(name)
                )
            )
        )
