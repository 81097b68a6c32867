"""Issue 10 point 2 in the app: the import preview lists what each update changes (old → new,
post and TPS included), flags rows whose NIK the district removed as a duplicate, and counts
every kind at the confirmation and after; an 80×24 Indonesian snapshot of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from tests.ui.conftest import (
    KEL,
    NIK_BUDI,
    NIK_SITI,
    SIZE,
    make_app,
    officer_fields,
    open_store,
    running,
    settle,
    static_text,
    table_rows,
)
from tests.ui.test_import_screen import open_import
from tests.ui.test_snapshots import steady, unlock
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, TabbedContent

from tpsdesk.domain.officer import OfficerFields
from tpsdesk.domain.problems import Sex
from tpsdesk.store import areas, officers
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync.receipt import _adopt_tombstone
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.message import MessageScreen
from tpsdesk.ui.screens.officer_import import OfficerImportScreen

SnapCompare = Callable[..., bool]
NIK_HADI = "3573052505800003"  # male, 25-05-1980: in the store and in the file, the same
NIK_AGUS = "3573050101900004"  # male, 01-01-1990: only in the file
HEADING = ["No", "No. KTP", "Nama", "Tempat Lahir", "Tgl. Lahir", "L/P", "Alamat", "Kode Pos",
           "No HP", "Status Kawin", "Jabatan", "TPS"]  # fmt: skip
ROWS = [
    # Ketua KPPS of TPS 001 in the store: Linmas of TPS 002 now, with a new phone number.
    [1, NIK_BUDI, "BUDI SANTOSO", "MALANG", "14-03-1985", "L", "Jl. Mawar 1", "65148",
     "081299990000", "Y", "Linmas", "2"],
    # Removed by the district as a duplicate.
    [2, NIK_SITI, "SITI AMINAH", "MALANG", "12-08-1990", "P", "Jl. Mawar 1", "65148",
     "081234567890", "Y", "Anggota KPPS", "1"],
    [3, NIK_HADI, "HADI", "MALANG", "25-05-1980", "L", "Jl. Mawar 1", "65148",
     "081234567890", "Y", "Anggota KPPS", "1"],
    [4, NIK_AGUS, "AGUS", "MALANG", "01-01-1990", "L", "Jl. Mawar 4", "65148",
     "081234567891", "T", "Anggota KPPS", "3"],
    [5, "357305140385", "NIK PENDEK", "MALANG", "14-03-1985", "L", "Jl. Mawar 3", "",
     "", "", "Anggota KPPS", "3"],
]  # fmt: skip
LEFT = "Not written: 1 unchanged, 1 invalid, 1 removed by the district (skipped)."


def write_file(path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["DAFTAR PETUGAS KPPS KELURAHAN BANDUNGREJOSARI"])
    sheet.append([])
    sheet.append(HEADING)
    for row in ROWS:
        sheet.append(row)
    workbook.save(path)
    return path


def remove_as_district(store: Store, officer_id: str) -> None:
    """What a receipt does with an officer the district removed as a duplicate."""
    with store.transaction() as session:
        officer = session.get(Officer, officer_id)
        assert officer is not None
        tombstone = {
            "version_device": "district-device",
            "version_counter": 3,
            "base_device": officer.version_device,
            "base_counter": officer.version_counter,
        }
        assert _adopt_tombstone(officer, tombstone, "receipt.tpsr") is True
        officer.status = "needs_fix"
        session.add(officer)


def fields(store: Store, nik: str, name: str, born: date, sex: Sex, post: str) -> OfficerFields:
    """As the form saves them: the post's duty period, as an import without one fills in."""
    found = store.catalogue.get(post)
    assert found is not None
    return replace(
        officer_fields(nik, name, born, sex, post),
        duty_start=found.duty_start,
        duty_end=found.duty_end,
    )


@pytest.fixture
def moved_store(area_store: Path) -> Path:
    with open_store(area_store) as store:
        tps = {t.number: t for t in areas.list_tps(store) if t.kelurahan_code == KEL}
        for nik, name, born, sex, post in (
            (NIK_BUDI, "BUDI SANTOSO", date(1985, 3, 14), Sex.MALE, "kpps_ketua"),
            (NIK_SITI, "SITI AMINAH", date(1990, 8, 12), Sex.FEMALE, "kpps_anggota"),
            (NIK_HADI, "HADI", date(1980, 5, 25), Sex.MALE, "kpps_anggota"),
        ):
            officer = officers.add_officer(
                store, fields(store, nik, name, born, sex, post), tps_id=tps[1].id
            )
            if nik == NIK_SITI:
                remove_as_district(store, officer.id)
    return area_store


def live(store: Store, nik: str) -> list[Any]:
    return officers.find_by_nik(store, nik)


