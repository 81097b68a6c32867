"""Files out (F7 on the district desk): setup files, receipts, exports and the KPJ import,
driven through the app on a sample world (`tpsdesk demo --district`)."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from tests.ui.conftest import (
    FAST_KDF,
    PASSPHRASE,
    fill,
    make_app,
    running,
    screen_text,
    static_text,
    type_text,
)
from textual.pilot import Pilot
from textual.widgets import DataTable, DirectoryTree, Input

from tpsdesk.exchange.demo_world import WorldSummary, build_world
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync import district
from tpsdesk.sync.identity import device_identity
from tpsdesk.sync.outbox import ALL_KELURAHAN
from tpsdesk.sync.receipt import import_receipt
from tpsdesk.sync.setup import read_setup_file
from tpsdesk.ui.app import TpsDeskApp
from tpsdesk.ui.district.desk import DistrictDeskScreen
from tpsdesk.ui.district.files_out import FilesOutPane
from tpsdesk.ui.district.participants_import import ParticipantsPreview
from tpsdesk.ui.district.setup_area import SetupAreaScreen
from tpsdesk.ui.screens.exports import ExportsScreen
from tpsdesk.ui.widgets.places import PlacePicker, remember_place


def make_world(store_path: Path) -> WorldSummary:
    store, _key = Store.create(
        store_path, PASSPHRASE, role="district", operator="Bu Sri", kdf=FAST_KDF
    )
    try:
        return build_world(store, PASSPHRASE, store_path.parent.parent / "world", kdf=FAST_KDF)
    finally:
        store.close()


@pytest.fixture
def world(store_path: Path) -> WorldSummary:
    return make_world(store_path)


async def open_files_out(pilot: Pilot[Any]) -> FilesOutPane:
    """Unlock the district store and open the Files out tab (F7)."""
    await fill(pilot, "#passphrase", PASSPHRASE)
    await pilot.press("enter")
    await quiet(pilot)
    assert isinstance(pilot.app.screen, DistrictDeskScreen), pilot.app.screen
    await pilot.press("f7")
    await quiet(pilot)
    return pilot.app.screen.query_one(FilesOutPane)


async def quiet(pilot: Pilot[Any]) -> None:
    """Like `settle`, but not waiting for the folder tree's loader: a DirectoryTree keeps a
    worker running for as long as it is shown, so `settle` never returns over a PlacePicker."""
    for _round in range(400):
        await pilot.pause()
        busy = [w for w in pilot.app.workers if w.is_running and w.group != "_loader"]
        if not busy:
            await pilot.pause()
            if not [w for w in pilot.app.workers if w.is_running and w.group != "_loader"]:
                return
        await asyncio.sleep(0.02)
    raise AssertionError("background work did not finish")


def result_text(app: TpsDeskApp) -> str:
    return static_text(app, "#files-result")


def folder(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.mkdir()
    return path


# -- setup files ---------------------------------------------------------------------------------


async def test_setup_file_for_one_kelurahan_through_the_area_list_and_the_picker(
    store_path: Path, world: WorldSummary, tmp_path: Path
) -> None:
    out = folder(tmp_path, "stick")
    remember_place("setup-files", out)  # the picker opens there; F2 takes it
    app = make_app(store_path)
    async with running(app) as pilot:
        await open_files_out(pilot)
        await pilot.press("s")
        await quiet(pilot)
        assert isinstance(app.screen, SetupAreaScreen)
        assert "Every kelurahan (24 files)" in screen_text(app)
        await type_text(pilot, "arjo")
        await pilot.pause()
        await pilot.press("enter")
        await quiet(pilot)
        assert isinstance(app.screen, PlacePicker)
        await pilot.press("f2")
        await quiet(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        files = sorted(out.glob("*.tpss"))
        assert len(files) == 1
        content = read_setup_file(files[0].read_bytes())
        assert content.area == world.laptops[0].kelurahan_code
        shown = result_text(app)
        assert files[0].name in shown
        assert content.fingerprint in shown
        assert "Read this fingerprint aloud" in shown
        # The duplicate TPS of the sample world is left out, and the screen says so.
        assert "1 TPS was left out" in shown
        sheet = out / "DISTRICT-FINGERPRINT.txt"
        assert content.fingerprint in sheet.read_text() and files[0].name in sheet.read_text()


async def test_setup_files_for_every_kelurahan(
    store_path: Path, world: WorldSummary, tmp_path: Path
) -> None:
    out = folder(tmp_path, "all")
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_files_out(pilot)
        pane.write_setup_files(ALL_KELURAHAN, out)
        await quiet(pilot)
        files = sorted(out.glob("*.tpss"))
        assert len(files) == world.kelurahan
        areas = {read_setup_file(f.read_bytes()).area for f in files}
        assert len(areas) == world.kelurahan
        assert "24 setup files written" in result_text(app)


async def test_setup_files_refused_while_the_district_is_not_named(
    store_path: Path, tmp_path: Path
) -> None:
    store, _key = Store.create(store_path, PASSPHRASE, role="district", kdf=FAST_KDF)
    store.close()
    app = make_app(store_path)
    async with running(app) as pilot:
        await fill(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await quiet(pilot)
        await pilot.press("escape")  # the district settings asked on first open: later
        await quiet(pilot)
        assert isinstance(app.screen, DistrictDeskScreen), app.screen
        await pilot.press("f7")
        await quiet(pilot)
        await pilot.press("s")
        await quiet(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        assert "name and code are not set yet: set them with F8" in result_text(app)
        assert list(tmp_path.rglob("*.tpss")) == []


async def test_setup_files_refused_while_the_district_has_no_tps(store_path: Path) -> None:
    from tpsdesk.sync.identity import set_district_settings

    store, _key = Store.create(store_path, PASSPHRASE, role="district", kdf=FAST_KDF)
    with store:
        set_district_settings(store, name="Kota Contoh", code="35.73")
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_files_out(pilot)
        assert "No laptop has sent a bundle yet" in static_text(app, "#files-head")
        await pilot.press("s")
        await quiet(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        assert "has no TPS yet" in result_text(app)
        await pilot.press("r")
        await quiet(pilot)
        assert "No laptop has news" in result_text(app)
        assert pane.news == []


# -- receipts --------------------------------------------------------------------------------


def laptop_ids(world: WorldSummary) -> dict[str, str]:
    """device id → laptop store path, of the approved laptops."""
    out = {}
    for laptop in world.laptops:
        with Store.open(laptop.store_path, PASSPHRASE) as field:
            me = device_identity(field)
            assert me is not None
            out[me.device_id] = str(laptop.store_path)
    return out


async def test_receipts_for_every_laptop_with_news(
    store_path: Path, world: WorldSummary, tmp_path: Path
) -> None:
    out = folder(tmp_path, "receipts")
    remember_place("receipts", out)
    laptops = laptop_ids(world)
    # Laptop 3 is revoked; one file name is taken already.
    with Store.open(store_path, PASSPHRASE) as store:
        devices = {d.device_id: d for d in district.list_devices(store)}
        third = next(
            d for d in devices.values() if laptops[d.device_id] == str(world.laptops[2].store_path)
        )
        district.revoke(store, third.fingerprint)
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_files_out(pilot)
        assert "2 laptops have news" in static_text(app, "#files-head")
        taken = next(n for n in pane.news if n.has_news)
        (out / taken.file_name).write_bytes(b"kept")
        await pilot.press("r")
        await quiet(pilot)
        assert isinstance(app.screen, PlacePicker)
        await pilot.press("f2")
        await quiet(pilot)
        shown = result_text(app)
        assert "1 receipt written" in shown
        assert f"{taken.file_name} already exists: nothing was written over it" in shown
        assert "revoked" in shown and "waiting for approval" in shown
        assert (out / taken.file_name).read_bytes() == b"kept"
        written = [p for p in out.glob("*.tpsr") if p.name != taken.file_name]
        assert len(written) == 1
        # The laptop whose name was taken still has news; written again elsewhere.
        assert "1 laptop has news" in static_text(app, "#files-head")
        other = folder(tmp_path, "other")
        pane.write_receipts(other)
        await quiet(pilot)
        written += list(other.glob("*.tpsr"))
        assert "No laptop" not in result_text(app)
        await pilot.press("r")
        await quiet(pilot)
        assert "No laptop has news since its last receipt" in result_text(app)
    # Each laptop's store imports its receipt.
    for path in written:
        short = path.name.split("_")[1]
        device_id = next(d for d in laptops if d.startswith(short))
        with Store.open(Path(laptops[device_id]), PASSPHRASE) as field:
            assert import_receipt(field, path.read_bytes(), file=path.name).version == 1


async def test_one_laptops_receipt_from_the_list(
    store_path: Path, world: WorldSummary, tmp_path: Path
) -> None:
    out = folder(tmp_path, "one")
    remember_place("receipts", out)
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_files_out(pilot)
        table = app.screen.query_one("#files-laptops", DataTable)
        assert app.focused is table
        first = pane.news[0]
        await pilot.press("enter")
        await quiet(pilot)
        assert isinstance(app.screen, PlacePicker)
        await pilot.press("f2")
        await quiet(pilot)
        assert [p.name for p in out.glob("*.tpsr")] == [first.file_name]
        # The waiting laptop is last in the list: no receipt for it.
        table.move_cursor(row=len(pane.news) - 1)
        # W is not in the footer (Enter does the same): F1 lists it.
        await pilot.press("f1")
        await quiet(pilot)
        assert "One receipt" in screen_text(app)
        await pilot.press("escape")
        await quiet(pilot)
        await pilot.press("w")
        await quiet(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        assert "waiting for approval" in result_text(app)


# -- exports and KPJ ---------------------------------------------------------------------------


async def test_exports_open_from_the_desk(
    store_path: Path, world: WorldSummary, tmp_path: Path
) -> None:
    app = make_app(store_path)
    async with running(app) as pilot:
        await open_files_out(pilot)
        await pilot.press("e")
        await quiet(pilot)
        assert isinstance(app.screen, ExportsScreen)
        assert "BPJS enrolment sheet" in screen_text(app)
        # It works on a district store: the sheet of every officer of the district.
        # The folder comes from the place picker; the file names stay.
        place = folder(tmp_path, "exports")
        remember_place("exports", place)
        await pilot.press("ctrl+o")
        await quiet(pilot)
        assert isinstance(app.screen, PlacePicker)
        await pilot.press("f2")
        await quiet(pilot)
        assert isinstance(app.screen, ExportsScreen)
        out = app.screen.out_path("bpjs")
        assert out.parent == place and out.name.startswith("bpjs-")
        app.screen.query_one("#out-bpjs", Input).focus()
        await pilot.press("enter")
        await quiet(pilot)
        assert out.exists()
        assert out.name in static_text(app, "#export-result")
        await pilot.press("escape")
        await quiet(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)


def kpj_file(store_path: Path, path: Path) -> list[str]:
    """A BPJS file: two officers' NIKs with numbers, a NIK nobody has, a bad NIK."""
    with Store.open(store_path, PASSPHRASE) as store, store.read() as session:
        niks = [o.nik for o in session.exec(select(Officer).where(Officer.deleted == False))]  # noqa: E712
    once = sorted(nik for nik, n in Counter(niks).items() if n == 1)
    chosen = once[:2]
    lines = ["NIK,No KPJ"]
    lines += [f"{nik},{24000000 + i}" for i, nik in enumerate(chosen)]
    lines += ["3573059999990001,24009999", "12345,24008888"]
    path.write_text("\n".join(lines) + "\n")
    return chosen


