"""Demo data: a sample area sized for N officers, valid synthetic people, sync metadata."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlmodel import col, select
from tests.factories import FAST_KDF

from tpsdesk.domain.nik import parse_nik
from tpsdesk.domain.officer import OfficerDraft, validate_officer
from tpsdesk.domain.phone import normalize_phone
from tpsdesk.domain.posts import DEFAULT_CATALOGUE, Unit
from tpsdesk.exchange.demo import KECAMATAN, fill_demo, plan_sample_area
from tpsdesk.store.areas import add_kecamatan, add_kelurahan, add_tps, list_kecamatan, list_tps
from tpsdesk.store.completion import tps_completion
from tpsdesk.store.db import Store
from tpsdesk.store.models import AuditEntry, ChangeLog, Officer
from tpsdesk.store.officers import count_officers, list_officers
from tpsdesk.store.versioning import META_DEVICE_COUNTER, META_DEVICE_SEQ, get_meta

TODAY = date(2025, 3, 1)


def _officers(store: Store) -> list[Officer]:
    with store.read() as session:
        return list(session.exec(select(Officer)))


def test_sample_area_has_room_for_the_officers() -> None:
    for officers in (1, 11, 300, 5_000, 100_000):
        rows = plan_sample_area(officers, DEFAULT_CATALOGUE)
        tps = len(rows)
        # About 12 TPS-level officers per TPS, with a little room to spare.
        assert tps * 11 >= officers * 0.8 or tps == 1
        assert tps * 12 <= officers * 1.3 + 50
        numbers = Counter((r.kelurahan_code, r.tps_number) for r in rows)
        assert max(numbers.values()) == 1
        assert all(r.kelurahan_code.startswith(r.kecamatan_code + ".") for r in rows)


def test_fill_demo_on_an_empty_store(store: Store) -> None:
    summary = fill_demo(store, 400, today=TODAY)
    assert summary.area_created
    assert summary.added == summary.requested == 400
    assert count_officers(store) == 400
    names = {k.code: k.name for k in list_kecamatan(store)}
    real = {code: name for code, name, _kelurahan in KECAMATAN}
    assert names and all(real[code] == name for code, name in names.items())

    officers = _officers(store)
    assert len({o.nik for o in officers}) == 400
    for officer in officers:
        draft = OfficerDraft(
            nik=officer.nik,
            name=officer.name,
            birth_place=officer.birth_place,
            birth_date=officer.birth_date.isoformat(),
            sex=officer.sex,
            address=officer.address,
            postcode=officer.postcode or "",
            phone=officer.phone or "",
            marital_status=officer.marital_status or "",
            post_code=officer.post_code,
        )
        result = validate_officer(draft, catalogue=DEFAULT_CATALOGUE, today=TODAY)
        assert result.fields is not None, result.problems
        assert result.problems == (), result.problems  # not even a warning
        info = parse_nik(officer.nik, today=TODAY)
        assert info.birth_date == officer.birth_date
        assert info.sex is not None and info.sex.value == officer.sex
        if officer.phone:
            assert normalize_phone(officer.phone) == (officer.phone, [])
        post = DEFAULT_CATALOGUE.get(officer.post_code)
        assert post is not None
        assert (officer.tps_id is not None) == (post.unit == Unit.TPS)
        assert officer.version_device == store.device_id
        assert officer.base_device is None and not officer.deleted


def test_every_officer_has_its_change_log_and_audit_entry(store: Store) -> None:
    fill_demo(store, 250, today=TODAY)
    with store.read() as session:
        entries = list(session.exec(select(ChangeLog).order_by(col(ChangeLog.seq))))
        audits = list(session.exec(select(AuditEntry).where(AuditEntry.table_name == "officer")))
        counter = get_meta(session, META_DEVICE_COUNTER)
        seq = get_meta(session, META_DEVICE_SEQ)
    officers = {o.id: o for o in _officers(store)}
    # Area rows and officers alike: one entry each, sequence numbers without gaps.
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert seq == len(entries) and counter == len(entries)
    logged = {e.row_id: e for e in entries if e.table_name == "officer"}
    assert logged.keys() == officers.keys()
    for row_id, entry in logged.items():
        assert entry.version_counter == officers[row_id].version_counter
        assert entry.device_id == store.device_id and entry.action == "create"
    assert {a.row_id for a in audits} == officers.keys()
    assert all(a.action == "create" and a.detail == "" for a in audits)


def test_some_tps_are_left_incomplete(store: Store) -> None:
    fill_demo(store, 1_000, today=TODAY)
    completion = tps_completion(store)
    incomplete = [t for t in completion if not t.complete]
    complete = [t for t in completion if t.complete]
    assert incomplete and complete
    assert all(t.extra == 0 for t in completion)


def test_same_seed_same_people(tmp_path_factory: pytest.TempPathFactory) -> None:
    results = []
    for name in ("a", "b"):
        path = tmp_path_factory.mktemp(name) / "s.store"
        store, _ = Store.create(path, "correct horse battery", kdf=FAST_KDF)
        try:
            fill_demo(store, 60, rng_seed=7, today=TODAY)
            results.append(sorted((h.nik, h.name, h.post_code) for h in list_officers(store)))
        finally:
            store.close()
    assert results[0] == results[1]


def test_fills_an_existing_area_and_stops_when_full(store: Store) -> None:
    add_kecamatan(store, "35.73.05", "Lowokwaru")
    add_kelurahan(store, "35.73.05.1001", "Tlogomas", "35.73.05")
    add_tps(store, "35.73.05.1001", 1)
    add_tps(store, "35.73.05.1001", 2)
    room = 2 * 11 + 7 + 11  # two small TPS, one kelurahan, one kecamatan
    first = fill_demo(store, 20, today=TODAY)
    assert not first.area_created and first.added == 20
    assert len(list_tps(store)) == 2
    second = fill_demo(store, 100, rng_seed=8, today=TODAY)
    assert second.added == room - 20
    assert second.no_room == 100 - (room - 20)
    assert all(t.complete for t in tps_completion(store))
    assert len({o.nik for o in _officers(store)}) == room


def test_zero_officers_still_makes_the_area(store: Store) -> None:
    summary = fill_demo(store, 0, today=TODAY)
    assert summary.area_created and summary.tps >= 1 and summary.added == 0
