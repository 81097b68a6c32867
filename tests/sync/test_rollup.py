"""The province roll-up: a province sets up two districts, merges their roll-up files
(idempotent, in any order) and refuses what it must (sync/province.py, sync/rollup.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select
from tests.sync.conftest import approved_laptop, make_bundle, make_store, officer_row, valid_nik

from tpsdesk.store import areas
from tpsdesk.store.db import Store
from tpsdesk.store.models import Kecamatan, Kelurahan, Officer, Tps
from tpsdesk.sync import district
from tpsdesk.sync.district_models import ensure_district_tables
from tpsdesk.sync.errors import BadSignature, Malformed, SyncError, WrongRecipient
from tpsdesk.sync.identity import (
    district_identity,
    ensure_district_identity,
    set_district_settings,
)
from tpsdesk.sync.merge import merge_bundle
from tpsdesk.sync.province import (
    ProvinceRefused,
    build_district_setup,
    install_province_setup,
    pinned_province,
    set_province_settings,
)
from tpsdesk.sync.rollup import export_rollup, merge_waiting, receive_rollup, sender_id

TODAY = date(2024, 10, 1)


@dataclass
class District:
    store: Store
    code: str
    kec: str
    kel: str
    tps: list[str]
    device: str
    key: bytes
    officers: list[str]


# Every store a test opens, closed after it (Python 3.13 warns of a sqlite3 connection left
# to the collector).
_opened: list[Store] = []


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    while _opened:
        _opened.pop().close()


def _store(path: Path, role: str) -> Store:
    store = make_store(path, role)
    _opened.append(store)
    return store


def make_province(path: Path, code: str = "35", name: str = "Jawa Timur") -> Store:
    store = _store(path, "province")
    ensure_district_tables(store)
    ensure_district_identity(store)
    set_province_settings(store, name=name, code=code)
    return store


def born(code: str, index: int) -> date:
    return date(1970 + int(code[-2:]) % 20 + index, 1 + index, 1 + index)


def make_district(path: Path, code: str, name: str, officers: int = 3) -> District:
    store = _store(path, "district")
    ensure_district_tables(store)
    ensure_district_identity(store)
    set_district_settings(store, name=name, code=code)
    kec, kel = f"{code}.05", f"{code}.05.1001"
    areas.add_kecamatan(store, kec, f"Kecamatan {code}")
    areas.add_kelurahan(store, kel, f"Kelurahan {code}", kec)
    tps = [areas.add_tps(store, kel, n, f"Jl. TPS {n}").id for n in (1, 2)]
    device, key = approved_laptop(store, kel)
    rows = [
        officer_row(
            device=device,
            counter=i + 1,
            tps_id=tps[i % 2],
            kelurahan=kel,
            kecamatan_code=kec,
            nik=valid_nik(born(code, i), serial=int(code[-2:]) * 10 + i + 1),
            name=f"PETUGAS {'ABCDEFGH'[i]} {'KLMN'[int(code[-2:]) % 4]}",
            birth=born(code, i),
        )
        for i in range(officers)
    ]
    report = merge_bundle(store, make_bundle(device, key, rows, area=kel), today=TODAY)
    assert report.merged and len(report.accepted) == officers, report.summary()
    ids = [row["values"]["id"] for row in rows]
    return District(store, code, kec, kel, tps, device, key, ids)


def sender_of(d: District) -> str:
    identity = district_identity(d.store)
    assert identity is not None
    return sender_id(d.code, identity.signing_public)


def join(province: Store, d: District, name: str = "Kabupaten") -> None:
    issued = build_district_setup(province, d.code, f"{name} {d.code}")
    install_province_setup(d.store, issued.data, fingerprint=issued.fingerprint)


def files(d: District, out: Path) -> list[tuple[str, bytes]]:
    result = export_rollup(d.store, out)
    return [(p.name, p.read_bytes()) for p in result.paths]


def approve(province: Store, d: District) -> None:
    device = district.get_device(province, sender_of(d))
    assert device is not None
    district.approve(province, device.fingerprint)
    for outcome in merge_waiting(province, device.device_id, today=TODAY):
        assert getattr(outcome, "status", None) == "merged", outcome


def snapshot(store: Store) -> dict[str, list[tuple[object, ...]]]:
    with store.read() as session:
        return {
            "officer": sorted(
                (o.id, o.version_device, o.version_counter, o.nik, o.tps_id, o.deleted)
                for o in session.exec(select(Officer))
            ),
            "tps": sorted((t.id, t.kelurahan_code, t.number) for t in session.exec(select(Tps))),
            "kelurahan": sorted((k.id, k.code, k.name) for k in session.exec(select(Kelurahan))),
            "kecamatan": sorted((k.id, k.code, k.name) for k in session.exec(select(Kecamatan))),
        }


@pytest.fixture
def world(tmp_path: Path) -> tuple[Store, District, District]:
    province = make_province(tmp_path / "p" / "p.store")
    a = make_district(tmp_path / "a" / "a.store", "35.73", "Kota Malang", officers=3)
    b = make_district(tmp_path / "b" / "b.store", "35.07", "Kabupaten Malang", officers=2)
    join(province, a)
    join(province, b)
    return province, a, b


def merge_all(province: Store, items: list[tuple[str, bytes]]) -> list[object]:
    return [receive_rollup(province, data, file=name, today=TODAY) for name, data in items]


def test_province_rolls_up_two_districts(
    world: tuple[Store, District, District], tmp_path: Path
) -> None:
    province, a, b = world
    first = merge_all(province, files(a, tmp_path / "out-a"))
    assert [o.status for o in first] == ["quarantined"]  # type: ignore[attr-defined]
    assert snapshot(province)["officer"] == []
    approve(province, a)
    merge_all(province, files(b, tmp_path / "out-b"))
    approve(province, b)
    shown = snapshot(province)
    assert {o[0] for o in shown["officer"]} == set(a.officers) | set(b.officers)
    assert {k[1] for k in shown["kelurahan"]} == {a.kel, b.kel}
    # The versions are the laptops' versions: lineage works across the two levels.
    assert {o[1] for o in shown["officer"]} == {a.device, b.device}
    device = district.get_device(province, sender_of(b))
    assert device is not None and device.area_code == "35.07"


def test_same_file_twice_merges_once(
    world: tuple[Store, District, District], tmp_path: Path
) -> None:
    province, a, _b = world
    items = files(a, tmp_path / "out")
    merge_all(province, items)
    approve(province, a)
    before = snapshot(province)
    again = merge_all(province, items)
    assert again[0].report is not None and again[0].report.replay  # type: ignore[attr-defined]
    assert snapshot(province) == before
    # A new roll-up of the same district: everything already known.
    later = merge_all(province, files(a, tmp_path / "out2"))
    report = later[0].report  # type: ignore[attr-defined]
    assert report.merged and not report.accepted and not report.rejected
    assert snapshot(province) == before


def test_order_does_not_matter(world: tuple[Store, District, District], tmp_path: Path) -> None:
    _province, a, b = world
    fa, fb = files(a, tmp_path / "a"), files(b, tmp_path / "b")
    results = []
    for order, name in (((fa, fb), "p1"), ((fb, fa), "p2")):
        province = make_province(tmp_path / name / "p.store")
        for d in (a, b):  # the same districts, set up by this province
            issued = build_district_setup(province, d.code, f"Kab {d.code}")
            with d.store.transaction() as session:  # re-pin to this province for the test
                from tpsdesk.store.versioning import set_meta
                from tpsdesk.sync.province import META_PROVINCE_PIN

                set_meta(session, META_PROVINCE_PIN, None)
            install_province_setup(d.store, issued.data, fingerprint=issued.fingerprint)
        items = {id(fa): files(a, tmp_path / name / "a"), id(fb): files(b, tmp_path / name / "b")}
        for chunk in order:
            merge_all(province, items[id(chunk)])
        approve(province, (order[0] is fa and a) or b)
        approve(province, (order[0] is fa and b) or a)
        results.append(snapshot(province))
    assert results[0] == results[1]
    assert len(results[0]["officer"]) == 5


def test_tampered_file_is_refused(world: tuple[Store, District, District], tmp_path: Path) -> None:
    province, a, _b = world
    name, data = files(a, tmp_path / "out")[0]
    merge_all(province, [(name, data)])
    approve(province, a)
    before = snapshot(province)
    later = files(a, tmp_path / "out2")[0][1]
    broken = bytearray(later)
    broken[len(broken) // 2] ^= 0x01
    with pytest.raises(SyncError) as caught:
        receive_rollup(province, bytes(broken), file="x.tpsu", today=TODAY)
    assert isinstance(caught.value, BadSignature | Malformed)
    assert "x.tpsu" in caught.value.message
    assert snapshot(province) == before


def test_revoked_district_is_refused(
    world: tuple[Store, District, District], tmp_path: Path
) -> None:
    province, a, _b = world
    merge_all(province, files(a, tmp_path / "out"))
    approve(province, a)
    device = district.get_device(province, sender_of(a))
    assert device is not None
    district.revoke(province, device.fingerprint)
    before = snapshot(province)
    with pytest.raises(district.DeviceRevoked) as caught:
        merge_all(province, files(a, tmp_path / "out2"))
    assert "revoked" in caught.value.message
    assert snapshot(province) == before


def test_unapproved_district_waits_and_nothing_merges(
    world: tuple[Store, District, District], tmp_path: Path
) -> None:
    province, _a, b = world
    outcome = merge_all(province, files(b, tmp_path / "out"))[0]
    assert outcome.status == "quarantined"  # type: ignore[attr-defined]
    again = merge_all(province, [(p.name, p.read_bytes()) for p in (tmp_path / "out").iterdir()])
    assert again[0].status == "already_quarantined"  # type: ignore[attr-defined]
    assert snapshot(province)["officer"] == [] and snapshot(province)["kelurahan"] == []


def test_rows_outside_the_kab_kota_are_refused(
    world: tuple[Store, District, District], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hostile district operator alters its own store (rows in another kab/kota, a copy of
    another district's officer moved into its own area) and writes a validly signed file."""
    province, a, b = world
    merge_all(province, files(a, tmp_path / "a"))
    approve(province, a)
    merge_all(province, files(b, tmp_path / "b0"))
    approve(province, b)
    before = snapshot(province)
    with a.store.read() as session:
        borrowed = [
            *session.exec(select(Kecamatan)),
            *session.exec(select(Kelurahan)),
            *session.exec(select(Tps).where(Tps.id == a.tps[0])),
        ]
        copies = [type(row)(**row.model_dump()) for row in borrowed]
    with b.store.transaction() as session:
        # Kota Malang's area rows (same ids) and an officer placed there, written straight
        # into B's store.
        for copy in copies:
            session.add(copy)
        session.flush()
        stray = Officer(
            **{**session.get(Officer, b.officers[0]).model_dump(), "id": str(uuid.uuid4())}
        )  # type: ignore[union-attr]
        stray.kecamatan_code, stray.kelurahan_code, stray.tps_id = a.kec, a.kel, a.tps[0]
        stray.version_counter = 99
        session.add(stray)
        # Kota Malang's officer, taken over with a later version and moved into B's area.
        taken = Officer(**{**session.get(Officer, b.officers[1]).model_dump(), "id": a.officers[0]})  # type: ignore[union-attr]
        taken.version_device, taken.version_counter = "hostile", 1
        session.add(taken)
        session.add(Kecamatan(code="35.73.09", name="Palsu", version_device="hostile",
                              version_counter=2))  # fmt: skip
    # Its tpsdesk is changed to send every row it holds, not only those of its kab/kota.
    monkeypatch.setattr("tpsdesk.sync.rollup._place", lambda _row: b.code)
    outcome = merge_all(province, files(b, tmp_path / "b1"))[0]
    report = outcome.report  # type: ignore[attr-defined]
    assert report.merged
    refused = {r.row_id for r in report.rejected}
    assert {stray.id, a.officers[0], a.tps[0]} <= refused
    assert any(r.table == "kecamatan" for r in report.rejected)
    after = snapshot(province)
    assert after == before
    assert "35.73.09" not in {k[1] for k in after["kecamatan"]}


