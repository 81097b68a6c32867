"""Receipts encrypted to the laptop (issue 8, points 5–7 and 10, laptop side; SECURITY tests 30
and 34): format 2 carries KPJ numbers and corrected values only encrypted; corrections are
taken or kept side by side; refused rows come back to be fixed; a store put back to an older
copy takes a new device id; a removal is not "kept" twice nor left to fix."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.sync.test_flow import KEL, PASS, _renamed, add_officer, district_store, enrolled_laptop

from tpsdesk.i18n import set_language
from tpsdesk.store import officers
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync import district
from tpsdesk.sync.bundle import (
    NothingToSend,
    export_bundle,
    merge_released,
    read_bundle_file,
    receive_bundle,
)
from tpsdesk.sync.container import parse_container
from tpsdesk.sync.corrections import list_corrections, resolve_correction
from tpsdesk.sync.district_models import (
    BundleStatus,
    Device,
    FindingKind,
    FindingStatus,
    ReceivedBundle,
)
from tpsdesk.sync.errors import DecryptionFailed
from tpsdesk.sync.hpke import x25519_raw
from tpsdesk.sync.identity import district_identity, ensure_device_identity, receipt_keys
from tpsdesk.sync.payload import open_receipt
from tpsdesk.sync.receipt import ReceiptRefused, build_receipt, import_receipt
from tpsdesk.sync.setup import build_setup_file

KPJ = "24019876543"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language(None)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Store, Store, Path]]:
    hq = district_store(tmp_path / "district" / "d.store")
    setup = build_setup_file(hq, KEL)
    laptop = enrolled_laptop(tmp_path / "laptop" / "l.store", setup)
    yield hq, laptop, tmp_path
    laptop.close()
    hq.close()


def _send(hq: Store, laptop: Store, usb: Path) -> object:
    exported = export_bundle(laptop, usb)
    return receive_bundle(hq, read_bundle_file(exported.path), file=exported.path.name)


def _approved(hq: Store, laptop: Store, usb: Path) -> str:
    """Send what the laptop has, approve it, merge: the laptop's device id."""
    waiting = _send(hq, laptop, usb)
    district.approve(hq, waiting.fingerprint)  # type: ignore[attr-defined]
    merge_released(hq, waiting.device_id)  # type: ignore[attr-defined]
    return str(waiting.device_id)  # type: ignore[attr-defined]


def _enrol_kpj(hq: Store, officer_id: str) -> None:
    with hq.transaction() as session:
        officer = session.get(Officer, officer_id)
        assert officer is not None
        officer.bpjs_number = KPJ
        session.add(officer)


def _entries(hq: Store, laptop: Store, data: bytes) -> list[dict[str, object]]:
    identity = district_identity(hq)
    assert identity is not None
    _container, _manifest, entries = open_receipt(
        data, trusted_key=identity.signing_public, keys=receipt_keys(laptop)
    )
    return entries


# -- point 6: the key, the encryption, corrections as values ---------------------------------


