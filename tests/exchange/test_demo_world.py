"""The sample district world: an area, enrolled laptops, bundles in the inbox, findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.factories import FAST_KDF

from tpsdesk.exchange.demo_world import WorldRefused, build_world
from tpsdesk.store import officers
from tpsdesk.store.db import Store
from tpsdesk.sync import district
from tpsdesk.sync.bundle import read_bundle_file
from tpsdesk.sync.district_models import DeviceStatus, FindingKind
from tpsdesk.sync.payload import parse_bundle
from tpsdesk.sync.setup import installed_setup

PASS = "kata sandi yang cukup panjang"


def test_world_has_every_finding_kind_and_waiting_bundles(tmp_path: Path) -> None:
    hq, _key = Store.create(tmp_path / "d" / "tpsdesk.store", PASS, role="district", kdf=FAST_KDF)
    try:
        world = build_world(hq, PASS, tmp_path / "world", kdf=FAST_KDF)
        kinds = {
            FindingKind.DUPLICATE_NIK,
            FindingKind.LIKELY_DUPLICATE,
            FindingKind.CONFLICT,
            FindingKind.DUPLICATE_TPS,
            FindingKind.GAP,
            FindingKind.ROLLBACK,
        }
        assert {kind.value for kind in kinds} <= set(world.findings)
        assert 200 <= world.tps <= 400 and world.kecamatan == 5
        assert world.inbox_files and all(p.parent == world.inbox for p in world.inbox_files)
        for path in world.inbox_files:  # bundles, not merged
            parse_bundle(read_bundle_file(path))
        assert district.list_devices(hq, DeviceStatus.PENDING)
        assert len(district.list_devices(hq, DeviceStatus.APPROVED)) == 3
        assert world.quarantined == 1
        assert officers.count_officers(hq) > 0
        # A second world around the same store is refused: it holds data now.
        with pytest.raises(WorldRefused):
            build_world(hq, PASS, tmp_path / "other", kdf=FAST_KDF)
    finally:
        hq.close()

    assert len(world.laptops) == 4
    assert world.laptops[0].kelurahan_code == world.laptops[1].kelurahan_code
    for laptop in world.laptops:
        store = Store.open(laptop.store_path, PASS)
        try:
            assert store.role == "field"
            setup = installed_setup(store)
            assert setup is not None and setup.area == laptop.kelurahan_code
            assert officers.count_officers(store) == laptop.officers > 0
        finally:
            store.close()


def test_world_refused_on_a_field_store(tmp_path: Path) -> None:
    # A field store is SQLite only: no PostgreSQL variant of this one.
    field, _key = Store.create(tmp_path / "f" / "tpsdesk.store", PASS, kdf=FAST_KDF)
    try:
        with pytest.raises(WorldRefused, match="field store"):
            build_world(field, PASS, tmp_path / "world", kdf=FAST_KDF)
    finally:
        field.close()
    assert not (tmp_path / "world").exists()