async def pick_only_file(pilot: Pilot[Any]) -> None:
    """Choose the one file in the picker's folder with the tree."""
    tree = pilot.app.screen.query_one(DirectoryTree)
    tree.focus()
    await quiet(pilot)
    for _round in range(50):  # the tree lists the folder in its loader
        if tree.root.children:
            break
        await asyncio.sleep(0.05)
        await pilot.pause()
    await pilot.press("down")  # from the folder to its first entry
    await pilot.press("enter")
    await quiet(pilot)


async def test_kpj_import_previews_then_records(
    store_path: Path, world: WorldSummary, tmp_path: Path
) -> None:
    place = folder(tmp_path, "bpjs")
    remember_place("participants", place)
    chosen = kpj_file(store_path, place / "kpj.csv")
    app = make_app(store_path)
    async with running(app) as pilot:
        await open_files_out(pilot)
        await pilot.press("k")
        await quiet(pilot)
        assert isinstance(app.screen, PlacePicker)
        await pick_only_file(pilot)
        assert isinstance(app.screen, ParticipantsPreview), app.screen
        shown = screen_text(app)
        assert "4 rows" in shown and "cannot be used" in shown
        assert "No officer has this NIK" in shown and "Not a 16-digit NIK" in shown
        await pilot.press("f2")
        await quiet(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        assert f"{len(chosen)} officers are now enrolled" in result_text(app)
    with Store.open(store_path, PASSPHRASE) as store, store.read() as session:
        enrolled = session.exec(select(Officer).where(Officer.bpjs_number != None)).all()  # noqa: E711
        assert sorted(o.nik for o in enrolled) == chosen


async def test_kpj_preview_cancelled_records_nothing_and_a_bad_file_is_refused(
    store_path: Path, world: WorldSummary, tmp_path: Path
) -> None:
    good = tmp_path / "kpj.csv"
    kpj_file(store_path, good)
    bad = tmp_path / "rusak.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a workbook")
    headless = tmp_path / "tanpa-judul.csv"
    headless.write_text("a,b\n1,2\n")
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_files_out(pilot)
        pane.preview_participants(good)
        await quiet(pilot)
        assert isinstance(app.screen, ParticipantsPreview)
        await pilot.press("escape")
        await quiet(pilot)
        assert "Nothing was recorded from kpj.csv" in result_text(app)
        pane.preview_participants(bad)
        await quiet(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        assert "rusak.xlsx" in result_text(app)
        pane.preview_participants(headless)
        await quiet(pilot)
        assert "no header with a NIK column and a KPJ column" in result_text(app)
    with Store.open(store_path, PASSPHRASE) as store, store.read() as session:
        assert session.exec(select(Officer).where(Officer.bpjs_number != None)).all() == []  # noqa: E711


# -- hostile text --------------------------------------------------------------------------------

HOSTILE = "[bold red]Evil[/] \x1b[31m"


async def test_names_from_the_store_are_shown_as_text(
    store_path: Path, world: WorldSummary, tmp_path: Path
) -> None:
    """A place name holding markup and an escape code (a laptop's bundle can bring one) is
    shown literally, in the list, the area list and the setup report."""
    from tpsdesk.store.models import Kelurahan

    code = world.laptops[0].kelurahan_code
    with Store.open(store_path, PASSPHRASE) as store, store.transaction() as session:
        row = session.exec(select(Kelurahan).where(Kelurahan.code == code)).one()
        row.name = HOSTILE
        session.add(row)
    app = make_app(store_path)
    async with running(app) as pilot:
        pane = await open_files_out(pilot)
        assert "35.73.01.1001 [bold red]…" in screen_text(app)
        await pilot.press("s")
        await quiet(pilot)
        assert isinstance(app.screen, SetupAreaScreen)
        await type_text(pilot, code[-4:])
        await quiet(pilot)
        shown = screen_text(app)
        assert "[bold red]Evil[/]" in shown
        assert "\x1b" not in shown
        await pilot.press("escape")
        await quiet(pilot)
        out = folder(tmp_path, "out")
        pane.write_setup_files(code, out)
        await quiet(pilot)
        assert "[bold red]Evil[/]" in result_text(app)
        assert "\x1b" not in result_text(app)
