"""The laptop's side of sync in the app: enrol (fingerprint checked), send a bundle the district
merges, read a receipt (accepted, refused, KPJ, corrections side by side), the fix list and
its banner, the roster's statuses, and the refusals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.sync.test_flow import _renamed, add_officer, district_store
from tests.sync.test_receipt_encrypted import _record_report
from tests.ui.conftest import (
    FAST_KDF,
    PASSPHRASE,
    make_app,
    running,
    screen_text,
    settle,
    static_text,
    table_rows,
    type_text,
    unlock,
)
from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, DirectoryTree

from tpsdesk.store import areas, officers
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync import district
from tpsdesk.sync.bundle import export_bundle, merge_released, read_bundle_file, receive_files
from tpsdesk.sync.corrections import list_corrections
from tpsdesk.sync.receipt import build_receipt
from tpsdesk.sync.setup import build_setup_file, enroll, installed_setup
from tpsdesk.ui.screens.correction import CorrectionScreen
from tpsdesk.ui.screens.fixes import FixesScreen
from tpsdesk.ui.screens.message import MessageScreen
from tpsdesk.ui.screens.sync_screen import FingerprintDialog, SyncScreen
from tpsdesk.ui.widgets.fingerprint_entry import FingerprintEntry
from tpsdesk.ui.widgets.places import PlacePicker, remember_place

KEL = "35.73.05.1001"
KPJ = "24019876543"
SETUP_NAME = "35730051001_setup_v1.tpss"


@dataclass
class World:
    hq: Store
    laptop_path: Path
    usb: Path
    setup: bytes


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A district (Kota Malang, kelurahan Bandungrejosari, TPS 1–3), its setup file on a USB
    stick, and an empty field store the app opens."""
    hq = district_store(tmp_path / "district" / "d.store")
    usb = tmp_path / "usb"
    usb.mkdir()
    setup = build_setup_file(hq, KEL)
    (usb / SETUP_NAME).write_bytes(setup)
    laptop_path = tmp_path / "desk" / "tpsdesk.store"
    store, _key = Store.create(
        laptop_path, PASSPHRASE, operator="Bu Sri", role="field", kdf=FAST_KDF
    )
    store.close()
    yield World(hq, laptop_path, usb, setup)
    hq.close()


def enrolled(world: World) -> Store:
    store = Store.open(world.laptop_path, PASSPHRASE)
    enroll(store, world.setup, confirm_fingerprint=lambda _fp: True)
    return store


def approve_and_merge(hq: Store, bundle: Path) -> list[Any]:
    outcomes = receive_files(hq, [(bundle.name, lambda: read_bundle_file(bundle))])
    [waiting] = outcomes
    district.approve(hq, waiting.fingerprint)  # type: ignore[union-attr]
    return merge_released(hq, waiting.device_id)  # type: ignore[union-attr]


async def open_sync(pilot: Pilot[Any]) -> SyncScreen:
    await unlock(pilot)
    await pilot.press("f7")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, SyncScreen)
    return screen


def flat(text: str) -> str:
    """Screen text with its line breaks and box borders gone (a message wraps anywhere)."""
    for border in "█▌▐┃":
        text = text.replace(border, " ")
    return " ".join(text.split())


async def wait_for_picker(pilot: Pilot[Any]) -> PlacePicker:
    """The PlacePicker just opened (not `settle`: its tree's loader is a worker that runs
    while the tree is shown)."""
    for _round in range(200):
        await pilot.pause(0.02)
        if isinstance(pilot.app.screen, PlacePicker):
            return pilot.app.screen
    raise AssertionError("no place picker")


async def choose_file(pilot: Pilot[Any], name: str) -> None:
    """In the PlacePicker just opened (at the remembered folder): the file called `name`,
    chosen with the tree."""
    picker = await wait_for_picker(pilot)
    tree = picker.query_one(DirectoryTree)
    for _round in range(200):
        lines = [tree.get_node_at_line(line) for line in range(tree.last_line + 1)]
        found = [n for n in lines if n is not None and n.data and n.data.path.name == name]
        if found:
            tree.focus()
            tree.move_cursor(found[0])
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot)
            return
        await pilot.pause(0.02)
    raise AssertionError(f"{name} is not in the picker's tree")


