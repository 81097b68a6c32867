"""Officer import in the app (F4): preview, invalid rows, mapping correction, confirm, cancel,
bad files, a stale preview; on real stores and real XLSX files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import text
from tests.ui.conftest import (
    NIK_BUDI,
    NIK_SITI,
    create_store,
    make_app,
    running,
    settle,
    static_text,
    table_rows,
    unlock,
)
from tests.ui.test_area import choose_file
from textual.widgets import Select

from tpsdesk.store.db import Store
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.message import MessageScreen
from tpsdesk.ui.screens.officer_import import PAGE_SIZE, PLACE_PURPOSE, OfficerImportScreen
from tpsdesk.ui.widgets.places import remember_place

HEADING = ["No", "No. KTP", "Nama Lengkap", "Tempat Lahir", "Tgl. Lahir", "L/P", "Alamat"]


def write_sheet(path: Path, heading: list[str], rows: list[list[Any]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Petugas"
    sheet.append(["DAFTAR PETUGAS KPPS KELURAHAN BANDUNGREJOSARI"])
    sheet.append([])
    sheet.append(heading)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def officer_rows(post_heading_value: str = "kpps_anggota") -> list[list[Any]]:
    return [
        [1, NIK_BUDI, "BUDI SANTOSO", "MALANG", "14-03-1985", "L", "Jl. Mawar 1",
         post_heading_value, 1],
        [2, NIK_SITI, "SITI AMINAH", "MALANG", "12-08-1990", "P", "Jl. Mawar 2",
         post_heading_value, 2],
        [3, "357305140385", "NIK PENDEK", "MALANG", "14-03-1985", "L", "Jl. Mawar 3",
         post_heading_value, 3],
    ]  # fmt: skip


def officer_count(store: Store) -> int:
    with store.read() as session:
        count = session.connection().execute(text("SELECT count(*) FROM officer WHERE deleted = 0"))
        return int(count.scalar_one())


async def open_import(pilot: Any, path: Path) -> OfficerImportScreen:
    """F4 on the dashboard opens the import and its file picker, where `path` is chosen (the
    picker opens in its folder, remembered as if chosen there before)."""
    await unlock(pilot)
    remember_place(PLACE_PURPOSE, path.parent)
    await pilot.press("f4")
    await choose_file(pilot, path.name)
    screen = pilot.app.screen
    assert isinstance(screen, OfficerImportScreen)
    return screen


async def read_again(pilot: Any, screen: OfficerImportScreen, path: Path) -> None:
    """What choosing `path` in the picker does (for files the picker cannot show)."""
    screen.read_file(path)
    await settle(pilot)


async def test_preview_counts_and_invalid_rows_then_import(
    area_store: Path, tmp_path: Path
) -> None:
    sheet = write_sheet(tmp_path / "petugas.xlsx", [*HEADING, "Jabatan", "TPS"], officer_rows())
    app = make_app(area_store)
    async with running(app) as pilot:
        await open_import(pilot, sheet)
        store = app.require_store()
        summary = static_text(app, "#import-summary")
        assert "header on row 3" in summary
        assert "2 new, 0 updated, 0 unchanged, 1 invalid" in summary
        # Row 6 of the sheet (two title rows, the header, then the third officer).
        rows = table_rows(app, "#invalid")
        assert [row[:2] for row in rows] == [["6", "B No. KTP"]]
        assert "12 digits" in rows[0][2]
        assert officer_count(store) == 0  # a preview writes nothing

        # Cancelling the confirmation writes nothing either.
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert officer_count(store) == 0

        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert app.screen.message == "Imported: 2 new, 0 updated."
        assert app.screen.details[0] == "Not written: 0 unchanged, 1 invalid."
        assert officer_count(store) == 2
        await pilot.press("escape")
        await settle(pilot)

        # Applied: F4 does nothing until the file is read again, which now finds no change.
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, OfficerImportScreen)
        await pilot.press("f2")
        await settle(pilot)
        assert "0 new, 0 updated, 2 unchanged, 1 invalid" in static_text(app, "#import-summary")
        assert officer_count(store) == 2


async def test_correcting_a_column_plans_again(area_store: Path, tmp_path: Path) -> None:
    # "Posisi di TPS" is no heading tpsdesk knows: the post column is ignored at first.
    sheet = write_sheet(
        tmp_path / "petugas.xlsx", [*HEADING, "Posisi di TPS", "TPS"], officer_rows()
    )
    app = make_app(area_store)
    async with running(app) as pilot:
        screen = await open_import(pilot, sheet)
        assert "0 new, 0 updated, 0 unchanged, 3 invalid" in static_text(app, "#import-summary")
        assert screen.preview is not None
        column = next(c for c in screen.preview.sheet.columns if c.heading == "Posisi di TPS")
        assert column.field is None
        select: Select[str] = app.screen.query_one(f"#map-{column.index}", Select)
        assert select.value == "-"
        select.value = "post_code"
        await settle(pilot)
        assert "press F2" in static_text(app, "#import-summary")
        # Importing the old preview is refused while a correction is pending.
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, OfficerImportScreen)

        await pilot.press("f2")
        await settle(pilot)
        assert "2 new, 0 updated, 0 unchanged, 1 invalid" in static_text(app, "#import-summary")
        assert screen.overrides == {"Posisi di TPS": "post_code"}
        select = app.screen.query_one(f"#map-{column.index}", Select)
        assert select.value == "post_code"

        # Keep the correction: it is saved with the import and used next time.
        from textual.widgets import Checkbox

        app.screen.query_one("#save-mapping", Checkbox).value = True
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        from tpsdesk.exchange.officer_sheet import load_saved_mapping

        saved = load_saved_mapping(app.require_store())
        assert saved.field_for("Posisi di TPS") == "post_code"


async def test_a_nik_column_nobody_knows_is_chosen_in_the_columns_tab(
    area_store: Path, tmp_path: Path
) -> None:
    # "Nomor Induk" is no NIK heading tpsdesk knows: the file cannot be read until the person
    # says which column holds the NIK.
    heading = ["No", "Nomor Induk", *HEADING[2:], "Jabatan", "TPS"]
    sheet = write_sheet(tmp_path / "petugas.xlsx", heading, officer_rows())
    app = make_app(area_store)
    async with running(app) as pilot:
        screen = await open_import(pilot, sheet)
        assert screen.preview is None
        assert "no NIK column" in static_text(app, "#import-error")
        column = next(c for c in screen.columns if c.heading == "Nomor Induk")
        select: Select[str] = app.screen.query_one(f"#map-{column.index}", Select)
        select.value = "nik"
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert screen.preview is not None
        assert "2 new, 0 updated, 0 unchanged, 1 invalid" in static_text(app, "#import-summary")
        assert screen.overrides == {"Nomor Induk": "nik"}


async def test_bad_files_are_explained(area_store: Path, tmp_path: Path) -> None:
    not_a_sheet = tmp_path / "notes.xlsx"
    not_a_sheet.write_bytes(b"this is not a workbook")
    damaged = tmp_path / "rusak.xlsx"
    good = write_sheet(tmp_path / "petugas.xlsx", [*HEADING, "Jabatan", "TPS"], officer_rows())
    damaged.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])  # cut short
    empty = tmp_path / "kosong.csv"
    empty.write_bytes(b"")
    headings_only = write_sheet(tmp_path / "judul.xlsx", [*HEADING, "Jabatan", "TPS"], [])
    app = make_app(area_store)
    async with running(app) as pilot:
        screen = await open_import(pilot, not_a_sheet)
        assert "notes.xlsx" in static_text(app, "#file")
        error = static_text(app, "#import-error")
        assert error and "Traceback" not in error
        assert "nothing was imported" in static_text(app, "#import-summary")
        assert screen.preview is None

        await read_again(pilot, screen, headings_only)
        assert "no rows under its header" in static_text(app, "#import-summary")
        assert not screen.check_action("import_rows", ())

        for path in (damaged, empty, tmp_path / "gone.xlsx"):
            await read_again(pilot, screen, path)
            error = static_text(app, "#import-error")
            assert error and "Traceback" not in error, path
            assert screen.preview is None, path
        assert "gone.xlsx" in static_text(app, "#import-error")

        # A good file after the bad ones: read, and the error is gone.
        await read_again(pilot, screen, good)
        assert screen.preview is not None
        assert static_text(app, "#import-error") == ""


async def test_a_stale_preview_is_refused(area_store: Path, tmp_path: Path) -> None:
    sheet = write_sheet(tmp_path / "petugas.xlsx", [*HEADING, "Jabatan", "TPS"], officer_rows())
    app = make_app(area_store)
    async with running(app) as pilot:
        await open_import(pilot, sheet)
        store = app.require_store()
        store.set_operator("Pak Joko")  # the store changes after the preview
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert "preview the file again" in app.screen.message
        assert officer_count(store) == 0


async def test_many_invalid_rows_are_paged(area_store: Path, tmp_path: Path) -> None:
    rows = [[n, "123", f"ORANG {n}", "MALANG", "01-01-1990", "L", "Jl. X", "kpps_anggota", 1]
            for n in range(1, 451)]  # fmt: skip
    sheet = write_sheet(tmp_path / "rusak.xlsx", [*HEADING, "Jabatan", "TPS"], rows)
    app = make_app(area_store)
    async with running(app) as pilot:
        screen = await open_import(pilot, sheet)
        assert "450 invalid" in static_text(app, "#import-summary")
        assert len(screen.problems) >= 450
        assert len(table_rows(app, "#invalid")) == PAGE_SIZE
        assert "Page 1 of" in static_text(app, "#invalid-page")
        first = table_rows(app, "#invalid")[0][0]
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert "Page 2 of" in static_text(app, "#invalid-page")
        assert table_rows(app, "#invalid")[0][0] != first


async def test_area_screen_imports_an_xlsx_area_list(store_path: Path, tmp_path: Path) -> None:
    from tests.ui.conftest import create_store
    from tests.ui.test_area import choose_file

    from tpsdesk.store import areas
    from tpsdesk.ui.widgets.places import remember_place

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["kecamatan_code", "kecamatan_name", "kelurahan_code", "kelurahan_name",
                  "tps_number", "tps_address"])  # fmt: skip
    sheet.append(["35.73.05", "Sukun", "35.73.05.1001", "Bandungrejosari", 1, "Jl. Mawar 1"])
    sheet.append(["35.73.05", "Sukun", "35.73.05.1001", "Bandungrejosari", 2, "Jl. Mawar 2"])
    workbook.save(tmp_path / "wilayah.xlsx")
    create_store(store_path)
    app = make_app(store_path)
    async with running(app) as pilot:
        await unlock(pilot)
        await pilot.press("f2")
        await settle(pilot)
        remember_place("area-list", tmp_path)  # the picker opens where the list is
        await pilot.press("i")
        await choose_file(pilot, "wilayah.xlsx")
        assert [t.number for t in areas.list_tps(app.require_store())] == [1, 2]


async def test_a_store_without_area_says_to_set_it_up_first(
    store_path: Path, tmp_path: Path
) -> None:
    """Issue 8 point 10: instead of every row listed as invalid, what to do first."""
    create_store(store_path)
    path = write_sheet(tmp_path / "petugas.xlsx", [*HEADING, "Jabatan", "TPS"], officer_rows())
    app = make_app(store_path)
    async with running(app) as pilot:
        screen = await open_import(pilot, path)
        assert "This store has no area yet" in static_text(app, "#import-error")
        assert screen.preview is None