def test_file_for_another_province_is_refused(
    world: tuple[Store, District, District], tmp_path: Path
) -> None:
    _province, a, _b = world
    other = make_province(tmp_path / "other" / "p.store", code="35", name="Jawa Timur (salinan)")
    build_district_setup(other, a.code, "Kota Malang")
    with pytest.raises(WrongRecipient) as caught:
        merge_all(other, files(a, tmp_path / "out"))
    assert "another key" in caught.value.message
    assert snapshot(other)["officer"] == []
    assert district.list_devices(other) == []


def test_setup_refusals(world: tuple[Store, District, District], tmp_path: Path) -> None:
    province, a, _b = world
    with pytest.raises(ProvinceRefused, match="does not lie in this province"):
        build_district_setup(province, "33.01", "Kabupaten Cilacap")
    fresh = make_district(tmp_path / "c" / "c.store", "35.09", "Kabupaten Jember", officers=1)
    issued = build_district_setup(province, "35.09", "Kabupaten Jember")
    with pytest.raises(ProvinceRefused, match="--fingerprint"):
        install_province_setup(fresh.store, issued.data, fingerprint=None)
    # Which group differs is said; the file's own fingerprint never (it would be copied).
    digits = issued.fingerprint.replace(" ", "")
    third_wrong = digits[:10] + ("1" if digits[10] != "1" else "2") + digits[11:]
    with pytest.raises(ProvinceRefused, match="group 3 differs") as caught:
        install_province_setup(fresh.store, issued.data, fingerprint=third_wrong)
    assert digits[:5] not in caught.value.message.replace(" ", "")
    with pytest.raises(ProvinceRefused, match="incomplete"):
        install_province_setup(fresh.store, issued.data, fingerprint=digits[:10])
    wrong = build_district_setup(province, "35.10", "Kabupaten Banyuwangi")
    with pytest.raises(ProvinceRefused, match=r"but this district store is 35\.09"):
        install_province_setup(fresh.store, wrong.data, fingerprint=wrong.fingerprint)
    assert pinned_province(fresh.store) is None
    with pytest.raises(ProvinceRefused, match="no province setup file"):
        export_rollup(fresh.store, tmp_path / "none")
    # A setup file of a district (for laptops) is not a province's.
    from tpsdesk.sync.setup import build_setup_file

    laptop_file = build_setup_file(a.store, a.kel)
    with pytest.raises(Malformed):
        install_province_setup(fresh.store, laptop_file, fingerprint=issued.fingerprint)
    # Installed once: an older file is refused.
    install_province_setup(fresh.store, issued.data, fingerprint=issued.fingerprint)
    with pytest.raises(ProvinceRefused, match="not newer"):
        install_province_setup(fresh.store, issued.data, fingerprint=None)
    assert json.dumps(pinned_province(fresh.store).to_meta())  # type: ignore[union-attr]


