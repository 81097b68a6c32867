"""What the laptop's sync screen and banner read: status, pending changes, the bundle just
sent, the officers to fix and the corrections waiting side by side."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.factories import FAST_KDF
from tests.sync.test_flow import KEL, _renamed, add_officer, district_store, enrolled_laptop

from tpsdesk.i18n import set_language
from tpsdesk.store import officers
from tpsdesk.store.db import Store
from tpsdesk.sync import district
from tpsdesk.sync.bundle import NothingToSend, merge_released, read_bundle_file, receive_bundle
from tpsdesk.sync.laptop_status import (
    correction_sides,
    fix_counts,
    laptop_status,
    needing_fixes,
    pending_changes,
    send_bundle,
)
from tpsdesk.sync.receipt import build_receipt, import_receipt
from tpsdesk.sync.setup import build_setup_file


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language(None)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Store, Store, Path]]:
    hq = district_store(tmp_path / "district" / "d.store")
    laptop = enrolled_laptop(tmp_path / "laptop" / "l.store", build_setup_file(hq, KEL))
    yield hq, laptop, tmp_path
    laptop.close()
    hq.close()


def test_a_new_store_is_not_enrolled(tmp_path: Path) -> None:
    store, _key = Store.create(
        tmp_path / "l.store",
        "kata sandi yang cukup panjang",
        role="field",
        kdf=FAST_KDF,
    )
    with store:
        status = laptop_status(store)
    assert not status.enrolled and status.district_name is None
    assert status.laptop_fingerprint is None and status.last_bundle is None


def test_status_counts_what_goes_and_remembers_the_bundle(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    status = laptop_status(laptop)
    assert status.enrolled and status.district_name == "Kota Malang" and status.area == KEL
    assert status.district_fingerprint is not None and status.laptop_fingerprint is not None
    assert status.pending.officers.total == 0 and status.last_bundle is None
    first = add_officer(laptop, 1)
    add_officer(laptop, 2)
    pending = pending_changes(laptop)
    assert pending.officers.new == 2 and pending.unsent_rows == 2
    sent = send_bundle(laptop, tmp / "usb")
    assert sent.path.exists() and sent.officers.new == 2 and sent.counts == {"officer": 2}
    status = laptop_status(laptop)
    assert status.last_bundle is not None and status.last_bundle.file == sent.path.name
    assert status.last_bundle.officers.new == 2
    # Sent but not acknowledged: it goes again, but nothing is new since the last bundle.
    assert status.pending.rows == 2 and status.pending.unsent_rows == 0

    outcome = receive_bundle(hq, read_bundle_file(sent.path), file=sent.path.name)
    district.approve(hq, outcome.fingerprint)
    merge_released(hq, outcome.device_id)
    _header, receipt = build_receipt(hq, outcome.device_id)
    import_receipt(laptop, receipt, file="r.tpsr")
    status = laptop_status(laptop)
    assert status.last_receipt is not None and status.last_receipt.version == 1
    assert status.pending.rows == 0
    with pytest.raises(NothingToSend):
        send_bundle(laptop, tmp / "usb")

    _renamed(laptop, first, "PETUGAS BARU")
    officers.delete_officer(laptop, officers.list_officers(laptop)[-1].id)
    changes = pending_changes(laptop).officers
    assert (changes.new, changes.changed, changes.removed) == (0, 1, 1)


def test_fixes_and_a_correction_side_by_side(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    officer_id = add_officer(laptop, 1)
    sent = send_bundle(laptop, tmp / "usb")
    outcome = receive_bundle(hq, read_bundle_file(sent.path), file=sent.path.name)
    district.approve(hq, outcome.fingerprint)
    merge_released(hq, outcome.device_id)
    _renamed(hq, officer_id, "PETUGAS BENAR")
    _renamed(laptop, officer_id, "PETUGAS LAPTOP")
    _header, data = build_receipt(hq, laptop.device_id)
    import_receipt(laptop, data, file="r.tpsr")
    [fix] = needing_fixes(laptop)
    assert fix.id == officer_id and fix.correction and fix.tps_number == 1
    assert fix_counts(laptop) == (1, 1)
    found = correction_sides(laptop, officer_id)
    assert found is not None
    _officer, _correction, sides = found
    name = next(side for side in sides if side.field == "name")
    assert (name.mine, name.district, name.differs) == ("PETUGAS LAPTOP", "PETUGAS BENAR", True)
    assert not next(side for side in sides if side.field == "nik").differs
