"""Importing an area list into a real store: all of it, or nothing when any line is wrong."""

from __future__ import annotations

from pathlib import Path

from tpsdesk.exchange.area_csv import COLUMNS, import_area_csv
from tpsdesk.store.areas import list_kecamatan, list_kelurahan, list_tps
from tpsdesk.store.db import Store

HEADER = ";".join(COLUMNS)


def test_import_applies_good_file(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "area.csv"
    path.write_bytes(
        (
            f"{HEADER}\r\n"
            "35.73.05;Lowokwaru;35.73.05.1001;Tlogomas;1;Jl. Raya Tlogomas\r\n"
            "35.73.05;Lowokwaru;35.73.05.1001;Tlogomas;2;\r\n"
            "35.73.05;Lowokwaru;35.73.05.1002;Dinoyo;1;Balai RW\r\n"
        ).encode("cp1252")
    )
    result, summary = import_area_csv(store, path)
    assert result.ok and summary is not None
    assert (summary.new_kecamatan, summary.new_kelurahan, summary.new_tps) == (1, 2, 3)
    assert [k.name for k in list_kelurahan(store)] == ["Tlogomas", "Dinoyo"]
    assert [(t.kelurahan_code, t.number) for t in list_tps(store)] == [
        ("35.73.05.1001", 1),
        ("35.73.05.1001", 2),
        ("35.73.05.1002", 1),
    ]
    # Again: nothing new.
    _result, again = import_area_csv(store, path)
    assert again is not None and not again.changed


def test_import_applies_nothing_when_any_line_is_wrong(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "area.csv"
    path.write_text(
        f"{HEADER}\n"
        "35.73.05;Lowokwaru;35.73.05.1001;Tlogomas;1;\n"
        "35.73.05;Lowokwaru;35.73.05.1002;Dinoyo;1000;\n",
        encoding="utf-8",
    )
    generation_before = store.backups()
    result, summary = import_area_csv(store, path)
    assert summary is None
    assert [(p.line, p.column) for p in result.problems] == [(3, "tps_number")]
    assert list_kecamatan(store) == []
    assert list_tps(store) == []
    assert store.backups() == generation_before  # nothing saved either


def _area_xlsx(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(list(COLUMNS))
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_import_xlsx_same_rules_as_csv(store: Store, tmp_path: Path) -> None:
    path = _area_xlsx(
        tmp_path / "area.xlsx",
        [
            ["35.73.05", "Lowokwaru", "35.73.05.1001", "Tlogomas", 1, "Jl. Raya Tlogomas"],
            ["35.73.05", "Lowokwaru", 3573051001, "Tlogomas", 2.0, None],  # number cells
            [357305, "Lowokwaru", "35.73.05.1002", "Dinoyo", "TPS 01", "Balai RW"],
        ],
    )
    result, summary = import_area_csv(store, path)
    assert result.ok, [p.describe() for p in result.problems]
    assert summary is not None
    assert (summary.new_kecamatan, summary.new_kelurahan, summary.new_tps) == (1, 2, 3)
    assert [(t.kelurahan_code, t.number, t.address) for t in list_tps(store)] == [
        ("35.73.05.1001", 1, "Jl. Raya Tlogomas"),
        ("35.73.05.1001", 2, ""),
        ("35.73.05.1002", 1, "Balai RW"),
    ]
    _result, again = import_area_csv(store, path)
    assert again is not None and not again.changed


def test_import_xlsx_applies_nothing_when_any_row_is_wrong(store: Store, tmp_path: Path) -> None:
    path = _area_xlsx(
        tmp_path / "area.xlsx",
        [
            ["35.73.05", "Lowokwaru", "35.73.05.1001", "Tlogomas", 1, None],
            ["35.73.05", "Lowokwaru", "35.73.05.1002", None, 1, None],
        ],
    )
    result, summary = import_area_csv(store, path)
    assert summary is None
    assert [p.describe() for p in result.problems] == [
        "Row 3, column D (kelurahan_name): The name is missing"
    ]
    assert list_kecamatan(store) == []


def test_import_refuses_encrypted_and_old_workbooks(store: Store, tmp_path: Path) -> None:
    import pytest

    from tpsdesk.exchange.area_csv import AreaCsvError
    from tpsdesk.exchange.sheet_reader import CFB_MAGIC

    encrypted = tmp_path / "area.xlsx"
    encrypted.write_bytes(CFB_MAGIC + b"junk" * 64)
    with pytest.raises(AreaCsvError, match="password protected"):
        import_area_csv(store, encrypted)
    old = tmp_path / "area.xls"
    old.write_bytes(CFB_MAGIC + b"junk" * 64)
    with pytest.raises(AreaCsvError, match=r"cannot be read as an old Excel file \(\.xls\)"):
        import_area_csv(store, old)
    assert list_kecamatan(store) == []


def test_import_refuses_a_control_character_in_a_sheet(store: Store, tmp_path: Path) -> None:
    path = _area_xlsx(
        tmp_path / "area.xlsx",
        [["35.73.05", "Lowokwaru", "35.73.05.1001", "Tlogo\u202emas", 1, "Jl. Raya"]],
    )
    result, summary = import_area_csv(store, path)
    assert summary is None
    assert [p.describe() for p in result.problems] == [
        "Row 2, column D (kelurahan_name): Kelurahan name holds an invisible formatting character "
        "at position 6: remove it"
    ]
    assert list_kecamatan(store) == []
