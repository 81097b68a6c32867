"""Area lists as offices keep them: Indonesian headings, title rows, merged cells, a "Kode |
Nama" row under a group heading; and the bad lists such files become, named by row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from tpsdesk.exchange.area_csv import AreaCsvError, import_area_csv, parse_area_csv, read_area_csv
from tpsdesk.store.areas import list_kecamatan, list_kelurahan, list_tps
from tpsdesk.store.db import Store


def _office_sheet(path: Path) -> Path:
    """A KPU-style sheet: a title block, the header on row 5, the numbering row, the kecamatan
    code and name merged down over their rows, a kelurahan merged over its two TPS."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "DAFTAR LOKASI TPS PEMILU 2029"
    ws.merge_cells("A1:G1")
    ws["A2"] = "KABUPATEN/KOTA: MALANG"
    ws["A3"] = "Kecamatan: Lowokwaru"  # a label with a value, not a heading
    ws.append([])
    ws.append(["No.", "Kode Kec.", "KECAMATAN", "Kode Kel./Desa", "Kel./Desa", "No. TPS",
               "Alamat TPS"])  # fmt: skip
    ws.append(["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)"])
    ws.append([1, "35.73.05", "Lowokwaru", "35.73.05.1001", "Tlogomas", 1, "Jl. Raya 1"])
    ws.append([2, None, None, "35.73.05.1001", "Tlogomas", 2, "Jl. Raya 2"])
    ws.append([3, None, None, "35.73.05.1002", "Dinoyo", "001", "Balai RW 1"])
    ws.append([4, None, None, "35.73.05.1002", "Dinoyo", "TPS 02", None])
    ws.merge_cells("B7:B10")
    ws.merge_cells("C7:C10")
    ws.append([5, "35.73.04", "Blimbing", "35.73.04.1001", "Arjosari", 1, "Balai Desa"])
    wb.save(path)
    return path


def test_office_sheet_with_title_rows_and_merged_cells(store: Store, tmp_path: Path) -> None:
    path = _office_sheet(tmp_path / "Daftar TPS.xlsx")
    result, summary = import_area_csv(store, path)
    assert result.ok, [p.describe() for p in result.problems]
    assert summary is not None
    assert (summary.new_kecamatan, summary.new_kelurahan, summary.new_tps) == (2, 3, 5)
    assert [(k.code, k.name) for k in list_kecamatan(store)] == [
        ("35.73.04", "Blimbing"),
        ("35.73.05", "Lowokwaru"),
    ]
    assert [(k.code, k.kecamatan_code) for k in list_kelurahan(store)] == [
        ("35.73.04.1001", "35.73.04"),
        ("35.73.05.1001", "35.73.05"),
        ("35.73.05.1002", "35.73.05"),
    ]
    assert [(t.kelurahan_code, t.number, t.address) for t in list_tps(store)] == [
        ("35.73.04.1001", 1, "Balai Desa"),
        ("35.73.05.1001", 1, "Jl. Raya 1"),
        ("35.73.05.1001", 2, "Jl. Raya 2"),
        ("35.73.05.1002", 1, "Balai RW 1"),
        ("35.73.05.1002", 2, ""),
    ]