async def test_a_moved_officer_is_shown_old_to_new_and_every_kind_counted(
    moved_store: Path, tmp_path: Path
) -> None:
    path = write_file(tmp_path / "petugas.xlsx")
    app = make_app(moved_store)
    async with running(app) as pilot:
        screen = await open_import(pilot, path)
        summary = static_text(app, "#import-summary")
        assert "1 new, 1 updated, 1 unchanged, 1 invalid, 1 removed by the district" in summary
        assert "1 row is skipped: the district removed its NIK as a duplicate." in summary
        assert "F4 imports the 2 new or changed rows" in summary
        # The changes come first: one line per officer, the values of the one under the cursor.
        assert screen.query_one("#import-tabs").active == "tab-changes"  # type: ignore[attr-defined]
        assert table_rows(app, "#changes") == [["4", "BUDI SANTOSO", "Post, TPS, Phone number"]]
        detail = static_text(app, "#change-detail").splitlines()
        assert detail == [
            "Row 4, BUDI SANTOSO:",
            "  Post: Ketua KPPS → Linmas",
            "  TPS: TPS 001 (Bandungrejosari) → TPS 002 (Bandungrejosari)",
            "  Phone number: 081234567890 → 081299990000",
        ]
        assert table_rows(app, "#removed") == [["5", NIK_SITI, "SITI AMINAH"]]

        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question.splitlines() == [
            "Import 2 valid rows (1 new, 1 updated)?",
            LEFT,
        ]
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert app.screen.message == "Imported: 1 new, 1 updated."
        assert app.screen.details == [LEFT]
        store = app.require_store()
        [budi] = live(store, NIK_BUDI)
        assert budi.post_code == "linmas" and budi.tps_number == 2
        assert live(store, NIK_SITI) == []  # not brought back
        assert len(live(store, NIK_AGUS)) == 1
        await pilot.press("escape")
        await settle(pilot)
        assert "Imported: 1 new, 1 updated." in static_text(app, "#import-summary")
        assert LEFT in static_text(app, "#import-summary")


async def test_removed_duplicates_are_added_again_only_when_ticked(
    moved_store: Path, tmp_path: Path
) -> None:
    path = write_file(tmp_path / "petugas.xlsx")
    app = make_app(moved_store)
    async with running(app) as pilot:
        screen = await open_import(pilot, path)
        why = static_text(app, "#removed-why")
        assert "removed these officers as duplicates" in why and "skipped" in why
        box = screen.query_one("#add-removed", Checkbox)
        assert box.value is False
        box.focus()
        await pilot.press("space")
        await settle(pilot)
        assert box.value is True
        assert "F4 imports the 3 new or changed rows" in static_text(app, "#import-summary")
        assert "skipped" not in static_text(app, "#import-summary")

        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.question.splitlines() == [
            "Import 3 valid rows (2 new, 1 updated)?",
            "Not written: 1 unchanged, 1 invalid.",
            "1 officer the district removed as a duplicate is added again.",
        ]
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        assert app.screen.message == "Imported: 2 new, 1 updated."
        assert len(live(app.require_store(), NIK_SITI)) == 1

        # Read again, the box is unticked: a choice made for one file, once.
        await pilot.press("escape")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, OfficerImportScreen)
        assert screen.query_one("#add-removed", Checkbox).value is False
        assert "0 new, 0 updated, 4 unchanged, 1 invalid" in static_text(app, "#import-summary")


def test_preview_with_changes_snapshot(
    moved_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snap_compare: SnapCompare
) -> None:
    """80×24, Indonesian: the officer moved from Ketua KPPS TPS 001 to Linmas TPS 002."""
    monkeypatch.chdir(tmp_path)
    write_file(Path("petugas.xlsx"))
    # Relative paths: the title shows the store's, the same on every run.
    app = make_app(moved_store.relative_to(tmp_path), language="id")

    async def preview(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("escape")  # the picker; the file as if chosen in it
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, OfficerImportScreen)
        screen.read_file(Path("petugas.xlsx"))

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=steady(preview))
    finally:
        app.close_store()