def test_province_exports_cover_both_districts(
    world: tuple[Store, District, District], tmp_path: Path
) -> None:
    from tpsdesk.exchange.bpjs_export import export_bpjs
    from tpsdesk.exchange.budget_export import export_budget
    from tpsdesk.sync.rollup import coverage_by_kabkota

    province, a, b = world
    for d in (a, b):
        merge_all(province, files(d, tmp_path / d.code))
        approve(province, d)
    sheets = {
        name: export_bpjs(store, tmp_path / f"{name}.csv", today=TODAY)
        for name, store in (("p", province), ("a", a.store), ("b", b.store))
    }
    assert sheets["p"].exported == sheets["a"].exported + sheets["b"].exported == 5
    budgets = {
        name: export_budget(store, tmp_path / f"{name}.xlsx").budget
        for name, store in (("p", province), ("a", a.store), ("b", b.store))
    }
    assert budgets["p"].total.amount == budgets["a"].total.amount + budgets["b"].total.amount
    assert budgets["p"].officers_counted == 5
    coverage = {row.code: row for row in coverage_by_kabkota(province)}
    assert sorted(coverage) == ["35.07", "35.73"]
    assert coverage["35.73"].filled == 3 and coverage["35.07"].filled == 2
    assert coverage["35.07"].name == "Kabupaten 35.07" and coverage["35.07"].last_rollup


