"""Area repository: unique codes and TPS numbers, updates, one-transaction imports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from tpsdesk.store import areas
from tpsdesk.store.areas import AreaImportSummary, AreaRow
from tpsdesk.store.db import Conflict, NotFound, Store
from tpsdesk.store.models import ChangeLog, Tps

from .conftest import KEC, KEL_A, KEL_B, PASSPHRASE


def log_length(store: Store) -> int:
    with store.read() as session:
        return len(session.exec(select(ChangeLog)).all())


ROWS = [
    AreaRow(KEC, "Lowokwaru", KEL_A, "Tunggulwulung", 1, "Jl. Mawar 1"),
    AreaRow(KEC, "Lowokwaru", KEL_A, "Tunggulwulung", 2, "Jl. Melati 2", tps_voters=450),
    AreaRow(KEC, "Lowokwaru", KEL_B, "Tlogomas", 1, "Jl. Kenanga 1"),
    AreaRow("35.73.04", "Klojen", "35.73.04.1001", "Kauman", None),
]


def test_codes_are_unique_among_live_rows(store: Store, area: dict[str, Tps]) -> None:
    with pytest.raises(Conflict):
        areas.add_kecamatan(store, KEC, "Again")
    with pytest.raises(Conflict):
        areas.add_kelurahan(store, KEL_A, "Again", KEC)
    with pytest.raises(Conflict):
        areas.add_tps(store, KEL_A, 1)
    with pytest.raises(NotFound):
        areas.add_kelurahan(store, "35.73.09.1001", "Nowhere", "35.73.09")
    with pytest.raises(NotFound):
        areas.add_tps(store, "35.73.09.1001", 1)


def test_a_deleted_tps_number_can_be_used_again(store: Store, area: dict[str, Tps]) -> None:
    areas.delete_tps(store, area["a3"].id)
    again = areas.add_tps(store, KEL_A, 3, "Jl. Baru")
    assert again.id != area["a3"].id
    assert [t.number for t in areas.list_tps(store, KEL_A)] == [1, 2, 3]


def test_update_tps(store: Store, area: dict[str, Tps]) -> None:
    before = log_length(store)
    tps = areas.update_tps(store, area["a1"].id, voters=420)
    assert (tps.voters, tps.address) == (420, "Jl. Mawar 1")
    assert log_length(store) == before + 1
    areas.update_tps(store, area["a1"].id, voters=420, address="Jl. Mawar 1")
    assert log_length(store) == before + 1
    with pytest.raises(NotFound):
        areas.update_tps(store, "missing", voters=1)


def test_lists_and_lookups(store: Store, area: dict[str, Tps]) -> None:
    assert [k.code for k in areas.list_kecamatan(store)] == [KEC]
    assert [k.code for k in areas.list_kelurahan(store)] == [KEL_A, KEL_B]
    assert [k.code for k in areas.list_kelurahan(store, "35.73.04")] == []
    assert [(t.kelurahan_code, t.number) for t in areas.list_tps(store)] == [
        (KEL_A, 1),
        (KEL_A, 2),
        (KEL_A, 3),
        (KEL_B, 1),
    ]
    assert areas.find_tps(store, f"{KEL_B}/001").id == area["b1"].id
    assert areas.find_tps(store, area["a2"].id).number == 2
    assert area["a2"].label == "002"
    with pytest.raises(NotFound):
        areas.find_tps(store, "nonsense")


def test_apply_area_rows_counts_and_is_idempotent(store: Store, store_path: Path) -> None:
    first = areas.apply_area_rows(store, ROWS)
    assert first == AreaImportSummary(
        new_kecamatan=2, new_kelurahan=3, new_tps=3, updated=0, unchanged=0
    )
    assert first.changed
    logged = log_length(store)
    saved = store_path.read_bytes()

    again = areas.apply_area_rows(store, ROWS)
    assert again == AreaImportSummary(unchanged=8)
    assert not again.changed
    assert log_length(store) == logged  # nothing stamped

    changed = [
        AreaRow(KEC, "Lowokwaru Baru", KEL_A, "Tunggulwulung", 1, "Jl. Mawar 1"),
        AreaRow(KEC, "Lowokwaru Baru", KEL_A, "Tunggulwulung", 2, "Jl. Melati 22"),
        AreaRow(KEC, "Lowokwaru Baru", KEL_A, "Tunggulwulung", 4, ""),
    ]
    third = areas.apply_area_rows(store, changed)
    assert third == AreaImportSummary(new_tps=1, updated=2, unchanged=2)
    assert log_length(store) == logged + 3
    tps2 = areas.find_tps(store, f"{KEL_A}/2")
    assert (tps2.address, tps2.voters) == ("Jl. Melati 22", 450)  # voters kept when not given
    assert saved != store_path.read_bytes()

    store.close()
    with Store.open(store_path, PASSPHRASE) as reopened:
        assert [k.name for k in areas.list_kecamatan(reopened)] == ["Klojen", "Lowokwaru Baru"]
        assert len(areas.list_tps(reopened)) == 4


def test_apply_area_rows_is_one_transaction(
    store: Store, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = store_path.read_bytes()
    real_stamp = areas.stamp
    calls = []

    def failing_stamp(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 7:  # the second kecamatan: six rows are in the session by then
            raise OSError("disk gone")
        return real_stamp(*args, **kwargs)

    monkeypatch.setattr(areas, "stamp", failing_stamp)
    with pytest.raises(OSError):
        areas.apply_area_rows(store, ROWS)
    monkeypatch.setattr(areas, "stamp", real_stamp)
    assert len(calls) == 7
    assert areas.list_kecamatan(store) == []
    assert areas.list_tps(store) == []
    assert log_length(store) == 0
    assert store_path.read_bytes() == saved
    assert areas.apply_area_rows(store, ROWS).new_tps == 3  # and then it works


def test_apply_area_rows_brings_back_deleted_tps_area(store: Store) -> None:
    areas.apply_area_rows(store, ROWS)
    tps = areas.find_tps(store, f"{KEL_B}/1")
    areas.delete_tps(store, tps.id)
    summary = areas.apply_area_rows(store, ROWS)
    assert summary.new_tps == 1  # deleted TPS stay deleted; the number is live again as a new TPS
    assert areas.find_tps(store, f"{KEL_B}/1").id != tps.id


# -- clean text (SECURITY 28) ---------------------------------------------------------------


@pytest.mark.parametrize("bad", ["Lowok\x1b[2Jwaru", "Lowok\rwaru", "Lowok\u202ewaru", "A\u2028B"])
def test_names_and_addresses_with_control_characters_are_refused(store: Store, bad: str) -> None:
    with pytest.raises(areas.InvalidText) as refused:
        areas.add_kecamatan(store, KEC, bad)
    assert refused.value.message.startswith("Kecamatan name holds ")
    assert bad not in refused.value.message
    areas.add_kecamatan(store, KEC, "Lowokwaru")
    with pytest.raises(areas.InvalidText, match=r"^Kelurahan name holds "):
        areas.add_kelurahan(store, KEL_A, bad, KEC)
    kel = areas.add_kelurahan(store, KEL_A, "Tunggulwulung", KEC)
    with pytest.raises(areas.InvalidText, match=r"^TPS address holds "):
        areas.add_tps(store, kel.code, 1, bad)
    tps = areas.add_tps(store, kel.code, 1, "Jl. Mawar 1")
    with pytest.raises(areas.InvalidText, match=r"^TPS address holds "):
        areas.update_tps(store, tps.id, address=bad)
    with pytest.raises(areas.InvalidText):
        areas.apply_area_rows(store, [AreaRow(KEC, "Lowokwaru", KEL_A, bad, 2, "")])
    assert [k.name for k in areas.list_kecamatan(store)] == ["Lowokwaru"]
    assert [k.name for k in areas.list_kelurahan(store)] == ["Tunggulwulung"]
    assert [(t.number, t.address) for t in areas.list_tps(store)] == [(1, "Jl. Mawar 1")]
