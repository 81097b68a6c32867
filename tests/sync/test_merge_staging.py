"""The set-based merge (sync/staging.py, sync/merge_sql.py): what the staging tables hold and
leave behind, which rows go through the Python lineage, the SQL's use of the district indexes,
and the same merge on PostgreSQL (COPY into the staging tables, the SQL steps)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tpsdesk.domain.posts import DEFAULT_CATALOGUE
from tpsdesk.store.db import Store
from tpsdesk.store.models import Kecamatan, Kelurahan, Officer, Tps
from tpsdesk.store.schema import upgrade_schema
from tpsdesk.store.versioning import STATE_KEY, StoreState
from tpsdesk.sync import merge as merge_module
from tpsdesk.sync import merge_sql
from tpsdesk.sync.district_models import (
    POSTGRES_INDEXES,
    Finding,
    FindingKind,
    RowVersion,
    ensure_district_tables,
)
from tpsdesk.sync.findings import _SAME_NIK, _SAME_PERSON, _STAGED_NAMES, _STAGED_NIKS, _staged
from tpsdesk.sync.merge import IncomingBundle, MergeReport, merge_bundle
from tpsdesk.sync.row_checks import check_bundle_rows
from tpsdesk.sync.staging import KEY_STAGE, STAGES, clear_stages

from .conftest import (
    M_KEC,
    M_KEL_A,
    M_KEL_B,
    approved_laptop,
    make_bundle,
    make_store,
    officer_row,
    valid_nik,
)

STAGE_NAMES = [table.name for table in (*STAGES, KEY_STAGE)]


def staged_counts(session: Session) -> dict[str, int]:
    """Rows in each staging table this connection has made (0 for one it has not)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        made = {n for n in STAGE_NAMES if connection.execute(
            text("SELECT to_regclass(:name)"), {"name": f"pg_temp.{n}"}).scalar()}  # fmt: skip
    else:
        made = {n for (n,) in connection.exec_driver_sql(
            "SELECT name FROM sqlite_temp_master WHERE type = 'table'")}  # fmt: skip
    return {
        name: connection.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
        if name in made
        else 0
        for name in STAGE_NAMES
    }


# -- SQLite ----------------------------------------------------------------------------------


@pytest.fixture
def district_store(tmp_path: Path) -> Iterator[Store]:
    """SQLite only here: these tests read SQLite's catalogue, its query plans and the sealed
    image; the staging on PostgreSQL is tested below (and by the whole district suite)."""
    store = make_store(tmp_path / "district" / "tpsdesk.store", "district", None)
    ensure_district_tables(store)
    yield store
    store.close()


