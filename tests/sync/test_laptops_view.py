"""The desk's view of the district's laptops (sync/laptops_view): one row per laptop in a
fixed number of queries; the fingerprint typed in groups; approving then merging."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from tpsdesk.store.db import Store
from tpsdesk.sync import district
from tpsdesk.sync.district import AreaNotIssued
from tpsdesk.sync.district_models import Device, DeviceStatus, ReceivedBundle, RowVersion
from tpsdesk.sync.fingerprint import GroupMark, check_typed, format_fingerprint
from tpsdesk.sync.laptops_view import (
    approve_and_merge,
    issued_area_names,
    laptop_counts,
    laptop_rows,
)

from .conftest import M_KEC, M_KEL_A, M_KEL_B, approved_laptop, issue_setup


def pending_laptop(store: Store, claimed: str, setup_id: str | None, label: str = "") -> str:
    device_id = uuid.uuid4().hex
    district.register_pending(
        store,
        device_id=device_id,
        signing_key=random.Random(device_id).randbytes(32),
        area=claimed,
        setup_id=setup_id,
        label=label,
    )
    return device_id


def log_bundle(store: Store, device_id: str, seq: tuple[int, int], day: int) -> None:
    with store.transaction() as session:
        session.add(
            ReceivedBundle(
                file_id=uuid.uuid4().hex,
                device_id=device_id,
                seq_from=seq[0],
                seq_to=seq[1],
                received_at=datetime(2024, 10, day, tzinfo=UTC),
            )
        )


@contextmanager
def counted(store: Store) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(*args: object) -> None:
        statements.append(str(args[2]))

    engine = store._engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_rows_waiting_first_with_names_claims_gaps_and_last_bundle(
    district_store: Store, district_area: dict[str, str]
) -> None:
    store = district_store
    approved_id, _key = approved_laptop(store, M_KEL_A)
    log_bundle(store, approved_id, (1, 4), 10)
    log_bundle(store, approved_id, (8, 9), 12)
    revoked_id, _key = approved_laptop(store, M_KEL_B)
    district.revoke(store, district.get_device(store, revoked_id).fingerprint)  # type: ignore[union-attr]
    # Named setup file for A, claims B: the district's area stands, the claim is marked.
    claiming = pending_laptop(store, M_KEL_B, issue_setup(store, M_KEL_A), label="Bu Sri")
    # No setup file named and a claim nobody issued: the area stays unknown.
    unknown = pending_laptop(store, "35.73.05.9999", None)

    rows = laptop_rows(store)
    assert [r.device_id for r in rows] == [claiming, unknown, approved_id, revoked_id]
    assert [r.status for r in rows] == ["pending", "pending", "approved", "revoked"]
    first = rows[0]
    assert first.label == "Bu Sri"
    assert (first.area.code, first.area.kelurahan, first.area.kecamatan) == (
        M_KEL_A,
        "Tunggulwulung",
        "Lowokwaru",
    )
    assert first.claimed.name == "Tlogomas" and first.area_differs
    assert first.setup is not None and first.setup.area == M_KEL_A
    assert rows[1].area.code == "" and not rows[1].area_differs
    assert rows[1].claimed.name == ""  # not in the district's tables
    approved = rows[2]
    assert approved.gaps == [(5, 7)]
    assert approved.merged == 2 and approved.waiting == 0
    assert approved.last_bundle is not None
    assert (approved.last_bundle.seq_from, approved.last_bundle.seq_to) == (8, 9)
    assert approved.fingerprint_groups == format_fingerprint(approved.fingerprint)
    counts = laptop_counts(rows)
    assert (counts.waiting, counts.approved, counts.revoked, counts.total) == (2, 1, 1, 4)
    # The command line keeps its order: by when first seen.
    assert laptop_rows(store, by_status=False)[0].device_id == approved_id


def test_quarantined_bundles_are_counted_per_laptop(district_store: Store) -> None:
    store = district_store
    setup_id = issue_setup(store, M_KEL_A)
    device_id = pending_laptop(store, M_KEL_A, setup_id)
    for number in range(3):
        district.quarantine(
            store,
            file_id=f"held-{number}",
            device_id=device_id,
            seq_from=number + 1,
            seq_to=number + 1,
            area=M_KEL_A,
            data=b"x" * 10,
        )
    (row,) = laptop_rows(store)
    assert (row.waiting, row.waiting_bytes, row.merged) == (3, 30, 0)
    assert row.last_bundle is not None and row.last_bundle.status == "quarantined"


def test_rows_are_read_in_a_fixed_number_of_queries(
    district_store: Store, district_area: dict[str, str]
) -> None:
    store = district_store
    for _n in range(3):
        device_id, _key = approved_laptop(store, M_KEL_A)
        log_bundle(store, device_id, (1, 2), 10)
    laptop_rows(store)  # district tables checked once
    with counted(store) as few:
        assert len(laptop_rows(store)) == 3
    for _n in range(30):
        device_id, _key = approved_laptop(store, M_KEL_B)
        log_bundle(store, device_id, (2, 3), 11)
    with counted(store) as many:
        assert len(laptop_rows(store)) == 33
    assert 0 < len(many) == len(few) <= 10


def test_issued_area_names(district_store: Store, district_area: dict[str, str]) -> None:
    issue_setup(district_store, M_KEL_B)
    issue_setup(district_store, M_KEC)
    names = issued_area_names(district_store)
    assert [(a.code, a.name) for a in names] == [(M_KEC, "Lowokwaru"), (M_KEL_B, "Tlogomas")]


# -- typed fingerprint ------------------------------------------------------------------------

DIGITS = "123456789012345678901234567890"
GROUPS = format_fingerprint(DIGITS).split()


def test_typed_groups_are_marked_as_they_are_completed() -> None:
    nothing = check_typed(DIGITS, [])
    assert nothing.marks == (GroupMark.EMPTY,) * 6 and not nothing.matches
    half = check_typed(DIGITS, [GROUPS[0], GROUPS[1], "123"])
    assert half.marks[:3] == (GroupMark.RIGHT, GroupMark.RIGHT, GroupMark.PARTIAL)
    assert half.first_wrong is None and not half.matches
    wrong = check_typed(DIGITS, [GROUPS[0], GROUPS[1], "11111", GROUPS[3], "00000"])
    assert wrong.marks[2] == GroupMark.WRONG and wrong.marks[4] == GroupMark.WRONG
    assert wrong.first_wrong == 3 and not wrong.complete
    whole = check_typed(DIGITS, GROUPS)
    assert whole.matches and whole.complete
    assert check_typed(DIGITS, [*GROUPS[:5], "67891"]).complete  # complete, yet wrong
    assert check_typed(format_fingerprint(DIGITS), GROUPS).matches  # grouped or not


@pytest.mark.parametrize(
    "typed",
    [
        [*GROUPS[:5], "67891"],  # one digit
        [GROUPS[1], GROUPS[0], *GROUPS[2:]],  # two groups swapped
        [*GROUPS[:5], "6789"],  # too short
        GROUPS[:5],  # a group missing
    ],
)
def test_a_wrong_fingerprint_never_matches(typed: list[str]) -> None:
    assert not check_typed(DIGITS, typed).matches


# -- approving ------------------------------------------------------------------------------


def test_approve_and_merge_with_nothing_waiting(district_store: Store) -> None:
    store = district_store
    device_id = pending_laptop(store, M_KEL_A, issue_setup(store, M_KEL_A))
    device = district.get_device(store, device_id)
    assert device is not None
    calls: list[tuple[int, int, str]] = []
    approval = approve_and_merge(
        store, device.fingerprint, label="Bu Sri", progress=lambda *a: calls.append(a)
    )
    assert approval.outcomes == [] and calls == []
    assert approval.area == M_KEL_A
    approved = district.get_device(store, device_id)
    assert approved is not None and approved.status == DeviceStatus.APPROVED.value
    assert approved.label == "Bu Sri"


def test_approve_and_merge_refuses_an_unknown_area_and_changes_nothing(
    district_store: Store,
) -> None:
    store = district_store
    issue_setup(store, M_KEL_A)
    device_id = pending_laptop(store, "35.73.05.9999", None)
    device = district.get_device(store, device_id)
    assert device is not None
    with pytest.raises(AreaNotIssued):
        approve_and_merge(store, device.fingerprint)
    with pytest.raises(AreaNotIssued):
        approve_and_merge(store, device.fingerprint, area=M_KEL_B)  # not issued
    assert district.get_device(store, device_id).status == "pending"  # type: ignore[union-attr]
    approval = approve_and_merge(store, device.fingerprint, area=M_KEL_A)
    assert approval.area == M_KEL_A


def test_operator_is_the_label_else_the_one_named_in_its_latest_row(
    district_store: Store,
) -> None:
    store = district_store
    named, _key = approved_laptop(store, M_KEL_A)
    from_rows, _key = approved_laptop(store, M_KEL_A)
    silent, _key = approved_laptop(store, M_KEL_A)
    with store.transaction() as session:
        device = session.get(Device, named)
        assert device is not None
        device.label = "Bu Sri"
        session.add(device)
        for counter, operator in ((3, "Pak Lama"), (7, "Pak Baru\x1b[2J"), (5, "Pak Tengah")):
            for device_id in (named, from_rows):
                session.add(
                    RowVersion(
                        table_name="officer",
                        row_id=uuid.uuid4().hex,
                        device=device_id,
                        counter=counter,
                        values=json.dumps({"updated_by": operator}),
                    )
                )
    rows = {r.device_id: r for r in laptop_rows(store)}
    assert rows[named].operator == "Bu Sri"
    assert rows[from_rows].operator == "Pak Baru\x1b[2J"  # as sent: the screen escapes it
    assert rows[from_rows].label == ""
    assert rows[silent].operator == ""
