"""Opening spreadsheets: what a file really is, which sheet, row numbers as Excel shows them."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from tpsdesk.exchange.sheet_reader import (
    CFB_MAGIC,
    SheetError,
    cell_text,
    column_letter,
    file_kind,
    open_sheet,
)


def rows_of(path: Path, sheet: str | None = None) -> tuple[str, list[tuple[int, list[object]]]]:
    with open_sheet(path, sheet) as opened:
        return opened.name, list(opened.rows)


def test_xlsx_rows_keep_excel_row_numbers_and_merged_cells_are_none(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Petugas"
    ws["A1"] = "DAFTAR PETUGAS KPPS"
    ws.merge_cells("A1:D1")
    # Row 2 left empty on purpose; data from row 3.
    ws.append([])
    ws["A3"], ws["B3"] = "NIK", "Nama"
    ws["A5"], ws["B5"], ws["C5"] = "3573051708800001", 7, datetime(1980, 8, 17)
    path = tmp_path / "petugas.xlsx"
    wb.save(path)

    name, rows = rows_of(path)
    assert name == "Petugas"
    numbers = [n for n, _values in rows]
    assert numbers[:5] == [1, 2, 3, 4, 5]
    first = dict(rows)[1]
    assert first[0] == "DAFTAR PETUGAS KPPS" and all(v is None for v in first[1:])
    fifth = dict(rows)[5]
    assert fifth[:3] == ["3573051708800001", 7, datetime(1980, 8, 17)]


def test_first_sheet_with_values_or_the_named_one(tmp_path: Path) -> None:
    wb = Workbook()
    empty = wb.active
    assert empty is not None
    empty.title = "Petunjuk"
    data = wb.create_sheet("Data")
    data.append(["NIK", "Nama"])
    other = wb.create_sheet("Lain")
    other.append(["x"])
    path = tmp_path / "two.xlsx"
    wb.save(path)

    assert rows_of(path)[0] == "Data"
    assert rows_of(path, "lain")[0] == "Lain"  # any case
    with pytest.raises(SheetError) as caught:
        rows_of(path, "Nope")
    assert "two.xlsx has no sheet called “Nope”" in caught.value.message
    assert "“Data”" in caught.value.message


def test_workbook_without_any_value_is_refused(tmp_path: Path) -> None:
    wb = Workbook()
    path = tmp_path / "kosong.xlsx"
    wb.save(path)
    with pytest.raises(SheetError) as caught:
        rows_of(path)
    assert caught.value.message == "kosong.xlsx is empty: no sheet holds any value"


def test_password_protected_workbook(tmp_path: Path) -> None:
    path = tmp_path / "rahasia.xlsx"
    path.write_bytes(CFB_MAGIC + b"\x00" * 100 + "EncryptionInfo".encode("utf-16-le") + b"junk")
    with pytest.raises(SheetError) as caught:
        file_kind(path)
    assert "rahasia.xlsx is password protected" in caught.value.message
    assert "without a password" in caught.value.message
    # Even without the stream name in the first bytes, a CFB file named .xlsx is encrypted.
    bare = tmp_path / "bare.xlsx"
    bare.write_bytes(CFB_MAGIC + b"junk" * 50)
    with pytest.raises(SheetError, match="password protected"):
        file_kind(bare)


FIXTURES = Path(__file__).parent / "fixtures"


def test_damaged_old_xls(tmp_path: Path) -> None:
    path = tmp_path / "lama.xls"
    path.write_bytes(CFB_MAGIC + "Workbook".encode("utf-16-le") + b"junk" * 50)
    assert file_kind(path) == "xls"
    with pytest.raises(SheetError) as caught, open_sheet(path):
        pass
    assert caught.value.message.startswith(
        "lama.xls cannot be read as an old Excel file (.xls): if it has a password"
    )


@pytest.mark.parametrize("name", ["petugas.xls", "petugas.ods"])
def test_old_excel_and_opendocument_files_are_read(name: str) -> None:
    """Saved by LibreOffice from an XLSX (no Python library here writes .xls): a title row
    merged over the header, a date cell, a NIK as text and two NIKs as number cells."""
    with open_sheet(FIXTURES / name) as sheet:
        assert sheet.kind == name.rsplit(".", 1)[1] and sheet.name == "Petugas"
        rows = list(sheet.rows)
    assert rows[0] == (1, ["DAFTAR PETUGAS KPPS", *[None] * 8])
    assert rows[2][1][:3] == ["No", "NIK", "Nama Lengkap"]
    number, first = rows[3]
    assert number == 4 and first[1] == "3573051403850001"
    assert first[4] == date(1985, 3, 14)
    assert isinstance(rows[4][1][1], float)  # a number cell: the import flags it


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("laporan.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
        ("acak.xlsx", bytes(range(256)) * 4),
        ("biner.csv", b"NIK,Nama\n\x00\x01\x02\x00"),
        ("foto.jpg", b"\xff\xd8\xff\xe0JFIF"),
    ],
)
def test_not_a_spreadsheet(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SheetError) as caught:
        rows_of(path)
    assert caught.value.message == (
        f"{name} is not a spreadsheet: save it as .xlsx or CSV and try again"
    )


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "arsip.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(SheetError, match=r"arsip\.xlsx is not a spreadsheet"):
        rows_of(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SheetError, match="File not found"):
        rows_of(tmp_path / "nope.xlsx")


def test_csv_semicolon_bom_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "petugas.csv"
    path.write_bytes(b'\xef\xbb\xbfNIK;Nama;Alamat\r\n\r\n1;"A";"Jl. Mawar\r\nRT 1"\r\n2;B;C\r\n')
    name, rows = rows_of(path)
    assert name == ""
    assert rows[0] == (1, ["NIK", "Nama", "Alamat"])
    # The quoted address spans lines 3–4; the next record starts on line 5.
    assert [n for n, values in rows if values] == [1, 3, 5]
    assert dict(rows)[3][2] == "Jl. Mawar\r\nRT 1"


def test_csv_comma_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "petugas.csv"
    path.write_bytes("NIK,Nama\n1,JOSÉ\n".encode("cp1252"))
    assert rows_of(path)[1][1] == (2, ["1", "JOSÉ"])


def test_csv_utf8_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "petugas.csv"
    path.write_bytes("NIK;Nama\n1;JOSÉ\n".encode())
    assert rows_of(path)[1][1] == (2, ["1", "JOSÉ"])


def test_column_letters_and_cell_text() -> None:
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "ZZ", "AAA",
    ]  # fmt: skip
    assert cell_text(7.0) == "7"
    assert cell_text(None) == ""
    assert cell_text(datetime(1980, 8, 17, 0, 0)) == "17-08-1980"
