"""The findings view service: pages by kind and area (newest first, indexed), counts, one
finding side by side, the area each finding carries (set when found, back-filled once in an
older store), and the checks of the result the clerk builds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tpsdesk.exchange.demo_world import build_world
from tpsdesk.store.db import Store
from tpsdesk.sync import district
from tpsdesk.sync import finding_view as view
from tpsdesk.sync.district_models import Finding, FindingKind, ensure_district_tables
from tpsdesk.sync.errors import SyncError

from .conftest import MERGE_KDF, MERGE_PASSPHRASE


@pytest.fixture(scope="module")
def world_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("view-world")
    store, _key = Store.create(folder / "d" / "tpsdesk.store", MERGE_PASSPHRASE, role="district",
                               kdf=MERGE_KDF, operator="Bu Ani")  # fmt: skip
    build_world(store, MERGE_PASSPHRASE, folder / "world", kdf=MERGE_KDF)
    yield store
    store.close()


def test_every_finding_knows_its_area(world_store: Store) -> None:
    found = {f.kind: f.area_code for f in district.list_findings(world_store)}
    assert found["conflict"].startswith("35.73.") and found["conflict"].count(".") == 3
    assert found["duplicate_tps"] == found["conflict"]
    assert found["gap"]  # the laptop's area


def test_counts_and_pages_by_kind_and_area(world_store: Store) -> None:
    counts = view.counts(world_store)
    assert counts[FindingKind.CONFLICT.value] == 1
    conflict = view.page(world_store, kind=FindingKind.CONFLICT.value)
    assert conflict.total == 1 and conflict.offset == 0
    row = conflict.rows[0]
    assert row.summary == "2 versions" and row.people and row.place.startswith("TPS 001, Kel. ")
    area = district.list_findings(world_store)[0].area_code
    kecamatan = ".".join(area.split(".")[:3])
    assert view.page(world_store, kind="conflict", kecamatan=kecamatan).total == 1
    assert view.page(world_store, kind="conflict", kelurahan=area).total == 1
    assert view.page(world_store, kind="conflict", kecamatan="35.73.99").total == 0
    assert view.counts(world_store, kecamatan="35.73.99") == {}
    assert view.page(world_store, kind="conflict", status="resolved").total == 0
    kecamatan_list, kelurahan = view.area_choices(world_store)
    assert kecamatan in {k.code for k in kecamatan_list}
    assert area in {k.code for k in kelurahan[kecamatan]}


def test_detail_of_a_conflict_shows_every_field_and_who_sent_each(world_store: Store) -> None:
    row = view.page(world_store, kind=FindingKind.CONFLICT.value).rows[0]
    found = view.detail(world_store, row.id)
    assert len(found.versions) == 2
    district_version, laptop_version = found.versions
    assert district_version.laptop == "district office" and not district_version.bundle
    assert laptop_version.laptop.startswith("laptop ") and laptop_version.bundle
    assert laptop_version.operator == "laptop-1" and laptop_version.received
    names = [f.name for f in found.fields]
    assert names[:2] == ["nik", "name"] and "tps_id" in names and "bpjs_number" not in names
    differing = [f for f in found.fields if f.differs]
    assert [f.name for f in differing] == ["phone"]
    assert differing[0].label == "Phone number"
    assert differing[0].shown == ["081234567890", "085700011122"]
    with pytest.raises(SyncError):
        view.detail(world_store, "nothing")


def test_detail_of_duplicates_and_duplicate_tps(world_store: Store) -> None:
    likely = view.page(world_store, kind=FindingKind.LIKELY_DUPLICATE.value).rows[0]
    found = view.detail(world_store, likely.id)
    differing = [f.name for f in found.fields if f.differs]
    # The world draws the second record's post: it may differ too.
    assert len(found.versions) == 2 and differing[0] == "nik" and "name" not in differing
    niks = [v.values["nik"] for v in found.versions]
    assert niks == sorted(niks)  # a stable order
    assert found.can_keep_both()
    tps = view.page(world_store, kind=FindingKind.DUPLICATE_TPS.value).rows[0]
    found = view.detail(world_store, tps.id)
    assert [f.name for f in found.fields] == ["kelurahan_code", "number", "address", "voters"]
    assert not found.can_keep_both() and found.lines
    gap = view.page(world_store, kind=FindingKind.GAP.value).rows[0]
    assert view.detail(world_store, gap.id).versions == []
    assert "missing" in gap.summary


def test_result_values_are_checked_by_the_merge_rules(world_store: Store) -> None:
    row = view.page(world_store, kind=FindingKind.CONFLICT.value).rows[0]
    found = view.detail(world_store, row.id)
    values = dict(found.versions[0].values)
    catalogue = world_store.catalogue
    today = date(2024, 10, 1)
    value, problems = view.check_value("officer", values, "phone", "0812 9998 8877", catalogue,
                                       today)  # fmt: skip
    assert value == "081299988877" and problems == []
    value, problems = view.check_value("officer", values, "nik", "12345", catalogue, today)
    assert value is None and problems
    value, problems = view.check_value("officer", values, "birth_date", "31-02-1980",
                                       catalogue, today)  # fmt: skip
    assert value is None and problems
    value, problems = view.check_value("officer", values, "tps_id", "x", catalogue, today)
    assert value is None and problems
    assert view.check_value("tps", {}, "number", "1000", catalogue, today)[1]
    assert view.check_value("tps", {}, "number", "12", catalogue, today) == (12, [])
    changed = view.result_changes(values, {**values, "phone": "081299988877"}, "officer")
    assert changed == {"phone": "081299988877"}


def add_findings(store: Store, count: int, areas: tuple[str, ...]) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with store.transaction() as session:
        for n in range(count):
            session.add(Finding(id=f"b{n:023d}", key=f"bulk:{n}", kind="likely_duplicate",
                                row_ids="[]", details="{}", area_code=areas[n % len(areas)],
                                created_at=start + timedelta(minutes=n)))  # fmt: skip


def test_pages_newest_first_and_the_last_page(tmp_path: Path) -> None:
    store, _key = Store.create(tmp_path / "d.store", MERGE_PASSPHRASE, role="district",
                               kdf=MERGE_KDF)  # fmt: skip
    try:
        ensure_district_tables(store)
        add_findings(store, 250, ("35.73.01.1001", "35.73.02.1001", "35.73.01"))
        first = view.page(store, kind="likely_duplicate")
        assert first.total == 250 and len(first.rows) == 100
        assert first.rows[0].id == f"b{249:023d}"  # newest first
        last = view.page(store, kind="likely_duplicate", offset=200)
        assert len(last.rows) == 50 and last.rows[-1].id == f"b{0:023d}"
        beyond = view.page(store, kind="likely_duplicate", offset=900)
        assert beyond.offset == 200
        # The kecamatan takes its kelurahan and findings placed on the kecamatan itself.
        assert view.page(store, kind="likely_duplicate", kecamatan="35.73.01").total == 167
        assert view.page(store, kind="likely_duplicate", kelurahan="35.73.01.1001").total == 84
        assert view.page(store, kind="likely_duplicate", kecamatan="35.73.0").total == 0
        with store.read() as session:
            plan = (
                session.connection()
                .exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT id FROM sync_finding WHERE status = 'open' AND "
                    "kind = 'likely_duplicate' ORDER BY created_at DESC, id DESC LIMIT 100"
                )
                .fetchall()
            )
        assert "ix_finding_page" in str(plan) and "TEMP B-TREE" not in str(plan)
    finally:
        store.close()


def test_an_older_store_gets_the_area_column_filled_once(tmp_path: Path) -> None:
    store, _key = Store.create(tmp_path / "d.store", MERGE_PASSPHRASE, role="district",
                               kdf=MERGE_KDF)  # fmt: skip
    try:
        ensure_district_tables(store)
        from tpsdesk.store import areas

        areas.add_kecamatan(store, "35.73.05", "Lowokwaru")
        areas.add_kelurahan(store, "35.73.05.1001", "Tunggulwulung", "35.73.05")
        tps = areas.add_tps(store, "35.73.05.1001", 1, "Jl. Mawar 1")
        with store.transaction() as session:
            session.add(Finding(id="t" * 24, key="duplicate_tps:x", kind="duplicate_tps",
                                table_name="tps", row_ids=json.dumps([tps.id]),
                                details="{}"))  # fmt: skip
        with store.transaction() as session:
            connection = session.connection()
            connection.exec_driver_sql("DROP INDEX ix_finding_area")
            connection.exec_driver_sql("DROP INDEX ix_finding_page")
            connection.exec_driver_sql("ALTER TABLE sync_finding DROP COLUMN area_code")
        ensure_district_tables(store)
        with store.read() as session:
            found = session.get(Finding, "t" * 24)
            assert found is not None and found.area_code == "35.73.05.1001"
            indexes = (
                session.connection()
                .exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
                .fetchall()
            )
        assert ("ix_finding_area",) in indexes and ("ix_finding_page",) in indexes
    finally:
        store.close()
