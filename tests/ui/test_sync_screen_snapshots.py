"""SVG snapshots of the laptop's sync screens at 80×24, in Indonesian: the sync screen of an
enrolled laptop, a receipt's summary, the dashboard's banner, the fix list and a correction
side by side. (Update with `pytest --snapshot-update` and look at the images first.)

Keys are made afresh for every run, so the fingerprints (and the bundle's name, which holds the
laptop's id) the sync screen shows are replaced by fixed ones; everything else is real."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.sync.test_flow import district_store
from tests.ui.conftest import FAST_KDF, PASSPHRASE, SIZE, fill, settle
from tests.ui.test_sync_screen import World, receipt_world
from textual.pilot import Pilot
from textual.widgets import DataTable

from tpsdesk.i18n import set_language
from tpsdesk.store.db import Store
from tpsdesk.sync import laptop_status as status_module
from tpsdesk.sync.laptop_status import LaptopStatus, LastBundle, LastReceipt
from tpsdesk.sync.receipt import import_receipt
from tpsdesk.sync.setup import build_setup_file
from tpsdesk.ui.app import TpsDeskApp

KEL = "35.73.05.1001"
Steps = Callable[[Pilot[Any]], Awaitable[None]]
SnapCompare = Callable[..., bool]
DISTRICT_FP = "19277 33986 95958 90503 81318 65937"
LAPTOP_FP = "96470 87750 72852 10419 86085 90582"
WHEN = datetime(2024, 10, 1, 9, 30).astimezone()  # 09:30 wherever the tests run


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """As test_sync_screen's world, at relative paths (the header shows the store's path)."""
    monkeypatch.chdir(tmp_path)
    hq = district_store(Path("district") / "d.store")
    usb = Path("usb")
    usb.mkdir()
    laptop_path = Path("desk") / "tpsdesk.store"
    Store.create(laptop_path, PASSPHRASE, operator="Bu Sri", role="field", kdf=FAST_KDF)[0].close()
    yield World(hq, laptop_path, usb, build_setup_file(hq, KEL))
    hq.close()


@pytest.fixture
def steady_status(monkeypatch: pytest.MonkeyPatch) -> None:
    real = status_module.laptop_status

    def fixed(store: Store) -> LaptopStatus:
        found = real(store)
        bundle = found.last_bundle
        receipt = found.last_receipt
        return replace(
            found,
            district_fingerprint=DISTRICT_FP,
            laptop_fingerprint=LAPTOP_FP,
            last_bundle=None
            if bundle is None
            else LastBundle("35730051001_3f2a9c1e_1-5.tpsb", 6144, 1, 5, 5, bundle.officers, WHEN),
            last_receipt=None if receipt is None else LastReceipt(receipt.version, WHEN),
        )

    monkeypatch.setattr("tpsdesk.ui.screens.sync_screen.laptop_status", fixed)


@pytest.fixture
def snapshot_app(built_apps: Callable[..., TpsDeskApp]) -> Callable[[Path], TpsDeskApp]:
    return lambda path: built_apps(path, language="id")


def steady(steps: Steps) -> Steps:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await fill(pilot, "#passphrase", PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        await steps(pilot)
        await settle(pilot)
        await pilot.pause()

    return run


def received(world: World) -> None:
    got = receipt_world(world)
    set_language("id")  # the reasons are kept in the language they were imported in
    with Store.open(world.laptop_path, PASSPHRASE) as store:
        import_receipt(store, got.receipt.read_bytes(), file=got.receipt.name)


def test_sync_screen_enrolled(
    world: World, steady_status: None, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    received(world)

    async def open_sync(pilot: Pilot[Any]) -> None:
        await pilot.press("f7")

    assert snap_compare(
        snapshot_app(world.laptop_path), terminal_size=SIZE, run_before=steady(open_sync)
    )


def test_receipt_summary(world: World, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    got = receipt_world(world)

    async def read(pilot: Pilot[Any]) -> None:
        await pilot.press("f7")
        await settle(pilot)
        pilot.app.screen.read_receipt(got.receipt)  # type: ignore[attr-defined]

    assert snap_compare(
        snapshot_app(world.laptop_path), terminal_size=SIZE, run_before=steady(read)
    )


def test_dashboard_banner(world: World, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    received(world)

    async def nothing(pilot: Pilot[Any]) -> None:
        pass

    assert snap_compare(
        snapshot_app(world.laptop_path), terminal_size=SIZE, run_before=steady(nothing)
    )


def test_fix_list(world: World, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    received(world)

    async def fixes(pilot: Pilot[Any]) -> None:
        await pilot.press("p")
        await settle(pilot)
        pilot.app.screen.query_one("#fixes", DataTable).move_cursor(row=2)

    assert snap_compare(
        snapshot_app(world.laptop_path), terminal_size=SIZE, run_before=steady(fixes)
    )


def test_correction_side_by_side(
    world: World, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    received(world)

    async def compare(pilot: Pilot[Any]) -> None:
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("c")

    assert snap_compare(
        snapshot_app(world.laptop_path), terminal_size=SIZE, run_before=steady(compare)
    )


def test_fingerprint_dialog(world: World, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    setup = world.usb / "35730051001_setup_v1.tpss"
    setup.write_bytes(world.setup)

    async def enrol(pilot: Pilot[Any]) -> None:
        from textual.widgets import Static

        from tpsdesk.ui.screens.sync_screen import FingerprintDialog
        from tpsdesk.ui.widgets.fingerprint_entry import FingerprintEntry

        await pilot.press("f7")
        await settle(pilot)
        pilot.app.screen.enrol_from(setup)  # type: ignore[attr-defined]
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, FingerprintDialog)
        dialog.expected = DISTRICT_FP  # the file's own is new every run
        dialog.query_one("#expected", Static).update(DISTRICT_FP)
        dialog.query_one(FingerprintEntry).expected = DISTRICT_FP
        field = dialog.query_one(FingerprintEntry).field
        field.cursor_blink = False
        await pilot.press(*"192773398695950")  # the third group misheard
        await pilot.pause()

    assert snap_compare(
        snapshot_app(world.laptop_path), terminal_size=SIZE, run_before=steady(enrol)
    )