async def test_the_file_is_chosen_in_the_picker_and_its_folder_remembered(
    area_store: Path, tmp_path: Path
) -> None:
    """Issue 10 point 4 for the officer import: no typed path; the folder is remembered."""
    from tests.ui.test_area import choose_file
    from tests.ui.test_import_screen import HEADING as SIMPLE_HEADING
    from tests.ui.test_import_screen import officer_rows, write_sheet

    from tpsdesk.ui.screens.officer_import import PLACE_PURPOSE
    from tpsdesk.ui.widgets.places import PlacePicker, last_place, remember_place

    folder = tmp_path / "flashdisk"
    folder.mkdir()
    path = write_sheet(folder / "petugas.xlsx", [*SIMPLE_HEADING, "Jabatan", "TPS"], officer_rows())
    app = make_app(area_store)
    async with running(app) as pilot:
        await unlock(pilot)
        remember_place(PLACE_PURPOSE, tmp_path)  # last time: the folder above
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, PlacePicker)  # opened at once
        await pilot.press("escape")  # cancelled: nothing read, the way back said
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OfficerImportScreen)
        assert not screen.query("Input#path")  # no path to type
        assert "F5" in static_text(app, "#file")
        assert "F5" in static_text(app, "#import-summary")
        assert not screen.check_action("import_rows", ())

        await pilot.press("f1")
        await settle(pilot)
        keys = static_text(app, "#help-keys")
        assert "f5   Choose file" in keys and "f2   Preview" in keys
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("f2")  # no file yet: F2 opens the picker too
        await settle(pilot)
        assert isinstance(app.screen, PlacePicker)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f5")
        # The picker opens where the file was chosen last time: tmp_path; go into the folder.
        await choose_file(pilot, "flashdisk")
        await choose_file(pilot, "petugas.xlsx")
        assert isinstance(app.screen, OfficerImportScreen)
        assert static_text(app, "#file").startswith("petugas.xlsx")
        assert "2 new, 0 updated, 0 unchanged, 1 invalid" in static_text(app, "#import-summary")
        assert last_place(PLACE_PURPOSE) == folder
        assert path.parent == folder


def test_removed_by_the_district_snapshot(
    moved_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snap_compare: SnapCompare
) -> None:
    """80×24, Indonesian: the row whose NIK the district removed, why, and the tick box."""
    monkeypatch.chdir(tmp_path)
    write_file(Path("petugas.xlsx"))
    app = make_app(moved_store.relative_to(tmp_path), language="id")

    async def removed_tab(pilot: Pilot[Any]) -> None:
        await unlock(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, OfficerImportScreen)
        screen.read_file(Path("petugas.xlsx"))
        await settle(pilot)
        screen.query_one("#import-tabs", TabbedContent).active = "tab-removed"
        await settle(pilot)
        screen.query_one("#removed", DataTable).focus()

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=steady(removed_tab))
    finally:
        app.close_store()


async def test_many_changed_officers_are_paged(area_store: Path, tmp_path: Path) -> None:
    """A file where every row changes (a phone column filled in for 250 officers): the table
    shows 200 at a time, `[` and `]` page it, as the invalid rows."""
    import random

    from tpsdesk.domain.nik import synthetic_nik
    from tpsdesk.ui.screens.officer_import import PAGE_SIZE

    def name(number: int) -> str:  # names hold no digits: 201 → ORANG CAB
        return "ORANG " + "".join(chr(ord("A") + int(digit)) for digit in str(number))

    rng = random.Random(7)
    born = date(1985, 3, 14)
    niks = [synthetic_nik(rng, region="35.73.05", birth_date=born, sex=Sex.MALE, serial=n)
            for n in range(1, 251)]  # fmt: skip
    with open_store(area_store) as store:
        tps = areas.list_tps(store)[0]
        for number, nik in enumerate(niks, 1):
            found = store.catalogue.get("kpps_anggota")
            assert found is not None
            officers.add_officer(
                store,
                replace(
                    officer_fields(nik, name(number), born, Sex.MALE),
                    duty_start=found.duty_start,
                    duty_end=found.duty_end,
                ),
                tps_id=tps.id,
            )
    rows = [[n, nik, name(n), "MALANG", "14-03-1985", "L", "Jl. Mawar 1", "65148",
             f"0812{n:08d}", "Y", "Anggota KPPS", "1"]
            for n, nik in enumerate(niks, 1)]  # fmt: skip
    from tests.ui.test_import_screen import write_sheet

    path = write_sheet(tmp_path / "petugas.xlsx", HEADING, rows)
    app = make_app(area_store)
    async with running(app) as pilot:
        await open_import(pilot, path)
        assert "0 new, 250 updated" in static_text(app, "#import-summary")
        shown = table_rows(app, "#changes")
        assert len(shown) == PAGE_SIZE and shown[0][:2] == ["4", "ORANG B"]
        assert "Page 1 of 2" in static_text(app, "#changes-page")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert "Page 2 of 2" in static_text(app, "#changes-page")
        shown = table_rows(app, "#changes")
        assert len(shown) == 50 and shown[0][:3] == ["204", "ORANG CAB", "Phone number"]
        detail = static_text(app, "#change-detail")
        assert "Row 204, ORANG CAB:" in detail and "→ 081200000201" in detail
