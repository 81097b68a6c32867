"""BPJS participant numbers (KPJ) read from BPJS's result file and recorded on officers."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from tpsdesk.exchange.participant_numbers import (
    plan_participant_numbers,
    read_participant_numbers,
    record_participant_numbers,
)
from tpsdesk.exchange.sheet_reader import SheetError
from tpsdesk.store.db import Store
from tpsdesk.store.officers import get_officer

from .export_helpers import add, make_area


def result_file(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["HASIL PENDAFTARAN KOLEKTIF"])
    sheet.append([])
    sheet.append(["NO", "NAMA", "NOMOR_IDENTITAS", "No KPJ", "KETERANGAN"])
    for number, row in enumerate(rows, 1):
        sheet.append([number, "X", *row, "BERHASIL"])
    workbook.save(path)
    return path


def test_numbers_are_recorded_once_and_problems_listed(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    siti = add(store, tps_id=tps[1], seed=1)
    budi = add(store, tps_id=tps[2], seed=2, name="BUDI")
    path = result_file(
        tmp_path / "hasil.xlsx",
        [
            [siti.nik, "24011234567"],
            [budi.nik, 24011234568.0],  # a number cell: the KPJ is still read whole
            ["3573051111110001", "24011234569"],  # nobody
            [3.57305e15, "24011234570"],  # a NIK Excel cut
            [siti.nik, "24011234571"],  # the same NIK again
            [budi.nik, "24-01"],  # not a KPJ
        ],
    )
    rows = read_participant_numbers(path)
    assert [row.row for row in rows] == [4, 5, 6, 7, 8, 9]
    plan = plan_participant_numbers(store, path, rows)
    assert plan.to_record == {siti.id: (4, "24011234567"), budi.id: (5, "24011234568")}
    assert [(p.row, p.code) for p in plan.problems] == [
        (6, "nik.unknown"), (7, "nik.excel_number"), (8, "nik.repeated"), (9, "kpj.invalid"),
    ]  # fmt: skip
    assert record_participant_numbers(store, plan) == 2
    recorded = get_officer(store, siti.id)
    assert recorded is not None
    assert (recorded.bpjs_number, recorded.status) == ("24011234567", "enrolled")

    again = plan_participant_numbers(store, path, read_participant_numbers(path))
    assert again.to_record == {} and again.unchanged == 2


def test_one_person_in_two_kept_posts_gets_the_number_on_both(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    first = add(store, tps_id=tps[1], seed=1)
    second = add(store, "linmas", tps_id=tps[2], seed=1)  # the same NIK, kept by the district
    assert first.nik == second.nik
    path = result_file(tmp_path / "hasil.xlsx", [[first.nik, "24011234567"]])
    plan = plan_participant_numbers(store, path, read_participant_numbers(path))
    assert set(plan.to_record) == {first.id, second.id} and plan.problems == []


def test_a_file_without_nik_and_kpj_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lain.csv"
    path.write_text("Nama;Alamat\nBUDI;Jl. Mawar\n", encoding="utf-8")
    with pytest.raises(SheetError, match="no header with a NIK column and a KPJ column"):
        read_participant_numbers(path)