def test_staging_tables_are_temporary_and_empty_after_a_merge(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    rows = [officer_row(device=laptop, counter=n, tps_id=district_area["a1"]) for n in (1, 2, 3)]
    report = merge_bundle(district_store, make_bundle(laptop, key, rows))
    assert len(report.accepted) == 3
    with district_store.read() as session:
        connection = session.connection()
        temporary = {
            name
            for (name,) in connection.exec_driver_sql(
                "SELECT name FROM sqlite_temp_master WHERE type = 'table'"
            )
        }
        main = {
            name
            for (name,) in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        }
        # In the temp schema (memory, never in the sealed image), and nothing left in them.
        assert set(STAGE_NAMES) <= temporary
        assert not set(STAGE_NAMES) & main
        assert staged_counts(session) == dict.fromkeys(STAGE_NAMES, 0)
    assert b"tpsdesk_stage" not in district_store._conn.serialize()


def test_a_refused_bundle_leaves_nothing_staged(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    first = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    merge_bundle(district_store, make_bundle(laptop, key, [first]))
    # The same counter for another row: the laptop's store went back in time (a rollback).
    clash = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    report = merge_bundle(district_store, make_bundle(laptop, key, [clash], seq_from=2))
    assert report.reason == "rollback"
    # A row pointing at a TPS the district does not have: nothing merged, nothing recorded.
    lost = officer_row(device=laptop, counter=5, tps_id=str(uuid.uuid4()), seq=5)
    with pytest.raises(merge_module.MissingReference):
        merge_bundle(district_store, make_bundle(laptop, key, [lost], seq_from=5))
    with district_store.read() as session:
        assert staged_counts(session) == dict.fromkeys(STAGE_NAMES, 0)


def test_only_rows_the_district_knows_go_through_the_lineage(
    district_store: Store, district_area: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    laptop, key = approved_laptop(district_store)
    old = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    other = officer_row(device=laptop, counter=2, tps_id=district_area["a1"], seq=2)
    merge_bundle(district_store, make_bundle(laptop, key, [old, other]))
    # A fast-forward (based on what the district shows): SQL, no versions loaded.
    changed = officer_row(device=laptop, counter=3, tps_id=district_area["a1"],
                          row_id=old["values"]["id"], base=(laptop, 1), nik=old["values"]["nik"],
                          name="BUDI SANTOSA", seq=3)  # fmt: skip
    # Based on a version the district never saw: the lineage decides (it knows counter 2).
    unseen_base = officer_row(device=laptop, counter=4, tps_id=district_area["a2"],
                              row_id=other["values"]["id"], base=(uuid.uuid4().hex, 9),
                              nik=other["values"]["nik"], seq=4)  # fmt: skip
    new = [officer_row(device=laptop, counter=n, tps_id=district_area["a2"], seq=n) for n in (5, 6)]
    loaded: list[set[str]] = []
    real = merge_module.load_versions

    def spy(session: Session, row_ids: Any) -> Any:
        ids = set(row_ids)
        loaded.append(ids)
        return real(session, ids)

    monkeypatch.setattr(merge_module, "load_versions", spy)
    bundle = make_bundle(laptop, key, [changed, unseen_base, *new], seq_from=3)
    report = merge_bundle(district_store, bundle)
    assert loaded == [{other["values"]["id"]}]
    assert {r.row_id for r in report.accepted} == {old["values"]["id"], other["values"]["id"]} | {
        r["values"]["id"] for r in new
    }
    with district_store.read() as session:
        shown = session.get(Officer, old["values"]["id"])
        assert shown is not None and shown.name == "BUDI SANTOSA" and shown.version_counter == 3
        assert shown.status == "sent" and shown.base_counter == 1
        moved = session.get(Officer, other["values"]["id"])
        assert moved is not None and moved.tps_id == district_area["a2"]
        fresh = session.get(Officer, new[0]["values"]["id"])
        assert fresh is not None and fresh.status == "sent" and fresh.bpjs_number is None
        assert fresh.birth_date == date(1985, 3, 14)
        version = session.exec(
            select(RowVersion).where(RowVersion.row_id == new[0]["values"]["id"])
        ).one()
        assert (version.device, version.counter, version.sender_id) == (laptop, 5, laptop)
        assert json.loads(version.values) == new[0]["values"]
        assert version.received_at.tzinfo is not None
        forwarded = session.exec(
            select(RowVersion.counter).where(RowVersion.row_id == old["values"]["id"])
        ).all()
        assert sorted(forwarded) == [1, 3]


def test_a_fast_forward_keeps_the_district_review_and_closes_nothing_it_should_not(
    district_store: Store, district_area: dict[str, str]
) -> None:
    """What the district owns (review status, BPJS number) survives a fast-forward, and a
    version a clerk's review made (another device's head) keeps the row out of it."""
    from tpsdesk.sync import merge_sql

    laptop, key = approved_laptop(district_store)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    merge_bundle(district_store, make_bundle(laptop, key, [row]))
    with district_store.transaction() as session:
        officer = session.get(Officer, row["values"]["id"])
        assert officer is not None
        officer.status, officer.bpjs_number = "accepted", "12345678901"
        session.add(officer)
    edit = officer_row(device=laptop, counter=2, tps_id=district_area["a1"],
                       row_id=row["values"]["id"], base=(laptop, 1), nik=row["values"]["nik"],
                       name="BUDI SANTOSA", seq=2)  # fmt: skip
    report = merge_bundle(district_store, make_bundle(laptop, key, [edit], seq_from=2))
    assert [r.row_id for r in report.accepted] == [row["values"]["id"]]
    with district_store.read() as session:
        shown = session.get(Officer, row["values"]["id"])
        assert shown is not None and shown.name == "BUDI SANTOSA"
        assert (shown.status, shown.bpjs_number) == ("accepted", "12345678901")
    # A concurrent version from another laptop is known now: an edit based on the shown
    # version that does not know it is no fast-forward.
    other, other_key = approved_laptop(district_store)
    rival = officer_row(device=other, counter=1, tps_id=district_area["a1"],
                        row_id=row["values"]["id"], base=(laptop, 1), nik=row["values"]["nik"],
                        name="BUDI SANTOSO", seq=1)  # fmt: skip
    report = merge_bundle(district_store, make_bundle(other, other_key, [rival]))
    assert [r.row_id for r in report.conflicts] == [row["values"]["id"]]
    third = officer_row(device=laptop, counter=3, tps_id=district_area["a1"],
                        row_id=row["values"]["id"], base=(laptop, 2), nik=row["values"]["nik"],
                        name="BUDI SANTOSA", seq=3)  # fmt: skip
    with district_store.transaction() as session:
        merge_sql.stage_bundle(session, merge_module.check_bundle_rows(
            M_KEL_A, [third], area=M_KEL_A, catalogue=district_store.catalogue,
            today=date.today()).parsed, file_id="f", sender_id=laptop, received_at=None,
            applied=["officer"])  # fmt: skip
        assert merge_sql.fast_forwards(session) == set()
        clear_stages(session.connection())


def test_the_duplicate_and_rollback_joins_use_the_district_indexes(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    merge_bundle(district_store, make_bundle(laptop, key, [
        officer_row(device=laptop, counter=1, tps_id=district_area["a1"])]))  # fmt: skip

    def plan(sql: str) -> str:
        with district_store.read() as session:
            steps = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
            return " ".join(str(step) for step in steps)

    # Looked up by key (SEARCH), never a scan of the district's officers or of an index.
    for staged in (False, True):
        same_nik = plan(_staged(_SAME_NIK, _STAGED_NIKS, staged).format(no="0"))
        assert "SEARCH o USING INDEX ix_officer_nik" in same_nik
        named = plan(_staged(_SAME_PERSON, _STAGED_NAMES, staged).format(no="0"))
        assert "SEARCH o USING INDEX ix_officer_name_key" in named
        assert "SCAN o" not in named and "AUTOMATIC" not in named
    with district_store.read() as session:
        reused = merge_sql.counters_reused_query("x")
        compiled = reused.compile(session.connection(), compile_kwargs={"literal_binds": True})
    assert "SEARCH sync_row_version USING INDEX ix_row_version_device" in plan(str(compiled))


# -- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """A database of the throwaway PostgreSQL (tests/postgres.py) with the store's schema
    (the Alembic revisions) and the district's PostgreSQL indexes."""
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as connection:
            upgrade_schema(connection)
            for statement in POSTGRES_INDEXES.values():
                connection.execute(text(statement))
        with Session(engine) as session:
            session.add(Kecamatan(code=M_KEC, name="Lowokwaru"))
            session.add(Kelurahan(code=M_KEL_A, name="Tunggulwulung", kecamatan_code=M_KEC))
            session.add(Kelurahan(code=M_KEL_B, name="Tlogomas", kecamatan_code=M_KEC))
            for number in (1, 2):
                session.add(Tps(id=f"00000000-0000-4000-8000-00000000000{number}",
                                kelurahan_code=M_KEL_A, number=number))  # fmt: skip
            session.commit()
        yield engine
    finally:
        engine.dispose()


def pg_merge(engine: Engine, bundle: IncomingBundle) -> MergeReport:
    """The merge engine's transaction on PostgreSQL, as `merge_bundle` runs it on a store."""
    checked = check_bundle_rows(bundle.area, bundle.rows, area=M_KEL_A,
                                catalogue=DEFAULT_CATALOGUE, today=date.today())  # fmt: skip
    assert not checked.reason
    with Session(engine, expire_on_commit=False) as session, session.no_autoflush:
        session.info[STATE_KEY] = StoreState("district-device", "tester")
        report = merge_module._apply(session, bundle, checked.parsed, checked.rejected, M_KEL_A)
        assert staged_counts(session) == dict.fromkeys(STAGE_NAMES, 0)
        session.commit()
    return report


NAMES = {1: "SATU", 2: "DUA", 3: "TIGA"}


@pytest.mark.postgres
def test_the_set_based_merge_on_postgresql(pg_engine: Engine) -> None:
    tps = ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"]
    laptop, other = uuid.uuid4().hex, uuid.uuid4().hex
    nik = valid_nik(serial=4321)
    rows = [
        officer_row(device=laptop, counter=n, tps_id=tps[n % 2], seq=n,
                    nik=nik if n == 1 else None, name=f"ANGGOTA {NAMES[n]}")
        for n in (1, 2, 3)
    ]  # fmt: skip
    report = pg_merge(pg_engine, make_bundle(laptop, b"k", rows))
    assert not report.rejected, report.summary()
    assert [r.row_id for r in report.accepted] == [r["values"]["id"] for r in rows]
    assert not report.duplicates
    # Again: every version is known; nothing changes.
    again = pg_merge(pg_engine, make_bundle(laptop, b"k", rows))
    assert not again.accepted and len(again.unchanged) == 3
    # Another laptop: the same NIK, the same person under another NIK, and an edit of a row
    # the district has (through the lineage).
    same_nik = officer_row(device=other, counter=1, tps_id=tps[0], nik=nik, name="LAIN")
    same_person = officer_row(device=other, counter=2, tps_id=tps[0], name="Anggota Dua", seq=2)
    third = rows[2]["values"]
    edit = officer_row(device=other, counter=3, tps_id=tps[1], seq=3, row_id=third["id"],
                       base=(laptop, 3), nik=third["nik"], name="ANGGOTA KETIGA")  # fmt: skip
    report = pg_merge(pg_engine, make_bundle(other, b"o", [same_nik, same_person, edit]))
    assert {r.row_id for r in report.accepted} == {
        same_nik["values"]["id"],
        same_person["values"]["id"],
        rows[2]["values"]["id"],
    }
    assert sorted(d.kind for d in report.duplicates) == ["duplicate_nik", "likely_duplicate"]
    with Session(pg_engine) as session:
        assert session.exec(select(func.count()).select_from(Officer)).one() == 5
        assert session.exec(select(func.count()).select_from(RowVersion)).one() == 6
        edited = session.get(Officer, rows[2]["values"]["id"])
        assert edited is not None and edited.name == "ANGGOTA KETIGA"
        new = session.get(Officer, same_person["values"]["id"])
        assert new is not None and new.status == "sent" and new.birth_date == date(1985, 3, 14)
        kinds = sorted(f.kind for f in session.exec(select(Finding)))
        assert kinds == [FindingKind.DUPLICATE_NIK.value, FindingKind.LIKELY_DUPLICATE.value]


@pytest.mark.postgres
def test_a_missing_tps_on_postgresql_is_a_foreign_key_failure_at_commit(pg_engine: Engine) -> None:
    """What `merge_bundle` turns into MissingReference: the deferred foreign key fails at
    COMMIT with SQLSTATE 23503, and nothing of the bundle stays (staged rows included)."""
    laptop = uuid.uuid4().hex
    lost = officer_row(device=laptop, counter=1, tps_id=str(uuid.uuid4()), name="ANGGOTA")
    with pytest.raises(IntegrityError) as failure:
        pg_merge(pg_engine, make_bundle(laptop, b"k", [lost]))
    assert getattr(failure.value.orig, "sqlstate", None) == "23503"
    with Session(pg_engine) as session:
        assert session.exec(select(func.count()).select_from(Officer)).one() == 0
        assert session.exec(select(func.count()).select_from(RowVersion)).one() == 0


@pytest.mark.postgres
def test_postgresql_stages_keep_no_dead_rows_and_are_analysed_when_filled(
    pg_engine: Engine,
) -> None:
    """Temporary tables are never autovacuumed: emptied with DELETE, every bundle's rows would
    stay as dead tuples for the session, each scan of a stage would walk them all, and the
    planner would size the joins by them (the merge slowed with every bundle)."""
    tps = "00000000-0000-4000-8000-000000000001"
    laptop = uuid.uuid4().hex
    with Session(pg_engine) as session:
        connection = session.connection()
        for round_ in range(3):
            rows = [
                officer_row(device=laptop, counter=round_ * 50 + n, tps_id=tps, seq=n)
                for n in range(1, 51)
            ]
            checked = check_bundle_rows(M_KEL_A, rows, area=M_KEL_A, catalogue=DEFAULT_CATALOGUE,
                                        today=date.today())  # fmt: skip
            merge_sql.stage_bundle(session, checked.parsed, file_id=str(uuid.uuid4()),
                                   sender_id=laptop, received_at=None,
                                   applied=("officer",))  # fmt: skip
            # Filled and analysed: the planner knows the stage holds 50 rows.
            sizes = dict(connection.execute(text(
                "SELECT relname, reltuples FROM pg_class WHERE relname IN "
                "('tpsdesk_stage_version', 'tpsdesk_stage_officer') "
                "AND relpersistence = 't'")).all())  # fmt: skip
            assert sizes == {"tpsdesk_stage_version": 50, "tpsdesk_stage_officer": 50}
            clear_stages(connection)
            # Emptied to nothing: no page of the earlier bundles is left to scan.
            for name in ("tpsdesk_stage_version", "tpsdesk_stage_officer"):
                size = connection.execute(text("SELECT pg_relation_size(:t)"), {"t": name})
                assert size.scalar_one() == 0
        session.rollback()
