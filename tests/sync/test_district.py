"""District repository: laptops, quarantine, sequence ranges, findings and decisions."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync import district
from tpsdesk.sync.district_models import (
    BundleStatus,
    DeviceStatus,
    FindingKind,
    FindingStatus,
    RowVersion,
)
from tpsdesk.sync.merge import merge_bundle

from .conftest import (
    M_KEL_A,
    approved_laptop,
    issue_setup,
    make_bundle,
    officer_row,
    valid_nik,
)

KEY = bytes(range(32))


def test_register_approve_revoke(district_store: Store) -> None:
    issue_setup(district_store, M_KEL_A)
    device = district.register_pending(
        district_store, device_id="d1", signing_key=KEY, area=M_KEL_A, label="Kel. A"
    )
    assert device.status == DeviceStatus.PENDING and device.fingerprint.isdigit()
    again = district.register_pending(district_store, device_id="d1", signing_key=KEY, area="x")
    assert again.area_code == M_KEL_A  # idempotent: the first registration stands
    with pytest.raises(district.DeviceKeyMismatch):
        district.register_pending(district_store, device_id="d1", signing_key=b"\1" * 32, area="")
    spaced = district.key_fingerprint(KEY)
    assert " " in spaced
    approved = district.approve(district_store, spaced)
    assert approved.status == DeviceStatus.APPROVED and approved.approved_at is not None
    assert [d.device_id for d in district.list_devices(district_store, DeviceStatus.APPROVED)] == [
        "d1"
    ]
    revoked = district.revoke(district_store, spaced)
    assert revoked.status == DeviceStatus.REVOKED and revoked.revoked_at is not None
    with pytest.raises(district.DeviceRevoked):
        district.approve(district_store, spaced)
    with pytest.raises(district.UnknownDevice):
        district.approve(district_store, "11111 22222")


def test_quarantine_then_approve_then_merge_releases_the_file(
    district_store: Store, district_area: dict[str, str]
) -> None:
    issue_setup(district_store, M_KEL_A)
    district.register_pending(district_store, device_id="d1", signing_key=KEY, area=M_KEL_A)
    row = officer_row(device="d1", counter=1, tps_id=district_area["a1"])
    bundle = make_bundle("d1", KEY, [row], file_id="file-1")
    assert district.quarantine(
        district_store,
        file_id="file-1",
        device_id="d1",
        seq_from=1,
        seq_to=1,
        area=M_KEL_A,
        data=b"raw encrypted bytes",
    )
    assert not district.quarantine(
        district_store,
        file_id="file-1",
        device_id="d1",
        seq_from=1,
        seq_to=1,
        area=M_KEL_A,
        data=b"raw encrypted bytes",
    )
    assert [e.file_id for e in district.quarantined(district_store)] == ["file-1"]
    assert district.release(district_store, "d1") == []  # not approved yet
    with pytest.raises(district.DeviceNotApproved):
        merge_bundle(district_store, bundle)
    district.approve(district_store, district.key_fingerprint(KEY))
    assert district.release(district_store, "d1") == [("file-1", b"raw encrypted bytes")]
    report = merge_bundle(district_store, bundle)
    assert report.merged
    assert district.quarantined(district_store) == []
    record = district.bundle_record(district_store, "file-1")
    assert record is not None and record.status == BundleStatus.MERGED
    assert district.seen_ranges(district_store, "d1") == [(1, 1)]


def test_revoking_drops_the_quarantined_files(district_store: Store) -> None:
    district.register_pending(district_store, device_id="d1", signing_key=KEY, area=M_KEL_A)
    district.quarantine(
        district_store,
        file_id="f",
        device_id="d1",
        seq_from=1,
        seq_to=3,
        area=M_KEL_A,
        data=b"x",
    )
    district.revoke(district_store, district.key_fingerprint(KEY))
    assert district.quarantined(district_store) == []
    record = district.bundle_record(district_store, "f")
    assert record is not None and record.status == BundleStatus.REFUSED


def test_ranges_and_gaps() -> None:
    assert district.union_ranges([(5, 6), (1, 2), (3, 3), (9, 8)]) == [(1, 3), (5, 6)]
    assert district.missing_ranges([(5, 6), (1, 2)]) == [(3, 4)]
    assert district.missing_ranges([(4, 9)]) == [(1, 3)]
    assert district.missing_ranges([]) == []


def test_file_id_from_another_laptop_is_refused(
    district_store: Store, district_area: dict[str, str]
) -> None:
    a, key_a = approved_laptop(district_store)
    b, key_b = approved_laptop(district_store)
    rows = [officer_row(device=a, counter=1, tps_id=district_area["a1"])]
    merge_bundle(district_store, make_bundle(a, key_a, rows, file_id="same"))
    with pytest.raises(district.FileIdReused):
        merge_bundle(district_store, make_bundle(b, key_b, [], file_id="same"))


def _duplicate_pair(store: Store, tps: dict[str, str]) -> tuple[str, str, str]:
    a, key_a = approved_laptop(store)
    nik = valid_nik(serial=999)
    one = officer_row(device=a, counter=1, tps_id=tps["a1"], nik=nik)
    two = officer_row(device=a, counter=2, tps_id=tps["a2"], nik=nik)
    merge_bundle(store, make_bundle(a, key_a, [one, two]))
    [finding] = district.list_findings(store, kind=FindingKind.DUPLICATE_NIK)
    return finding.id, one["values"]["id"], two["values"]["id"]


def test_keep_one_of_a_duplicate_deletes_the_other_as_a_district_version(
    district_store: Store, district_area: dict[str, str]
) -> None:
    finding_id, keep, other = _duplicate_pair(district_store, district_area)
    resolved = district.resolve_finding(
        district_store, finding_id, district.Decision.KEEP_ONE, keep=keep, note="checked KTP"
    )
    assert resolved.status == FindingStatus.RESOLVED
    decision = json.loads(resolved.resolution)
    assert decision["decision"] == "keep_one" and decision["keep"] == keep
    with district_store.read() as session:
        gone = session.get(Officer, other)
        assert gone is not None and gone.deleted
        assert gone.version_device == district_store.device_id
        mine = session.exec(select(RowVersion).where(RowVersion.row_id == other)).all()
        assert {v.device for v in mine} == {gone.base_device, district_store.device_id}
    assert district.list_findings(district_store, status=FindingStatus.OPEN) == []
    with pytest.raises(district.FindingError):
        district.resolve_finding(district_store, finding_id, district.Decision.KEEP_BOTH)


def test_keep_both_closes_the_finding_and_it_stays_closed(
    district_store: Store, district_area: dict[str, str]
) -> None:
    finding_id, _keep, _other = _duplicate_pair(district_store, district_area)
    district.resolve_finding(district_store, finding_id, district.Decision.KEEP_BOTH)
    found = district.get_finding(district_store, finding_id)
    assert found is not None and found.status == FindingStatus.RESOLVED
    assert len(district.list_findings(district_store, kind=FindingKind.DUPLICATE_NIK)) == 1


def test_edit_a_duplicate_fixes_the_nik(
    district_store: Store, district_area: dict[str, str]
) -> None:
    finding_id, keep, _other = _duplicate_pair(district_store, district_area)
    for bad in ({"nik": "1"}, {"status": "enrolled"}, {"birth_date": "kemarin"}):
        with pytest.raises(district.FindingError):
            district.resolve_finding(
                district_store, finding_id, district.Decision.EDIT, keep=keep, values=bad
            )
    fixed = valid_nik(serial=1000)
    district.resolve_finding(
        district_store, finding_id, district.Decision.EDIT, keep=keep, values={"nik": fixed}
    )
    with district_store.read() as session:
        officer = session.get(Officer, keep)
        assert officer is not None and officer.nik == fixed
    # Same name and birth date, now two NIKs: still worth a look, as a likely duplicate.
    still_open = district.list_findings(district_store, status=FindingStatus.OPEN)
    assert [f.kind for f in still_open] == [FindingKind.LIKELY_DUPLICATE]
    finding = district.get_finding(district_store, finding_id)
    assert finding is not None and finding.status == FindingStatus.RESOLVED
    assert fixed not in finding.resolution  # the decision names fields, never values


def test_conflict_keep_one_sets_the_others_aside(
    district_store: Store, district_area: dict[str, str]
) -> None:
    a, key_a = approved_laptop(district_store)
    b, key_b = approved_laptop(district_store)
    v1 = officer_row(device=a, counter=1, tps_id=district_area["a1"])
    row_id, nik = v1["values"]["id"], v1["values"]["nik"]
    merge_bundle(district_store, make_bundle(a, key_a, [v1]))
    edit_a = officer_row(
        device=a,
        counter=2,
        base=(a, 1),
        row_id=row_id,
        nik=nik,
        tps_id=district_area["a1"],
        name="BUDI A",
    )
    edit_b = officer_row(
        device=b,
        counter=5,
        base=(a, 1),
        row_id=row_id,
        nik=nik,
        tps_id=district_area["a1"],
        name="BUDI B",
    )
    merge_bundle(district_store, make_bundle(a, key_a, [edit_a], seq_from=2))
    merge_bundle(district_store, make_bundle(b, key_b, [edit_b]))
    [conflict] = district.list_findings(district_store, kind=FindingKind.CONFLICT)
    with pytest.raises(district.FindingError):
        district.resolve_finding(district_store, conflict.id, "keep_one", keep="nobody:1")
    district.resolve_finding(district_store, conflict.id, "keep_one", keep=f"{a}:2")
    with district_store.read() as session:
        shown = session.get(Officer, row_id)
        assert shown is not None and shown.name == "BUDI A"
        assert shown.version_device == district_store.device_id
    # A replay of b's bundle (another file, same version) brings no new conflict.
    merge_bundle(district_store, make_bundle(b, key_b, [edit_b]))
    assert district.list_findings(district_store, status=FindingStatus.OPEN) == []
    # But b editing its own version again, not knowing the decision, is a new conflict.
    edit_b2 = officer_row(
        device=b,
        counter=6,
        base=(b, 5),
        row_id=row_id,
        nik=nik,
        tps_id=district_area["a1"],
        name="BUDI BE",
    )
    assert merge_bundle(district_store, make_bundle(b, key_b, [edit_b2], seq_from=2)).conflicts
    assert len(district.list_findings(district_store, status=FindingStatus.OPEN)) == 1
