"""Issue 10 point 2 through a real receipt: an officer the district removed as a duplicate is
flagged by the laptop's next officer import, not added again unasked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.sync.test_flow import KEL, TODAY, add_officer, district_store, enrolled_laptop

from tpsdesk.domain.dates import format_date
from tpsdesk.domain.officer import OfficerDraft
from tpsdesk.i18n import set_language
from tpsdesk.store import officers
from tpsdesk.store.db import Store
from tpsdesk.store.officer_import import ImportRow, RowStatus, plan_import
from tpsdesk.sync import district
from tpsdesk.sync.bundle import export_bundle, merge_released, read_bundle_file, receive_bundle
from tpsdesk.sync.district_models import FindingKind, FindingStatus
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


def row_of(store: Store, officer_id: str, number: int) -> ImportRow:
    """The officer as a row of a file, at TPS 1."""
    officer = officers.get_officer(store, officer_id)
    assert officer is not None
    draft = OfficerDraft(
        nik=officer.nik, name=officer.name, birth_place=officer.birth_place,
        birth_date=format_date(officer.birth_date), sex=officer.sex, address=officer.address,
        post_code=officer.post_code,
    )  # fmt: skip
    return ImportRow(number, draft, tps="1", kelurahan=KEL)


def test_a_nik_the_district_removed_is_flagged_by_the_next_import(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    kept = add_officer(laptop, 1)
    nik = officers.get_officer(laptop, kept).nik  # type: ignore[union-attr]
    twice = add_officer(laptop, 1, tps_number=2, nik=nik)
    exported = export_bundle(laptop, tmp / "usb")
    waiting = receive_bundle(hq, read_bundle_file(exported.path), file=exported.path.name)
    district.approve(hq, waiting.fingerprint)  # type: ignore[attr-defined]
    merge_released(hq, waiting.device_id)  # type: ignore[attr-defined]
    [finding] = [
        f
        for f in district.list_findings(hq, status=FindingStatus.OPEN)
        if f.kind == FindingKind.DUPLICATE_NIK.value
    ]
    district.resolve_finding(hq, finding.id, "keep_one", keep=kept)
    _header, receipt = build_receipt(hq, laptop.device_id)
    assert import_receipt(laptop, receipt, file="r.tpsr").removed == 1

    # The kept officer is live: the row updates (or leaves) it, nothing is flagged.
    [planned] = plan_import(laptop, [row_of(laptop, kept, 2)], today=TODAY).rows
    assert planned.status is RowStatus.UNCHANGED and planned.officer_id == kept

    # Deleted here too, the NIK is held only by the district's removal: flagged, skipped.
    officers.delete_officer(laptop, kept)
    [planned] = plan_import(laptop, [row_of(laptop, twice, 2)], today=TODAY).rows
    assert planned.status is RowStatus.REMOVED
    assert [p.code for p in planned.problems] == ["nik.removed_by_district"]
