"""Hostile spreadsheets (SECURITY 33): each is refused at a documented limit, by a message
naming it, before openpyxl, calamine or the CSV parser builds what the file describes.

The files are made here, small: zips written by hand around deflate streams that inflate to
gigabytes. Time and memory were measured by hand (docs/spreadsheets.md); these tests assert
the refusal and, where it matters, that it came before the expensive part.
"""

from __future__ import annotations

import shutil
import struct
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from tpsdesk.exchange import sheet_limits
from tpsdesk.exchange.officer_sheet import read_officer_sheet
from tpsdesk.exchange.sheet_reader import SheetError, file_kind, open_sheet

from .hostile_sheets import (
    SHEET_NS,
    Part,
    part,
    repeated_part,
    sheet_xml,
    workbook_parts,
    write_zip,
)

FIXTURES = Path(__file__).parent / "fixtures"
SHEET = "xl/worksheets/sheet1.xml"
HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>NIK</t></is></c></row>'


def refusal(path: Path) -> str:
    with pytest.raises(SheetError) as caught:
        read_officer_sheet(path)
    return caught.value.message


def huge_cell(chars: int) -> Part:
    """A sheet whose cell A1 holds `chars` letters (2 GiB weighs 2 MB deflated)."""
    start = f'<worksheet xmlns="{SHEET_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
    return repeated_part(
        SHEET,
        (start + "<is><t>").encode(),
        b"A" * 1024,
        chars // 1024,
        b"</t></is></c></row></sheetData></worksheet>",
    )


def test_a_2_gib_cell_declared_as_such_is_refused_by_its_size(tmp_path: Path) -> None:
    sheet = huge_cell(2 * 1024**3)
    path = write_zip(tmp_path / "besar.xlsx", workbook_parts(sheet))
    assert path.stat().st_size < 3 * 1024 * 1024
    message = refusal(path)
    assert message.startswith("besar.xlsx unpacks to more than 128 MB")
    assert "64 MB" in message


def test_a_2_gib_cell_under_a_lying_size_is_refused_while_inflating(tmp_path: Path) -> None:
    """The headers claim 4 KB: the part is measured as it inflates, not trusted."""
    sheet = huge_cell(2 * 1024**3)
    path = write_zip(tmp_path / "bohong.xlsx", workbook_parts(sheet), {SHEET: 4000})
    assert "bohong.xlsx is damaged: a part holds more than the size it declares" in refusal(path)


def test_a_cell_longer_than_excel_allows_is_refused_with_its_place(tmp_path: Path) -> None:
    sheet = part(SHEET, sheet_xml(HEADER + '<row r="2"><c r="B2" t="inlineStr"><is><t>'
                                  + "x" * 40_000 + "</t></is></c></row>"))  # fmt: skip
    path = write_zip(tmp_path / "panjang.xlsx", workbook_parts(sheet))
    assert refusal(path) == (
        "panjang.xlsx, row 2, column B: the cell holds more than 32,767 characters, the most "
        "a cell may hold"
    )


