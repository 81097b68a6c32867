"""Area set-up: kecamatan, kelurahan and TPS by hand, or from an area list (CSV or
spreadsheet); the selected kecamatan or kelurahan renamed (R, or E) or removed when empty
(Del), the selected TPS edited or deleted — its officers said first (store.area_changes)."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from tpsdesk.domain.area import (
    AreaCodeError,
    format_tps,
    kecamatan_of,
    normalize_kecamatan_code,
    normalize_kelurahan_code,
    parse_tps_number,
)
from tpsdesk.exchange.area_csv import AreaCsvError, import_area_csv
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.store import area_changes, areas
from tpsdesk.store.db import Store, StoreError
from tpsdesk.store.models import Kecamatan, Kelurahan, Tps
from tpsdesk.terminal import printable
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.message import MessageScreen
from tpsdesk.ui.screens.simple_form import FormField, SimpleForm, SubmitRefused
from tpsdesk.ui.widgets.columns import Column, FitTable
from tpsdesk.ui.widgets.key_bar import KeyBar

MAX_TPS_PER_ENTRY = 200
# Files the area-list picker shows (read by their content: see exchange/area_csv.py).
AREA_LIST_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods")


# The hint line above the table says which of K, L and T adds what.
ADD_GROUP = Binding.Group(N_("Add"))


class AreaScreen(BaseScreen):
    BINDINGS = [
        Binding(
            "k",
            "add_kecamatan",
            N_("Kecamatan"),
            id="area.add_kecamatan",
            tooltip=N_("Add a kecamatan"),
            group=ADD_GROUP,
        ),
        Binding(
            "l",
            "add_kelurahan",
            N_("Kelurahan"),
            id="area.add_kelurahan",
            tooltip=N_("Add a kelurahan or desa"),
            group=ADD_GROUP,
        ),
        Binding(
            "t",
            "add_tps",
            N_("TPS"),
            id="area.add_tps",
            tooltip=N_("Add one or more TPS"),
            group=ADD_GROUP,
        ),
        Binding(
            "e",
            "edit_tps",
            N_("Edit TPS"),
            id="area.edit_tps",
            tooltip=N_("Change the address or voter count of the selected TPS"),
        ),
        # Rare and confirmed: listed in F1 help and the hint line, leaving the footer room at
        # 80 columns.
        Binding(
            "r",
            "rename",
            N_("Rename"),
            id="area.rename",
            show=False,
            tooltip=N_("Rename the selected kecamatan or kelurahan (its code stays)"),
        ),
        Binding(
            "delete",
            "delete_tps",
            N_("Delete TPS, or remove an empty kelurahan or kecamatan"),
            id="area.delete_tps",
            show=False,
        ),
        Binding(
            "i",
            "import_csv",
            N_("Import list"),
            id="area.import",
            tooltip=N_("Read kecamatan, kelurahan and TPS from a CSV or spreadsheet file"),
        ),
        Binding("escape", "back", N_("Back"), id="area.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kecamatan: list[Kecamatan] = []
        self.kelurahan: list[Kelurahan] = []
        self.tps: list[Tps] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            _(
                "K adds a kecamatan, L a kelurahan, T one or more TPS (e.g. 1-12); I imports a "
                "list (CSV or spreadsheet). R renames the selected row, Del removes it."
            ),
            classes="hint",
        )
        yield FitTable(id="area", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = _("Area set-up")
        self.query_one("#area", FitTable).set_columns(
            Column("level", _("Level")),
            Column("code", _("Code")),
            Column("name", _("Name / address"), shrink_to=12, grow=True),
        )
        self.load()

    @work(exclusive=True, group="area", exit_on_error=False)
    async def load(self) -> None:
        store = self.desk.require_store()
        self.kecamatan, self.kelurahan, self.tps = await self.in_thread(_load_area, store)
        table: DataTable[str | Text] = self.query_one("#area", DataTable)
        row = table.cursor_row
        table.clear()
        # Names and addresses as Text: what a file brought in is shown as written, never as
        # markup.
        for kec in self.kecamatan:
            table.add_row(_("Kecamatan"), kec.code, Text(kec.name), key=f"kec:{kec.code}")
            for kel in (k for k in self.kelurahan if k.kecamatan_code == kec.code):
                table.add_row(
                    "  " + _("Kelurahan"), kel.code, Text(kel.name), key=f"kel:{kel.code}"
                )
                for tps in (t for t in self.tps if t.kelurahan_code == kel.code):
                    table.add_row(
                        "    TPS",
                        format_tps(tps.number),
                        Text(_tps_detail(tps)),
                        key=f"tps:{tps.id}",
                    )
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        table.focus()

    def _selected(self) -> tuple[str, str] | None:
        table: DataTable[str] = self.query_one("#area", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        kind, _sep, ident = key.partition(":")
        return kind, ident

    def _selected_kecamatan(self) -> str:
        selected = self._selected()
        if selected is None:
            return self.kecamatan[0].code if self.kecamatan else ""
        kind, ident = selected
        if kind == "kec":
            return ident
        if kind == "kel":
            return kecamatan_of(ident)
        tps = next((t for t in self.tps if t.id == ident), None)
        return kecamatan_of(tps.kelurahan_code) if tps else ""

    def _selected_kelurahan(self) -> str:
        selected = self._selected()
        if selected is None:
            return ""
        kind, ident = selected
        if kind == "kel":
            return ident
        if kind == "tps":
            tps = next((t for t in self.tps if t.id == ident), None)
            return tps.kelurahan_code if tps else ""
        return next((k.code for k in self.kelurahan if k.kecamatan_code == ident), "")

    def _after(self, result: object) -> None:
        if result is not None:
            self.load()

    # -- adding -------------------------------------------------------------------------------

    def action_add_kecamatan(self) -> None:
        store = self.desk.require_store()

        def submit(values: dict[str, str]) -> object:
            code = _code_or_refuse(normalize_kecamatan_code, values["code"])
            name = _required(values["name"], _("Name"))
            return _store_or_refuse(areas.add_kecamatan, store, code, name)

        self.app.push_screen(
            SimpleForm(
                _("New kecamatan"),
                [
                    FormField("code", _("Code"), placeholder="35.73.05"),
                    FormField("name", _("Name"), placeholder="Sukun"),
                ],
                submit,
                hint=_("The Kemendagri code: province.regency.kecamatan"),
            ),
            callback=self._after,
        )

    def action_add_kelurahan(self) -> None:
        if not self.kecamatan:
            self.notify(_("Add a kecamatan first (K)."), severity="warning")
            return
        store = self.desk.require_store()
        choices = tuple((f"{k.code} {k.name}", k.code) for k in self.kecamatan)

        def submit(values: dict[str, str]) -> object:
            code = _code_or_refuse(normalize_kelurahan_code, values["code"])
            name = _required(values["name"], _("Name"))
            if kecamatan_of(code) != values["kecamatan"]:
                raise SubmitRefused(
                    _("Code {code} does not lie in kecamatan {kecamatan}.").format(
                        code=code, kecamatan=values["kecamatan"]
                    )
                )
            return _store_or_refuse(areas.add_kelurahan, store, code, name, values["kecamatan"])

        kecamatan = self._selected_kecamatan()
        self.app.push_screen(
            SimpleForm(
                _("New kelurahan / desa"),
                [
                    FormField("kecamatan", _("Kecamatan"), value=kecamatan, choices=choices),
                    FormField(
                        "code",
                        _("Code"),
                        value=f"{kecamatan}." if kecamatan else "",
                        placeholder="35.73.05.1001",
                    ),
                    FormField("name", _("Name"), placeholder="Sukun"),
                ],
                submit,
                hint=_("Last part of the code: 1xxx for a kelurahan, 2xxx for a desa."),
            ),
            callback=self._after,
        )

    def action_add_tps(self) -> None:
        if not self.kelurahan:
            self.notify(_("Add a kelurahan first (L)."), severity="warning")
            return
        store = self.desk.require_store()
        choices = tuple((f"{k.code} {k.name}", k.code) for k in self.kelurahan)

        def submit(values: dict[str, str]) -> object:
            numbers = _tps_numbers(values["numbers"])
            voters = _voters(values["voters"])
            added = []
            for number in numbers:
                added.append(
                    _store_or_refuse(
                        areas.add_tps,
                        store,
                        values["kelurahan"],
                        number,
                        values["address"].strip(),
                        voters,
                    )
                )
            return added

        self.app.push_screen(
            SimpleForm(
                _("New TPS"),
                [
                    FormField(
                        "kelurahan",
                        _("Kelurahan"),
                        value=self._selected_kelurahan(),
                        choices=choices,
                    ),
                    FormField("numbers", _("TPS numbers"), placeholder="1  ·  1-12  ·  1,3,5"),
                    FormField("address", _("Address"), placeholder=_("optional")),
                    FormField("voters", _("Voters"), placeholder=_("optional")),
                ],
                submit,
            ),
            callback=self._after,
        )

    def _selected_tps(self) -> Tps | None:
        selected = self._selected()
        if selected is None or selected[0] != "tps":
            self.notify(_("Select a TPS row first."), severity="warning")
            return None
        return next((t for t in self.tps if t.id == selected[1]), None)

    def action_edit_tps(self) -> None:
        selected = self._selected()
        if selected is not None and selected[0] in ("kec", "kel"):
            self.action_rename()
            return
        tps = self._selected_tps()
        if tps is None:
            return
        store = self.desk.require_store()

        def submit(values: dict[str, str]) -> object:
            voters = _voters(values["voters"])
            return _store_or_refuse(
                areas.update_tps, store, tps.id, address=values["address"].strip(), voters=voters
            )

        self.app.push_screen(
            SimpleForm(
                _("TPS {number}").format(number=format_tps(tps.number)),
                [
                    FormField("address", _("Address"), value=tps.address),
                    FormField(
                        "voters", _("Voters"), value="" if tps.voters is None else str(tps.voters)
                    ),
                ],
                submit,
            ),
            callback=self._after,
        )

    # -- renaming and removing ----------------------------------------------------------------

    def action_rename(self) -> None:
        selected = self._selected()
        if selected is None or selected[0] not in ("kec", "kel"):
            self.notify(
                _("Select a kecamatan or kelurahan row to rename (E edits a TPS)."),
                severity="warning",
            )
            return
        self._open_rename(*selected)

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _open_rename(self, kind: str, code: str) -> None:
        """The rename form, or — on a laptop that may not rename it — why, said first."""
        store = self.desk.require_store()
        level = "kecamatan" if kind == "kec" else "kelurahan"
        try:
            refusal = await self.in_thread(area_changes.change_refusal, store, level, code)
        except StoreError as error:
            refusal = error.message
        if refusal:
            self.app.push_screen(MessageScreen(escape(refusal), []))
            return
        if kind == "kec":
            row: Kecamatan | Kelurahan | None = next(
                (k for k in self.kecamatan if k.code == code), None
            )
            rename, title = area_changes.rename_kecamatan, _("Rename kecamatan {code}")
        else:
            row = next((k for k in self.kelurahan if k.code == code), None)
            rename, title = area_changes.rename_kelurahan, _("Rename kelurahan {code}")
        if row is None:
            return

        def submit(values: dict[str, str]) -> object:
            name = _required(values["name"], _("Name"))
            return _store_or_refuse(rename, store, code, name)

        self.app.push_screen(
            SimpleForm(
                title.format(code=code),
                [FormField("name", _("Name"), value=row.name)],
                submit,
                hint=_("The code stays: it is what the district knows this place by."),
            ),
            callback=self._after,
        )

    def action_delete_tps(self) -> None:
        """Del: the selected TPS is deleted, or the selected kelurahan or kecamatan removed —
        when nothing holds it; what it holds is said first, before anything is asked."""
        selected = self._selected()
        if selected is None:
            return
        self._ask_removal(*selected)

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _ask_removal(self, kind: str, ident: str) -> None:
        store = self.desk.require_store()
        contents_of = {
            "kec": area_changes.kecamatan_contents,
            "kel": area_changes.kelurahan_contents,
            "tps": area_changes.tps_contents,
        }[kind]
        try:
            contents = await self.in_thread(contents_of, store, ident)
        except StoreError as error:
            self.app.push_screen(MessageScreen(escape(error.message), []))
            return
        if not contents.removable:
            # Said first: there is nothing to confirm while officers are registered there.
            self.app.push_screen(MessageScreen(escape(contents.refusal()), []))
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._remove(kind, ident)

        self.app.push_screen(ConfirmScreen(escape(contents.what_goes())), callback=answered)

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _remove(self, kind: str, ident: str) -> None:
        remove = {
            "kec": area_changes.remove_kecamatan,
            "kel": area_changes.remove_kelurahan,
            "tps": areas.delete_tps,
        }[kind]
        try:
            await self.in_thread(remove, self.desk.require_store(), ident)
        except StoreError as error:
            self.app.push_screen(MessageScreen(escape(error.message), []))
            return
        self.load()

    # -- importing ----------------------------------------------------------------------------

    def action_import_csv(self) -> None:
        from tpsdesk.ui.widgets.places import PlacePicker

        self.app.push_screen(
            PlacePicker(
                "area-list",
                title=_("Choose the area list (CSV, XLSX, XLS or ODS)"),
                kind="file",
                suffixes=AREA_LIST_SUFFIXES,
            ),
            callback=self._chosen,
        )

    def _chosen(self, path: Path | None) -> None:
        if path is not None:
            self.import_file(path)

    @work(exclusive=True, group="store", exit_on_error=False)
    async def import_file(self, path: Path) -> None:
        """Import the area list at `path` (the file chosen in the picker)."""
        store = self.desk.require_store()
        try:
            result, summary = await self.in_thread(import_area_csv, store, path)
        except (AreaCsvError, StoreError) as error:
            self.app.push_screen(MessageScreen(escape(error.message), []))
            return
        self._imported((path, result, summary))

    def _imported(self, outcome: object) -> None:
        if not isinstance(outcome, tuple):
            return
        path, result, summary = outcome
        if summary is None:
            # Problems quote the file's own text: never read as markup or terminal codes.
            lines = [escape(printable(problem.describe())) for problem in result.problems]
            self.app.push_screen(
                MessageScreen(
                    ngettext(
                        "{file}: nothing was imported. Fix this problem and try again.",
                        "{file}: nothing was imported. Fix these {count} problems and try again.",
                        len(lines),
                    ).format(file=escape(printable(path.name)), count=len(lines)),
                    lines,
                )
            )
            return
        self.notify(summary_text(summary), timeout=8)
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()


def _load_area(store: Store) -> tuple[list[Kecamatan], list[Kelurahan], list[Tps]]:
    return areas.list_kecamatan(store), areas.list_kelurahan(store), areas.list_tps(store)


def _tps_detail(tps: Tps) -> str:
    detail = tps.address
    if tps.voters is not None:
        detail = (detail + " · " if detail else "") + _("{n} voters").format(n=tps.voters)
    return detail


def _code_or_refuse(normalize: object, raw: str) -> str:
    try:
        return normalize(raw)  # type: ignore[operator]
    except AreaCodeError as error:
        raise SubmitRefused(error.message) from None


def _required(value: str, label: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise SubmitRefused(_("{field} is required.").format(field=label))
    return value


def _store_or_refuse(function: object, *args: object, **kwargs: object) -> object:
    try:
        return function(*args, **kwargs)  # type: ignore[operator]
    except StoreError as error:
        raise SubmitRefused(error.message) from None


def _tps_numbers(raw: str) -> list[int]:
    """'5' → [5]; '1-12' → 1..12; '1,3,5' → [1, 3, 5]."""
    numbers: list[int] = []
    text = raw.strip()
    if not text:
        raise SubmitRefused(_("Enter a TPS number, a range such as 1-12, or a list such as 1,3,5."))
    try:
        for part in text.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if "-" in part:
                first, _sep, last = part.partition("-")
                low, high = parse_tps_number(first), parse_tps_number(last)
                if high < low:
                    raise SubmitRefused(_("The range {range} runs backwards.").format(range=part))
                numbers.extend(range(low, high + 1))
            else:
                numbers.append(parse_tps_number(part))
    except AreaCodeError as error:
        raise SubmitRefused(error.message) from None
    if len(numbers) > MAX_TPS_PER_ENTRY:
        raise SubmitRefused(_("At most {n} TPS at once.").format(n=MAX_TPS_PER_ENTRY))
    return sorted(set(numbers))


def _voters(raw: str) -> int | None:
    text = raw.strip().replace(".", "")
    if not text:
        return None
    if not text.isdigit() or int(text) > 10000:
        raise SubmitRefused(_("Voters must be a whole number (at most 10000)."))
    return int(text)


def summary_text(summary: areas.AreaImportSummary) -> str:
    if not summary.changed:
        return _("Nothing new: the store already holds this area list.")
    return _(
        "Imported: {kec} new kecamatan, {kel} new kelurahan, {tps} new TPS, {updated} updated, "
        "{unchanged} unchanged."
    ).format(
        kec=summary.new_kecamatan,
        kel=summary.new_kelurahan,
        tps=summary.new_tps,
        updated=summary.updated,
        unchanged=summary.unchanged,
    )
