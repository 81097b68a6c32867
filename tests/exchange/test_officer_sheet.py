"""Reading officer sheets: header detection, heading aliases, dates, NIKs damaged by Excel."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from tpsdesk.domain.dates import date_to_excel_serial, parse_date
from tpsdesk.exchange import officer_sheet
from tpsdesk.exchange.officer_sheet import (
    ALIASES,
    ColumnMapping,
    MappingError,
    load_saved_mapping,
    normalize_heading,
    parse_map_option,
    read_officer_sheet,
    save_mapping,
    split_birth_place_date,
)
from tpsdesk.exchange.sheet_reader import SheetError
from tpsdesk.store.db import Store

NIK_M = "3573051708800001"  # man born 17-08-1980
NIK_F = "3573055708800002"  # woman born 17-08-1980
HEADER = ["No", "NIK", "Nama Lengkap", "Tempat Lahir", "Tgl. Lahir", "L/P", "Alamat", "No HP",
          "Jabatan", "TPS"]  # fmt: skip


def xlsx(path: Path, rows: list[list[Any]], *, title_rows: int = 0) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for n in range(title_rows):
        ws.append([f"JUDUL {n + 1}"])
        ws.merge_cells(start_row=n + 1, start_column=1, end_row=n + 1, end_column=6)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def person(nik: Any = NIK_M, born: Any = "17-08-1980", **extra: Any) -> list[Any]:
    row = [1, nik, "BUDI SANTOSO", "MALANG", born, "L", "Jl. Mawar 1", "081234567890",
           "Anggota KPPS", 1]  # fmt: skip
    for index, value in extra.items():
        row[int(index.removeprefix("c"))] = value
    return row


def test_header_under_title_rows_and_merged_cells(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "a.xlsx", [[], HEADER, person()], title_rows=3)
    sheet = read_officer_sheet(path)
    assert sheet.header_row == 5
    mapped = {c.letter: (c.heading, c.field) for c in sheet.columns}
    assert mapped["A"] == ("No", None)
    assert mapped["B"] == ("NIK", "nik")
    assert mapped["E"] == ("Tgl. Lahir", "birth_date")
    assert mapped["J"] == ("TPS", "tps")
    assert sheet.missing == []
    [row] = sheet.rows
    assert row.row == 6
    assert row.draft.nik == NIK_M and row.draft.name == "BUDI SANTOSO"
    assert row.draft.post_code == "Anggota KPPS" and row.tps == "1"
    assert row.problems == ()


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("NIK", "nik"), ("No. KTP", "nik"), ("No KTP", "nik"), ("NIK KTP", "nik"),
        ("Nama", "name"), ("Nama Lengkap", "name"), ("Tempat Lahir", "birth_place"),
        ("Tanggal Lahir", "birth_date"), ("Tgl Lahir", "birth_date"), ("Tgl. Lahir", "birth_date"),
        ("L/P", "sex"), ("Jenis Kelamin", "sex"), ("JK", "sex"), ("Alamat", "address"),
        ("No HP", "phone"), ("Telp", "phone"), ("No. Telepon", "phone"), ("HP", "phone"),
        ("Jabatan", "post_code"), ("TPS", "tps"), ("No TPS", "tps"),
        ("Kelurahan", "kelurahan"), ("Desa", "kelurahan"), ("Kel/Desa", "kelurahan"),
        ("Kecamatan", "kecamatan"), ("Nama Ibu Kandung", "mother_name"),
        ("Status Kawin", "marital_status"), ("Kode Pos", "postcode"), ("Email", "email"),
        ("Tempat, Tanggal Lahir", "birth_place_date"), ("TTL", "birth_place_date"),
        ("  TANGGAL LAHIR (dd-mm-yyyy) ", "birth_date"), ("NOMOR_IDENTITAS", "nik"),
        ("N I K", "nik"), ("No. KTP/NIK", "nik"), ("Nomor Induk Kependudukan (NIK)", "nik"),
        ("No. Telp/HP", "phone"), ("Kedudukan", "post_code"), ("Tanggal\nLahir", "birth_date"),
        ("Tempat/Tgl Lahir", "birth_place_date"), ("Desa/Kelurahan", "kelurahan"),
    ],
)  # fmt: skip
def test_headings_people_use(heading: str, field: str) -> None:
    assert ColumnMapping().field_for(heading) == field


def test_normalize_heading() -> None:
    assert normalize_heading(" No. KTP ") == normalize_heading("no_ktp") == "no ktp"
    assert normalize_heading("Kel/Desa") == "kel desa"
    assert "no ktp" in ALIASES


def test_combined_place_and_date_of_birth(tmp_path: Path) -> None:
    header = ["NIK", "Nama", "Tempat, Tanggal Lahir", "L/P", "Alamat", "Jabatan", "TPS"]
    rows = [
        header,
        [NIK_M, "BUDI", "Malang, 17 Agustus 1980", "L", "Jl. A", "Linmas", 1],
        [NIK_M, "BUDI", "Kota Batu 17-08-1980", "L", "Jl. A", "Linmas", 1],
        [NIK_M, "BUDI", datetime(1980, 8, 17), "L", "Jl. A", "Linmas", 1],
    ]
    sheet = read_officer_sheet(xlsx(tmp_path / "ttl.xlsx", rows))
    assert sheet.missing == []
    assert [(r.draft.birth_place, r.draft.birth_date) for r in sheet.rows] == [
        ("Malang", "17 Agustus 1980"),
        ("Kota Batu", "17-08-1980"),
        ("", "17-08-1980"),
    ]
    # Problems on place or date point at the combined column.
    assert sheet.field_columns["birth_date"].heading == "Tempat, Tanggal Lahir"


def test_two_row_header_under_a_merged_ttl(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["NIK", "Nama", "TTL", None, "L/P", "Alamat", "Jabatan", "TPS"])
    ws.merge_cells("C1:D1")
    ws.append([None, None, "Tempat", "Tanggal", None, None, None, None])
    ws.append([NIK_M, "BUDI", "Malang", "17-08-1980", "L", "Jl. A", "Linmas", 1])
    path = tmp_path / "ttl2.xlsx"
    wb.save(path)
    sheet = read_officer_sheet(path)
    fields = {c.letter: c.field for c in sheet.columns}
    assert fields["C"] == "birth_place" and fields["D"] == "birth_date"
    [row] = sheet.rows
    assert row.row == 3 and (row.draft.birth_place, row.draft.birth_date) == (
        "Malang",
        "17-08-1980",
    )


def test_split_birth_place_date() -> None:
    assert split_birth_place_date("Malang, 17 Agustus 1980") == ("Malang", "17 Agustus 1980")
    assert split_birth_place_date("MALANG,17-08-1980") == ("MALANG", "17-08-1980")
    assert split_birth_place_date("Malang") == ("Malang", "")
    assert split_birth_place_date(None) == ("", "")


def test_every_date_form(tmp_path: Path) -> None:
    born = date(1980, 8, 17)
    forms: list[Any] = [
        datetime(1980, 8, 17),  # a date cell
        date_to_excel_serial(born),  # a serial number in a General cell
        float(date_to_excel_serial(born)),
        "17/08/1980",
        "17-08-1980",
        "1980-08-17",
        "17 Agustus 1980",
        "17 Agt 1980",
    ]
    path = xlsx(tmp_path / "dates.xlsx", [HEADER, *(person(born=f) for f in forms)])
    sheet = read_officer_sheet(path)
    assert [parse_date(r.draft.birth_date) for r in sheet.rows] == [born] * len(forms)


def test_nik_damaged_by_excel(tmp_path: Path) -> None:
    rows = [
        HEADER,
        person(nik=3573051708800010),  # a number cell: 16 digits ending in 0
        person(nik=3.5730517088e15),  # a float
        person(nik="3.51E+15"),  # what Excel shows, typed back or exported as text
        person(nik=3573051708800001),  # 16 digits not ending in 0: not Excel's doing
        person(nik="'3573051708800001"),  # text with Excel's apostrophe
    ]
    sheet = read_officer_sheet(xlsx(tmp_path / "nik.xlsx", rows))
    damaged = [[p.code for p in r.problems] for r in sheet.rows]
    assert damaged == [["nik.excel_number"]] * 3 + [[], []]
    problem = sheet.rows[0].problems[0]
    assert (problem.row, problem.column and problem.column.letter) == (2, "B")
    assert problem.describe() == (
        "Row 2, column B (NIK): The NIK was stored as a number in Excel and lost its last "
        "digits: type it again as text"
    )
    assert sheet.rows[3].draft.nik == "3573051708800001"


def test_csv_semicolon_bom(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    text = ";".join(HEADER) + "\r\n" + ";".join(str(v) for v in person()) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    sheet = read_officer_sheet(path)
    assert sheet.kind == "csv" and sheet.header_row == 1
    [row] = sheet.rows
    assert row.row == 2 and row.draft.nik == NIK_M and row.draft.birth_date == "17-08-1980"


def test_csv_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    values = person()
    values[2] = "JOSÉ"
    text = ",".join(HEADER) + "\n" + ",".join(str(v) for v in values) + "\n"
    path.write_bytes(text.encode("cp1252"))
    assert read_officer_sheet(path).rows[0].draft.name == "JOSÉ"


def test_csv_scientific_nik(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    text = ",".join(HEADER) + "\n" + ",".join(str(v) for v in person(nik="3.57305E+15")) + "\n"
    path.write_text(text, encoding="utf-8")
    assert [p.code for p in read_officer_sheet(path).rows[0].problems] == ["nik.excel_number"]


def test_blank_rows_numbering_row_and_repeated_header_are_skipped(tmp_path: Path) -> None:
    numbering = [f"({n})" for n in range(1, len(HEADER) + 1)]
    rows = [HEADER, numbering, person(), [None] * 3, HEADER, person(c0=2, c1=NIK_F)]
    sheet = read_officer_sheet(xlsx(tmp_path / "skip.xlsx", rows))
    assert [r.row for r in sheet.rows] == [3, 6]


def test_empty_sheet_no_header_no_nik_column(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(SheetError, match="the sheet is empty"):
        read_officer_sheet(empty)

    junk = xlsx(tmp_path / "junk.xlsx", [["a", "b", "c"], [1, 2, 3]])
    with pytest.raises(SheetError) as caught:
        read_officer_sheet(junk)
    assert caught.value.message.startswith("junk.xlsx: no header row found in the first 30 rows")

    no_nik = xlsx(tmp_path / "nonik.xlsx", [["Nama", "Alamat", "Jabatan"], ["A", "B", "C"]])
    with pytest.raises(SheetError, match="has no NIK column"):
        read_officer_sheet(no_nik)


def test_too_many_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(officer_sheet, "MAX_DATA_ROWS", 3)
    path = xlsx(tmp_path / "big.xlsx", [HEADER, *(person() for _ in range(4))])
    with pytest.raises(SheetError) as caught:
        read_officer_sheet(path)
    assert caught.value.message == (
        "big.xlsx has more than 3 rows of officers, the most one import takes: split it into "
        "several files"
    )
    ok = xlsx(tmp_path / "ok.xlsx", [HEADER, *(person() for _ in range(3))])
    assert len(read_officer_sheet(ok).rows) == 3


def test_too_many_rows_stops_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit is checked while streaming: rows past it are never read."""
    monkeypatch.setattr(officer_sheet, "MAX_DATA_ROWS", 5)
    path = tmp_path / "big.csv"
    path.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    read: list[int] = []
    real = officer_sheet._import_row

    def counting(number: int, values: Any, columns: Any) -> Any:
        read.append(number)
        return real(number, values, columns)

    monkeypatch.setattr(officer_sheet, "_import_row", counting)
    with path.open("a", encoding="utf-8") as handle:
        for _ in range(1000):
            handle.write(",".join(str(v) for v in person()) + "\n")
    with pytest.raises(SheetError):
        read_officer_sheet(path)
    assert len(read) == 6