def test_a_shared_string_in_many_runs_counts_whole(tmp_path: Path) -> None:
    runs = "".join(f"<r><rPr><b/></rPr><t>{'y' * 20_000}</t></r>" for _ in range(3))
    strings = part(
        "xl/sharedStrings.xml",
        f'<sst xmlns="{SHEET_NS}"><si><t>NIK</t></si><si>{runs}</si></sst>'.encode(),
    )
    sheet = part(SHEET, sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'))
    path = write_zip(tmp_path / "kaya.xlsx", workbook_parts(sheet, strings))
    assert "kaya.xlsx: a cell holds more than 32,767 characters" in refusal(path)


@pytest.mark.slow
def test_millions_of_shared_strings_are_refused_at_the_limit(tmp_path: Path) -> None:
    count = sheet_limits.MAX_SHARED_STRINGS + 200_000  # past the limit before the end
    strings = repeated_part(
        "xl/sharedStrings.xml", f'<sst xmlns="{SHEET_NS}">'.encode(), b"<si><t>a</t></si>",
        count, b"</sst>",
    )  # fmt: skip
    sheet = part(SHEET, sheet_xml(HEADER))
    path = write_zip(tmp_path / "teks.xlsx", workbook_parts(sheet, strings))
    assert refusal(path) == (
        "teks.xlsx holds more than 1,000,000 different texts (shared strings), the most a "
        "spreadsheet may have: split it into several files"
    )


def test_a_hundred_million_shared_strings_are_refused_by_size(tmp_path: Path) -> None:
    strings = repeated_part(
        "xl/sharedStrings.xml", f'<sst xmlns="{SHEET_NS}">'.encode(), b"<si/>", 100_000_000,
        b"</sst>",
    )  # fmt: skip
    path = write_zip(tmp_path / "seratus.xlsx", workbook_parts(part(SHEET, sheet_xml(HEADER)),
                                                               strings))  # fmt: skip
    assert refusal(path).startswith("seratus.xlsx unpacks to more than 128 MB")


ROWS_MESSAGE = (
    "{file}: a sheet has more than 100,000 rows, counting the empty ones, the most a "
    "spreadsheet may have: delete the empty rows below the data, or split the file"
)


def test_empty_rows_count_towards_the_row_limit(tmp_path: Path) -> None:
    """Empty <row/> elements (no value, so never "a row of officers") are rows all the same."""
    sheet = repeated_part(
        SHEET, f'<worksheet xmlns="{SHEET_NS}"><sheetData>{HEADER}'.encode(), b"<row/>",
        sheet_limits.MAX_SHEET_ROWS + 200_000, b"</sheetData></worksheet>",
    )  # fmt: skip
    path = write_zip(tmp_path / "kosong.xlsx", workbook_parts(sheet))
    assert refusal(path) == ROWS_MESSAGE.format(file="kosong.xlsx")


def test_twenty_million_empty_rows_in_a_gap(tmp_path: Path) -> None:
    """One value at row 20,000,001: readers fill in the 20 M empty rows above it."""
    far = '<row r="20000001"><c r="A20000001"><v>1</v></c></row>'
    path = write_zip(tmp_path / "jauh.xlsx", workbook_parts(part(SHEET, sheet_xml(HEADER + far))))
    assert refusal(path) == ROWS_MESSAGE.format(file="jauh.xlsx")


def test_too_many_columns_in_a_row(tmp_path: Path) -> None:
    wide = '<row r="2"><c r="XFE2"><v>1</v></c></row>'  # column 16,385
    path = write_zip(tmp_path / "lebar.xlsx", workbook_parts(part(SHEET, sheet_xml(HEADER + wide))))
    assert refusal(path) == (
        "lebar.xlsx, row 2: more than 16,384 columns, the most a spreadsheet may have: delete "
        "the columns to the right of the data"
    )


def test_cells_counted_with_the_empty_ones_before_a_value(tmp_path: Path) -> None:
    """700 rows each with one cell in column XFD: 11 M cells for a reader to fill in."""
    rows = "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>' for n in range(2, 702))
    path = write_zip(tmp_path / "sel.xlsx", workbook_parts(part(SHEET, sheet_xml(HEADER + rows))))
    assert refusal(path).startswith("sel.xlsx has more than 10,000,000 cells, counting the empty")


def test_a_document_type_declaration_is_refused(tmp_path: Path) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
        '"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        f'<worksheet xmlns="{SHEET_NS}"><sheetData>{HEADER}</sheetData></worksheet>'
    )
    path = write_zip(tmp_path / "tawa.xlsx", workbook_parts(part(SHEET, laughs.encode())))
    assert "tawa.xlsx contains an XML document type declaration" in refusal(path)


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "raksasa.csv"
    with path.open("wb") as handle:  # sparse: nothing is written
        handle.write(b"NIK;Nama\n")
        handle.truncate(sheet_limits.MAX_FILE_BYTES + 1)
    assert refusal(path) == (
        "raksasa.csv is larger than 100 MB, the most a spreadsheet may be: split it into "
        "several files"
    )


def test_a_csv_line_of_a_million_columns(tmp_path: Path) -> None:
    path = tmp_path / "kolom.csv"
    path.write_text("NIK;Nama\n" + ";" * 1_000_000 + "\n")
    assert refusal(path) == (
        "kolom.csv, row 2: more than 16,384 columns, the most a spreadsheet may have: delete "
        "the columns to the right of the data"
    )


def test_a_csv_line_longer_than_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "baris.csv"
    path.write_text("NIK;Nama\n" + "a," * 3_000_000 + "\n")
    assert refusal(path) == (
        "baris.csv, line 2: the line is longer than 4,194,304 characters, the most a line may be"
    )


def test_a_csv_of_empty_lines_stops_at_the_row_limit(tmp_path: Path) -> None:
    """Empty lines used to escape the 50,000-row limit (they are no officer)."""
    path = tmp_path / "kosong.csv"
    path.write_text("NIK;Nama\n3573051708800001;Budi\n" + "\n" * sheet_limits.MAX_SHEET_ROWS)
    assert refusal(path) == ROWS_MESSAGE.format(file="kosong.csv")


