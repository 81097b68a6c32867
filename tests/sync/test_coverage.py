"""The district's coverage service: filled/needed, waiting for a fix, enrolled, last sent."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import col, select

from tpsdesk.domain.posts import Unit
from tpsdesk.store import areas
from tpsdesk.store.completion import area_completion, tps_completion, unit_completion
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync.coverage import late_kelurahan, not_sent_since, read_coverage
from tpsdesk.sync.district_models import Finding, FindingKind, ReceivedBundle
from tpsdesk.sync.findings import finding_id
from tpsdesk.sync.identity import set_district_settings
from tpsdesk.sync.merge import merge_bundle

from .conftest import (
    M_KEC,
    M_KEL_A,
    M_KEL_B,
    approved_laptop,
    make_bundle,
    officer_row,
)

M_KEC_2 = "35.73.04"
M_KEL_C = "35.73.04.1001"


def _add_finding(store: Store, row_ids: list[str]) -> None:
    key = "test/" + ",".join(row_ids)
    with store.transaction() as session:
        session.add(
            Finding(
                id=finding_id(key),
                key=key,
                kind=FindingKind.DUPLICATE_NIK.value,
                row_ids=json.dumps(row_ids),
            )
        )


def _enrol(store: Store, officer_id: str, kpj: str) -> None:
    with store.transaction() as session:
        officer = session.get(Officer, officer_id)
        assert officer is not None
        officer.bpjs_number = kpj
        session.add(officer)


def _received_at(store: Store, device_id: str, when: datetime) -> None:
    with store.transaction() as session:
        for record in session.exec(
            select(ReceivedBundle).where(col(ReceivedBundle.device_id) == device_id)
        ):
            record.received_at = when
            session.add(record)


def test_numbers_at_each_level(district_store: Store, district_area: dict[str, str]) -> None:
    set_district_settings(district_store, name="Kota Malang", code="35.73")
    areas.add_kecamatan(district_store, M_KEC_2, "Klojen")
    areas.add_kelurahan(district_store, M_KEL_C, "Oro-oro Dowo", M_KEC_2)
    laptop, key = approved_laptop(district_store, M_KEL_A)
    names = ["AHMAD FAUZI", "DEWI LESTARI", "SUPRIYADI", "RINA WATI"]
    rows = [
        officer_row(device=laptop, counter=n, tps_id=district_area["a1" if n < 4 else "a2"],
                    seq=n, name=names[n - 1], birth=date(1980 + n, n, 10 + n))
        for n in range(1, 5)
    ]  # fmt: skip
    refused = officer_row(device=laptop, counter=5, tps_id=district_area["a2"], seq=5, nik="12345")
    report = merge_bundle(district_store, make_bundle(laptop, key, [*rows, refused]))
    assert report.merged and len(report.rejected) == 1
    ids = [row["values"]["id"] for row in rows]
    _add_finding(district_store, [ids[0], ids[3]])
    _enrol(district_store, ids[1], "24012345678")
    _enrol(district_store, ids[2], "24012345679")
    _received_at(district_store, laptop, datetime(2024, 9, 20, 5, 0, tzinfo=UTC))

    coverage = read_coverage(district_store)
    assert coverage.district_name == "Kota Malang"
    assert [r.code for r in coverage.kecamatan] == [M_KEC_2, M_KEC]
    klojen, lowokwaru = coverage.kecamatan
    assert (lowokwaru.waiting, lowokwaru.enrolled, lowokwaru.kelurahan_count) == (3, 2, 2)
    assert (klojen.waiting, klojen.enrolled, klojen.filled) == (0, 0, 0)
    kel_a, kel_b = coverage.kelurahan[M_KEC]
    assert (kel_a.code, kel_b.code) == (M_KEL_A, M_KEL_B)
    # The refused row never reached the district: it waits at the laptop's kelurahan.
    assert (kel_a.filled, kel_a.waiting, kel_a.enrolled) == (4, 3, 2)
    assert kel_a.last_sent == datetime(2024, 9, 20, 5, 0, tzinfo=UTC)
    assert kel_b.last_sent is None and kel_b.filled == 0
    a1, a2 = coverage.tps[M_KEL_A]
    assert (a1.number, a1.filled, a1.waiting, a1.enrolled) == (1, 3, 1, 2)
    assert (a2.number, a2.filled, a2.waiting, a2.enrolled) == (2, 1, 1, 0)
    # Filled and needed are completion's, summed upwards.
    by_tps = {t.tps_id: t for t in tps_completion(district_store)}
    assert (a1.needed, a1.filled) == (by_tps[a1.code].needed, by_tps[a1.code].filled)
    fills = area_completion(district_store)
    kel_units = [u for u in unit_completion(district_store) if u.code == M_KEL_A]
    own = kel_units[0].needed
    tps_needed = sum(t.needed for t in by_tps.values() if t.kelurahan_code == M_KEL_A)
    assert kel_a.needed == fills.kelurahan[M_KEL_A].needed == own + tps_needed
    kec_needed = sum(u.needed for u in unit_completion(district_store) if u.kecamatan_code == M_KEC)
    kec_needed += sum(t.needed for t in by_tps.values() if t.kecamatan_code == M_KEC)
    assert lowokwaru.needed == kec_needed
    assert coverage.total is not None
    assert coverage.total.needed == lowokwaru.needed + klojen.needed
    assert (coverage.total.filled, coverage.total.waiting, coverage.total.enrolled) == (4, 3, 2)


def test_never_sent_and_not_since(district_store: Store, district_area: dict[str, str]) -> None:
    laptop, key = approved_laptop(district_store, M_KEL_A)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    merge_bundle(district_store, make_bundle(laptop, key, [row]))
    _received_at(district_store, laptop, datetime(2024, 9, 20, 5, 0, tzinfo=UTC))
    coverage = read_coverage(district_store)
    kel_a, kel_b = coverage.kelurahan[M_KEC]
    assert not not_sent_since(kel_a, None) and not_sent_since(kel_b, None)
    assert late_kelurahan(coverage, M_KEC, None) == [M_KEL_B]
    assert late_kelurahan(coverage, M_KEC, date(2024, 9, 20)) == [M_KEL_B]
    assert late_kelurahan(coverage, M_KEC, date(2024, 9, 21)) == [M_KEL_A, M_KEL_B]
    # A laptop issued the whole kecamatan sends for each of its kelurahan.
    other, other_key = approved_laptop(district_store, M_KEC)
    row = officer_row(device=other, counter=1, tps_id=district_area["b1"], kelurahan=M_KEL_B)
    merge_bundle(district_store, make_bundle(other, other_key, [row], area=M_KEC))
    coverage = read_coverage(district_store)
    assert late_kelurahan(coverage, M_KEC, None) == []
    assert coverage.tps[M_KEL_B][0].filled == 1


def test_waiting_laptop_does_not_count_as_sent(district_store: Store) -> None:
    from tpsdesk.sync import district

    from .conftest import issue_setup, load_area

    load_area(district_store)
    device_id = uuid.uuid4().hex
    district.register_pending(
        district_store,
        device_id=device_id,
        signing_key=b"k" * 32,
        area=M_KEL_A,
        setup_id=issue_setup(district_store, M_KEL_A),
    )
    with district_store.transaction() as session:
        session.add(ReceivedBundle(file_id="f", device_id=device_id, seq_from=1, seq_to=1,
                                   status="quarantined"))  # fmt: skip
    coverage = read_coverage(district_store)
    assert all(row.last_sent is None for row in coverage.kelurahan_rows())


def test_empty_district(district_store: Store) -> None:
    coverage = read_coverage(district_store)
    assert not coverage.has_area() and coverage.total is not None
    assert coverage.total.needed == 0 and coverage.total.unit == Unit.KECAMATAN


def test_area_totals_are_completions_numbers(district_store: Store) -> None:
    """area_completion's TPS and area totals equal tps_completion's and unit_completion's,
    overfilled posts and posts a TPS does not need included."""
    from tpsdesk.exchange.demo import fill_demo
    from tpsdesk.store import officers

    from .conftest import valid_nik

    fill_demo(district_store, 400, rng_seed=3)
    by_tps = {t.tps_id: t for t in tps_completion(district_store)}
    crowded = next(iter(by_tps.values()))
    for serial, post in enumerate(("kpps_ketua", "kpps_ketua", "kpps_ketua", "linmas")):
        row = officer_row(device="x", counter=1, tps_id=crowded.tps_id)
        fields = {k: v for k, v in row["values"].items() if k in _OFFICER_FIELDS}
        fields.update(nik=valid_nik(serial=9000 + serial), post_code=post,
                      name=f"ORANG {'ABCD'[serial]}")  # fmt: skip
        officers.add_officer(district_store, _fields(fields), tps_id=crowded.tps_id)
    # A post this TPS does not need (a catalogue changed since): counted, never missing.
    with district_store.transaction() as session:
        session.connection().exec_driver_sql(
            "UPDATE officer SET post_code = 'retired_post' WHERE name = 'ORANG D'"
        )
    by_tps = {t.tps_id: t for t in tps_completion(district_store)}
    area = area_completion(district_store)
    assert {t.tps_id for t in area.tps} == set(by_tps)
    for place in area.tps:
        full = by_tps[place.tps_id]
        assert (place.fill.needed, place.fill.filled, place.fill.missing) == (
            full.needed, full.filled, full.missing,
        )  # fmt: skip
    assert by_tps[crowded.tps_id].extra > 0
    assert any(p.post_code == "retired_post" for p in by_tps[crowded.tps_id].posts)
    units = unit_completion(district_store)
    for code, fill in area.kecamatan.items():
        needed = sum(t.needed for t in by_tps.values() if t.kecamatan_code == code)
        needed += sum(u.needed for u in units if u.kecamatan_code == code)
        filled = sum(t.filled for t in by_tps.values() if t.kecamatan_code == code)
        filled += sum(u.filled for u in units if u.kecamatan_code == code)
        assert (fill.needed, fill.filled) == (needed, filled)


_OFFICER_FIELDS = {
    "nik", "name", "birth_place", "birth_date", "sex", "address", "postcode", "phone", "email",
    "mother_name", "marital_status", "post_code", "duty_start", "duty_end",
}  # fmt: skip


def _fields(values: dict[str, object]) -> Any:
    from tpsdesk.domain.officer import OfficerFields
    from tpsdesk.domain.problems import Sex

    return OfficerFields(
        nik=str(values["nik"]),
        name=str(values["name"]),
        birth_place=str(values["birth_place"]),
        birth_date=date.fromisoformat(str(values["birth_date"])),
        sex=Sex(str(values["sex"])),
        address=str(values["address"]),
        postcode=None,
        phone=None,
        email=None,
        mother_name=None,
        marital_status=None,
        post_code=str(values["post_code"]),
        duty_start=None,
        duty_end=None,
    )


def test_kelurahan_and_kecamatan_posts_count_at_their_unit(
    district_store: Store, district_area: dict[str, str]
) -> None:
    from tpsdesk.store import officers

    from .conftest import valid_nik

    placed = []
    for serial, (post, where) in enumerate(
        (("pps_anggota", {"kelurahan_code": M_KEL_B}), ("ppk_anggota", {"kecamatan_code": M_KEC}))
    ):
        row = officer_row(device="x", counter=1, tps_id=district_area["b1"])
        fields = {k: v for k, v in row["values"].items() if k in _OFFICER_FIELDS}
        fields.update(nik=valid_nik(serial=8000 + serial), post_code=post,
                      name=f"PETUGAS {'AB'[serial]}")  # fmt: skip
        placed.append(officers.add_officer(district_store, _fields(fields), **where).id)
    for officer_id in placed:
        _enrol(district_store, officer_id, "2401" + officer_id[:7])
    _add_finding(district_store, [placed[1]])
    coverage = read_coverage(district_store)
    (lowokwaru,) = coverage.kecamatan
    kel_a, kel_b = coverage.kelurahan[M_KEC]
    assert (kel_b.enrolled, kel_b.filled, kel_b.waiting) == (1, 1, 0)
    assert (kel_a.enrolled, kel_a.filled) == (0, 0)
    assert (lowokwaru.enrolled, lowokwaru.filled, lowokwaru.waiting) == (2, 2, 1)
    assert [t.enrolled for t in coverage.tps[M_KEL_B]] == [0]