async def choose_folder(pilot: Pilot[Any]) -> None:
    """In the PlacePicker just opened: the folder it opened at (F2)."""
    await wait_for_picker(pilot)
    await pilot.press("f2")
    await settle(pilot)


# -- enrol ------------------------------------------------------------------------------------


async def test_enrol_refuses_a_wrong_fingerprint_then_takes_the_right_one(world: World) -> None:
    remember_place("setup-file", world.usb)
    expected = build_fingerprint(world)
    async with running(make_app(world.laptop_path)) as pilot:
        await open_sync(pilot)
        assert "Not enrolled yet" in screen_text(pilot.app)
        await pilot.press("s")  # nothing to send before enrolling
        await settle(pilot)
        assert "Enrol first" in screen_text(pilot.app)

        await pilot.press("e")
        await choose_file(pilot, SETUP_NAME)
        dialog = pilot.app.screen
        assert isinstance(dialog, FingerprintDialog)
        shown = screen_text(pilot.app)
        assert expected in shown and "group by group" in shown
        wrong = expected[:-1] + ("1" if expected[-1] != "1" else "2")
        await type_text(pilot, wrong[:23])  # 4 groups, key by key, spaces and all
        await pilot.press("enter")  # not all of it yet: said, and the dialog stays
        await pilot.pause()
        assert pilot.app.screen is dialog
        assert "Only 20 of 30 digits typed" in screen_text(pilot.app)
        await pilot.press(*wrong.replace(" ", "")[20:])
        await pilot.pause()
        marks = static_text(pilot.app, ".fingerprint-marks")
        assert marks.split()[:6] == ["✓"] * 5 + ["✗"]
        assert "Group 6 differs" in marks
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MessageScreen)
        assert "does not match" in screen_text(pilot.app)
        await pilot.press("escape")
        await settle(pilot)
        store = pilot.app.store
        assert store is not None and installed_setup(store) is None  # nothing changed

        await pilot.press("e")
        await choose_file(pilot, SETUP_NAME)
        dialog = pilot.app.screen
        assert isinstance(dialog, FingerprintDialog)
        dialog.query_one(FingerprintEntry).field.post_message(events.Paste(expected))  # whole
        await pilot.pause()
        assert static_text(pilot.app, ".fingerprint-marks").split() == ["✓"] * 6
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, MessageScreen)
        text = screen_text(pilot.app)
        assert "enrolled with Kota Malang (35.73)" in text
        assert "1 kecamatan, 1 kelurahan, 3 TPS" in text
        await pilot.press("escape")
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "Enrolled with Kota Malang (35.73)" in text and KEL in text
        assert "read it over the phone" in text
        assert installed_setup(store) is not None

        # The same file again: a confirmation, then the setup module's refusal.
        await pilot.press("e")
        await choose_file(pilot, SETUP_NAME)
        assert "Install setup file version 1" in screen_text(pilot.app)
        await pilot.press("y")
        await settle(pilot)
        assert "is installed" in screen_text(pilot.app)


def build_fingerprint(world: World) -> str:
    from tpsdesk.sync.setup import read_setup_file

    return read_setup_file(world.setup).fingerprint


async def test_a_damaged_setup_file_is_refused_before_any_question(world: World) -> None:
    (world.usb / SETUP_NAME).write_bytes(world.setup[:-40] + b"x" * 40)
    remember_place("setup-file", world.usb)
    async with running(make_app(world.laptop_path)) as pilot:
        await open_sync(pilot)
        await pilot.press("e")
        await choose_file(pilot, SETUP_NAME)
        assert isinstance(pilot.app.screen, MessageScreen)
        assert SETUP_NAME in screen_text(pilot.app)


