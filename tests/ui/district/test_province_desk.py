"""A province store opens the province desk (the district desk one level up): its Inbox merges
the districts' roll-up files and tells a laptop's bundle; Districts approves a district by the
district fingerprint of `tpsdesk identity`; Coverage is per kab/kota; Files out writes the setup
file of a kab/kota with the province fingerprint; no text on it speaks of laptops."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from tests.sync.conftest import MERGE_PASSPHRASE, make_bundle, officer_row, valid_nik
from tests.sync.test_rollup import (
    TODAY,
    District,
    approve,
    files,
    join,
    make_district,
    make_province,
)
from tests.ui.conftest import (
    fill,
    make_app,
    running,
    screen_text,
    settle,
    table_rows,
    type_text,
)
from tests.ui.district.test_files_out import quiet
from textual.pilot import Pilot
from textual.widgets import Button

from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync.district_models import DeviceStatus, ReceivedBundle
from tpsdesk.sync.identity import district_identity
from tpsdesk.sync.merge import merge_bundle
from tpsdesk.sync.province import build_district_setup, install_province_setup
from tpsdesk.sync.rollup import export_rollup, receive_rollup
from tpsdesk.ui.app import TpsDeskApp
from tpsdesk.ui.district.desk import DistrictDeskScreen
from tpsdesk.ui.district.inbox import InboxPane
from tpsdesk.ui.district.merge_report import MergeReportScreen
from tpsdesk.ui.province.coverage import KabkotaCoveragePane
from tpsdesk.ui.province.desk import ProvinceDeskScreen
from tpsdesk.ui.province.districts import ApproveDistrictDialog, DistrictsPane
from tpsdesk.ui.province.files_out import DistrictSetupPane
from tpsdesk.ui.screens.message import MessageScreen
from tpsdesk.ui.screens.simple_form import SimpleForm
from tpsdesk.ui.widgets.fingerprint_entry import FingerprintEntry
from tpsdesk.ui.widgets.places import PlacePicker

ISSUED_AT = datetime(2024, 9, 20, 8, 0, tzinfo=UTC)
RECEIVED_AT = datetime(2024, 9, 30, 9, 0, tzinfo=UTC)


@dataclass
class ProvinceWorld:
    path: Path
    merged: District  # 35.73, approved, its roll-up merged
    waiting: District  # 35.07, its first roll-up waiting for approval

    def fingerprint(self, d: District) -> str:
        identity = district_identity(d.store)
        assert identity is not None
        return identity.fingerprint


def build_province_world(root: Path) -> ProvinceWorld:
    """A province (35 Jawa Timur) with two districts that joined it: Kota Malang approved and
    merged, Kabupaten Malang waiting; the dates it shows fixed."""
    path = root / "p" / "p.store"
    province = make_province(path)
    a = make_district(root / "a" / "a.store", "35.73", "Kota Malang", officers=2)
    b = make_district(root / "b" / "b.store", "35.07", "Kabupaten Malang", officers=1)
    for d, name in ((a, "Kota Malang"), (b, "Kabupaten Malang")):
        issued = build_district_setup(province, d.code, name, now=ISSUED_AT)
        install_province_setup(d.store, issued.data, fingerprint=issued.fingerprint)
    for d in (a, b):
        for name, data in files(d, root / "rollups" / d.code):
            receive_rollup(province, data, file=name, today=TODAY)
    approve(province, a)
    with province.transaction() as session:
        for record in session.exec(select(ReceivedBundle)):
            record.received_at = RECEIVED_AT
            session.add(record)
    province.close()
    return ProvinceWorld(path, a, b)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ProvinceWorld]:
    built = build_province_world(tmp_path)
    yield built
    built.merged.store.close()
    built.waiting.store.close()


async def open_desk(pilot: Pilot[Any], key: str | None = None) -> ProvinceDeskScreen:
    await fill(pilot, "#passphrase", MERGE_PASSPHRASE)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ProvinceDeskScreen), screen
    if key is not None:
        await pilot.press(key)
        await settle(pilot)
    return screen


def officer_ids(path: Path) -> set[str]:
    store = Store.open(path, MERGE_PASSPHRASE)
    try:
        with store.read() as session:
            return set(session.exec(select(Officer.id)))
    finally:
        store.close()


def no_laptops(text: str) -> None:
    assert "laptop" not in text.lower(), text


async def test_the_province_desk_merges_roll_up_files(tmp_path: Path) -> None:
    province_path = tmp_path / "p" / "p.store"
    province = make_province(province_path)
    a = make_district(tmp_path / "a" / "a.store", "35.73", "Kota Malang", officers=2)
    try:
        join(province, a)
        for name, data in files(a, tmp_path / "first"):
            receive_rollup(province, data, file=name, today=TODAY)
        approve(province, a)
        province.close()
        # The laptop sends one more officer; the district rolls up again into the inbox.
        row = officer_row(device=a.device, counter=50, tps_id=a.tps[0], kelurahan=a.kel,
                          kecamatan_code=a.kec, nik=valid_nik(serial=4321))  # fmt: skip
        assert merge_bundle(a.store, make_bundle(a.device, a.key, [row], seq_from=4, area=a.kel),
                            today=TODAY).merged  # fmt: skip
        inbox = tmp_path / "inbox"
        export_rollup(a.store, inbox)
        app = make_app(province_path)
        async with running(app) as pilot:
            await open_desk(pilot)
            assert isinstance(app.screen, DistrictDeskScreen)  # the same desk, one level up
            pane = app.screen.query_one(InboxPane)
            pane.open_folder(inbox)
            await settle(pilot)
            assert [r.entry.name for r in pane.rows] == ["3573_rollup_1-2.tpsu"]
            await pilot.press("a")
            await settle(pilot)
            # The report speaks of roll-up files (a chosen file that is none is skipped).
            assert isinstance(app.screen, MergeReportScreen) and app.screen.province
            app.push_screen(MergeReportScreen([], ["catatan.txt"], province=True))
            await settle(pilot)
            assert "catatan.txt: not a roll-up file; skipped." in screen_text(app)
        assert officer_ids(province_path) == {*a.officers, row["values"]["id"]}
    finally:
        a.store.close()


async def test_the_districts_tab_approves_by_the_fingerprint_of_identity(
    world: ProvinceWorld,
) -> None:
    said = world.fingerprint(world.waiting)
    app = make_app(world.path)
    async with running(app) as pilot:
        screen = await open_desk(pilot, "f4")
        pane = screen.query_one(DistrictsPane)
        text = screen_text(app)
        no_laptops(text)
        assert "1 waiting approval, 1 approved" in text
        rows = table_rows(app, "#districts-table")
        assert [r[:3] for r in rows] == [
            ["waiting", "35.07", "Kabupaten Malang"],
            ["approved", "35.73", "Kota Malang"],
        ]
        # The detail names the district fingerprint, the one of `tpsdesk identity`.
        assert f"District fingerprint: {said}" in text
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ApproveDistrictDialog)
        no_laptops(screen_text(app))
        assert "tpsdesk identity" in screen_text(app)
        assert said not in screen_text(app)  # read out by the district, not shown here
        groups = said.split()
        # A wrong group: approval stays impossible, nothing changes.
        wrong = [*groups[:2], f"{(int(groups[2]) + 1) % 100000:05d}"]
        await type_text(pilot, "".join(wrong))
        await settle(pilot)
        assert dialog.query_one(FingerprintEntry).result.first_wrong == 3
        assert "Group 3 differs" in screen_text(app)
        assert dialog.query_one("#approve", Button).disabled
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ApproveDistrictDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert [r[0] for r in table_rows(app, "#districts-table")] == ["waiting", "approved"]
        await pilot.press("a")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ApproveDistrictDialog)
        await type_text(pilot, "".join(groups))
        await settle(pilot)
        assert not dialog.query_one("#approve", Button).disabled
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, MessageScreen)
        report = screen_text(app)
        assert "Approved: district 35.07 Kabupaten Malang" in report
        assert "1 of 1 waiting roll-up file" in report and ": merged" in report
        no_laptops(report)
        await pilot.press("escape")
        await settle(pilot)
        assert [r[0] for r in table_rows(app, "#districts-table")] == ["approved", "approved"]
        assert pane.rows and all(r.status == DeviceStatus.APPROVED.value for r in pane.rows)
    assert world.waiting.officers[0] in officer_ids(world.path)


async def test_the_inbox_tells_a_laptops_bundle_and_refuses_it(
    world: ProvinceWorld, tmp_path: Path
) -> None:
    from tests.sync.test_rollup_fingerprint import resealed

    inbox = tmp_path / "inbox"
    result = export_rollup(world.merged.store, inbox)
    rollup = result.paths[0].read_bytes()

    def as_bundle(header: dict[str, Any]) -> None:
        header["kind"] = "bundle"
        header["sender"] = {"id": "b" * 32, "role": "field",
                            "signing_key": header["sender"]["signing_key"]}  # fmt: skip
        header.pop("setup")

    province = Store.open(world.path, MERGE_PASSPHRASE)
    try:
        (inbox / "3573051001_bbbbbbbb_1-1.tpsb").write_bytes(
            resealed(world.merged, province, rollup, as_bundle)
        )
    finally:
        province.close()
    app = make_app(world.path)
    async with running(app) as pilot:
        screen = await open_desk(pilot)
        pane = screen.query_one(InboxPane)
        pane.open_folder(inbox)
        await settle(pilot)
        text = screen_text(app)
        assert "1 new, 1 wrong kind of file" in text
        await pilot.press("a")  # every new file: the roll-up only
        await settle(pilot)
        assert isinstance(app.screen, MergeReportScreen)
        report = screen_text(app)
        assert "merged" in report
        await pilot.press("escape")
        await settle(pilot)
        bundle_row = [r.entry.name for r in pane.rows].index("3573051001_bbbbbbbb_1-1.tpsb")
        pane.query_one("#inbox-table").move_cursor(row=bundle_row)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        report = screen_text(app)
        assert "laptop's bundle" in report and "district office" in report
        assert "A province merges only roll-up files" in report


async def test_coverage_is_per_kab_kota(world: ProvinceWorld) -> None:
    app = make_app(world.path)
    async with running(app) as pilot:
        screen = await open_desk(pilot, "f6")
        pane = screen.query_one(KabkotaCoveragePane)
        assert [r.code for r in pane.rows] == ["35.73"]  # the waiting district: nothing yet
        rows = table_rows(app, "#kabkota-table")
        assert rows[0][:2] == ["35.73", "Kota Malang"]
        assert rows[0][-1] == "30-09-2024"
        no_laptops(screen_text(app))


async def test_files_out_writes_a_district_setup_file(world: ProvinceWorld, tmp_path: Path) -> None:
    out = tmp_path / "usb"
    out.mkdir()
    province = Store.open(world.path, MERGE_PASSPHRASE)
    try:
        province_fingerprint = district_identity(province)
        assert province_fingerprint is not None
    finally:
        province.close()
    app = make_app(world.path)
    async with running(app) as pilot:
        screen = await open_desk(pilot, "f7")
        pane = screen.query_one(DistrictSetupPane)
        text = screen_text(app)
        no_laptops(text)
        assert f"Province fingerprint: {province_fingerprint.fingerprint}" in text
        assert [r[:3] for r in table_rows(app, "#province-files-list")] == [
            ["35.07", "Kabupaten Malang", "2"],
            ["35.73", "Kota Malang", "1"],
        ]
        # A kab/kota outside the province is refused in the form, nothing recorded.
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, SimpleForm)
        await fill(pilot, "#code", "33.01")
        await fill(pilot, "#name", "Kabupaten Cilacap")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, SimpleForm)
        assert "does not lie in this province (35)" in screen_text(app)
        await fill(pilot, "#code", "35.09")
        await fill(pilot, "#name", "Kabupaten Jember")
        await pilot.press("f2")
        await quiet(pilot)
        assert isinstance(app.screen, PlacePicker)
        app.screen.dismiss(out)
        await quiet(pilot)
        written = out / "3509_province_setup_v3.tpss"
        assert written.exists()
        shown = screen_text(app)
        assert province_fingerprint.fingerprint in shown and "tpsdesk identity" in shown
        assert [r[0] for r in table_rows(app, "#province-files-list")] == [
            "35.07", "35.09", "35.73"
        ]  # fmt: skip
        assert pane.kabkota[1].name == "Kabupaten Jember"
        no_laptops(shown)
    # The file is a province setup file a district of 35.09 installs.
    jember = make_district(tmp_path / "c" / "c.store", "35.09", "Kabupaten Jember", officers=1)
    try:
        pinned = install_province_setup(
            jember.store, written.read_bytes(), fingerprint=province_fingerprint.fingerprint
        )
        assert pinned.area == "35.09" and pinned.version == 3
    finally:
        jember.store.close()


async def test_every_tab_speaks_of_districts(world: ProvinceWorld) -> None:
    app: TpsDeskApp = make_app(world.path)
    async with running(app) as pilot:
        screen = await open_desk(pilot)
        assert "Province desk" in screen_text(app)
        for key in ("f2", "f4", "f5", "f6", "f7"):
            await pilot.press(key)
            await settle(pilot)
            no_laptops(screen_text(app))
        await pilot.press("f1")
        await settle(pilot)
        no_laptops(screen_text(app))
        assert screen.tab_bar("inbox").plain.count("Districts") == 1


async def test_a_new_province_asks_its_name_and_code_and_settings_change_them(
    tmp_path: Path,
) -> None:
    from tests.sync.conftest import make_store

    from tpsdesk.sync.province import ProvinceSettings, province_settings
    from tpsdesk.ui.screens.district_settings import ProvinceSettingsScreen
    from tpsdesk.ui.screens.settings import SettingsScreen

    path = tmp_path / "p" / "p.store"
    make_store(path, "province").close()
    app: TpsDeskApp = make_app(path)
    async with running(app) as pilot:
        await fill(pilot, "#passphrase", MERGE_PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        # Over the province desk: its name and code first.
        assert isinstance(app.screen, ProvinceSettingsScreen)
        no_laptops(screen_text(app))
        await fill(pilot, "#name", "Jawa Timur")
        await fill(pilot, "#code", "3")  # not a province code: refused, nothing saved
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ProvinceSettingsScreen)
        assert "two digits" in screen_text(app)
        await fill(pilot, "#code", "35")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ProvinceDeskScreen)
        assert "Jawa Timur (35)" in screen_text(app)
        # Files out, read before the form was filled, reads the store again.
        await pilot.press("f7")
        await settle(pilot)
        assert "Set the province's name and code first" not in screen_text(app)
        assert "Province fingerprint" in screen_text(app)
        # F8 Settings: the province office, not a district's.
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        assert "Province name and code" in screen_text(app)
        assert "District name and code" not in screen_text(app)
        app.screen.query_one("#province-settings", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, ProvinceSettingsScreen)
        await fill(pilot, "#name", "Provinsi Jawa Timur")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
    store = Store.open(path, MERGE_PASSPHRASE)
    try:
        assert province_settings(store) == ProvinceSettings("Provinsi Jawa Timur", "35")
    finally:
        store.close()