def test_a_place_the_province_holds_under_another_id_is_kept(
    world: tuple[Store, District, District], tmp_path: Path
) -> None:
    province, a, _b = world
    areas.add_kecamatan(province, a.kec, "Nama Provinsi")
    merge_all(province, files(a, tmp_path / "out"))
    approve(province, a)
    shown = snapshot(province)
    assert [k[1:] for k in shown["kecamatan"]] == [(a.kec, "Nama Provinsi")]
    assert {o[0] for o in shown["officer"]} == set(a.officers)


def test_a_district_that_never_merged_rolls_up_its_area(
    world: tuple[Store, District, District], tmp_path: Path
) -> None:
    province = world[0]
    store = _store(tmp_path / "new" / "d.store", "district")
    set_district_settings(store, name="Kabupaten Jember", code="35.09")
    areas.add_kecamatan(store, "35.09.01", "Jombang")
    issued = build_district_setup(province, "35.09", "Kabupaten Jember")
    install_province_setup(store, issued.data, fingerprint=issued.fingerprint)
    result = export_rollup(store, tmp_path / "out", part_rows=1)
    assert result.counts == {"kecamatan": 1} and len(result.paths) == 1  # no empty last part
    store.close()


def test_the_desk_lists_and_approves_districts(
    world: tuple[Store, District, District], tmp_path: Path
) -> None:
    """What the desk's Laptops tab does (sync.laptops_view) works on a province's districts."""
    from tpsdesk.sync.laptops_view import approve_and_merge, laptop_rows

    province, a, _b = world
    merge_all(province, files(a, tmp_path / "out"))
    rows = laptop_rows(province)
    assert [(r.device_id, r.area.code, r.waiting) for r in rows] == [(sender_of(a), a.code, 1)]
    approval = approve_and_merge(province, rows[0].fingerprint_groups)
    assert [o.status for o in approval.merged] == ["merged"] and not approval.failed
    assert {o[0] for o in snapshot(province)["officer"]} == set(a.officers)