async def test_a_fingerprint_confirmed_without_typing_enrols(world: World) -> None:
    async with running(make_app(world.laptop_path)) as pilot:
        screen = await open_sync(pilot)
        screen.enrol_from(world.usb / SETUP_NAME)
        await settle(pilot)
        assert isinstance(pilot.app.screen, FingerprintDialog)
        await pilot.press("f2")  # every group matched what was read
        await settle(pilot)
        assert "Did the district office read exactly" in screen_text(pilot.app)
        await pilot.press("y")
        await settle(pilot)
        assert "enrolled with Kota Malang" in screen_text(pilot.app)


# -- send -------------------------------------------------------------------------------------


async def test_send_writes_a_bundle_the_district_merges(world: World) -> None:
    with enrolled(world) as store:
        for serial in (1, 2):
            add_officer(store, serial)
    out = world.usb / "kirim"
    out.mkdir()
    remember_place("send", out)
    async with running(make_app(world.laptop_path)) as pilot:
        await open_sync(pilot)
        assert "officers: 2 new, 0 changed, 0 removed" in screen_text(pilot.app)
        await pilot.press("s")
        await choose_folder(pilot)
        assert isinstance(pilot.app.screen, MessageScreen)
        [bundle] = list(out.glob("*.tpsb"))
        text = screen_text(pilot.app)
        assert bundle.name in text and "Changes 1–" in text
        assert "officers: 2 new" in text and "district office" in text
        await pilot.press("escape")
        await settle(pilot)
        assert "Last bundle: " + bundle.name in screen_text(pilot.app)
        # The roster says they went.
        await pilot.press("escape", "enter")
        await settle(pilot)
        statuses = {row[-1] for row in table_rows(pilot.app, "#officers") if row[1]}
        assert statuses == {"sent"}
    [merged] = approve_and_merge(world.hq, bundle)
    assert merged.status == "merged" and len(merged.report.accepted) == 2
    assert officers.count_officers(world.hq) == 2


async def test_nothing_to_send_says_so(world: World) -> None:
    enrolled(world).close()
    async with running(make_app(world.laptop_path)) as pilot:
        await open_sync(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SyncScreen)
        assert "Nothing to send" in screen_text(pilot.app)


async def test_an_unwritable_folder_is_refused_clearly(world: World) -> None:
    with enrolled(world) as store:
        add_officer(store, 1)
    blocked = world.usb / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    async with running(make_app(world.laptop_path)) as pilot:
        screen = await open_sync(pilot)
        screen.send_to(blocked)
        await settle(pilot)
        assert isinstance(pilot.app.screen, MessageScreen)
        assert "Could not write" in screen_text(pilot.app)
    with Store.open(world.laptop_path, PASSPHRASE) as store:
        assert {o.status for o in officers.list_officers(store)} == {"ready"}  # not "sent"


# -- receipt ----------------------------------------------------------------------------------


@dataclass
class Received:
    good: str
    kpj: str
    take: str
    keep: str
    refused: str
    receipt: Path


def receipt_world(world: World) -> Received:
    """A receipt saying: one officer accepted, one registered with a KPJ number, one row
    refused, and two corrections of the district that met changes made on the laptop."""
    with enrolled(world) as laptop:
        good = add_officer(laptop, 1)
        kpj = add_officer(laptop, 2)
        take = add_officer(laptop, 3)
        keep = add_officer(laptop, 4)
        first = export_bundle(laptop, world.usb / "b1")
        approve_and_merge(world.hq, first.path)
        device_id = laptop.device_id
        refused = add_officer(laptop, 5)
        second = export_bundle(laptop, world.usb / "b2")
        _record_report(world.hq, device_id, (second.seq_from, second.seq_to), [], [refused])
        _renamed(world.hq, take, "NAMA DARI KABUPATEN")
        _renamed(world.hq, keep, "NAMA KABUPATEN LAIN")
        with world.hq.transaction() as session:
            officer = session.get(Officer, kpj)
            assert officer is not None
            officer.bpjs_number = KPJ
            session.add(officer)
        _renamed(laptop, take, "NAMA DI LAPTOP")
        _renamed(laptop, keep, "NAMA LAPTOP LAIN")
    _header, data = build_receipt(world.hq, device_id)
    folder = world.usb / "tanda-terima"
    folder.mkdir()
    path = folder / "35730051001_receipt_v1.tpsr"
    path.write_bytes(data)
    return Received(good, kpj, take, keep, refused, path)


