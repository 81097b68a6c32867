"""Authority by ownership and the approved area (SECURITY 24, 25; issue 8 points 1, 5, 7, 8, 10).

Hostile bundles are built as a hostile operator would: from an approved laptop's own store and
keys, with the project's modules (`row_to_wire`, `seal_bundle`), validly signed and encrypted."""

from __future__ import annotations

import json
import random
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from tests.factories import FAST_KDF

from tpsdesk.domain.nik import synthetic_nik
from tpsdesk.domain.officer import OfficerDraft, validate_officer
from tpsdesk.domain.problems import Sex
from tpsdesk.i18n import set_language
from tpsdesk.store import areas, officers
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer, Tps
from tpsdesk.sync import district
from tpsdesk.sync.bundle import export_bundle, merge_released, read_bundle_file, receive_bundle
from tpsdesk.sync.changes import row_to_wire, rows_to_send
from tpsdesk.sync.container import encode_key
from tpsdesk.sync.district_models import (
    Finding,
    FindingKind,
    FindingStatus,
    RowVersion,
    ensure_district_tables,
)
from tpsdesk.sync.identity import (
    ensure_device_identity,
    ensure_district_identity,
    set_district_settings,
    signing_key,
)
from tpsdesk.sync.merge import MergeReport, merge_bundle
from tpsdesk.sync.payload import seal_bundle
from tpsdesk.sync.receipt import build_receipt, import_receipt
from tpsdesk.sync.setup import (
    build_setup_file,
    enroll,
    installed_setup,
    left_out_tps,
    pinned_district,
    read_setup_file,
)

from .conftest import (
    M_KEC,
    M_KEL_A,
    M_KEL_B,
    approved_laptop,
    issue_setup,
    make_bundle,
    officer_row,
)

KDF = FAST_KDF
PASS = "kata sandi yang cukup panjang"
KEC = "35.73.05"
KEL_A = "35.73.05.1001"
KEL_B = "35.73.05.1002"
TODAY = date(2024, 10, 1)


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    set_language("en")
    yield
    set_language(None)


def new_district(path: Path) -> Store:
    store, _key = Store.create(path, PASS, role="district", kdf=KDF)
    ensure_district_tables(store)
    ensure_district_identity(store)
    set_district_settings(store, name="Kota Malang", code="35.73")
    areas.add_kecamatan(store, KEC, "Sukun")
    areas.add_kelurahan(store, KEL_A, "Bandungrejosari", KEC)
    areas.add_kelurahan(store, KEL_B, "Ciptomulyo", KEC)
    for number in (1, 2):
        areas.add_tps(store, KEL_A, number)
        areas.add_tps(store, KEL_B, number)
    return store


def new_laptop(path: Path, setup: bytes) -> Store:
    store, _key = Store.create(path, PASS, role="field", kdf=KDF)
    enroll(store, setup, confirm_fingerprint=lambda _fp: True)
    return store


