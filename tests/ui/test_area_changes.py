"""The area screen: renaming and removing kecamatan and kelurahan, TPS delete saying its
officers first, and a messy office sheet imported."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from tests.ui.conftest import (
    KEC,
    KEL,
    fill,
    make_app,
    open_store,
    running,
    screen_text,
    settle,
    static_text,
    table_rows,
    unlock,
)
from textual.pilot import Pilot

from tpsdesk.store import areas
from tpsdesk.store.area_scope import SETUP_INSTALLED_META
from tpsdesk.store.versioning import set_meta
from tpsdesk.ui.app import TpsDeskApp
from tpsdesk.ui.screens.area import AreaScreen
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.screens.message import MessageScreen
from tpsdesk.ui.screens.simple_form import SimpleForm

PLACE = f"kelurahan Bandungrejosari ({KEL}), kecamatan Sukun ({KEC})"


async def open_area(pilot: Pilot[None]) -> None:
    await unlock(pilot)
    await pilot.press("f2")
    await settle(pilot)
    assert isinstance(pilot.app.screen, AreaScreen)


def said(app: TpsDeskApp) -> str:
    """The question or message of the dialog on top, as the screen shows it (no markup)."""
    screen = app.screen
    if isinstance(screen, ConfirmScreen):
        return Text.from_markup(screen.question).plain
    assert isinstance(screen, MessageScreen)
    return Text.from_markup(screen.message).plain


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def test_tps_delete_says_its_officers_first(sample_store: Path) -> None:
    app = make_app(sample_store)
    async with running(app) as pilot:
        await open_area(pilot)
        # TPS 001 holds three officers: said at once, nothing to confirm, nothing deleted.
        await press(pilot, "down", "down", "delete")
        assert isinstance(app.screen, MessageScreen)
        assert f"TPS 001 of {PLACE} still has 3 officers" in said(app)
        await press(pilot, "escape")
        assert isinstance(app.screen, AreaScreen)
        assert len(areas.list_tps(app.require_store())) == 3

        # TPS 003 is empty: the question names its kelurahan and kecamatan; N keeps it.
        await press(pilot, "down", "down", "delete")
        assert isinstance(app.screen, ConfirmScreen)
        assert said(app) == f"Delete TPS 003 of {PLACE}?"
        await press(pilot, "n")
        assert len(areas.list_tps(app.require_store())) == 3
        await press(pilot, "delete")
        await press(pilot, "y")
        assert isinstance(app.screen, AreaScreen)
        assert [t.number for t in areas.list_tps(app.require_store())] == [1, 2]
        assert [row[1] for row in table_rows(app, "#area")] == [KEC, KEL, "001", "002"]

        # The kecamatan and the kelurahan hold officers: refused first, with how many.
        await press(pilot, "up", "up", "up", "up", "delete")
        assert isinstance(app.screen, MessageScreen)
        text = said(app)
        assert text.startswith(f"Kecamatan Sukun ({KEC}) still has 5 officers registered")
        assert "nothing is removed" in text
        await press(pilot, "escape", "down", "delete")
        assert said(app).startswith(f"K{PLACE[1:]} still has 5 officers registered")
        await press(pilot, "escape")
        assert len(areas.list_kelurahan(app.require_store())) == 1


async def test_rename_kecamatan_and_kelurahan(area_store: Path) -> None:
    app = make_app(area_store)
    async with running(app) as pilot:
        await open_area(pilot)
        # R on the kelurahan row: its name, the code in the title and kept.
        await press(pilot, "down", "r")
        assert isinstance(app.screen, SimpleForm)
        assert app.screen.values()["name"] == "Bandungrejosari"
        assert f"Rename kelurahan {KEL}" in screen_text(app)
        await fill(pilot, "#name", "   ")
        await press(pilot, "f2")
        assert isinstance(app.screen, SimpleForm)
        assert "Name is required" in static_text(app, "#error")
        await fill(pilot, "#name", "Bandung\u202erejosari")
        await press(pilot, "f2")
        assert "invisible formatting character" in static_text(app, "#error")
        await fill(pilot, "#name", "Bandungrejosari  Baru")
        await press(pilot, "f2")
        assert isinstance(app.screen, AreaScreen)
        assert [(k.code, k.name) for k in areas.list_kelurahan(app.require_store())] == [
            (KEL, "Bandungrejosari Baru")
        ]
        assert "Bandungrejosari Baru" in screen_text(app)

        # E on the kecamatan row renames it too; Esc leaves it as it was.
        await press(pilot, "up", "e")
        assert isinstance(app.screen, SimpleForm)
        await press(pilot, "escape")
        await press(pilot, "e")
        await fill(pilot, "#name", "Sukun Kota")
        await press(pilot, "f2")
        assert [k.name for k in areas.list_kecamatan(app.require_store())] == ["Sukun Kota"]

        # R on a TPS row: it says what to select; nothing opens.
        await press(pilot, "down", "down", "r")
        assert isinstance(app.screen, AreaScreen)
        assert any("E edits a TPS" in str(n.message) for n in app._notifications)


async def test_remove_empty_kelurahan_then_kecamatan(area_store: Path) -> None:
    app = make_app(area_store)
    async with running(app) as pilot:
        await open_area(pilot)
        await press(pilot, "down", "delete")
        assert isinstance(app.screen, ConfirmScreen)
        assert said(app) == f"Remove {PLACE} and its 3 TPS?"
        await press(pilot, "escape")
        assert len(areas.list_tps(app.require_store())) == 3
        await press(pilot, "delete", "y")
        assert isinstance(app.screen, AreaScreen)
        store = app.require_store()
        assert areas.list_kelurahan(store) == [] and areas.list_tps(store) == []
        assert [row[1] for row in table_rows(app, "#area")] == [KEC]

        await press(pilot, "delete")
        assert isinstance(app.screen, ConfirmScreen)
        assert said(app) == f"Remove kecamatan Sukun ({KEC})? It has no kelurahan."
        await press(pilot, "y")
        assert table_rows(app, "#area") == []
        # Nothing selected: Del does nothing.
        await press(pilot, "delete")
        assert isinstance(app.screen, AreaScreen)
    with open_store(area_store) as reopened:
        assert areas.list_kecamatan(reopened) == []


async def test_an_enrolled_laptop_leaves_the_districts_list_alone(area_store: Path) -> None:
    with open_store(area_store) as store, store.transaction() as session:
        set_meta(session, SETUP_INSTALLED_META, {"file_id": "f", "version": 1, "area": KEL})
    app = make_app(area_store)
    async with running(app) as pilot:
        await open_area(pilot)
        await press(pilot, "r")
        assert isinstance(app.screen, MessageScreen)  # said before a name is asked for
        assert "only the district renames or removes" in said(app)
        await press(pilot, "escape", "down", "delete")
        assert isinstance(app.screen, MessageScreen)  # said first: nothing to confirm
        assert "Ask the district for a new setup file" in said(app)
        assert areas.list_kecamatan(app.require_store())[0].name == "Sukun"
        assert len(areas.list_kelurahan(app.require_store())) == 1


def _office_sheet(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["DAFTAR TPS KECAMATAN SUKUN"])
    sheet.append([])
    sheet.append(["Kode Kec.", "Kecamatan", "Kode Kel./Desa", "Kel./Desa", "No. TPS", "Alamat"])
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("A4:A5")
    sheet.merge_cells("B4:B5")
    workbook.save(path)
    return path


async def test_import_an_office_sheet(store_path: Path, tmp_path: Path) -> None:
    from tests.ui.conftest import create_store

    create_store(store_path)
    good = _office_sheet(
        tmp_path / "Daftar TPS.xlsx",
        [
            [KEC, "Sukun", KEL, "Bandungrejosari", 1, "Jl. Mawar 1"],
            [None, None, KEL, "Bandungrejosari", 2, "[b]Jl.[/b] Mawar 2"],
        ],
    )
    bad = _office_sheet(
        tmp_path / "salah.xlsx",
        [
            [KEC, "Sukun", KEL, "[red]Satu[/red]", 1, None],
            [None, None, KEL, "Dua", 2, None],
            [None, None, KEL, "[red]Satu[/red]", 3, None],
        ],
    )
    app = make_app(store_path)
    async with running(app) as pilot:
        await open_area(pilot)
        screen = app.screen
        assert isinstance(screen, AreaScreen)
        screen.import_file(bad)
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        text = "\n".join(Text.from_markup(line).plain for line in app.screen.details)
        # Row 5 names the kelurahan otherwise than row 4: the file's markup shown as text.
        assert "Row 5, column D (Kel./Desa)" in text and "[red]Satu[/red]" in text
        assert "Row 6, column A (Kode Kec.)" in text  # the merged code stops at row 5
        assert areas.list_kecamatan(app.require_store()) == []
        await press(pilot, "escape")
        screen.import_file(good)
        await settle(pilot)
        assert [row[1] for row in table_rows(app, "#area")] == [KEC, KEL, "001", "002"]
        assert table_rows(app, "#area")[-1][2] == "[b]Jl.[/b] Mawar 2"
        assert "[b]Jl.[/b] Mawar 2" in screen_text(app)  # shown as written, not as markup