async def test_read_a_receipt_then_fix_and_compare(world: World) -> None:
    got = receipt_world(world)
    remember_place("receipt", got.receipt.parent)
    async with running(make_app(world.laptop_path)) as pilot:
        await open_sync(pilot)
        await pilot.press("r")
        await choose_file(pilot, got.receipt.name)
        screen = pilot.app.screen
        assert isinstance(screen, FixesScreen)
        report = static_text(pilot.app, "#report")
        assert "Accepted: 1 · KPJ numbers received: 1 · to fix: 3" in report
        assert "2 corrections wait beside this laptop's values" in report
        names = [row[0] for row in table_rows(pilot.app, "#fixes")]
        assert names == ["NAMA DI LAPTOP", "NAMA LAPTOP LAIN", "Petugas F"]
        refused_row = table_rows(pilot.app, "#fixes")[2]
        assert "belongs to a kecamatan" in refused_row[3]

        # Side by side: take the district's name for the first.
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CorrectionScreen)
        sides = table_rows(pilot.app, "#sides")
        name_row = next(row for row in sides if row[1] == "Name")
        assert name_row == ["≠", "Name", "NAMA DI LAPTOP", "NAMA DARI KABUPATEN"]
        assert sum(1 for row in sides if row[0] == "≠") == 1
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FixesScreen)
        names = [row[0] for row in table_rows(pilot.app, "#fixes")]
        assert "NAMA DARI KABUPATEN" in names

        # Keep this laptop's for the other (from the officer form, F7).
        table = pilot.app.screen.query_one("#fixes", DataTable)
        table.move_cursor(row=names.index("NAMA LAPTOP LAIN"))
        await pilot.press("enter")
        await settle(pilot)
        assert "District's value: NAMA KABUPATEN LAIN" in screen_text(pilot.app)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(pilot.app.screen, CorrectionScreen)
        await pilot.press("k")
        await settle(pilot)
        assert "NAMA KABUPATEN LAIN" not in screen_text(pilot.app)  # the form, reloaded
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FixesScreen)
        assert "press C" not in screen_text(pilot.app)

        # Back on the dashboard: the banner, and the roster's statuses.
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert "3 officers need a fix" in screen_text(pilot.app)
        await pilot.press("enter")
        await settle(pilot)
        statuses = {row[2]: row[-1] for row in table_rows(pilot.app, "#officers") if row[1]}
        assert statuses["Petugas B"] == "accepted"
        assert statuses["Petugas C"] == "KPJ registered"
        assert statuses["Petugas F"] == "needs fixing"

    with Store.open(world.laptop_path, PASSPHRASE) as store:
        assert list_corrections(store) == []
        assert officers.get_officer(store, got.take).name == "NAMA DARI KABUPATEN"  # type: ignore[union-attr]
        assert officers.get_officer(store, got.keep).name == "NAMA LAPTOP LAIN"  # type: ignore[union-attr]
        assert officers.get_officer(store, got.kpj).bpjs_number == KPJ  # type: ignore[union-attr]


async def test_the_dashboard_banner_opens_the_fix_list(world: World) -> None:
    got = receipt_world(world)
    with Store.open(world.laptop_path, PASSPHRASE) as store:
        from tpsdesk.sync.receipt import import_receipt

        import_receipt(store, got.receipt.read_bytes(), file=got.receipt.name)
    async with running(make_app(world.laptop_path)) as pilot:
        await unlock(pilot)
        banner = static_text(pilot.app, "#fix-banner")
        assert "3 officers need a fix (2 corrections of the district to compare)" in banner
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(pilot.app.screen, FixesScreen)
        assert len(table_rows(pilot.app, "#fixes")) == 3
        table = pilot.app.screen.query_one("#fixes", DataTable)
        table.move_cursor(row=2)
        await pilot.pause()
        assert "belongs to a kecamatan" in static_text(pilot.app, "#reason")
        await pilot.press("enter")
        await settle(pilot)
        from tpsdesk.ui.screens.officer_form import OfficerFormScreen

        assert isinstance(pilot.app.screen, OfficerFormScreen)
        assert "belongs to a kecamatan" in screen_text(pilot.app)