def test_a_roll_up_of_what_changed(world: tuple[Store, District, District], tmp_path: Path) -> None:
    province, a, _b = world
    merge_all(province, files(a, tmp_path / "whole"))
    approve(province, a)

    def one_more(counter: int, serial: int) -> str:
        row = officer_row(device=a.device, counter=counter, tps_id=a.tps[0], kelurahan=a.kel,
                          kecamatan_code=a.kec, name=f"PETUGAS BARU {'XYZ'[serial % 3]}",
                          nik=valid_nik(date(1990, 5, 5), serial=serial),
                          birth=date(1990, 5, 5))  # fmt: skip
        report = merge_bundle(a.store, make_bundle(a.device, a.key, [row], seq_from=counter,
                                                   area=a.kel), today=TODAY)  # fmt: skip
        assert report.merged and report.accepted, report.summary()
        return str(row["values"]["id"])

    first = one_more(10, 7001)
    changed = export_rollup(a.store, tmp_path / "c1", changed=True)
    assert not changed.whole and changed.counts.get("officer") == 1
    lost = one_more(11, 7002)
    export_rollup(a.store, tmp_path / "c2", changed=True)  # this file never arrives
    third = one_more(12, 7003)
    later = export_rollup(a.store, tmp_path / "c3", changed=True)
    assert later.counts.get("officer") == 1
    for out in ("c1", "c3"):
        outcome = merge_all(
            province, [(p.name, p.read_bytes()) for p in (tmp_path / out).iterdir()]
        )
        report = outcome[0].report  # type: ignore[attr-defined]
        assert report.merged
    assert report.gaps  # the province names the roll-up that never arrived
    officers = {o[0] for o in snapshot(province)["officer"]}
    assert {first, third} <= officers and lost not in officers
    # A whole roll-up sends everything again: nothing is missing any more.
    whole = merge_all(province, files(a, tmp_path / "whole2"))[0].report  # type: ignore[attr-defined]
    assert whole.merged and not whole.gaps
    assert lost in {o[0] for o in snapshot(province)["officer"]}


