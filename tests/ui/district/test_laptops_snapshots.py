"""SVG snapshots of the Laptops tab and the approval dialog at 80×24 in Indonesian (update
with `pytest --snapshot-update` and look at the images before committing them).

The district store is built from fixed keys, device ids and dates (no sample world: its keys
are drawn at random), at a relative path inside tmp_path."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from tests.ui.conftest import FAST_KDF, PASSPHRASE, SIZE, fill, settle, type_text
from textual.pilot import Pilot
from textual.widgets import Input

from tpsdesk.store import areas
from tpsdesk.store.db import Store
from tpsdesk.store.versioning import set_meta
from tpsdesk.sync import district
from tpsdesk.sync.district_models import Device, ReceivedBundle, ensure_district_tables
from tpsdesk.sync.fingerprint import format_fingerprint
from tpsdesk.sync.identity import set_district_settings
from tpsdesk.sync.setup import META_SETUP_ISSUED
from tpsdesk.ui.app import TpsDeskApp

RELATIVE_STORE = Path("desk") / "tpsdesk.store"
SnapCompare = Callable[..., bool]
KEC = "35.73.05"
KEL_A = "35.73.05.1001"
KEL_B = "35.73.05.1002"
DAY = datetime(2024, 10, 20, 9, 30, tzinfo=UTC)


def key_of(name: str) -> bytes:
    return random.Random(name).randbytes(32)


def merged(store: Store, device_id: str, number: int, seq: tuple[int, int]) -> None:
    with store.transaction() as session:
        session.add(
            ReceivedBundle(
                file_id=f"{device_id}-{number}",
                device_id=device_id,
                seq_from=seq[0],
                seq_to=seq[1],
                area=KEL_A,
                received_at=DAY.replace(day=10 + number),
            )
        )


def build_desk(path: Path) -> None:
    """Four laptops: one waiting (two bundles), one approved with a gap, one approved whose
    bundles claim another kelurahan, one revoked."""
    store, _key = Store.create(path, PASSPHRASE, role="district", operator="Pak Hadi", kdf=FAST_KDF)
    try:
        ensure_district_tables(store)
        set_district_settings(store, name="Kota Malang", code="35.73")
        areas.add_kecamatan(store, KEC, "Sukun")
        areas.add_kelurahan(store, KEL_A, "Bandungrejosari", KEC)
        areas.add_kelurahan(store, KEL_B, "Bakalan Krajan", KEC)
        with store.transaction() as session:
            issued = {
                f"setup-{n}": {"version": n, "area": area, "target": "all",
                               "created_at": "2024-10-01T08:00:00+00:00",
                               "expires_at": "2025-01-29T08:00:00+00:00"}
                for n, area in ((1, KEL_A), (2, KEL_B))
            }  # fmt: skip
            set_meta(session, META_SETUP_ISSUED, issued)
        laptops = (
            ("laptop-sri", KEL_A, "setup-1", "Bu Sri"),
            ("laptop-budi", KEL_B, "setup-2", "Pak Budi"),
            ("laptop-rina", KEL_A, "setup-2", "Rina"),
            ("laptop-joko", KEL_A, "setup-1", "Joko"),
        )
        for device_id, claimed, setup_id, label in laptops:
            district.register_pending(
                store,
                device_id=device_id,
                signing_key=key_of(device_id),
                area=claimed,
                setup_id=setup_id,
                label=label,
            )
        fingerprints = {d.device_id: d.fingerprint for d in district.list_devices(store)}
        for device_id in ("laptop-budi", "laptop-rina", "laptop-joko"):
            district.approve(store, fingerprints[device_id])
        merged(store, "laptop-budi", 1, (1, 4))
        merged(store, "laptop-budi", 2, (8, 12))
        merged(store, "laptop-joko", 1, (1, 6))
        district.revoke(store, fingerprints["laptop-joko"])
        for number, seq in enumerate(((1, 9), (10, 11)), 1):
            district.quarantine(
                store,
                file_id=f"laptop-sri-{number}",
                device_id="laptop-sri",
                seq_from=seq[0],
                seq_to=seq[1],
                area=KEL_A,
                data=b"x" * 100,
            )
        with store.transaction() as session:
            for row in session.exec(select(ReceivedBundle)):
                if row.file_id.startswith("laptop-sri"):
                    row.received_at = DAY.replace(day=19)
                    session.add(row)
            for device in session.exec(select(Device)):
                device.first_seen_at = DAY
                session.add(device)
    finally:
        store.close()


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    build_desk(RELATIVE_STORE)
    return RELATIVE_STORE


@pytest.fixture
def snapshot_app(built_apps: Callable[..., TpsDeskApp]) -> Callable[[Path], TpsDeskApp]:
    return lambda path: built_apps(path, language="id")


async def open_laptops(pilot: Pilot[Any]) -> None:
    await fill(pilot, "#passphrase", PASSPHRASE)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)


async def steady(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def test_laptops_pane(desk: Path, snapshot_app: Any, snap_compare: SnapCompare) -> None:
    async def run(pilot: Pilot[Any]) -> None:
        await open_laptops(pilot)
        await pilot.press("down")  # the approved laptop with a gap: its details below
        await steady(pilot)

    assert snap_compare(snapshot_app(desk), terminal_size=SIZE, run_before=run)


def test_approval_dialog_half_typed(
    desk: Path, snapshot_app: Any, snap_compare: SnapCompare
) -> None:
    with Store.open(desk, PASSPHRASE) as store:
        fingerprint = district.get_device(store, "laptop-sri").fingerprint  # type: ignore[union-attr]
    groups = format_fingerprint(fingerprint).split()
    wrong = groups[2][:4] + ("0" if groups[2][4] != "0" else "1")

    async def run(pilot: Pilot[Any]) -> None:
        await open_laptops(pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, groups[0] + groups[1] + wrong)
        await steady(pilot)

    assert snap_compare(snapshot_app(desk), terminal_size=SIZE, run_before=run)