async def test_receipt_refusals_are_clear_and_change_nothing(world: World) -> None:
    got = receipt_world(world)
    tampered = got.receipt.with_name("tampered.tpsr")
    data = bytearray(got.receipt.read_bytes())
    data[-10] ^= 0x01
    tampered.write_bytes(bytes(data))
    other = got.receipt.with_name("setup-not-receipt.tpsr")
    other.write_bytes(world.setup)
    async with running(make_app(world.laptop_path)) as pilot:
        screen = await open_sync(pilot)
        for path in (tampered, other):
            screen.read_receipt(path)
            await settle(pilot)
            assert isinstance(pilot.app.screen, MessageScreen), path
            assert path.name in screen_text(pilot.app)
            await pilot.press("escape")
            await settle(pilot)
        screen.read_receipt(got.receipt)
        await settle(pilot)
        assert isinstance(pilot.app.screen, FixesScreen)
        await pilot.press("escape")
        await settle(pilot)
        screen.read_receipt(got.receipt)  # the same again
        await settle(pilot)
        await pilot.pause()
        assert isinstance(pilot.app.screen, MessageScreen)
        assert "was imported already" in flat(screen_text(pilot.app))


async def test_a_decision_at_the_district_comes_back_to_the_laptop(world: World) -> None:
    """A conflict the clerk decided by editing (the district's value) travels in the receipt
    and shows on the laptop."""
    from tpsdesk.sync.district_models import FindingKind, FindingStatus

    with enrolled(world) as laptop:
        officer_id = add_officer(laptop, 1)
        first = export_bundle(laptop, world.usb / "b1")
        device_id = laptop.device_id
    approve_and_merge(world.hq, first.path)
    _renamed(world.hq, officer_id, "NAMA KANTOR")
    with Store.open(world.laptop_path, PASSPHRASE) as laptop:
        _renamed(laptop, officer_id, "NAMA LAPANGAN")
        second = export_bundle(laptop, world.usb / "b2")
    outcomes = receive_files(world.hq, [(second.path.name, lambda: read_bundle_file(second.path))])
    assert outcomes[0].report is not None and outcomes[0].report.conflicts  # type: ignore[union-attr]
    [finding] = district.list_findings(
        world.hq, status=FindingStatus.OPEN, kind=FindingKind.CONFLICT
    )
    district.resolve_finding(world.hq, finding.id, "edit", values={"name": "NAMA PUTUSAN"})
    _header, data = build_receipt(world.hq, device_id)
    receipt = world.usb / "r.tpsr"
    receipt.write_bytes(data)
    async with running(make_app(world.laptop_path)) as pilot:
        screen = await open_sync(pilot)
        screen.read_receipt(receipt)
        await settle(pilot)
        assert isinstance(pilot.app.screen, FixesScreen)
        # The laptop's version went in the bundle the conflict came from, yet the decision
        # arrives as a correction meeting a change made here: shown side by side, taken.
        assert "1 correction waits" in static_text(pilot.app, "#report")
        await pilot.press("c")
        await settle(pilot)
        name_row = next(row for row in table_rows(pilot.app, "#sides") if row[1] == "Name")
        assert name_row == ["≠", "Name", "NAMA LAPANGAN", "NAMA PUTUSAN"]
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("escape", "escape", "enter")
        await settle(pilot)
        names = [row[2] for row in table_rows(pilot.app, "#officers") if row[1]]
        assert names == ["NAMA PUTUSAN"]