def test_mapping_overrides(tmp_path: Path) -> None:
    header = ["Nomor Kependudukan", "Nama", "Catatan", "Jabatan"]
    path = xlsx(tmp_path / "m.xlsx", [header, [NIK_M, "BUDI", "x", "Linmas"]])
    with pytest.raises(SheetError, match="no NIK column"):
        read_officer_sheet(path)
    mapping = ColumnMapping().with_overrides([parse_map_option("NOMOR KEPENDUDUKAN=nik")])
    sheet = read_officer_sheet(path, mapping=mapping)
    assert sheet.rows[0].draft.nik == NIK_M
    ignoring = mapping.with_overrides([("Nama", "-")])
    assert {c.heading: c.field for c in read_officer_sheet(path, mapping=ignoring).columns}[
        "Nama"
    ] is None


def test_two_columns_for_one_field_use_the_first(tmp_path: Path) -> None:
    header = ["NIK", "Nama", "No HP", "Telp"]
    sheet = read_officer_sheet(xlsx(tmp_path / "d.xlsx", [header, [NIK_M, "A", "0812", "0813"]]))
    by_letter = {c.letter: c for c in sheet.columns}
    assert by_letter["C"].field == "phone" and by_letter["D"].field is None
    assert by_letter["D"].note == "Phone number is already read from column C"
    assert sheet.rows[0].draft.phone == "0812"


