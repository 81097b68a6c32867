"""The budget workbook: numeric rupiah cells whose totals match an independent sum."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from tpsdesk.exchange.budget_export import export_budget
from tpsdesk.exchange.xlsx_writer import ExportError
from tpsdesk.store.db import Store

from .export_helpers import TODAY, add, make_area  # noqa: F401


def test_budget_workbook_sums_and_lists_not_counted(store: Store, tmp_path: Path) -> None:
    tps = make_area(store)
    add(store, "kpps_ketua", tps_id=tps[1], seed=1)  # 900,000 → 4,860 × 2 months
    add(store, "kpps_anggota", tps_id=tps[1], seed=2)  # 850,000 → 4,590 × 2
    add(store, "linmas", tps_id=tps[3], seed=3, duty=("20-11-2024", "28-11-2024"))  # 3,510 × 1
    add(store, "ptps", tps_id=tps[2], seed=4)  # no honorarium: not counted
    out = tmp_path / "budget.xlsx"
    result = export_budget(store, out)
    expected = 4860 * 2 + 4590 * 2 + 3510
    assert result.files == (out,)
    assert result.budget.total.amount == Decimal(expected)

    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == [
        "Contributions", "Per kecamatan", "Per kelurahan", "Per post", "Per month",
        "Settings", "Not counted",
    ]  # fmt: skip
    lines = list(workbook["Contributions"].iter_rows(values_only=True))
    assert lines[0][-1] == "Amount"
    amounts = [row[-1] for row in lines[1:-1]]
    assert all(isinstance(a, int | float) for a in amounts)
    assert sum(amounts) == expected and lines[-1][-1] == expected
    assert workbook["Contributions"]["J2"].number_format == '"Rp"#,##0'
    months = {row[5] for row in lines[1:-1]}
    assert months == {"2024-11", "2024-12"}
    per_month = {r[0]: r[-1] for r in workbook["Per month"].iter_rows(min_row=2, values_only=True)}
    assert per_month == {"2024-11": 4860 + 4590 + 3510, "2024-12": 4860 + 4590, "Total": expected}
    not_counted = list(workbook["Not counted"].iter_rows(min_row=2, values_only=True))
    assert len(not_counted) == 1 and "PTPS" in str(not_counted[0][-1])
    settings = {r[0]: r[1] for r in workbook["Settings"].iter_rows(min_row=2, values_only=True)}
    assert settings["JKK rate"] == "0.24 %" and settings["Officers not counted"] == "1"
    # calamine reads the money as numbers too.
    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Per kecamatan").to_python()
    assert sheet[-1][-1] == expected


def test_budget_refusals(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no officers"):
        export_budget(store, tmp_path / "b.xlsx")
    with pytest.raises(ExportError, match="unknown file type"):
        export_budget(store, tmp_path / "b.csv")
    assert list(tmp_path.glob("b*")) == []


def test_budget_columns_are_wide_enough_to_show_rupiah(store: Store, tmp_path: Path) -> None:
    """A spreadsheet program shows ### in a money cell narrower than its amount."""
    tps = make_area(store)
    add(store, "kpps_ketua", tps_id=tps[1], seed=1)
    out = tmp_path / "b.xlsx"
    export_budget(store, out)
    sheet = openpyxl.load_workbook(out)["Contributions"]
    widths = {letter: sheet.column_dimensions[letter].width for letter in "HIJ"}
    assert all(width >= 16 for width in widths.values()), widths
