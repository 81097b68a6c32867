"""Files out on the province desk (F7): the setup file of a kab/kota for its district store
(`province.write_district_setup`, what `tpsdesk province setup-file` writes), with the province
fingerprint the district office compares over the phone before installing it; and the
exports. A province writes no laptop setup files and no receipts.

The kab/kota are chosen from the province's list (those it issued setup files for: s or Enter
writes a new version for the one selected), or typed once with their code and name (n)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from tpsdesk.i18n import N_, _
from tpsdesk.store.db import Store, StoreError
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.province import IssuedDistrictSetup, IssuedKabkota
from tpsdesk.terminal import printable
from tpsdesk.ui.district.approve import day_text
from tpsdesk.ui.district.pane import DeskPane
from tpsdesk.ui.widgets.places import PlacePicker

PURPOSE = "district-setup-files"


def read_files_out(store: Store) -> tuple[str, str, list[IssuedKabkota]]:
    """(province fingerprint, province code or "", the kab/kota issued)."""
    from tpsdesk.sync.identity import ensure_district_identity
    from tpsdesk.sync.province import issued_kabkota, province_settings, require_province

    require_province(store)
    settings = province_settings(store)
    fingerprint = ensure_district_identity(store).fingerprint
    return fingerprint, settings.code if settings else "", issued_kabkota(store)


def setup_report(issued: IssuedDistrictSetup, path: Path) -> list[Text]:
    """The lines shown after a setup file was written: the province fingerprint first."""
    return [
        Text(
            _("Written: {file} (version {version} for {area} {name})").format(
                file=printable(str(path)),
                version=issued.version,
                area=issued.area,
                name=printable(issued.district_name),
            ),
            style="bold",
        ),
        Text(_("Read this fingerprint aloud when the district office installs it:")),
        Text("  " + issued.fingerprint, style="bold reverse"),
        Text(
            _(
                "The district installs it with: tpsdesk rollup join FILE --fingerprint "
                "FINGERPRINT. Then it reads its own district fingerprint (tpsdesk identity) to "
                "you: approve it with that in Districts (F4)."
            )
        ),
    ]


class DistrictSetupPane(DeskPane):
    TITLE = N_("Files out")

    BINDINGS = [
        Binding(
            "s",
            "setup_file",
            N_("Setup file"),
            id="province_files.setup",
            tooltip=N_("Write a new setup file for the kab/kota selected in the list (or Enter)"),
        ),
        Binding(
            "n",
            "new_kabkota",
            N_("New kab/kota"),
            id="province_files.new",
            tooltip=N_("Write the first setup file of a kab/kota: its code and name"),
        ),
        Binding(
            "e",
            "exports",
            N_("Exports"),
            id="province_files.exports",
            tooltip=N_("BPJS enrolment sheet, contribution budget, completion per TPS"),
        ),
    ]

    DEFAULT_CSS = """
    DistrictSetupPane #province-files-list {
        height: auto;
        max-height: 8;
    }
    DistrictSetupPane #province-files-result-box {
        height: 1fr;
    }
    DistrictSetupPane #province-files-head, DistrictSetupPane #province-files-result {
        padding: 0 1;
    }
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kabkota: list[IssuedKabkota] = []
        self.province_code = ""
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static("", id="province-files-fingerprint", classes="summary")
        yield Static("", id="province-files-head", classes="hint")
        yield DataTable(id="province-files-list", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="province-files-result-box"):
            yield Static("", id="province-files-result")

    def on_mount(self) -> None:
        table: DataTable[Any] = self.query_one("#province-files-list", DataTable)
        table.add_column(_("Kab/kota"), key="code")
        table.add_column(_("Name"), key="name", width=28)
        table.add_column(_("Version"), key="version")
        table.add_column(_("Made"), key="made")

    # -- reading ----------------------------------------------------------------------------

    def load(self) -> None:
        self._load()

    @work(exclusive=True, group="province-files-load", exit_on_error=False)
    async def _load(self) -> None:
        store = self.desk.require_store()
        try:
            fingerprint, code, kabkota = await self.in_thread(read_files_out, store)
        except (SyncError, StoreError) as failure:
            self._show([Text(failure.message, style="red")])
            return
        self.province_code = code
        self.kabkota = kabkota
        self.query_one("#province-files-fingerprint", Static).update(
            Text(_("Province fingerprint: {fingerprint}").format(fingerprint=fingerprint))
        )
        table: DataTable[Any] = self.query_one("#province-files-list", DataTable)
        table.clear()
        for entry in kabkota:
            table.add_row(
                entry.code,
                Text(printable(entry.name), overflow="ellipsis"),
                str(entry.version),
                day_text(entry.created_at),
                key=entry.code,
            )
        table.display = bool(kabkota)
        if not code:
            head = _("Set the province's name and code first (F8 Settings).")
        elif kabkota:
            head = _(
                "Setup files of the kab/kota: s or Enter writes a new one for the kab/kota "
                "selected, n for another kab/kota."
            )
        else:
            head = _("No setup file written yet: n writes the first one of a kab/kota.")
        self.query_one("#province-files-head", Static).update(head)
        if not self.busy:
            self.focus_if_shown(table)

    def selected(self) -> IssuedKabkota | None:
        table: DataTable[Any] = self.query_one("#province-files-list", DataTable)
        index = table.cursor_row
        if self.kabkota and 0 <= index < len(self.kabkota):
            return self.kabkota[index]
        return None

    # -- showing ----------------------------------------------------------------------------

    def _show(self, lines: list[Text]) -> None:
        self.query_one("#province-files-result", Static).update(Text("\n").join(lines))
        self.query_one("#province-files-result-box", VerticalScroll).scroll_home(animate=False)

    def _refuse(self, text: str) -> None:
        self._show([Text(text, style="red")])
        self.notify(text, severity="error", timeout=10)

    # -- setup files ------------------------------------------------------------------------

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_setup_file()

    def action_setup_file(self) -> None:
        entry = self.selected()
        if self.busy:
            return
        if entry is None:
            self.action_new_kabkota()
            return
        self._ask_folder(entry.code, entry.name)

    def action_new_kabkota(self) -> None:
        from tpsdesk.ui.screens.simple_form import FormField, SimpleForm, SubmitRefused

        if self.busy:
            return
        store = self.desk.require_store()

        def submit(values: dict[str, str]) -> tuple[str, str]:
            from tpsdesk.sync.province import check_district_setup

            try:
                _settings, area, name = check_district_setup(store, values["code"], values["name"])
            except SyncError as refused:
                raise SubmitRefused(refused.message) from None
            return area, name

        def answered(result: object) -> None:
            if isinstance(result, tuple):
                self._ask_folder(*result)

        prefix = f"{self.province_code}." if self.province_code else ""
        self.app.push_screen(
            SimpleForm(
                _("Setup file for a kab/kota"),
                [
                    FormField("code", _("Kab/kota code"), prefix, placeholder="35.07"),
                    FormField("name", _("Kab/kota name"), placeholder="Kabupaten Malang"),
                ],
                submit,
                hint=_(
                    "The code of the kab/kota in this province (e.g. 35.07) and its name, as "
                    "its district store is set up."
                ),
            ),
            answered,
        )

    def _ask_folder(self, code: str, name: str) -> None:
        def folder_chosen(folder: Path | None) -> None:
            if folder is not None:
                self.write_setup_file(code, name, folder)

        self.app.push_screen(
            PlacePicker(
                PURPOSE,
                title=_("Folder or drive for the setup file of {area}").format(area=code),
                kind="folder",
            ),
            folder_chosen,
        )

    def write_setup_file(self, code: str, name: str, folder: Path) -> None:
        if self.busy:
            return
        self.busy = True
        self._show([Text(_("Writing the setup file…"))])
        self._write(code, name, folder)

    @work(thread=True, exclusive=True, group="province-files-write", exit_on_error=False)
    def _write(self, code: str, name: str, folder: Path) -> None:
        from tpsdesk.sync.province import write_district_setup

        store = self.desk.require_store()
        try:
            issued, path = write_district_setup(store, code, name, folder)
        except (SyncError, StoreError) as failure:
            self.app.call_from_thread(self._failed, failure.message)
            return
        self.app.call_from_thread(self._done, issued, path)

    def _failed(self, text: str) -> None:
        self.busy = False
        self._refuse(text)

    def _done(self, issued: IssuedDistrictSetup, path: Path) -> None:
        self.busy = False
        self.changed()
        self._show(setup_report(issued, path))

    def action_exports(self) -> None:
        from tpsdesk.ui.screens.exports import ExportsScreen

        self.app.push_screen(ExportsScreen())