def test_parse_map_option_errors() -> None:
    assert parse_map_option("No. Identitas = nik") == ("No. Identitas", "nik")
    assert parse_map_option("Catatan=-") == ("Catatan", "-")
    with pytest.raises(MappingError, match="HEADING=field"):
        parse_map_option("nik")
    with pytest.raises(MappingError, match="Unknown field “nomor”"):
        parse_map_option("NIK=nomor")


def test_saved_mapping_round_trip(store: Store) -> None:
    assert load_saved_mapping(store).overrides == {}
    save_mapping(store, ColumnMapping().with_overrides([("No. Identitas", "nik")]))
    save_mapping(store, ColumnMapping().with_overrides([("Catatan", "-")]))
    saved = load_saved_mapping(store)
    assert saved.field_for("NO IDENTITAS") == "nik"
    assert saved.field_for("Catatan") is None
    # A saved entry naming a field that no longer exists is dropped, not trusted.
    assert ColumnMapping.from_setting({"x": "bogus", "y": "nik"}).overrides == {"y": "nik"}


@pytest.mark.parametrize("name", ["petugas.xls", "petugas.ods"])
def test_officer_lists_in_old_excel_and_opendocument_files(name: str) -> None:
    sheet = read_officer_sheet(Path(__file__).parent / "fixtures" / name)
    assert sheet.header_row == 3 and [row.row for row in sheet.rows] == [4, 5, 6]
    first, second, third = sheet.rows
    assert (first.draft.nik, first.draft.birth_date) == ("3573051403850001", "14-03-1985")
    assert first.draft.post_code == "KPPS 1" and first.problems == ()
    # Number cells: flagged, as in an XLSX.
    assert [p.code for p in second.problems] == ["nik.excel_number"]
    assert [p.code for p in third.problems] == ["nik.excel_number"]


def test_a_cell_s_alt_enter_is_read_as_a_space(tmp_path: Path) -> None:
    # Offices type addresses on two lines inside one cell (Alt+Enter); the record holds one
    # line. Other control or format characters stay in the draft, for validate_officer to
    # refuse.
    rows = [HEADER, person(c6="Jl. Mawar 1\r\nRT 02/RW 03", c2="BUDI\u202eSANTOSO")]
    [row] = read_officer_sheet(xlsx(tmp_path / "a.xlsx", rows)).rows
    assert row.draft.address == "Jl. Mawar 1 RT 02/RW 03"
    assert row.draft.name == "BUDI\u202eSANTOSO"
