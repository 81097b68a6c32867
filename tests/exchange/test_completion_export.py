"""Posts filled against posts needed, as a workbook and as CSV."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from tpsdesk.exchange.completion_export import export_completion
from tpsdesk.exchange.xlsx_writer import ExportError
from tpsdesk.store.db import Store

from .export_helpers import add, make_area


def test_completion_xlsx_and_csv(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    add(store, "kpps_ketua", tps_id=tps[1], seed=1)
    result = export_completion(store, tmp_path / "c.xlsx")
    assert result.tps == 3 and result.tps_complete == 0
    workbook = openpyxl.load_workbook(tmp_path / "c.xlsx")
    assert workbook.sheetnames == ["TPS", "Units", "Settings"]
    settings = dict(workbook["Settings"].iter_rows(min_row=2, values_only=True))
    assert settings["Needed per unit: Anggota KPPS"] == "6"
    assert settings["Needed per unit: Pantarlih"] == "1 (2 above 400 voters)"
    assert settings["JKK rate"] == "0.24 %"  # the pay settings, as on every export
    rows = list(workbook["TPS"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Kecamatan code", "Kelurahan code", "Kelurahan", "TPS")
    first = next(r for r in rows[1:] if r[3] == "001" and r[2] == "Dinoyo")
    heading = list(rows[0])
    assert first[heading.index("Filled")] == 1
    assert first[heading.index("Ketua KPPS")] == "1/1"

    csv_result = export_completion(store, tmp_path / "c.csv")
    assert csv_result.files == (
        tmp_path / "c.csv",
        tmp_path / "c-units.csv",
        tmp_path / "c-settings.csv",
    )
    with (tmp_path / "c-units.csv").open(encoding="utf-8-sig", newline="") as handle:
        units = list(csv.reader(handle))
    assert units[0][0] == "Unit" and len(units) == 1 + 3  # 1 kecamatan, 2 kelurahan


def test_completion_without_area(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no area"):
        export_completion(store, tmp_path / "c.xlsx")


def test_eleven_officers_in_one_post_are_not_a_complete_tps(store: Store, tmp_path: Path) -> None:
    """Issue 10 point 8: the export counts places as the dashboard does, from completion.py."""
    tps = make_area(store)
    for seed in range(1, 12):
        add(store, "kpps_anggota", tps_id=tps[1], seed=seed)
    result = export_completion(store, tmp_path / "c.xlsx")
    assert result.tps_complete == 0
    rows = list(openpyxl.load_workbook(tmp_path / "c.xlsx")["TPS"].iter_rows(values_only=True))
    heading = list(rows[0])
    first = next(r for r in rows[1:] if r[3] == "001" and r[2] == "Dinoyo")

    def cell(name: str) -> object:
        return first[heading.index(name)]

    assert (cell("Needed"), cell("Filled"), cell("Missing"), cell("Extra")) == (11, 6, 5, 5)
    assert cell("Complete") == "no"
    assert cell("Anggota KPPS") == "6/6 +5"
    assert cell("Ketua KPPS") == "0/1"
    assert cell("Linmas") == "0/2"
