"""The whole sync flow through files: setup file → enrol → officers → bundle → merge
(quarantine, approve) → receipt → field status; and the misdirected files of issue 3."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from tests.factories import FAST_KDF

from tpsdesk.domain.nik import synthetic_nik
from tpsdesk.domain.officer import OfficerDraft, validate_officer
from tpsdesk.domain.problems import Sex
from tpsdesk.i18n import set_language
from tpsdesk.store import areas, officers
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
from tpsdesk.sync.district_models import ensure_district_tables
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.identity import (
    ensure_device_identity,
    ensure_district_identity,
    set_district_settings,
)
from tpsdesk.sync.receipt import ReceiptRefused, build_receipt, import_receipt
from tpsdesk.sync.setup import build_setup_file, enroll

KDF = FAST_KDF
PASS = "kata sandi yang cukup panjang"
KEC = "35.73.05"
KEL = "35.73.05.1001"
TODAY = date(2024, 10, 1)


def district_store(path: Path, code: str = "35.73", name: str = "Kota Malang") -> Store:
    store, _key = Store.create(path, PASS, role="district", kdf=KDF)
    ensure_district_tables(store)
    ensure_district_identity(store)
    set_district_settings(store, name=name, code=code)
    areas.add_kecamatan(store, KEC, "Sukun")
    areas.add_kelurahan(store, KEL, "Bandungrejosari", KEC)
    for number in (1, 2, 3):
        areas.add_tps(store, KEL, number)
    return store


def enrolled_laptop(path: Path, setup: bytes) -> Store:
    store, _key = Store.create(path, PASS, role="field", kdf=KDF)
    enroll(store, setup, confirm_fingerprint=lambda _fp: True)
    return store


def add_officer(store: Store, serial: int, *, tps_number: int = 1, nik: str | None = None) -> str:
    import random

    born = date(1980 + serial % 20, 1 + serial % 12, 1 + serial % 27)
    draft = OfficerDraft(
        nik=nik
        or synthetic_nik(random.Random(serial), region=KEC, birth_date=born, sex=Sex.MALE,
                         serial=serial),
        name=f"Petugas {chr(65 + serial % 26)}",
        birth_place="Malang",
        birth_date=born.strftime("%d-%m-%Y"),
        sex="L",
        address="Jl. Mawar 1",
        post_code="kpps_anggota",
    )  # fmt: skip
    result = validate_officer(draft, catalogue=store.catalogue, today=TODAY)
    assert result.fields is not None, result.problems
    tps = areas.find_tps(store, f"{KEL}/{tps_number}")
    return officers.add_officer(store, result.fields, tps_id=tps.id).id


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    set_language("en")
    yield
    set_language(None)


@pytest.fixture
def world(tmp_path: Path):  # type: ignore[no-untyped-def]
    hq = district_store(tmp_path / "district" / "d.store")
    setup = build_setup_file(hq, KEL)
    laptop = enrolled_laptop(tmp_path / "laptop" / "l.store", setup)
    yield hq, laptop, tmp_path
    laptop.close()
    hq.close()


def test_bundle_quarantine_approve_merge_receipt(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    ids = [add_officer(laptop, serial) for serial in range(1, 6)]
    usb = tmp / "usb"
    exported = export_bundle(laptop, usb)
    assert exported.path.name.endswith(f"_1-{exported.seq_to}.tpsb")
    assert exported.counts == {"officer": 5}
    assert {officers.get_officer(laptop, i).status for i in ids} == {"sent"}  # type: ignore[union-attr]

    data = read_bundle_file(exported.path)
    first = receive_bundle(hq, data, file=exported.path.name)
    assert first.status == "quarantined"
    assert officers.count_officers(hq) == 0
    assert receive_bundle(hq, data, file=exported.path.name).status == "already_quarantined"

    district.approve(hq, first.fingerprint)
    [merged] = merge_released(hq, first.device_id)
    assert merged.status == "merged" and merged.report is not None
    assert len(merged.report.accepted) == 5
    assert officers.count_officers(hq) == 5

    again = receive_bundle(hq, data, file=exported.path.name)  # a replay changes nothing
    assert again.report is not None and again.report.replay
    assert officers.count_officers(hq) == 5

    _header, receipt = build_receipt(hq, first.fingerprint)
    summary = import_receipt(laptop, receipt, file="r.tpsr")
    assert summary.acknowledged_seq == exported.seq_to
    assert summary.statuses == {"accepted": 5}
    assert {officers.get_officer(laptop, i).status for i in ids} == {"accepted"}  # type: ignore[union-attr]
    with pytest.raises(NothingToSend):
        export_bundle(laptop, usb)
    with pytest.raises(ReceiptRefused, match="imported already"):
        import_receipt(laptop, receipt, file="r.tpsr")

    # Only what changed after the receipt travels next time.
    add_officer(laptop, 9)
    following = export_bundle(laptop, usb)
    assert following.seq_from == exported.seq_to + 1 and following.counts == {"officer": 1}


def test_duplicate_nik_needs_fixing_on_the_laptop(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    first = add_officer(laptop, 1)
    nik = officers.get_officer(laptop, first).nik  # type: ignore[union-attr]
    second = add_officer(laptop, 1, tps_number=2, nik=nik)  # the same person again
    exported = export_bundle(laptop, tmp / "usb")
    outcome = receive_bundle(hq, read_bundle_file(exported.path), file="b.tpsb")
    district.approve(hq, outcome.fingerprint)
    [merged] = merge_released(hq, outcome.device_id)
    assert merged.report is not None and merged.report.duplicates
    _header, receipt = build_receipt(hq, outcome.device_id)
    import_receipt(laptop, receipt, file="r.tpsr")
    for officer_id in (first, second):
        officer = officers.get_officer(laptop, officer_id)
        assert officer is not None and officer.status == "needs_fix"
        assert "NIK" in officer.status_reason


def test_revoked_laptop_is_refused_before_decryption(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    add_officer(laptop, 1)
    exported = export_bundle(laptop, tmp / "usb")
    outcome = receive_bundle(hq, read_bundle_file(exported.path), file="b.tpsb")
    district.revoke(hq, outcome.fingerprint)
    add_officer(laptop, 2)
    later = export_bundle(laptop, tmp / "usb")
    with pytest.raises(SyncError, match="revoked"):
        receive_bundle(hq, read_bundle_file(later.path), file=later.path.name)
    assert officers.count_officers(hq) == 0


def test_bundle_for_another_district_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    _hq, laptop, tmp = world
    other = district_store(tmp / "other" / "d.store", code="35.07", name="Kabupaten Malang")
    try:
        add_officer(laptop, 1)
        exported = export_bundle(laptop, tmp / "usb")
        data = read_bundle_file(exported.path)
        with pytest.raises(SyncError) as refused:
            receive_bundle(other, data, file="b.tpsb")
        assert refused.value.code == "wrong_recipient"
        assert district.list_devices(other) == []
        assert officers.count_officers(other) == 0
    finally:
        other.close()


def test_receipt_for_another_laptop_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    setup = build_setup_file(hq, KEL)
    second = enrolled_laptop(tmp / "laptop2" / "l.store", setup)
    try:
        add_officer(second, 1)
        exported = export_bundle(second, tmp / "usb")
        outcome = receive_bundle(hq, read_bundle_file(exported.path), file="b.tpsb")
        district.approve(hq, outcome.fingerprint)
        merge_released(hq, outcome.device_id)
        _header, receipt = build_receipt(hq, outcome.device_id)
        with pytest.raises(ReceiptRefused, match="another laptop"):
            import_receipt(laptop, receipt, file="r.tpsr")
        ensure_device_identity(laptop)
        assert all(o.status != "accepted" for o in _all_officers(laptop))
    finally:
        second.close()


def test_tampered_bundle_is_refused_and_nothing_merged(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    add_officer(laptop, 1)
    exported = export_bundle(laptop, tmp / "usb")
    data = bytearray(read_bundle_file(exported.path))
    data[len(data) // 2] ^= 0x01
    with pytest.raises(SyncError):
        receive_bundle(hq, bytes(data), file="b.tpsb")
    assert district.list_devices(hq) == []


def _all_officers(store: Store) -> list[Officer]:
    with store.read() as session:
        from sqlmodel import select

        return list(session.exec(select(Officer)))


def _bundles(hq: Store, laptop: Store, tmp: Path, rounds: int) -> list[Path]:
    """`rounds` bundles from one laptop, each with two more officers (and, as bundles do,
    every change not acknowledged yet)."""
    paths = []
    for round_ in range(rounds):
        for serial in (2 * round_ + 1, 2 * round_ + 2):
            add_officer(laptop, serial, tps_number=1 + serial % 3)
        paths.append(export_bundle(laptop, tmp / "usb").path)
    return paths


@pytest.mark.slow
@pytest.mark.parametrize("prefetch", [True, False])
def test_many_files_merge_alike_with_and_without_a_second_process(
    world, prefetch: bool, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from tpsdesk.sync import prefetch as prefetch_module
    from tpsdesk.sync.bundle import ReceiveFailure, receive_files

    hq, laptop, tmp = world
    paths = _bundles(hq, laptop, tmp, 5)
    # Approve the laptop through its first file; the rest go through receive_files.
    waiting = receive_bundle(hq, read_bundle_file(paths[0]), file=paths[0].name)
    district.approve(hq, waiting.fingerprint)
    merge_released(hq, waiting.device_id)
    tampered = bytearray(read_bundle_file(paths[2]))
    tampered[len(tampered) // 2] ^= 0x01

    class Gone(Exception):
        message = "gone.tpsb cannot be read"

    def gone() -> bytes:
        raise Gone()

    used: list[bool] = []
    original = prefetch_module.Prefetched.result_for

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = original(self, *args, **kwargs)
        used.append(result is not None)
        return result

    monkeypatch.setattr(prefetch_module.Prefetched, "result_for", spy)
    files = [
        (paths[1].name, lambda: read_bundle_file(paths[1])),
        ("tampered.tpsb", lambda: bytes(tampered)),
        ("gone.tpsb", gone),
        (paths[3].name, lambda: read_bundle_file(paths[3])),
        (paths[4].name, lambda: read_bundle_file(paths[4])),
        (paths[1].name, lambda: read_bundle_file(paths[1])),  # the same file again
    ]
    seen: list[tuple[int, int, str]] = []
    outcomes = receive_files(
        hq,
        files,
        refusals=(Gone,),
        prefetch=prefetch,
        progress=lambda done, total, name: seen.append((done, total, name)),
    )
    assert seen == [(index, 6, name) for index, (name, _read) in enumerate(files)]

    assert [getattr(o, "status", None) for o in outcomes] == [
        "merged", None, None, "merged", "merged", "merged"
    ]  # fmt: skip
    assert isinstance(outcomes[1], ReceiveFailure) and "tampered.tpsb" in outcomes[1].message
    assert outcomes[2] == ReceiveFailure("gone.tpsb", "gone.tpsb cannot be read")
    reports = [o.report for o in outcomes if not isinstance(o, ReceiveFailure)]
    # The tampered file's officers come with the next bundle (it repeats what is not
    # acknowledged); the same file again is a replay of its first report.
    assert [len(r.accepted) for r in reports if r is not None] == [2, 4, 2, 2]
    assert reports[-1] is not None and reports[-1].replay
    assert officers.count_officers(hq) == 10
    assert district.gaps(hq, waiting.device_id) == []
    if prefetch:
        assert any(used), "no file was checked in the second process"
    else:
        assert used == []


def _renamed(store: Store, officer_id: str, name: str) -> None:
    from tpsdesk.domain.officer import OfficerFields

    o = officers.get_officer(store, officer_id)
    assert o is not None
    fields = OfficerFields(
        nik=o.nik, name=name, birth_place=o.birth_place, birth_date=o.birth_date,
        sex=Sex(o.sex), address=o.address, postcode=o.postcode, phone=o.phone,
        email=o.email, mother_name=o.mother_name, marital_status=o.marital_status,
        post_code=o.post_code, duty_start=o.duty_start, duty_end=o.duty_end,
    )  # fmt: skip
    officers.update_officer(store, officer_id, fields)


def _forget_receipt_key(hq: Store, device_id: str) -> None:
    from tpsdesk.sync.district_models import Device

    with hq.transaction() as session:
        device = session.get(Device, device_id)
        assert device is not None and device.encryption_key is not None
        device.encryption_key = None
        session.add(device)


def test_the_same_correction_at_the_district_and_on_the_laptop_is_no_conflict(world) -> None:  # type: ignore[no-untyped-def]
    hq, laptop, tmp = world
    officer_id = add_officer(laptop, 1)
    first = export_bundle(laptop, tmp / "usb")
    waiting = receive_bundle(hq, read_bundle_file(first.path), file=first.path.name)
    district.approve(hq, waiting.fingerprint)
    merge_released(hq, waiting.device_id)

    # The clerk corrects the name; a format 1 receipt (a laptop of an earlier tpsdesk, whose
    # receipt key the district does not know) says which field, not its value…
    _forget_receipt_key(hq, waiting.device_id)
    _renamed(hq, officer_id, "PETUGAS BENAR")
    _header, told = build_receipt(hq, waiting.fingerprint)
    assert _header["format"] == 1
    assert import_receipt(laptop, told, file="r0.tpsr").statuses == {"needs_fix": 1}
    shown = officers.get_officer(laptop, officer_id)
    assert shown is not None and shown.status == "needs_fix"
    assert "The district corrected Name of this record" in shown.status_reason
    from tpsdesk.sync.identity import district_identity
    from tpsdesk.sync.payload import open_signed

    identity = district_identity(hq)
    assert identity is not None
    _container, _manifest, entries = open_signed(told, trusted_key=identity.signing_public)
    said = json.dumps(entries)
    assert '"fields": ["name"]' in said and "PETUGAS BENAR" not in said  # names, not values
    # …and the laptop's user types the same correction.
    _renamed(laptop, officer_id, "PETUGAS BENAR")
    second = export_bundle(laptop, tmp / "usb")
    outcome = receive_bundle(hq, read_bundle_file(second.path), file=second.path.name)
    assert outcome.report is not None and outcome.report.conflicts == ()
    _forget_receipt_key(hq, waiting.device_id)  # format 1 again
    _header, receipt = build_receipt(hq, waiting.fingerprint)
    summary = import_receipt(laptop, receipt, file="r.tpsr")
    assert summary.statuses == {"accepted": 1}

    # A format 1 receipt does not carry the district's version, so a different correction
    # on the laptop is a conflict, and the receipt says so (a format 2 receipt makes it a
    # plain later edit: test_receipt_encrypted).
    _renamed(laptop, officer_id, "PETUGAS LAIN")
    third = export_bundle(laptop, tmp / "usb")
    outcome = receive_bundle(hq, read_bundle_file(third.path), file=third.path.name)
    assert outcome.report is not None and len(outcome.report.conflicts) == 1