def add_officer(store: Store, serial: int, kelurahan: str, tps_number: int = 1) -> str:
    born = date(1980 + serial % 20, 1 + serial % 12, 1 + serial % 27)
    draft = OfficerDraft(
        nik=synthetic_nik(random.Random(serial), region=KEC, birth_date=born, sex=Sex.MALE,
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
    tps = areas.find_tps(store, f"{kelurahan}/{tps_number}")
    return officers.add_officer(store, result.fields, tps_id=tps.id).id


def send(hq: Store, laptop: Store, usb: Path) -> MergeReport:
    """Export the laptop's changes and merge them (approving the laptop the first time)."""
    exported = export_bundle(laptop, usb)
    outcome = receive_bundle(hq, read_bundle_file(exported.path), file=exported.path.name)
    if outcome.status == "quarantined":
        district.approve(hq, outcome.fingerprint)
        [outcome] = merge_released(hq, outcome.device_id)
    assert outcome.report is not None
    return outcome.report


def forge(laptop: Store, rows: list[dict[str, Any]], *, area: str | None = None) -> bytes:
    """A bundle signed and encrypted with the laptop's own keys, holding `rows` as they are."""
    pinned = pinned_district(laptop)
    setup = installed_setup(laptop)
    identity = ensure_device_identity(laptop)
    key = signing_key(laptop)
    assert pinned is not None and setup is not None and key is not None
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["table"]] = counts.get(row["table"], 0) + 1
    header: dict[str, Any] = {
        "kind": "bundle",
        "format": 1,
        "file_id": str(uuid.uuid4()),
        "created_at": "2024-10-01T08:00:00+00:00",
        "sender": {
            "id": identity.device_id,
            "role": "field",
            "signing_key": encode_key(identity.public_key),
        },
        "recipient": {"id": pinned.device_id, "fingerprint": pinned.encryption_fingerprint},
        "district": {"code": pinned.code, "name": pinned.name},
        "area": area or setup.area,
        "setup": setup.file_id,
        "seq_from": 500,
        "seq_to": 500 + len(rows),
        "counts": counts,
    }
    return seal_bundle(header, None, rows, key, pinned.encryption_public)


@pytest.fixture
def two_kelurahan(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A district, laptop A (kelurahan A) and laptop B (kelurahan B), each approved and with
    one officer merged."""
    hq = new_district(tmp_path / "hq" / "d.store")
    laptop_a = new_laptop(tmp_path / "a" / "l.store", build_setup_file(hq, KEL_A))
    laptop_b = new_laptop(tmp_path / "b" / "l.store", build_setup_file(hq, KEL_B))
    add_officer(laptop_a, 1, KEL_A)
    officer_b = add_officer(laptop_b, 2, KEL_B)
    assert send(hq, laptop_a, tmp_path / "usb").accepted
    assert send(hq, laptop_b, tmp_path / "usb").accepted
    yield hq, laptop_a, laptop_b, officer_b, tmp_path
    laptop_a.close()
    laptop_b.close()
    hq.close()


def district_row(hq: Store, model: Any, row_id: str) -> Any:
    with hq.read() as session:
        return session.get(model, row_id)


def edited(row: Any, device: str, counter: int, **values: Any) -> dict[str, Any]:
    """`row` (as the district holds it) edited on laptop `device`: its next version."""
    wire = row_to_wire(row, 1)
    wire["values"].update(
        base_device=row.version_device,
        base_counter=row.version_counter,
        version_device=device,
        version_counter=counter,
        **values,
    )
    return wire


def version_keys(hq: Store) -> set[tuple[str, str, int]]:
    with hq.read() as session:
        return {(v.row_id, v.device, v.counter) for v in session.exec(select(RowVersion))}


# Each edit of a row kelurahan B's laptop made, sent by kelurahan A's laptop. The ones that
# also write kelurahan A into the row get past the check of the values sent (they lie in A)
# and are stopped by ownership: the district holds the row in B.
ATTACKS = {
    "delete B's officer": ("officer", {"deleted": True}, "area.outside"),
    "delete B's officer, saying it is A's": (
        "officer", {"deleted": True, "kelurahan_code": KEL_A}, "area.held"),
    "rename B's officer": ("officer", {"name": "ORANG LAIN"}, "area.outside"),
    "rename B's officer, saying it is A's": (
        "officer", {"name": "ORANG LAIN", "kelurahan_code": KEL_A}, "area.held"),
    "move B's officer to A": ("officer", {"kelurahan_code": KEL_A}, "area.held"),
    "delete B's TPS": ("tps", {"deleted": True}, "area.outside"),
    "delete B's TPS, saying it is A's": (
        "tps", {"deleted": True, "kelurahan_code": KEL_A}, "area.held"),
    "rename B's TPS, saying it is A's": (
        "tps", {"address": "Jl. Palsu 9", "kelurahan_code": KEL_A}, "area.held"),
    "move B's TPS to A": ("tps", {"kelurahan_code": KEL_A}, "area.held"),
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_hostile_laptop_cannot_touch_another_kelurahans_rows(two_kelurahan, attack: str) -> None:  # type: ignore[no-untyped-def]
    """SECURITY 24: refused row by row, nothing of it recorded, nothing of it in a receipt;
    the hostile bundle's own valid row still merges."""
    hq, laptop_a, laptop_b, officer_b, _tmp = two_kelurahan
    table, values, code = ATTACKS[attack]
    target = district_row(hq, Officer, officer_b)
    if table == "tps":
        target = district_row(hq, Tps, target.tps_id)
    if values.get("kelurahan_code") == KEL_A and table == "officer":
        values = {**values, "tps_id": areas.find_tps(laptop_a, f"{KEL_A}/1").id}
    before = target.model_dump()
    forged = edited(target, laptop_a.device_id, 900, **values)
    new_id = add_officer(laptop_a, 3, KEL_A)
    honest = [r for r in rows_to_send(laptop_a)[0] if r["values"]["id"] == new_id]
    outcome = receive_bundle(hq, forge(laptop_a, [forged, *honest]), file="hostile.tpsb")
    report = outcome.report
    assert report is not None and report.merged
    [refused] = report.rejected
    assert refused.index == 0 and refused.row_id == target.id
    assert code in [p.code for p in refused.problems]
    assert [r.row_id for r in report.accepted] == [new_id]
    assert district_row(hq, type(target), target.id).model_dump() == before
    assert (target.id, laptop_a.device_id, 900) not in version_keys(hq)
    # Laptop B's receipt says nothing of it: its officer stays as it was.
    _header, receipt = build_receipt(hq, laptop_b.device_id)
    import_receipt(laptop_b, receipt, file="r.tpsr")
    kept = officers.get_officer(laptop_b, officer_b)
    assert kept is not None and not kept.deleted and kept.name != "ORANG LAIN"
    assert "ORANG" not in json.dumps(report.to_json())


def test_officer_pointing_at_another_kelurahans_tps_is_refused(two_kelurahan) -> None:  # type: ignore[no-untyped-def]
    hq, laptop_a, _laptop_b, officer_b, _tmp = two_kelurahan
    tps_b = district_row(hq, Officer, officer_b).tps_id
    new_id = add_officer(laptop_a, 4, KEL_A)
    [row] = [r for r in rows_to_send(laptop_a)[0] if r["values"]["id"] == new_id]
    row["values"]["tps_id"] = tps_b  # kelurahan A's officer at kelurahan B's TPS
    report = receive_bundle(hq, forge(laptop_a, [row]), file="h.tpsb").report
    assert report is not None and report.merged and not report.accepted
    assert [p.code for p in report.rejected[0].problems] == ["tps_id.elsewhere"]
    assert district_row(hq, Officer, row["values"]["id"]) is None


def test_header_claiming_a_wider_area_is_refused(two_kelurahan) -> None:  # type: ignore[no-untyped-def]
    """SECURITY 25: the header's area is no authority; the issued setup file's area is."""
    hq, laptop_a, _laptop_b, _officer_b, _tmp = two_kelurahan
    tps_a = areas.find_tps(laptop_a, f"{KEL_A}/1").id
    rows = [officer_row(device=laptop_a.device_id, counter=800, tps_id=tps_a, kelurahan=KEL_A)]
    report = receive_bundle(hq, forge(laptop_a, rows, area="35.73"), file="h.tpsb").report
    assert report is not None and not report.merged and report.reason == "area"
    assert district_row(hq, Officer, rows[0]["values"]["id"]) is None


def test_a_new_laptop_claiming_the_city_is_approved_for_its_issued_kelurahan(
    tmp_path: Path,
) -> None:
    """SECURITY 25: a laptop enrolled for one kelurahan whose first bundle claims `35.73`:
    approval shows both areas and takes the issued one; the bundle is refused."""
    hq = new_district(tmp_path / "hq" / "d.store")
    laptop = new_laptop(tmp_path / "a" / "l.store", build_setup_file(hq, KEL_A))
    try:
        tps_b = areas.find_tps(hq, f"{KEL_B}/1").id
        row = officer_row(device=laptop.device_id, counter=1, tps_id=tps_b, kelurahan=KEL_B)
        outcome = receive_bundle(hq, forge(laptop, [row], area="35.73"), file="h.tpsb")
        assert outcome.status == "quarantined"
        device = district.get_device(hq, laptop.device_id)
        assert device is not None
        assert (device.area_code, device.claimed_area) == (KEL_A, "35.73")
        approved = district.approve(hq, outcome.fingerprint)
        assert approved.area_code == KEL_A
        [merged] = merge_released(hq, laptop.device_id)
        assert merged.report is not None and merged.report.reason == "area"
        assert district_row(hq, Officer, row["values"]["id"]) is None
        with pytest.raises(district.AreaNotIssued):
            district.approve(hq, outcome.fingerprint, area="35.73")
    finally:
        laptop.close()
        hq.close()


def test_an_old_bundle_without_setup_id_needs_an_issued_area(district_store: Store) -> None:
    key_a, key_b = bytes(range(32)), bytes(range(1, 33))
    issue_setup(district_store, M_KEL_A)
    # The claim matches an issued file: it stands.
    found = district.register_pending(district_store, device_id="a", signing_key=key_a,
                                      area=M_KEL_A)  # fmt: skip
    assert found.area_code == M_KEL_A
    # No file was issued for the claim: the clerk chooses one of the issued areas.
    other = district.register_pending(district_store, device_id="b", signing_key=key_b,
                                      area=M_KEC)  # fmt: skip
    assert (other.area_code, other.claimed_area) == ("", M_KEC)
    with pytest.raises(district.AreaNotIssued, match=M_KEL_A):
        district.approve(district_store, other.fingerprint)
    with pytest.raises(district.AreaNotIssued):
        district.approve(district_store, other.fingerprint, area=M_KEC)
    assert district.approve(district_store, other.fingerprint, area=M_KEL_A).area_code == M_KEL_A
    # A setup file made for another laptop's fingerprint gives no area.
    from tpsdesk.store.versioning import get_meta, set_meta
    from tpsdesk.sync.setup import META_SETUP_ISSUED

    targeted = issue_setup(district_store, M_KEC)
    with district_store.transaction() as session:
        issued = dict(get_meta(session, META_SETUP_ISSUED))
        issued[targeted] = {**issued[targeted], "target": "11111 22222 33333"}
        set_meta(session, META_SETUP_ISSUED, issued)
    borrowed = district.register_pending(district_store, device_id="d", signing_key=bytes(32),
                                         area=M_KEC, setup_id=targeted)  # fmt: skip
    assert borrowed.area_code == ""
    # An unknown setup id: unknown area as well.
    third = district.register_pending(district_store, device_id="c", signing_key=bytes(33)[1:],
                                      area=M_KEL_A, setup_id="not-issued")  # fmt: skip
    assert third.area_code == ""


def test_tps_never_changes_kelurahan(district_store: Store, district_area: dict[str, str]) -> None:
    laptop, key = approved_laptop(district_store, M_KEC)  # a kecamatan laptop: A and B are its
    tps = district_row(district_store, Tps, district_area["a1"])
    moved = edited(tps, laptop, 5, kelurahan_code=M_KEL_B)
    report = merge_bundle(district_store, make_bundle(laptop, key, [moved], area=M_KEC))
    assert report.merged and [p.code for p in report.rejected[0].problems] == ["tps.moved"]
    assert district_row(district_store, Tps, tps.id).kelurahan_code == M_KEL_A


def test_officer_pointing_at_a_refused_tps_is_refused(
    district_store: Store, district_area: dict[str, str]
) -> None:
    """A row pointing at a row refused in the same bundle is refused too, with its reason."""
    laptop, key = approved_laptop(district_store)
    bad_tps = row_to_wire(
        Tps(id=str(uuid.uuid4()), version_device=laptop, version_counter=1,
            kelurahan_code=M_KEL_A, number=1000, address="Jl. Baru"),
        1,
    )  # fmt: skip
    at_bad = officer_row(device=laptop, counter=2, tps_id=bad_tps["values"]["id"])
    good = officer_row(device=laptop, counter=3, tps_id=district_area["a1"])
    report = merge_bundle(district_store, make_bundle(laptop, key, [bad_tps, at_bad, good]))
    assert report.merged and [r.row_id for r in report.accepted] == [good["values"]["id"]]
    codes = {r.index: [p.code for p in r.problems] for r in report.rejected}
    assert codes == {0: ["tps.number"], 1: ["tps_id.refused"]}


def test_stored_reports_are_capped(district_store: Store, district_area: dict[str, str]) -> None:
    """SECURITY 26 (reports): at most 200 refused rows are kept, the rest counted."""
    laptop, key = approved_laptop(district_store)
    rows = [officer_row(device=laptop, counter=n, tps_id=district_area["a1"], sex="X")
            for n in range(1, 252)]  # fmt: skip
    rows.append(officer_row(device=laptop, counter=300, tps_id=district_area["a1"]))
    bundle = make_bundle(laptop, key, rows)
    report = merge_bundle(district_store, bundle)
    assert report.merged and len(report.accepted) == 1
    assert len(report.rejected) == 200 and report.rejected_more == 51
    assert "… and 51 more rows" not in report.summary()  # 20 shown, the rest counted
    assert "231 more rows" in report.summary()
    replay = merge_bundle(district_store, bundle)
    assert replay.replay and replay.rejected_more == 51 and len(replay.rejected) == 200


def test_structural_checking_stops_after_100_bad_rows(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    rows: list[Any] = [{} for _ in range(5000)]
    report = merge_bundle(district_store, make_bundle(laptop, key, rows))
    assert not report.merged and report.reason == "rows_refused"
    assert len(report.rejected) == 100


def test_two_laptops_adding_tps_5_make_a_finding_and_setup_files_still_work(
    tmp_path: Path,
) -> None:
    """Issue 8 point 8: both merge, a duplicate-TPS finding opens, `build_setup_file` for the
    area works (one TPS per number) and a new laptop enrols; the clerk then resolves it."""
    hq = new_district(tmp_path / "hq" / "d.store")
    setup = build_setup_file(hq, KEL_A)
    first = new_laptop(tmp_path / "1" / "l.store", setup)
    second = new_laptop(tmp_path / "2" / "l.store", setup)
    try:
        ids = []
        for laptop in (first, second):
            ids.append(areas.add_tps(laptop, KEL_A, 5, "Jl. Lima").id)
            add_officer(laptop, len(ids) + 10, KEL_A, tps_number=5)
            assert send(hq, laptop, tmp_path / "usb").merged
        found = district.list_findings(hq, kind=FindingKind.DUPLICATE_TPS)
        assert len(found) == 1 and sorted(district.finding_rows(found[0])) == sorted(ids)
        data = build_setup_file(hq, KEL_A)
        content = read_setup_file(data)
        fives = [r for r in content.rows if isinstance(r, Tps) and r.number == 5]
        assert [r.id for r in fives] == [min(ids)]
        from tpsdesk.sync.container import parse_container

        assert left_out_tps(hq, parse_container(data).file_id) == [max(ids)]
        third = new_laptop(tmp_path / "3" / "l.store", data)
        third.close()
        # Keeping one while the other still has an officer: move them first.
        with pytest.raises(district.FindingError, match="officer"):
            district.resolve_finding(hq, found[0].id, district.Decision.KEEP_ONE, keep=ids[0])
        district.resolve_finding(
            hq, found[0].id, district.Decision.EDIT, keep=max(ids), values={"number": "6"}
        )
        assert district_row(hq, Tps, max(ids)).number == 6
        assert district.list_findings(hq, status=FindingStatus.OPEN,
                                      kind=FindingKind.DUPLICATE_TPS) == []  # fmt: skip
        content = read_setup_file(build_setup_file(hq, KEL_A))
        assert {r.id for r in content.rows if isinstance(r, Tps)} >= set(ids)
    finally:
        first.close()
        second.close()
        hq.close()


def test_resolve_keep_with_set_keeps_the_kept_versions_other_values(
    district_store: Store, district_area: dict[str, str]
) -> None:
    """Issue 8 point 10: `--keep V --set F=X` is V with F set, not the shown row with F set."""
    one, key_one = approved_laptop(district_store)
    two, key_two = approved_laptop(district_store)
    row = officer_row(device=one, counter=1, tps_id=district_area["a1"])
    merge_bundle(district_store, make_bundle(one, key_one, [row]))
    row_id = row["values"]["id"]
    mine = officer_row(device=one, counter=2, tps_id=district_area["a1"], row_id=row_id,
                       base=(one, 1), nik=row["values"]["nik"], phone="081111111111")  # fmt: skip
    theirs = officer_row(device=two, counter=1, tps_id=district_area["a1"], row_id=row_id,
                         base=(one, 1), nik=row["values"]["nik"], phone="082222222222")  # fmt: skip
    merge_bundle(district_store, make_bundle(one, key_one, [mine], seq_from=2))
    merge_bundle(district_store, make_bundle(two, key_two, [theirs]))
    [conflict] = district.list_findings(district_store, kind=FindingKind.CONFLICT)
    shown = district_row(district_store, Officer, row_id)
    assert shown.phone == "081111111111"  # the winner (higher counter)
    district.resolve_finding(district_store, conflict.id, district.Decision.EDIT,
                             keep=f"{two}:1", values={"address": "Jl. Baru 2"})  # fmt: skip
    resolved = district_row(district_store, Officer, row_id)
    assert (resolved.phone, resolved.address) == ("082222222222", "Jl. Baru 2")


def test_a_copy_of_a_known_version_is_never_refused(
    district_store: Store, district_area: dict[str, str]
) -> None:
    """A laptop sending again what the district has (no receipt yet) after the district moved
    that officer elsewhere: nothing to refuse, nothing changes."""
    laptop, key = approved_laptop(district_store)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    merge_bundle(district_store, make_bundle(laptop, key, [row]))
    with district_store.transaction() as session:
        officer = session.get(Officer, row["values"]["id"])
        assert officer is not None
        officer.kelurahan_code, officer.tps_id = M_KEL_B, district_area["b1"]
        session.add(officer)
    report = merge_bundle(district_store, make_bundle(laptop, key, [row], seq_from=1))
    assert report.merged and not report.rejected and report.unchanged


def test_older_district_store_gains_the_new_device_columns(tmp_path: Path) -> None:
    from .conftest import make_store

    store = make_store(tmp_path / "d.store", "district")
    try:
        ensure_district_tables(store)
        issue_setup(store, M_KEL_A)
        for name in ("old-a", "old-b", "old-c"):
            district.register_pending(store, device_id=name, signing_key=name.encode() * 8,
                                      area=M_KEL_A if name != "old-c" else M_KEC)  # fmt: skip
        with store.transaction() as session:
            connection = session.connection()
            # As an older store held them: the header's claim as the area, no claim column.
            connection.exec_driver_sql("UPDATE sync_device SET area_code = ?", (M_KEC,))
            connection.exec_driver_sql("UPDATE sync_device SET status = 'approved' "
                                       "WHERE device_id = 'old-a'")  # fmt: skip
            connection.exec_driver_sql("UPDATE sync_device SET area_code = ? "
                                       "WHERE device_id = 'old-b'", (M_KEL_A,))  # fmt: skip
            connection.exec_driver_sql("ALTER TABLE sync_device DROP COLUMN claimed_area")
            connection.exec_driver_sql("ALTER TABLE sync_device DROP COLUMN setup_id")
        ensure_district_tables(store)
        found = {d.device_id: (d.area_code, d.claimed_area) for d in district.list_devices(store)}
        assert found == {
            "old-a": (M_KEC, M_KEC),  # approved by a clerk: kept
            "old-b": (M_KEL_A, M_KEL_A),  # pending, a setup file was issued for it
            "old-c": ("", M_KEC),  # pending, claims an area never issued: the clerk chooses
        }
        device = district.register_pending(store, device_id="x", signing_key=bytes(32),
                                           area=M_KEL_A)  # fmt: skip
        assert device.claimed_area == M_KEL_A
    finally:
        store.close()


def test_rollback_finding_is_listed_and_resolvable(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    merge_bundle(district_store, make_bundle(laptop, key, [row]))
    clash = json.loads(json.dumps(row))
    clash["values"]["phone"] = "089999999999"
    assert merge_bundle(district_store, make_bundle(laptop, key, [clash])).reason == "rollback"
    with district_store.read() as session:
        [found] = session.exec(select(Finding).where(Finding.kind == "rollback")).all()
    district.resolve_finding(district_store, found.id, district.Decision.KEEP_BOTH)
    assert district.list_findings(district_store, status=FindingStatus.OPEN,
                                  kind=FindingKind.ROLLBACK) == []  # fmt: skip


def test_district_merge_prints_the_rows_it_refused(
    district_store: Store, district_area: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """`district merge` of a bundle merged with refused rows says which and why (exit 0)."""
    from types import SimpleNamespace

    from tpsdesk.cli.district import _print_outcome

    laptop, key = approved_laptop(district_store)
    good = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    bad = officer_row(device=laptop, counter=2, tps_id=district_area["a1"], sex="X")
    report = merge_bundle(district_store, make_bundle(laptop, key, [good, bad]))
    _print_outcome(SimpleNamespace(file="b.tpsb", status=report.status, report=report))
    out = capsys.readouterr().out
    assert "b.tpsb: merged — 1 accepted" in out
    assert "1 row was refused and not merged" in out and "row 2: Sex must be L or P." in out
    clash = json.loads(json.dumps(good))
    clash["values"]["name"] = "ORANG LAIN"
    rolled = merge_bundle(district_store, make_bundle(laptop, key, [clash]))
    _print_outcome(SimpleNamespace(file="c.tpsb", status=rolled.status, report=rolled))
    err = capsys.readouterr().err
    assert "refused as a whole" in err and "older copy" in err and "ORANG" not in err


def test_a_narrower_header_area_is_no_refusal(
    district_store: Store, district_area: dict[str, str]
) -> None:
    """A laptop a clerk approved for the kecamatan while its header names one kelurahan: its
    rows are checked against the approved area, so the narrower claim is harmless."""
    laptop, key = approved_laptop(district_store, M_KEC)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["b1"], kelurahan=M_KEL_B)
    report = merge_bundle(district_store, make_bundle(laptop, key, [row], area=M_KEL_A))
    assert report.merged and not report.rejected and report.accepted


def test_district_merge_of_a_partly_refused_bundle_exits_1(two_kelurahan) -> None:  # type: ignore[no-untyped-def]
    """README: exit status 1 when a bundle is refused or partly rejected. A bundle merged with
    refused rows is partly rejected; the long list of refusals is cut with a count."""
    from click.testing import CliRunner

    from tpsdesk.cli import main

    hq, laptop_a, _laptop_b, officer_b, tmp = two_kelurahan
    target = district_row(hq, Officer, officer_b)
    forged = [edited(target, laptop_a.device_id, 900 + n, name=f"ORANG {n}") for n in range(25)]
    for n, row in enumerate(forged[1:], 1):
        row["values"]["base_counter"] = 900 + n - 1
        row["values"]["base_device"] = laptop_a.device_id
        row["values"]["id"] = str(uuid.UUID(int=n))
    new_id = add_officer(laptop_a, 3, KEL_A)
    honest = [r for r in rows_to_send(laptop_a)[0] if r["values"]["id"] == new_id]
    path = tmp / "usb" / "hostile.tpsb"
    path.write_bytes(forge(laptop_a, [*forged, *honest]))
    hq_path = hq.path
    hq.close()
    result = CliRunner().invoke(
        main, ["--lang", "en", "--store", str(hq_path), "district", "merge", str(path)],
        env={"TPSDESK_PASSPHRASE": PASS},
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "merged — 1 accepted" in result.stdout
    assert "25 rows were refused and not merged" in result.stdout
    assert "… and 5 more refused rows" in result.stdout
    assert "ORANG" not in result.output


def test_counters_reused_for_other_rows_are_a_rollback(
    district_store: Store, district_area: dict[str, str]
) -> None:
    """SECURITY 30: a laptop's store put back to an older copy numbers new changes again
    with counters the district already holds for other rows (new officers, other people):
    the bundle is refused as a rollback with a finding, nothing of it merged; a re-sent
    bundle (the same versions again) and new counters are no rollback."""
    laptop, key = approved_laptop(district_store)
    first = [officer_row(device=laptop, counter=c, tps_id=district_area["a1"], seq=c,
                         birth=date(1980 + c, 1, 1)) for c in (1, 2)]  # fmt: skip
    assert merge_bundle(district_store, make_bundle(laptop, key, first)).merged
    again = merge_bundle(district_store, make_bundle(laptop, key, first))
    assert again.merged and not again.rejected  # a re-send: the same versions
    other = officer_row(device=laptop, counter=2, tps_id=district_area["a1"], seq=2,
                        birth=date(1990, 5, 5), name="ORANG LAIN")  # fmt: skip
    report = merge_bundle(district_store, make_bundle(laptop, key, [other]))
    assert not report.merged and report.reason == "rollback"
    with district_store.read() as session:
        assert session.get(Officer, other["values"]["id"]) is None
        assert len(session.exec(select(Finding).where(Finding.kind == "rollback")).all()) == 1
    later = officer_row(device=laptop, counter=3, tps_id=district_area["a1"], seq=3,
                        birth=date(1991, 6, 6))  # fmt: skip
    assert merge_bundle(district_store, make_bundle(laptop, key, [later])).merged