async def test_a_hostile_district_name_is_shown_as_text(tmp_path: Path) -> None:
    """Names in a setup file are the district's text, shown as typed: no markup. (A control
    character in a name is refused when the file is made and when it is read.)"""
    hostile = "Kota [bold red]Malang[/] [link=x]"
    hq = district_store(tmp_path / "district" / "d.store", name=hostile)
    try:
        setup_path = tmp_path / SETUP_NAME
        setup_path.write_bytes(build_setup_file(hq, KEL))
    finally:
        hq.close()
    laptop_path = tmp_path / "desk" / "tpsdesk.store"
    Store.create(laptop_path, PASSPHRASE, role="field", kdf=FAST_KDF)[0].close()
    async with running(make_app(laptop_path)) as pilot:
        screen = await open_sync(pilot)
        screen.enrol_from(setup_path)
        await settle(pilot)
        assert isinstance(pilot.app.screen, FingerprintDialog)
        shown = screen_text(pilot.app)
        assert "Kota [bold red]Malang[/] [link=x]" in shown
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "Kota [bold red]Malang[/] [link=x]" in screen_text(pilot.app)
        await pilot.press("escape")
        await settle(pilot)
        assert "Enrolled with Kota [bold red]Malang[/] [link=x]" in screen_text(pilot.app)


async def test_another_districts_setup_file_is_refused_after_enrolment(
    world: World, tmp_path: Path
) -> None:
    enrolled(world).close()
    other = district_store(tmp_path / "other" / "d.store", code="35.07", name="Kabupaten Malang")
    try:
        areas.add_kecamatan(other, "35.07.01", "Donomulyo")
        areas.add_kelurahan(other, "35.07.01.2001", "Tulungrejo", "35.07.01")
        foreign = tmp_path / "other.tpss"
        foreign.write_bytes(build_setup_file(other, "35.07.01.2001"))
    finally:
        other.close()
    async with running(make_app(world.laptop_path)) as pilot:
        screen = await open_sync(pilot)
        screen.enrol_from(foreign)
        await settle(pilot)
        assert isinstance(pilot.app.screen, MessageScreen)
        text = flat(screen_text(pilot.app))
        assert "from another district" in text and "Nothing was changed" in text
    with Store.open(world.laptop_path, PASSPHRASE) as store:
        installed = installed_setup(store)
        assert installed is not None and installed.area == KEL


def test_the_receipt_report_says_gaps_refused_places_and_a_new_identity() -> None:
    from tpsdesk.sync.receipt import ReceiptSummary
    from tpsdesk.ui.screens.sync_screen import receipt_report

    summary = ReceiptSummary(
        version=3,
        acknowledged_seq=9,
        gaps=((4, 6),),
        statuses={"accepted": 2, "enrolled": 1},
        updated_rows=3,
        kept_local=1,
        corrected=1,
        new_device_id="d2",
        new_fingerprint="11111 22222 33333 44444 55555 66666",
        refused_places=(("TPS 9 [b]x[/b]", "Taken."),),
    )
    lines = receipt_report(summary)
    text = "\n".join(lines)
    assert "Accepted: 2 · KPJ numbers received: 1 · to fix: 0" in text
    assert "missing changes 4–6" in text
    assert "refused TPS 9 \\[b]x\\[/b]: Taken." in text  # markup escaped for the screen
    assert "new identity" in text and "11111 22222 33333 44444 55555 66666" in text
    assert "up to number 9" not in text  # the old timeline's number means nothing now
    assert "1 record took the district's correction" in text


def test_the_receipt_report_counts_removed_duplicates_apart_from_work_to_do() -> None:
    from tpsdesk.sync.receipt import ReceiptSummary
    from tpsdesk.ui.screens.sync_screen import receipt_report

    summary = ReceiptSummary(
        version=2,
        acknowledged_seq=14,
        gaps=(),
        statuses={"accepted": 10, "needs_fix": 2},
        updated_rows=1,
        kept_local=0,
        removed=1,
    )
    shown = "\n".join(receipt_report(summary))
    assert "to fix: 1" in shown
    assert "1 record removed by the district" in shown
