"""The merge engine: version rules, refusals, idempotence, order, findings (SECURITY 15–17, 20)."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from sqlmodel import col, select
from tests.factories import store_snapshot

from tpsdesk.domain.names import name_key
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync import district
from tpsdesk.sync.district_models import DISTRICT_INDEXES, Finding, FindingKind, RowVersion
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.findings import _SAME_PERSON
from tpsdesk.sync.merge import (
    MergeReport,
    MissingReference,
    merge_bundle,
)

from .conftest import M_KEL_A, M_KEL_B, approved_laptop, make_bundle, officer_row, valid_nik


def officers(store: Store) -> dict[str, Officer]:
    with store.read() as session:
        return {o.id: o for o in session.exec(select(Officer))}


def versions(store: Store) -> set[tuple[str, str, int]]:
    with store.read() as session:
        return {(v.row_id, v.device, v.counter) for v in session.exec(select(RowVersion))}


def findings(store: Store, kind: FindingKind | None = None) -> list[Finding]:
    with store.read() as session:
        query = select(Finding).order_by(col(Finding.key))
        if kind is not None:
            query = query.where(Finding.kind == kind.value)
        return list(session.exec(query))


def snapshot(store: Store) -> object:
    return store_snapshot(store)


def test_new_officer_is_accepted_and_shown(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    report = merge_bundle(district_store, make_bundle(laptop, key, [row]))
    assert report.merged and [r.row_id for r in report.accepted] == [row["values"]["id"]]
    shown = officers(district_store)[row["values"]["id"]]
    assert (shown.version_device, shown.version_counter) == (laptop, 1)
    assert shown.status == "sent"  # the district's own review status, not the laptop's
    assert versions(district_store) >= {(row["values"]["id"], laptop, 1)}
    assert district.bundle_record(district_store, report.file_id) is not None


def test_descendant_replaces_ancestor_changes_nothing(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    v1 = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    row_id = v1["values"]["id"]
    v3 = officer_row(
        device=laptop,
        counter=3,
        base=(laptop, 2),
        row_id=row_id,
        nik=v1["values"]["nik"],
        tps_id=district_area["a1"],
        name="BUDI SANTOSA",
    )
    merge_bundle(district_store, make_bundle(laptop, key, [v1]))
    # v3 is based on a version (2) the district never saw; same device, higher counter.
    report = merge_bundle(district_store, make_bundle(laptop, key, [v3], seq_from=2, seq_to=3))
    assert [r.row_id for r in report.accepted] == [row_id]
    assert officers(district_store)[row_id].name == "BUDI SANTOSA"
    # The old version arriving late changes nothing, but is kept.
    late = merge_bundle(district_store, make_bundle(laptop, key, [v1], seq_from=1, seq_to=1))
    assert [r.row_id for r in late.unchanged] == [row_id]
    assert officers(district_store)[row_id].name == "BUDI SANTOSA"
    assert not findings(district_store, FindingKind.CONFLICT)


def test_concurrent_edits_make_one_conflict_and_a_deterministic_winner(
    district_store: Store, district_area: dict[str, str]
) -> None:
    a, key_a = approved_laptop(district_store)
    b, key_b = approved_laptop(district_store)
    v1 = officer_row(device=a, counter=1, tps_id=district_area["a1"])
    row_id, nik = v1["values"]["id"], v1["values"]["nik"]
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
        counter=7,
        base=(a, 1),
        row_id=row_id,
        nik=nik,
        tps_id=district_area["a1"],
        name="BUDI B",
    )
    merge_bundle(district_store, make_bundle(a, key_a, [v1]))
    merge_bundle(district_store, make_bundle(a, key_a, [edit_a], seq_from=2))
    report = merge_bundle(district_store, make_bundle(b, key_b, [edit_b]))
    assert [r.row_id for r in report.conflicts] == [row_id]
    # Winner: the greater (live, counter, device): b's counter 7.
    assert officers(district_store)[row_id].name == "BUDI B"
    conflicts = findings(district_store, FindingKind.CONFLICT)
    assert len(conflicts) == 1 and json.loads(conflicts[0].row_ids) == [row_id]
    heads = {tuple(h) for h in json.loads(conflicts[0].details)["heads"]}
    assert heads == {(a, 2), (b, 7)}
    assert {(row_id, a, 2), (row_id, b, 7)} <= versions(district_store)


def test_concurrent_edits_that_reach_the_same_values_are_no_conflict(
    district_store: Store, district_area: dict[str, str]
) -> None:
    a, key_a = approved_laptop(district_store)
    b, key_b = approved_laptop(district_store)
    v1 = officer_row(device=a, counter=1, tps_id=district_area["a1"], name="BUDY SANTOSO")
    row_id, nik = v1["values"]["id"], v1["values"]["nik"]
    fixed = {"row_id": row_id, "nik": nik, "tps_id": district_area["a1"], "name": "BUDI SANTOSO"}
    edit_a = officer_row(device=a, counter=2, base=(a, 1), **fixed)
    edit_b = officer_row(device=b, counter=7, base=(a, 1), updated_by="Pak Budi", **fixed)
    merge_bundle(district_store, make_bundle(a, key_a, [v1]))
    merge_bundle(district_store, make_bundle(a, key_a, [edit_a], seq_from=2))
    report = merge_bundle(district_store, make_bundle(b, key_b, [edit_b]))
    assert report.conflicts == () and findings(district_store, FindingKind.CONFLICT) == []
    assert officers(district_store)[row_id].name == "BUDI SANTOSO"
    # Both versions are kept; a later edit that disagrees is a conflict again.
    assert {(row_id, a, 2), (row_id, b, 7)} <= versions(district_store)
    other = officer_row(device=a, counter=3, base=(a, 2), **{**fixed, "name": "BUDI S."})
    again = merge_bundle(district_store, make_bundle(a, key_a, [other], seq_from=3))
    assert [r.row_id for r in again.conflicts] == [row_id]


def test_live_edit_wins_over_concurrent_delete(
    district_store: Store, district_area: dict[str, str]
) -> None:
    a, key_a = approved_laptop(district_store)
    b, key_b = approved_laptop(district_store)
    v1 = officer_row(device=a, counter=1, tps_id=district_area["a1"])
    row_id, nik = v1["values"]["id"], v1["values"]["nik"]
    deleted = officer_row(
        device=a,
        counter=9,
        base=(a, 1),
        row_id=row_id,
        nik=nik,
        tps_id=district_area["a1"],
        deleted=True,
    )
    edited = officer_row(
        device=b,
        counter=2,
        base=(a, 1),
        row_id=row_id,
        nik=nik,
        tps_id=district_area["a1"],
        name="BUDI B",
    )
    merge_bundle(district_store, make_bundle(a, key_a, [v1]))
    merge_bundle(district_store, make_bundle(a, key_a, [deleted], seq_from=2))
    merge_bundle(district_store, make_bundle(b, key_b, [edited]))
    shown = officers(district_store)[row_id]
    assert not shown.deleted and shown.name == "BUDI B"
    assert len(findings(district_store, FindingKind.CONFLICT)) == 1


def test_replay_changes_nothing_and_gives_the_same_report(
    district_store: Store, district_area: dict[str, str]
) -> None:
    """SECURITY 15."""
    laptop, key = approved_laptop(district_store)
    rows = [officer_row(device=laptop, counter=n, tps_id=district_area["a1"]) for n in (1, 2)]
    bundle = make_bundle(laptop, key, rows)
    first = merge_bundle(district_store, bundle)
    before = snapshot(district_store)
    again = merge_bundle(district_store, bundle)
    assert again == first and again.to_json() == first.to_json() and again.replay
    assert snapshot(district_store) == before


def test_same_rows_in_another_file_are_unchanged(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    rows = [officer_row(device=laptop, counter=1, tps_id=district_area["a1"])]
    merge_bundle(district_store, make_bundle(laptop, key, rows))
    state = officers(district_store)
    report = merge_bundle(district_store, make_bundle(laptop, key, rows))
    assert len(report.unchanged) == 1 and not report.accepted
    assert {k: v.model_dump() for k, v in officers(district_store).items()} == {
        k: v.model_dump() for k, v in state.items()
    }


def test_bundles_in_any_order_give_the_same_state(tmp_path: Any) -> None:
    """SECURITY 16 (a small fixed case; the property test covers many)."""
    from itertools import permutations

    from .conftest import load_area, make_store

    def run(name: str) -> Any:
        store = make_store(tmp_path / name / "d.store", "district")
        try:
            tps = load_area(store)
            lap = {}
            for dev in ("aa", "bb"):
                lap[dev] = approved_laptop(store)
            return store, tps, lap
        except BaseException:
            store.close()
            raise

    # Bundles need the TPS ids of each district; build them per store from a template.
    results = []
    for i, order in enumerate(permutations(range(3))):
        store, tps, lap = run(f"d{i}")
        (a, ka), (b, kb) = lap["aa"], lap["bb"]
        rid = "0b7c5a0e-3c39-4a8f-9c5a-2f9c1c1c1c1c"
        nik = valid_nik(serial=77)
        rows = [
            [officer_row(device="LA", counter=1, row_id=rid, nik=nik, tps_id=tps["a1"])],
            [
                officer_row(
                    device="LA",
                    counter=4,
                    base=("LA", 1),
                    row_id=rid,
                    nik=nik,
                    tps_id=tps["a1"],
                    name="SATU",
                )
            ],
            [
                officer_row(
                    device="LB",
                    counter=2,
                    base=("LA", 1),
                    row_id=rid,
                    nik=nik,
                    tps_id=tps["a1"],
                    name="DUA",
                )
            ],
        ]
        senders = [(a, ka), (a, ka), (b, kb)]
        for index in order:
            sender, key = senders[index]
            merge_bundle(store, make_bundle(sender, key, rows[index], file_id=f"f{index}"))
        shown = officers(store)[rid]
        results.append(
            (
                shown.name,
                shown.version_device,
                shown.version_counter,
                sorted(f.key for f in findings(store, FindingKind.CONFLICT)),
            )
        )
        store.close()
    assert len(set(map(repr, results))) == 1
    assert results[0][0] == "SATU"  # counter 4 > 2


def test_revoked_laptop_is_refused_and_nothing_changes(
    district_store: Store, district_area: dict[str, str]
) -> None:
    """SECURITY 17."""
    laptop, key = approved_laptop(district_store)
    device = district.get_device(district_store, laptop)
    assert device is not None
    district.revoke(district_store, device.fingerprint)
    before = snapshot(district_store)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    with pytest.raises(district.DeviceRevoked) as caught:
        merge_bundle(district_store, make_bundle(laptop, key, [row]))
    assert caught.value.code == "device_revoked" and caught.value.message
    assert snapshot(district_store) == before


def test_pending_or_unknown_laptop_is_not_merged(
    district_store: Store, district_area: dict[str, str]
) -> None:
    key = bytes(range(32))
    row = officer_row(device="dev1", counter=1, tps_id=district_area["a1"])
    with pytest.raises(district.DeviceNotApproved):
        merge_bundle(district_store, make_bundle("dev1", key, [row]))
    district.register_pending(district_store, device_id="dev1", signing_key=key, area=M_KEL_A)
    with pytest.raises(district.DeviceNotApproved):
        merge_bundle(district_store, make_bundle("dev1", key, [row]))
    assert officers(district_store) == {}


def test_another_key_for_a_known_laptop_is_refused(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, _key = approved_laptop(district_store)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    with pytest.raises(district.DeviceKeyMismatch):
        merge_bundle(district_store, make_bundle(laptop, b"\x01" * 32, [row]))


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"birth_date": "14-03-1985"}, "birth_date.malformed"),
        ({"duty_start": "2024-13-01"}, "duty_start.malformed"),
        ({"version_counter": "1"}, "version_counter.malformed"),
    ],
)
def test_a_structurally_bad_row_refuses_the_whole_bundle(
    district_store: Store, district_area: dict[str, str], override: dict[str, Any], code: str
) -> None:
    """SECURITY 20: one unreadable row among good ones — nothing applied, every reason listed."""
    laptop, key = approved_laptop(district_store)
    good = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    bad = officer_row(device=laptop, counter=2, tps_id=district_area["a1"], **override)
    bundle = make_bundle(laptop, key, [good, bad])
    report = merge_bundle(district_store, bundle)
    assert not report.merged and report.reason == "rows_refused"
    assert [r.index for r in report.rejected] == [1]
    assert code in [p.code for p in report.rejected[0].problems]
    assert officers(district_store) == {} and versions(district_store) == set()
    nik = good["values"]["nik"]
    assert nik not in json.dumps(report.to_json()) and nik not in report.summary()
    assert "BUDI" not in report.summary()
    # Replayed: the same refusal.
    assert merge_bundle(district_store, bundle) == report


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"nik": "3573051403850000"}, "nik.serial"),
        ({"nik": "12345"}, "nik.length"),
        ({"kelurahan_code": M_KEL_B}, "area.outside"),
        ({"sex": "X"}, "sex.invalid"),
        ({"post_code": "astronaut"}, "post_code.unknown"),
    ],
)
def test_a_row_with_bad_content_is_refused_alone(
    district_store: Store, district_area: dict[str, str], override: dict[str, Any], code: str
) -> None:
    """Issue 8 point 5: a row a clerk can fix is refused alone, listed; the rest merges."""
    laptop, key = approved_laptop(district_store)
    good = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    bad = officer_row(device=laptop, counter=2, tps_id=district_area["a1"], **override)
    bundle = make_bundle(laptop, key, [good, bad])
    report = merge_bundle(district_store, bundle)
    assert report.merged and report.reason == ""
    assert [r.index for r in report.rejected] == [1]
    assert report.rejected[0].row_id == bad["values"]["id"]
    assert code in [p.code for p in report.rejected[0].problems]
    assert set(officers(district_store)) == {good["values"]["id"]}
    assert {v[0] for v in versions(district_store)} == {good["values"]["id"]}
    stored = json.dumps(report.to_json())
    assert good["values"]["nik"] not in stored and bad["values"]["nik"] not in stored
    assert "BUDI" not in report.summary() and "1 row was refused" in report.summary()
    assert merge_bundle(district_store, bundle) == report


def test_bundle_for_another_area_is_refused(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store, M_KEL_A)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["b1"], kelurahan=M_KEL_B)
    report = merge_bundle(district_store, make_bundle(laptop, key, [row], area=M_KEL_B))
    assert report.reason == "area" and officers(district_store) == {}
    report2 = merge_bundle(district_store, make_bundle(laptop, key, [row]))
    assert report2.merged and report2.rejected[0].problems[0].code == "area.outside"
    assert officers(district_store) == {}


def test_malformed_row_shapes_are_refused(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    good = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    extra = officer_row(device=laptop, counter=2, tps_id=district_area["a1"])
    extra["values"]["secret"] = 1
    shapes: list[Any] = [
        "text",
        {"table": "officer"},
        {"table": "voter", "seq": 1, "values": {}},
        extra,
        good,  # the same row twice
    ]
    report = merge_bundle(district_store, make_bundle(laptop, key, [good, *shapes]))
    assert not report.merged
    assert [r.index for r in report.rejected] == [1, 2, 3, 4, 5]


def test_missing_tps_refuses_without_recording(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    row = officer_row(device=laptop, counter=1, tps_id="0b7c5a0e-3c39-4a8f-9c5a-000000000000")
    bundle = make_bundle(laptop, key, [row])
    before = snapshot(district_store)
    with pytest.raises(MissingReference):
        merge_bundle(district_store, bundle)
    assert snapshot(district_store) == before


def test_version_clash_is_a_rollback(district_store: Store, district_area: dict[str, str]) -> None:
    """SECURITY 30, issue 8 point 7: a version the district has, with other contents, means the
    laptop's store went back in time: that bundle is refused with reason "rollback" and an
    open finding names the laptop and the range; nothing of the bundle is merged."""
    laptop, key = approved_laptop(district_store)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    merge_bundle(district_store, make_bundle(laptop, key, [row]))
    clash = json.loads(json.dumps(row))
    clash["values"]["name"] = "ORANG LAIN"
    fresh = officer_row(device=laptop, counter=2, tps_id=district_area["a1"])
    before = officers(district_store)
    rolled = make_bundle(laptop, key, [clash, fresh], seq_from=1)
    report = merge_bundle(district_store, rolled)
    assert not report.merged and report.reason == "rollback"
    assert "older copy" in report.summary()
    assert officers(district_store).keys() == before.keys()
    assert fresh["values"]["id"] not in {v[0] for v in versions(district_store)}
    [found] = findings(district_store, FindingKind.ROLLBACK)
    details = json.loads(found.details)
    assert details == {"device_id": laptop, "ranges": [[1, 2]]}
    assert merge_bundle(district_store, rolled).reason == "rollback"  # stored: the same report
    assert len(findings(district_store, FindingKind.ROLLBACK)) == 1
    # The district's own status or the laptop's bookkeeping never clash.
    resent = json.loads(json.dumps(row))
    resent["values"]["status"] = "sent"
    assert merge_bundle(district_store, make_bundle(laptop, key, [resent])).unchanged


def test_an_exception_mid_merge_leaves_the_store_unchanged(
    district_store: Store, district_area: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tpsdesk.sync import merge

    laptop, key = approved_laptop(district_store)
    rows = [officer_row(device=laptop, counter=n, tps_id=district_area["a1"]) for n in (1, 2)]
    before = snapshot(district_store)

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(merge, "refresh_duplicates", boom)
    with pytest.raises(RuntimeError):
        merge_bundle(district_store, make_bundle(laptop, key, rows))
    assert snapshot(district_store) == before


def test_same_nik_twice_is_a_duplicate_finding_once(
    district_store: Store, district_area: dict[str, str]
) -> None:
    a, key_a = approved_laptop(district_store)
    b, key_b = approved_laptop(district_store)
    nik = valid_nik(serial=4321)
    row_a = officer_row(device=a, counter=1, tps_id=district_area["a1"], nik=nik)
    row_b = officer_row(device=b, counter=1, tps_id=district_area["a2"], nik=nik)
    merge_bundle(district_store, make_bundle(a, key_a, [row_a]))
    report = merge_bundle(district_store, make_bundle(b, key_b, [row_b]))
    assert [d.kind for d in report.duplicates] == ["duplicate_nik"]
    ids = {row_a["values"]["id"], row_b["values"]["id"]}
    found = findings(district_store, FindingKind.DUPLICATE_NIK)
    assert len(found) == 1 and set(json.loads(found[0].row_ids)) == ids
    assert nik not in found[0].details and nik not in found[0].key
    # Seen again in another file: still one finding.
    merge_bundle(district_store, make_bundle(b, key_b, [row_b]))
    assert len(findings(district_store, FindingKind.DUPLICATE_NIK)) == 1
    # One of them deleted on its laptop: the open finding goes away.
    gone = officer_row(
        device=b,
        counter=2,
        base=(b, 1),
        row_id=row_b["values"]["id"],
        nik=nik,
        tps_id=district_area["a2"],
        deleted=True,
    )
    merge_bundle(district_store, make_bundle(b, key_b, [gone], seq_from=2))
    assert findings(district_store, FindingKind.DUPLICATE_NIK) == []


def test_likely_duplicate_same_name_and_birth_date_other_nik(
    district_store: Store, district_area: dict[str, str]
) -> None:
    a, key_a = approved_laptop(district_store)
    one = officer_row(device=a, counter=1, tps_id=district_area["a1"], name="Siti  Aminah")
    two = officer_row(device=a, counter=2, tps_id=district_area["a2"], name="SITI AMINAH.")
    other = officer_row(device=a, counter=3, tps_id=district_area["a2"], name="SITI AMINA")
    report = merge_bundle(district_store, make_bundle(a, key_a, [one, two, other]))
    assert [d.kind for d in report.duplicates] == ["likely_duplicate"]
    found = findings(district_store, FindingKind.LIKELY_DUPLICATE)
    assert len(found) == 1
    assert set(json.loads(found[0].row_ids)) == {one["values"]["id"], two["values"]["id"]}
    assert name_key("Siti  Aminah") == name_key("SITI AMINAH.") == "siti aminah"


def test_gaps_are_reported_and_close_when_the_missing_bundle_arrives(
    district_store: Store, district_area: dict[str, str]
) -> None:
    laptop, key = approved_laptop(district_store)
    row = officer_row(device=laptop, counter=5, tps_id=district_area["a1"])
    report = merge_bundle(district_store, make_bundle(laptop, key, [row], seq_from=5, seq_to=6))
    assert report.gaps == ((1, 4),)
    assert "1–4" in report.summary()
    assert len(findings(district_store, FindingKind.GAP)) == 1
    assert district.gaps(district_store, laptop) == [(1, 4)]
    earlier = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    filled = merge_bundle(district_store, make_bundle(laptop, key, [earlier], seq_to=4))
    assert filled.gaps == ()
    assert findings(district_store, FindingKind.GAP) == []
    assert district.acknowledged_seq(district_store, laptop) == 6


def test_area_rows_from_a_bundle_are_kept_but_not_applied(
    district_store: Store, district_area: dict[str, str]
) -> None:
    from tpsdesk.store.models import Kelurahan
    from tpsdesk.sync.changes import row_to_wire

    laptop, key = approved_laptop(district_store)
    with district_store.read() as session:
        kel = session.exec(select(Kelurahan).where(Kelurahan.code == M_KEL_A)).one()
    same = row_to_wire(kel, 1)
    renamed = json.loads(json.dumps(same))
    renamed["values"].update(
        name="GANTI",
        version_device=laptop,
        version_counter=1,
        base_device=kel.version_device,
        base_counter=kel.version_counter,
    )
    report = merge_bundle(district_store, make_bundle(laptop, key, [same]))
    assert len(report.unchanged) == 1
    report = merge_bundle(district_store, make_bundle(laptop, key, [renamed]))
    assert len(report.ignored) == 1
    with district_store.read() as session:
        assert session.get(Kelurahan, kel.id).name == "Tunggulwulung"  # type: ignore[union-attr]
    assert (kel.id, laptop, 1) in versions(district_store)


def test_report_json_round_trip_and_translated_summary(
    district_store: Store, district_area: dict[str, str]
) -> None:
    from tpsdesk.i18n import set_language

    laptop, key = approved_laptop(district_store)
    row = officer_row(device=laptop, counter=1, tps_id=district_area["a1"])
    report = merge_bundle(district_store, make_bundle(laptop, key, [row]))
    assert MergeReport.from_json(json.loads(json.dumps(report.to_json()))) == report
    try:
        set_language("en")
        english = report.summary()
        set_language("id")
        assert report.summary()  # the catalogue may or may not have it yet
    finally:
        set_language("en")
    assert "1 accepted" in english


def test_field_store_cannot_merge(tmp_path: Any) -> None:
    from .conftest import make_store

    field = make_store(tmp_path / "f" / "s.store", "field")
    try:
        with pytest.raises(SyncError):
            merge_bundle(field, make_bundle("x", b"k" * 32, []))
    finally:
        field.close()


def test_history_tells_a_copied_store_edit_from_a_conflict(
    district_store: Store, district_area: dict[str, str]
) -> None:
    """A store restored under a new id edits a row twice before its next bundle: the district
    never sees the first edit, but the row's history says it descends from the old id's."""
    a, key_a = approved_laptop(district_store)
    b, key_b = approved_laptop(district_store)
    v1 = officer_row(device=a, counter=4, tps_id=district_area["a1"])
    row_id, nik = v1["values"]["id"], v1["values"]["nik"]
    merge_bundle(district_store, make_bundle(a, key_a, [v1]))
    later = officer_row(
        device=b,
        counter=2,
        base=(b, 1),
        row_id=row_id,
        nik=nik,
        tps_id=district_area["a1"],
        name="BUDI BARU",
    )
    without = json.loads(json.dumps(later))
    later["history"] = [[a, 4], [b, 2]]
    report = merge_bundle(district_store, make_bundle(b, key_b, [later]))
    assert [r.row_id for r in report.accepted] == [row_id] and not report.conflicts
    assert officers(district_store)[row_id].name == "BUDI BARU"
    # Without the history the district cannot tell: a conflict for review (never a loss).
    other = make_bundle(b, key_b, [without])
    assert merge_bundle(district_store, other).unchanged  # the same version, now known
    bad = json.loads(json.dumps(later))
    bad["history"] = [[b, 3]]  # later than the version itself
    refused = merge_bundle(district_store, make_bundle(b, key_b, [bad]))
    assert refused.rejected[0].problems[0].code == "row.history"


def test_likely_duplicates_across_bundles_with_accents_through_the_district_index(
    district_store: Store, district_area: dict[str, str]
) -> None:
    a, key_a = approved_laptop(district_store)
    first = officer_row(device=a, counter=1, tps_id=district_area["a1"], name="Désy Ràhma")
    merge_bundle(district_store, make_bundle(a, key_a, [first]))
    again = officer_row(device=a, counter=2, tps_id=district_area["a2"], name="DESY RAHMA", seq=2)
    report = merge_bundle(district_store, make_bundle(a, key_a, [again], seq_from=2))
    assert [d.kind for d in report.duplicates] == ["likely_duplicate"]
    if district_store.backend == "postgresql":
        return  # PostgreSQL picks its plan by the table's size (a few rows here: a scan)
    with district_store.read() as session:
        plan = session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + _SAME_PERSON.format(no="0")
        )
        assert "ix_officer_name_key_born" in " ".join(str(step) for step in plan)


def test_the_stored_name_keys_are_computed_again_under_other_unicode_data(
    district_store: Store, district_area: dict[str, str]
) -> None:
    from tpsdesk.store.versioning import get_meta, set_meta
    from tpsdesk.sync.district_models import NAME_KEY_UNICODE_META, ensure_district_tables

    a, key_a = approved_laptop(district_store)
    row = officer_row(device=a, counter=1, tps_id=district_area["a1"], name="Désy Ràhma")
    merge_bundle(district_store, make_bundle(a, key_a, [row]))
    with district_store.transaction() as session:
        # As another Python's Unicode data could have made it.
        session.connection().exec_driver_sql("UPDATE officer SET name_key = 'désy ràhma'")
        set_meta(session, NAME_KEY_UNICODE_META, "1.0.0")
    ensure_district_tables(district_store)
    with district_store.read() as session:
        assert get_meta(session, NAME_KEY_UNICODE_META) == unicodedata.unidata_version
        stored = session.connection().exec_driver_sql("SELECT name_key FROM officer").all()
        assert [key for (key,) in stored] == ["desy rahma"]


def test_field_stores_have_no_district_index(tmp_path: Any) -> None:
    from tpsdesk.store.vault import KdfParams

    field, _key = Store.create(
        tmp_path / "f.store", "kata sandi panjang sekali", kdf=KdfParams(1, 8, 1)
    )
    try:
        with field.read() as session:
            names = session.connection().exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
            )
            assert not set(DISTRICT_INDEXES) & {name for (name,) in names}
    finally:
        field.close()