def test_a_file_refused_whole_changes_nothing(
    world: tuple[Store, District, District], tmp_path: Path
) -> None:
    province, _a, b = world
    merge_all(province, files(b, tmp_path / "b0"))
    approve(province, b)
    before = snapshot(province)
    with b.store.transaction() as session:
        session.add(Kecamatan(code="35.07.09", name="Baru", version_device="d", version_counter=1))
        bad = Officer(**session.get(Officer, b.officers[0]).model_dump())  # type: ignore[union-attr]
        bad.id, bad.version_counter = str(uuid.uuid4()), 0  # not what tpsdesk writes
        session.add(bad)
    report = merge_all(province, files(b, tmp_path / "b1"))[0].report  # type: ignore[attr-defined]
    assert not report.merged and report.reason == "rows_refused"
    assert snapshot(province) == before


def test_officers_the_district_enrolled_are_not_enrolled_twice(
    world: tuple[Store, District, District], tmp_path: Path
) -> None:
    from tpsdesk.exchange.bpjs_export import export_bpjs

    province, a, b = world
    with a.store.transaction() as session:
        enrolled = session.get(Officer, a.officers[0])
        assert enrolled is not None
        enrolled.bpjs_number, enrolled.status = "24012345678", "enrolled"
        session.add(enrolled)
    with b.store.transaction() as session:  # B claims a KPJ for A's officer: never taken
        copy = Officer(**{**session.get(Officer, b.officers[0]).model_dump(), "id": a.officers[1]})  # type: ignore[union-attr]
        copy.bpjs_number = "99999999999"
        session.add(copy)
    for d in (a, b):
        merge_all(province, files(d, tmp_path / d.code))
        approve(province, d)
    with province.read() as session:
        numbers = {o.id: (o.bpjs_number, o.status) for o in session.exec(select(Officer))}
    assert numbers[a.officers[0]] == ("24012345678", "enrolled")
    assert numbers[a.officers[1]][0] is None
    sheet = export_bpjs(province, tmp_path / "p.csv", today=TODAY)
    assert sheet.excluded_by_kind()["enrolled"] == 1


def test_a_long_history_is_cut_to_what_a_row_may_carry() -> None:
    from tpsdesk.sync.rollup import _history
    from tpsdesk.sync.row_checks import check_row

    long = {f"dev{i:03d}": i + 1 for i in range(100)}
    cut = _history(json.dumps(long), "dev099")
    assert len(cut) == 64 and cut["dev099"] == 100
    assert _history("not json", "x") == {} and _history('{"a": 3}', "a") == {"a": 3}
    row = officer_row(device="dev099", counter=100, tps_id=str(uuid.uuid4()))
    row["history"] = [[d, c] for d, c in sorted(cut.items())]
    from tpsdesk.domain.posts import DEFAULT_CATALOGUE

    parsed, rejected = check_row(0, row, area="35.73", catalogue=DEFAULT_CATALOGUE, today=TODAY)
    assert rejected is None and parsed is not None