def test_bundle_announces_the_receipt_key_and_the_district_records_it(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    add_officer(laptop, 1)
    device_id = _approved(hq, laptop, tmp / "usb")
    identity = ensure_device_identity(laptop)
    assert identity.receipt_public is not None
    with hq.read() as session:
        device = session.get(Device, device_id)
        assert device is not None
        assert (
            device.encryption_key
            == parse_container(read_bundle_file(next((tmp / "usb").iterdir()))).header[
                "encryption_key"
            ]
        )
    key = receipt_keys(laptop)[laptop.device_id]
    assert x25519_raw(key) == identity.receipt_public
    # `bundle inspect` shows it, as the fingerprint of an X25519 key.
    from tpsdesk.sync.container import describe_header
    from tpsdesk.sync.hpke import x25519_fingerprint

    header = parse_container(read_bundle_file(next((tmp / "usb").iterdir()))).header
    shown = dict(describe_header(header))
    assert shown["Receipt key fingerprint"] == x25519_fingerprint(identity.receipt_public)


def test_v2_receipt_holds_no_kpj_nor_corrected_value_in_clear_and_applies_the_correction(
    world,  # type: ignore[no-untyped-def]
) -> None:
    hq, laptop, tmp = world
    officer_id = add_officer(laptop, 1)
    _approved(hq, laptop, tmp / "usb")
    _renamed(hq, officer_id, "PETUGAS BENAR")  # a clerk's correction
    _enrol_kpj(hq, officer_id)
    header, data = build_receipt(hq, laptop.device_id)
    assert header["format"] == 2
    assert header["payload"]["encryption"].startswith("hpke")
    assert KPJ.encode() not in data and b"PETUGAS BENAR" not in data
    said = json.dumps(_entries(hq, laptop, data))
    assert KPJ in said and "PETUGAS BENAR" in said

    summary = import_receipt(laptop, data, file="r.tpsr")
    assert summary.encrypted and summary.corrected == 1 and summary.conflicts == 0
    mine = officers.get_officer(laptop, officer_id)
    theirs = officers.get_officer(hq, officer_id)
    assert mine is not None and theirs is not None
    assert mine.name == "PETUGAS BENAR" and mine.bpjs_number == KPJ
    assert mine.status == "enrolled" and mine.status_reason == ""
    # The district's version adopted, as a tombstone is: nothing new to send, no conflict.
    assert (mine.version_device, mine.version_counter) == (
        theirs.version_device,
        theirs.version_counter,
    )
    with pytest.raises(NothingToSend):
        export_bundle(laptop, tmp / "usb2")
    # A later edit here is made knowing the correction: the district takes it, no conflict.
    _renamed(laptop, officer_id, "PETUGAS BENAR SEKALI")
    outcome = _send(hq, laptop, tmp / "usb3")
    assert outcome.report is not None and outcome.report.conflicts == ()  # type: ignore[attr-defined]
    assert officers.get_officer(hq, officer_id).name == "PETUGAS BENAR SEKALI"  # type: ignore[union-attr]


def test_another_laptop_cannot_read_a_v2_receipt(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    officer_id = add_officer(laptop, 1)
    _approved(hq, laptop, tmp / "usb")
    _enrol_kpj(hq, officer_id)
    _header, data = build_receipt(hq, laptop.device_id)
    other = enrolled_laptop(tmp / "other" / "o.store", build_setup_file(hq, KEL))
    try:
        with pytest.raises(ReceiptRefused):
            import_receipt(other, data, file="r.tpsr")
        # Even a reader that ignores whom it is for cannot decrypt it with another key.
        identity = district_identity(hq)
        assert identity is not None
        stolen = {laptop.device_id: receipt_keys(other)[other.device_id]}
        with pytest.raises(DecryptionFailed):
            open_receipt(data, trusted_key=identity.signing_public, keys=stolen)
    finally:
        other.close()


def _forget_receipt_key(hq: Store, device_id: str) -> None:
    with hq.transaction() as session:
        device = session.get(Device, device_id)
        assert device is not None
        device.encryption_key = None
        session.add(device)


def test_v1_receipt_without_the_laptop_key_holds_no_personal_data_and_still_reads(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    officer_id = add_officer(laptop, 1)
    device_id = _approved(hq, laptop, tmp / "usb")
    _enrol_kpj(hq, officer_id)
    _forget_receipt_key(hq, device_id)  # as for a laptop of an earlier tpsdesk
    header, data = build_receipt(hq, device_id)
    assert header["format"] == 1 and header["payload"]["encryption"] == "none"
    said = json.dumps(_entries(hq, laptop, data))
    assert KPJ not in said and "bpjs_number" not in said
    summary = import_receipt(laptop, data, file="r.tpsr")
    assert summary.statuses == {"enrolled": 1} and not summary.encrypted
    mine = officers.get_officer(laptop, officer_id)
    assert mine is not None and mine.status == "enrolled" and mine.bpjs_number is None


@pytest.mark.parametrize("take", [True, False], ids=["take_district", "keep_mine"])
def test_correction_meeting_a_local_change_is_shown_side_by_side_and_resolved(
    world,  # type: ignore[no-untyped-def]
    take: bool,
) -> None:
    hq, laptop, tmp = world
    officer_id = add_officer(laptop, 1)
    _approved(hq, laptop, tmp / "usb")
    _renamed(hq, officer_id, "PETUGAS BENAR")  # the clerk…
    _renamed(laptop, officer_id, "PETUGAS LAPTOP")  # …and the laptop, unsent
    _header, data = build_receipt(hq, laptop.device_id)
    summary = import_receipt(laptop, data, file="r.tpsr")
    assert summary.conflicts == 1 and summary.corrected == 0
    mine = officers.get_officer(laptop, officer_id)
    assert mine is not None and mine.name == "PETUGAS LAPTOP"  # nothing typed here is lost
    assert mine.status == "needs_fix" and "receipt corrections" in mine.status_reason
    [correction] = list_corrections(laptop)
    [field] = correction.fields
    assert (field.field, field.mine, field.district) == ("name", "PETUGAS LAPTOP", "PETUGAS BENAR")

    resolve_correction(laptop, officer_id, take=take)
    assert list_corrections(laptop) == []
    expected = "PETUGAS BENAR" if take else "PETUGAS LAPTOP"
    assert officers.get_officer(laptop, officer_id).name == expected  # type: ignore[union-attr]
    outcome = _send(hq, laptop, tmp / "usb2")
    # The new version names the district's in its history: no conflict at the district.
    assert outcome.report is not None and outcome.report.conflicts == ()  # type: ignore[attr-defined]
    assert officers.get_officer(hq, officer_id).name == expected  # type: ignore[union-attr]
    open_conflicts = district.list_findings(
        hq, status=FindingStatus.OPEN, kind=FindingKind.CONFLICT
    )
    assert open_conflicts == []


# -- point 5: a refused row travels back ------------------------------------------------------


def _record_report(
    hq: Store,
    device_id: str,
    seq: tuple[int, int],
    accepted: list[str],
    rejected: list[str],
    places: tuple[str, ...] = (),
) -> None:
    """The report a per-row merge stores (merged, with `rejected` rows), written by hand."""
    report = {
        "file_id": f"hand-{seq[0]}",
        "device_id": device_id,
        "seq_from": seq[0],
        "seq_to": seq[1],
        "status": "merged",
        "reason": "",
        "accepted": [{"table": "officer", "id": row_id} for row_id in accepted],
        "unchanged": [],
        "ignored": [],
        "conflicts": [],
        "duplicates": [],
        "rejected": [
            {
                "index": 0,
                "table": "officer",
                "id": row_id,
                "problems": [
                    {
                        "field": "post_code",
                        "code": "post.unit",
                        "message": "This post belongs to a kecamatan, not this area.",
                    }
                ],
            }
            for row_id in rejected
        ]
        + [
            {
                "index": 1,
                "table": "tps",
                "id": row_id,
                "problems": [{"field": "number", "code": "tps.taken", "message": "Taken."}],
            }
            for row_id in places
        ],
        "gaps": [],
    }
    with hq.transaction() as session:
        session.add(
            ReceivedBundle(
                file_id=f"0000000{seq[0]}-0000-4000-8000-000000000000",
                device_id=device_id,
                seq_from=seq[0],
                seq_to=seq[1],
                status=BundleStatus.MERGED.value,
                report=json.dumps(report),
                received_at=datetime.now(UTC),
            )
        )


def test_refused_rows_come_back_to_fix_and_go_with_the_next_bundle(world) -> None:  # type: ignore[no-untyped-def]
    from tpsdesk.cli.bundle import _needing_fixes

    hq, laptop, tmp = world
    good = add_officer(laptop, 1)
    bad = add_officer(laptop, 2)
    device_id = _approved(hq, laptop, tmp / "usb")
    # The second bundle: one more officer, and an edit of `bad`; the district takes `good2`
    # and refuses `bad` and the new `fresh`, row by row (the bundle itself merged).
    _renamed(laptop, bad, "PETUGAS SALAH")
    fresh = add_officer(laptop, 3)
    good2 = add_officer(laptop, 4)
    exported = export_bundle(laptop, tmp / "usb2")
    from tpsdesk.store import areas

    tps = areas.find_tps(laptop, f"{KEL}/3")
    seqs = (exported.seq_from, exported.seq_to)
    _record_report(hq, device_id, seqs, [good2], [bad, fresh], places=(tps.id,))
    _header, data = build_receipt(hq, device_id)
    summary = import_receipt(laptop, data, file="r.tpsr")
    assert summary.acknowledged_seq == exported.seq_to
    [(place, why)] = summary.refused_places
    assert place == f"TPS 3 ({KEL})" and why == "Taken."  # the why, not "refused" twice
    for officer_id in (bad, fresh):
        officer = officers.get_officer(laptop, officer_id)
        assert officer is not None and officer.status == "needs_fix"
        assert "belongs to a kecamatan" in officer.status_reason
    assert officers.get_officer(laptop, good).status == "accepted"  # type: ignore[union-attr]
    listed = {o["id"]: o["reason"] for o in _needing_fixes(laptop)}
    assert set(listed) == {bad, fresh} and "belongs to a kecamatan" in listed[bad]
    # Acknowledged by sequence number, the refused rows still go again once fixed — alone.
    with pytest.raises(NothingToSend):
        export_bundle(laptop, tmp / "usb3")
    _renamed(laptop, bad, "PETUGAS BETUL")
    _renamed(laptop, fresh, "PETUGAS BARU")
    from tpsdesk.sync.changes import rows_to_send

    rows, _from, _to = rows_to_send(laptop)
    assert {row["values"]["id"] for row in rows} == {bad, fresh}
    outcome = _send(hq, laptop, tmp / "usb4")
    assert outcome.report is not None and outcome.report.merged  # type: ignore[attr-defined]
    assert officers.get_officer(laptop, bad).status == "sent"  # type: ignore[union-attr]
    _header, data = build_receipt(hq, device_id)
    import_receipt(laptop, data, file="r2.tpsr")
    assert _needing_fixes(laptop) == []
    assert officers.get_officer(laptop, fresh).status == "accepted"  # type: ignore[union-attr]


# -- point 7: a store put back to an older copy -----------------------------------------------


def test_receipt_acknowledging_more_than_sent_gives_a_new_device_id(tmp_path: Path) -> None:
    hq = district_store(tmp_path / "district" / "d.store")
    path = tmp_path / "laptop" / "l.store"
    laptop = enrolled_laptop(path, build_setup_file(hq, KEL))
    add_officer(laptop, 1)
    export_bundle(laptop, tmp_path / "usb")
    old_id = laptop.device_id
    laptop.close()
    shutil.copyfile(path, tmp_path / "old-copy.store")
    laptop = Store.open(path, PASS)
    try:
        add_officer(laptop, 2)
        export_bundle(laptop, tmp_path / "usb")
        for file in sorted((tmp_path / "usb").iterdir()):
            outcome = receive_bundle(hq, read_bundle_file(file), file=file.name)
        district.approve(hq, outcome.fingerprint)
        merge_released(hq, old_id)
        _header, receipt = build_receipt(hq, old_id)
    finally:
        laptop.close()
    # The old copy is put back in place: same path, same device id, fewer changes.
    shutil.copyfile(tmp_path / "old-copy.store", path)
    laptop = Store.open(path, PASS)
    try:
        assert laptop.device_id == old_id
        typed_after = add_officer(laptop, 3)  # would reuse sequence numbers of officer 2
        summary = import_receipt(laptop, receipt, file="r.tpsr")
        assert summary.new_device_id is not None and summary.new_device_id != old_id
        assert laptop.device_id == summary.new_device_id
        assert summary.new_fingerprint == ensure_device_identity(laptop).fingerprint
        exported = export_bundle(laptop, tmp_path / "usb2")
        header = parse_container(read_bundle_file(exported.path)).header
        assert header["sender"]["id"] == summary.new_device_id
        # Nothing typed is lost: the officer typed after the restore goes with it.
        waiting = receive_bundle(hq, read_bundle_file(exported.path), file=exported.path.name)
        assert waiting.status == "quarantined"  # a new identity: the district approves it
        district.approve(hq, waiting.fingerprint)
        [merged] = merge_released(hq, summary.new_device_id)
        assert merged.report is not None and merged.report.merged
        assert officers.get_officer(hq, typed_after) is not None
    finally:
        laptop.close()
        hq.close()


def test_receipt_saying_rollback_gives_a_new_device_id(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    add_officer(laptop, 1)
    device_id = _approved(hq, laptop, tmp / "usb")
    add_officer(laptop, 2)
    exported = export_bundle(laptop, tmp / "usb2")
    with hq.transaction() as session:  # the district's own finding (another part of issue 8)
        session.add(
            ReceivedBundle(
                file_id="0000000a-0000-4000-8000-000000000000",
                device_id=device_id,
                seq_from=exported.seq_from,
                seq_to=exported.seq_to,
                status=BundleStatus.REFUSED.value,
                reason="rollback",
                report="{}",
            )
        )
    _header, receipt = build_receipt(hq, device_id)
    summary = import_receipt(laptop, receipt, file="r.tpsr")
    assert summary.new_device_id is not None and laptop.device_id != device_id
    rows = parse_container(read_bundle_file(export_bundle(laptop, tmp / "usb3").path)).header
    assert rows["sender"]["id"] == laptop.device_id


# -- point 10 ---------------------------------------------------------------------------------


def test_a_removed_duplicate_is_not_kept_twice_nor_left_to_fix(world) -> None:  # type: ignore[no-untyped-def]
    from tpsdesk.cli.bundle import _needing_fixes

    hq, laptop, tmp = world
    first = add_officer(laptop, 1)
    nik = officers.get_officer(laptop, first).nik  # type: ignore[union-attr]
    second = add_officer(laptop, 1, tps_number=2, nik=nik)
    _approved(hq, laptop, tmp / "usb")
    [finding] = [
        f
        for f in district.list_findings(hq, status=FindingStatus.OPEN)
        if f.kind == FindingKind.DUPLICATE_NIK.value
    ]
    district.resolve_finding(hq, finding.id, "keep_one", keep=first)
    _header, receipt = build_receipt(hq, laptop.device_id)
    summary = import_receipt(laptop, receipt, file="r.tpsr")
    assert summary.updated_rows == 1 and summary.kept_local == 0
    removed = officers.get_officer(laptop, second)
    assert removed is not None and removed.deleted
    assert [o["id"] for o in _needing_fixes(laptop)] == []
    # The next receipt says the same removal again: not a local change kept.
    _header, again = build_receipt(hq, laptop.device_id)
    summary = import_receipt(laptop, again, file="r2.tpsr")
    assert summary.kept_local == 0 and summary.updated_rows == 0


def test_a_district_store_made_before_the_receipt_key_gets_the_column(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    from tpsdesk.sync.district_models import ensure_district_tables

    hq = district_store(tmp_path / "d.store")
    try:
        with hq.transaction() as session:
            session.connection().exec_driver_sql(
                "ALTER TABLE sync_device DROP COLUMN encryption_key"
            )
        ensure_district_tables(hq)
        with hq.read() as session:
            columns = {c["name"] for c in inspect(session.connection()).get_columns("sync_device")}
        assert "encryption_key" in columns
    finally:
        hq.close()


def test_a_laptop_enrolled_before_receipt_keys_gets_one_with_its_signing_key_kept(world) -> None:  # type: ignore[no-untyped-def]
    from tpsdesk.store.versioning import set_meta
    from tpsdesk.sync.identity import META_RECEIPT_KEYS, device_identity

    _hq, laptop, _tmp = world
    before = ensure_device_identity(laptop)
    with laptop.transaction() as session:
        set_meta(session, META_RECEIPT_KEYS, {})  # as an earlier tpsdesk left it
    old = device_identity(laptop)
    assert old is not None and old.receipt_public is None
    after = ensure_device_identity(laptop)
    assert after.public_key == before.public_key and after.fingerprint == before.fingerprint
    assert after.receipt_public is not None and after.receipt_public != before.receipt_public


def test_the_same_correction_typed_on_the_laptop_leaves_no_conflict_for_later_edits(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    officer_id = add_officer(laptop, 1)
    _approved(hq, laptop, tmp / "usb")
    _renamed(hq, officer_id, "PETUGAS BENAR")  # the clerk…
    _renamed(laptop, officer_id, "PETUGAS BENAR")  # …and the laptop's user, alike
    outcome = _send(hq, laptop, tmp / "usb2")
    assert outcome.report is not None and outcome.report.conflicts == ()  # type: ignore[attr-defined]
    _header, data = build_receipt(hq, laptop.device_id)
    summary = import_receipt(laptop, data, file="r.tpsr")
    assert summary.statuses == {"accepted": 1} and summary.conflicts == 0
    # A later edit here is made knowing the district's version too.
    _renamed(laptop, officer_id, "PETUGAS BENAR LAGI")
    outcome = _send(hq, laptop, tmp / "usb3")
    assert outcome.report is not None and outcome.report.conflicts == ()  # type: ignore[attr-defined]
    assert officers.get_officer(hq, officer_id).name == "PETUGAS BENAR LAGI"  # type: ignore[union-attr]