def test_merged_kecamatan_cell_problems_name_the_row_and_letter(tmp_path: Path) -> None:
    path = _office_sheet(tmp_path / "daftar.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb.active
    assert ws is not None
    ws["F9"] = "abc"  # a bad TPS number under the merged kecamatan
    wb.save(path)
    result = read_area_csv(path)
    assert [p.describe() for p in result.problems] == [
        "Row 9, column F (No. TPS): " + result.problems[0].message
    ]


def test_group_heading_over_kode_and_nama(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Rekap TPS"])
    ws.append(["Kecamatan", None, "Kelurahan/Desa", None, "Nomor TPS", "Lokasi"])
    ws.append(["Kode", "Nama", "Kode", "Nama", None, None])
    ws.merge_cells("A2:B2")
    ws.merge_cells("C2:D2")
    ws.append(["35.73.05", "Lowokwaru", "35.73.05.2001", "Desa Baru", 3, "Pos Kamling"])
    path = tmp_path / "rekap.xlsx"
    wb.save(path)
    result = read_area_csv(path)
    assert result.ok, [p.describe() for p in result.problems]
    (row,) = result.rows
    assert (row.kecamatan_name, row.kelurahan_code, row.kelurahan_name, row.tps_number) == (
        "Lowokwaru",
        "35.73.05.2001",
        "Desa Baru",
        3,
    )
    assert row.tps_address == "Pos Kamling"


def test_csv_with_indonesian_headings_and_a_title_line() -> None:
    text = (
        "Daftar TPS Kelurahan Tlogomas;;;;;\n"
        ";;;;;\n"
        "KODE KECAMATAN;Nama Kecamatan;Kode Kelurahan/Desa;KEL./DESA;Nomor TPS;Alamat;"
        "Jumlah Pemilih\n"
        "35.73.05;Lowokwaru;35.73.05.1001;Tlogomas;1;Jl. Raya;250\n"
        "35.73.05;Lowokwaru;35.73.05.1001;Tlogomas;2;;\n"
    )
    result = parse_area_csv(text)
    assert result.ok, [p.describe() for p in result.problems]
    assert [(r.kelurahan_name, r.tps_number, r.tps_voters) for r in result.rows] == [
        ("Tlogomas", 1, 250),
        ("Tlogomas", 2, None),
    ]


def test_csv_file_with_indonesian_headings_is_read_within_the_sheet_limits(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tps.csv"
    path.write_text(
        "Kecamatan,Kode Kecamatan,Desa,Kode Desa,TPS,Alamat TPS\n"
        "Lowokwaru,35.73.05,Tlogomas,35.73.05.1001,1,\n"
        "Lowokwaru,35.73.05,Tlogomas,35.73.05.1001,1,\n",
        encoding="utf-8-sig",
    )
    result = read_area_csv(path)
    # A CSV's problems name the line and the column as the file heads it.
    assert [p.describe() for p in result.problems] == [
        "Line 3, column TPS: TPS 001 of kelurahan 35.73.05.1001 is already on line 2"
    ]
    path.write_text("Kecamatan,Kode Kecamatan\n" + "x" * 40_000 + "\n", encoding="utf-8")
    with pytest.raises(AreaCsvError):
        read_area_csv(path)


def test_missing_column_names_the_heading_to_add() -> None:
    text = "Judul daftar\nKode Kecamatan;Kecamatan;Kelurahan/Desa;No. TPS\n35.73.05;A;B;1\n"
    result = parse_area_csv(text)
    (problem,) = result.problems
    assert problem.line == 2  # the header under the title line
    assert "Kode Kelurahan/Desa (kelurahan_code)" in problem.message
    assert result.rows == []


def test_two_headings_for_one_column() -> None:
    text = "Kecamatan;Nama Kecamatan;Kode Kecamatan;Kode Desa;Desa;No TPS\n"
    result = parse_area_csv(text)
    assert [(p.line, p.column) for p in result.problems] == [(1, "Nama Kecamatan")]


def test_no_known_heading_at_all_is_said_at_the_first_line() -> None:
    result = parse_area_csv("Judul\nsatu;dua;tiga\n1;2;3\n")
    (problem,) = result.problems
    assert problem.line == 1
    assert "Kode Kecamatan" in problem.message


def test_the_header_repeated_on_each_printed_page_is_passed_over() -> None:
    header = "Kode Kecamatan;Kecamatan;Kode Kelurahan;Kelurahan;No. TPS\n"
    text = header + "35.73.05;A;35.73.05.1001;B;1\n" + header + "35.73.05;A;35.73.05.1001;B;2\n"
    result = parse_area_csv(text)
    assert result.ok, [p.describe() for p in result.problems]
    assert [r.tps_number for r in result.rows] == [1, 2]


def test_hostile_headings_and_cells_are_named_by_letter_not_quoted(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Kode Kecamatan", "Kecamatan", "Kode Kelurahan", "Kelurahan", "No. TPS",
               "[bold]Alamat[/bold]\u202e" + "x" * 60])  # fmt: skip
    ws.append(["35.73.05", "A\u202e[red]", "35.73.05.1001", "B", 1, "ok"])
    path = tmp_path / "jahat.xlsx"
    wb.save(path)
    result = read_area_csv(path)
    described = [p.describe() for p in result.problems]
    assert len(described) == 1 and described[0].startswith("Row 2, column B (Kecamatan): ")
    assert "\u202e" not in described[0] and "[red]" not in described[0]
    # A heading no column is known by is ignored: the address is then simply absent.
    assert result.rows == []


def test_merged_ranges_beyond_the_limits_are_refused(tmp_path: Path) -> None:
    from tpsdesk.exchange.sheet_limits import SheetError
    from tpsdesk.exchange.sheet_reader import Sheet, _merged_ranges

    # Sixteen thousand columns by two thousand rows: filling it would build 32 million cells.
    sheet = Sheet(
        tmp_path / "besar.xlsx", "xlsx", "Sheet", 2, iter(()),
        merged_reader=lambda: ((2, 0, 2000, 16_383),),
    )  # fmt: skip
    with pytest.raises(SheetError, match=r"besar\.xlsx"):
        _merged_ranges(sheet)
    sheet.merged_reader = lambda: ((2, 0, 9, 0), (3, 3, 3, 3))  # one cell: nothing to fill
    assert _merged_ranges(sheet) == ((2, 0, 9, 0),)


def test_an_opendocument_sheet_with_merged_cells(tmp_path: Path) -> None:
    from tests.exchange.test_sheet_limits import _ods_cell as cell
    from tests.exchange.test_sheet_limits import ods

    def row(*cells: str) -> str:
        return "<table:table-row>" + "".join(cells) + "</table:table-row>"

    def spanned(text: str, rows: int) -> str:
        return (
            f'<table:table-cell office:value-type="string" table:number-rows-spanned="{rows}">'
            f"<text:p>{text}</text:p></table:table-cell>"
        )

    covered = "<table:covered-table-cell/>"
    table = (
        row(cell("Daftar TPS"))
        + '<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>'
        + row(cell("Kode Kecamatan"), cell("Kecamatan"), cell("Kode Desa"), cell("Desa"),
              cell("No TPS"))
        + row(spanned("35.73.05", 3), spanned("Sukun", 3), cell("35.73.05.2001"), cell("A"),
              cell("1"))
        + row(covered, covered, cell("35.73.05.2001"), cell("A"), cell("2"))
        + row(covered, covered, cell("35.73.05.2002"), cell("B"), cell("1"))
        + row(cell(""), cell(""), cell("35.73.05.2002"), cell("B"), cell("2"))
    )  # fmt: skip
    result = read_area_csv(ods(tmp_path / "wilayah.ods", table))
    # Rows 5–7 are under the merged kecamatan; row 8 is not, and says so by its row.
    assert [p.describe() for p in result.problems] == [
        "Row 8, column A (Kode Kecamatan): The kecamatan code is missing",
        "Row 8, column B (Kecamatan): The name is missing",
    ]
    assert [(r.kecamatan_name, r.kelurahan_code, r.tps_number) for r in result.rows] == [
        ("Sukun", "35.73.05.2001", 1),
        ("Sukun", "35.73.05.2001", 2),
        ("Sukun", "35.73.05.2002", 1),
    ]