def test_a_csv_cell_longer_than_excel_allows(tmp_path: Path) -> None:
    path = tmp_path / "sel.csv"
    path.write_text("NIK;Nama\n3573051708800001;" + "b" * 40_000 + "\n")
    assert refusal(path).startswith("sel.csv, row 2, column B: the cell holds more than 32,767")


def ods(path: Path, table: str) -> Path:
    content = (
        '<?xml version="1.0"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
        f'<office:spreadsheet><table:table table:name="Petugas">{table}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    mimetype = b"application/vnd.oasis.opendocument.spreadsheet"
    manifest = (
        '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
        'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
        'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
        'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
        'manifest:media-type="text/xml"/></manifest:manifest>'
    )
    return write_zip(path, [part("mimetype", mimetype, stored=True),
                            part("content.xml", content.encode()),
                            part("META-INF/manifest.xml", manifest.encode())])  # fmt: skip


def _ods_cell(text: str, repeat: int = 1) -> str:
    repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (f'<table:table-cell office:value-type="string"{repeated}><text:p>{text}</text:p>'
            "</table:table-cell>")  # fmt: skip


def test_ods_repeated_rows_with_a_value_count(tmp_path: Path) -> None:
    header = f"<table:table-row>{_ods_cell('NIK')}{_ods_cell('Nama')}</table:table-row>"
    many = (
        f'<table:table-row table:number-rows-repeated="20000000">{_ods_cell("x")}</table:table-row>'
    )
    path = ods(tmp_path / "ulang.ods", header + many)
    assert refusal(path) == ROWS_MESSAGE.format(file="ulang.ods")


def test_ods_repeated_columns_with_a_value_count(tmp_path: Path) -> None:
    row = f"<table:table-row>{_ods_cell('NIK')}{_ods_cell('x', 1_000_000)}</table:table-row>"
    path = ods(tmp_path / "lebar.ods", row)
    assert "lebar.ods, row 1: more than 16,384 columns" in refusal(path)


def test_ods_trailing_empty_rows_as_libreoffice_writes_them_are_fine(tmp_path: Path) -> None:
    """LibreOffice ends every sheet with an empty row repeated down to row 1,048,576."""
    header = f"<table:table-row>{_ods_cell('NIK')}{_ods_cell('Nama')}</table:table-row>"
    row = f"<table:table-row>{_ods_cell('3573051708800001')}{_ods_cell('Budi')}</table:table-row>"
    tail = ('<table:table-row table:number-rows-repeated="1048574"><table:table-cell '
            'table:number-columns-repeated="16384"/></table:table-row>')  # fmt: skip
    path = ods(tmp_path / "biasa.ods", header + row + tail)
    sheet = read_officer_sheet(path)
    assert [r.draft.name for r in sheet.rows] == ["Budi"]


def test_an_ordinary_workbook_passes_the_limits(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["NIK", "Nama"])
    sheet.append(["3573051708800001", "Budi"])
    sheet["C1"] = "z" * sheet_limits.MAX_CELL_CHARS  # the longest cell Excel allows
    path = tmp_path / "biasa.xlsx"
    workbook.save(path)
    assert [r.draft.name for r in read_officer_sheet(path).rows] == ["Budi"]


# -- renamed files are read as what they are ------------------------------------------------


@pytest.mark.parametrize(("fixture", "kind"), [("petugas.xls", "xls"), ("petugas.ods", "ods")])
def test_an_old_excel_or_opendocument_file_renamed_xlsx(
    tmp_path: Path, fixture: str, kind: str
) -> None:
    """An .xls is an OLE2 container like an encrypted .xlsx, but holds a "Workbook" stream:
    it was called "password protected"."""
    renamed = tmp_path / "petugas.xlsx"
    shutil.copy(FIXTURES / fixture, renamed)
    assert file_kind(renamed) == kind
    with open_sheet(renamed) as sheet:
        assert sheet.kind == kind and sheet.name == "Petugas"
        rows = list(sheet.rows)
    assert rows[3][1][1] == "3573051403850001"
    assert read_officer_sheet(renamed).rows[0].draft.nik == "3573051403850001"


# -- calamine (.xls, .ods) builds a sheet whole, as a rectangle from A1 -----------------------


def far_value_xls(path: Path) -> Path:
    """The .xls fixture with its last number cell moved to IV65536: 6.5 KB that calamine
    made into 65,536 × 256 cells (1.2 GB)."""
    import olefile

    shutil.copy(FIXTURES / "petugas.xls", path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        data = bytearray(ole.openstream("Workbook").read())
        pos, last = 0, None
        while pos + 4 <= len(data):
            kind, length = struct.unpack_from("<HH", data, pos)
            last = pos if kind == 0x027E else last  # RK: a number cell
            pos += 4 + length
        assert last is not None
        struct.pack_into("<HH", data, last + 4, 65535, 255)
        ole.write_stream("Workbook", bytes(data))
    return path


@pytest.mark.parametrize("name", ["jauh.xls", "jauh.xlsx"])
def test_an_xls_with_two_values_far_apart(tmp_path: Path, name: str) -> None:
    path = far_value_xls(tmp_path / name)
    assert path.stat().st_size < 10_000
    assert refusal(path) == (
        f"{name} has more than 2,000,000 cells, counting the empty ones before a value, the "
        "most a spreadsheet may have: delete empty rows and columns, or split the file"
    )


def test_an_ods_rectangle_past_the_calamine_limit(tmp_path: Path) -> None:
    header = f"<table:table-row>{_ods_cell('NIK')}{_ods_cell('Nama')}</table:table-row>"
    far = (
        '<table:table-row table:number-rows-repeated="200"><table:table-cell '
        f'table:number-columns-repeated="16000"/>{_ods_cell("x")}</table:table-row>'
    )
    path = ods(tmp_path / "persegi.ods", header + far)
    assert refusal(path).startswith("persegi.ods has more than 2,000,000 cells")


def test_a_zip_of_too_many_parts_is_refused_before_they_are_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """zipfile builds an object for every entry of the directory: counted from the end
    record first (a 100 MB file holds two million tiny entries)."""
    path = tmp_path / "bagian.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(sheet_limits.MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"x{n}", b"")

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the zip's directory was read")

    monkeypatch.setattr(sheet_limits.zipfile, "ZipFile", never)
    assert refusal(path) == (
        "bagian.xlsx holds more than 10,000 parts, the most a spreadsheet may have"
    )


def test_a_huge_attribute_is_refused_before_openpyxl_parses_it(tmp_path: Path) -> None:
    """A 60 MB attribute in a 66 KB file: openpyxl's expat (before 2.6) parsed the cut tag
    again with each 16 KB it read, 214 s. '>' inside the value does not end the tag."""
    sheet = repeated_part(
        SHEET,
        f'<worksheet xmlns="{SHEET_NS}"><sheetData>{HEADER}<row r="2"><c r="A2" x="'.encode(),
        b"a>" * 512,
        60 * 1024,
        b'"><v>1</v></c></row></sheetData></worksheet>',
    )
    path = write_zip(tmp_path / "atribut.xlsx", workbook_parts(sheet))
    assert refusal(path) == (
        "atribut.xlsx holds an XML tag longer than 262,144 bytes, which spreadsheets never "
        "have: it is refused"
    )


def test_a_huge_end_tag_after_text_is_refused(tmp_path: Path) -> None:
    sheet = repeated_part(
        SHEET,
        f'<worksheet xmlns="{SHEET_NS}"><sheetData>{HEADER}<row r="2"><c r="A2" '
        't="inlineStr"><is><t>x</t'.encode(),
        b" " * 1024,
        2 * 1024,
        b"></is></c></row></sheetData></worksheet>",
    )
    path = write_zip(tmp_path / "penutup.xlsx", workbook_parts(sheet))
    assert "penutup.xlsx holds an XML tag longer than 262,144 bytes" in refusal(path)


def test_a_styles_part_of_a_million_formats(tmp_path: Path) -> None:
    """openpyxl builds an object for each format: a million cost it 32 s and 850 MB."""
    styles = repeated_part(
        "xl/styles.xml",
        f'<styleSheet xmlns="{SHEET_NS}"><cellXfs count="1">'.encode(),
        b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
        1_000_000,
        b"</cellXfs></styleSheet>",
    )
    path = write_zip(tmp_path / "gaya.xlsx", workbook_parts(part(SHEET, sheet_xml(HEADER)), styles))
    assert refusal(path) == (
        "gaya.xlsx: its part xl/styles.xml holds more than 100,000 XML elements (too many "
        "formats or settings), the most such a part may have: copy the data into a new "
        "workbook and import that"
    )
