"""Limits a spreadsheet must stay within before any reader builds anything from it.

A spreadsheet is a small file that can stand for a huge amount of work: a 2 MB .xlsx may
inflate to one 2 GiB cell, declare a hundred million shared strings or twenty million empty
rows, and a CSV line may hold a million columns. openpyxl and calamine build what the file
describes, so the file is measured first, in bounded memory and time, and refused with a
message naming the limit it broke (docs/spreadsheets.md lists them):

- the file's size (`MAX_FILE_BYTES`);
- for a zip (XLSX, ODS): the number of parts, each part's declared AND actual inflated size
  (`MAX_PART_BYTES`) and their sum (`MAX_UNZIPPED_BYTES`), measured while inflating;
- the zip's parts counted from its end record, before zipfile lists them;
- in its XML parts (read with expat, no tree built): no DTD (no entity tricks), at most
  `MAX_XML_ELEMENTS` elements (`MAX_PART_ELEMENTS` in a part openpyxl turns whole into
  objects), no tag longer than `MAX_TOKEN_BYTES`, no text longer than a cell may be
  (`MAX_CELL_CHARS`), at most `MAX_SHARED_STRINGS` shared strings, and in each sheet at most
  `MAX_SHEET_ROWS` rows and `MAX_COLUMNS` columns counted WITH the empty ones before a value
  (which readers fill in), `MAX_CELLS` cells in all (`MAX_CALAMINE_CELLS` for an ODS table);
- for an .xls: its workbook stream's size and each sheet's rectangle of values.

`sheet_reader` also applies the row, column and cell limits to the rows it streams (CSV, and
as a second fence for the others).
"""

from __future__ import annotations

import copy
import pyexpat
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from tpsdesk.i18n import _, format_number

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_ZIP_ENTRIES = 10_000
MAX_PART_BYTES = 64 * 1024 * 1024
MAX_UNZIPPED_BYTES = 128 * 1024 * 1024
MAX_XML_ELEMENTS = 4_000_000
# A part openpyxl turns whole into objects (styles, the workbook, relationships…): a million
# <xf/> in styles.xml cost it 32 s and 850 MB. Excel itself keeps at most 64,000 cell formats.
MAX_PART_ELEMENTS = 100_000
_READ_WHOLE = frozenset({"styleSheet", "workbook", "Relationships", "Types", "theme",
                         "externalLink", "coreProperties", "Properties"})  # fmt: skip
# One XML tag (with its attributes), comment or instruction: openpyxl feeds expat 16 KB at a
# time, and an expat before 2.6 parses a cut token again with each feed: a 60 MB attribute
# in a 66 KB .xlsx took openpyxl 214 s. Tags in spreadsheets are far shorter than this.
MAX_TOKEN_BYTES = 256 * 1024
MAX_CELL_CHARS = 32_767  # Excel's own limit for a cell
# Between a text and the next event: the text's bytes (a character may be written as "&#...;",
# up to 10 bytes) and short end tags.
_TEXT_SLACK = 10 * MAX_CELL_CHARS + MAX_TOKEN_BYTES
MAX_SHARED_STRINGS = 1_000_000
MAX_SHEET_ROWS = 100_000  # row numbers, empty rows included
MAX_COLUMNS = 16_384  # Excel's own limit (column XFD)
MAX_CELLS = 10_000_000  # cells a reader fills in, empty ones before a value included
MAX_LINE_CHARS = 4 * 1024 * 1024  # one CSV line
# calamine (.xls, .ods) builds a whole sheet at once, as a rectangle from A1 to its last value
# (about 75 bytes a cell once in Python): the rectangle is held to this many cells.
MAX_CALAMINE_CELLS = 2_000_000
MAX_XLS_STREAM_BYTES = 16 * 1024 * 1024  # an .xls's workbook stream, walked record by record

# Large reads: expat (before 2.6) parses a token cut by a read again from its start with
# each read, so a long token costs (its length / the read) squared.
_CHUNK = 4 << 20
_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ROWS_REPEATED = f"{_ODS_TABLE}}}number-rows-repeated"
_COLUMNS_REPEATED = f"{_ODS_TABLE}}}number-columns-repeated"
_VALUE_TYPE = f"{_ODS_OFFICE}}}value-type"
_ODS_COUNTED = frozenset({"table", "table-row", "table-cell", "covered-table-cell"})
_COUNTED = frozenset({"si", "is", "row", "c", *_ODS_COUNTED})


class SheetError(Exception):
    """The file cannot be read as a spreadsheet; `message` is translated and names the file.

    Defined here, below the reader, so that a broken limit is one (`sheet_reader` exports it).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SheetLimitError(SheetError):
    """A limit was reached; the message names the file and the limit."""


def _megabytes(size: int) -> str:
    return _("{n} MB").format(n=format_number(size // (1024 * 1024)))


def too_many_rows(name: str) -> SheetLimitError:
    return SheetLimitError(
        _(
            "{file}: a sheet has more than {n} rows, counting the empty ones, the most a "
            "spreadsheet may have: delete the empty rows below the data, or split the file"
        ).format(file=name, n=format_number(MAX_SHEET_ROWS))
    )


def too_many_columns(name: str, row: int) -> SheetLimitError:
    return SheetLimitError(
        _(
            "{file}, row {row}: more than {n} columns, the most a spreadsheet may have: delete "
            "the columns to the right of the data"
        ).format(file=name, row=row, n=format_number(MAX_COLUMNS))
    )


def too_many_cells(name: str, limit: int = MAX_CELLS) -> SheetLimitError:
    return SheetLimitError(
        _(
            "{file} has more than {n} cells, counting the empty ones before a value, the most "
            "a spreadsheet may have: delete empty rows and columns, or split the file"
        ).format(file=name, n=format_number(limit))
    )


def cell_too_long(name: str, row: int | None, column: str | None) -> SheetLimitError:
    if row is not None and column is not None:
        return SheetLimitError(
            _(
                "{file}, row {row}, column {column}: the cell holds more than {n} characters, "
                "the most a cell may hold"
            ).format(file=name, row=row, column=column, n=format_number(MAX_CELL_CHARS))
        )
    return SheetLimitError(
        _("{file}: a cell holds more than {n} characters, the most a cell may hold").format(
            file=name, n=format_number(MAX_CELL_CHARS)
        )
    )


def line_too_long(name: str, line: int) -> SheetLimitError:
    return SheetLimitError(
        _(
            "{file}, line {line}: the line is longer than {n} characters, the most a line may be"
        ).format(file=name, line=line, n=format_number(MAX_LINE_CHARS))
    )


def check_file_size(path: Path) -> None:
    """Refuse a file larger than MAX_FILE_BYTES (before reading any of it)."""
    try:
        size = path.stat().st_size
    except OSError:
        return  # the reader says what is wrong with the file
    if size > MAX_FILE_BYTES:
        raise SheetLimitError(
            _(
                "{file} is larger than {size}, the most a spreadsheet may be: split it into "
                "several files"
            ).format(file=path.name, size=_megabytes(MAX_FILE_BYTES))
        )


def _damaged(name: str) -> SheetLimitError:
    return SheetLimitError(
        _(
            "{file} is damaged and cannot be read: open it in Excel or LibreOffice, save it "
            "again, and import it again"
        ).format(file=name)
    )


def check_zip(handle: IO[bytes], name: str) -> None:
    """Inflate every part of a zip-based workbook (XLSX, ODS) once, measuring it, and scan its
    XML parts; SheetLimitError at the first limit broken or damage found.

    zipfile itself stops a part at its declared size (then fails its CRC); the part is read
    here with the limit as its size, so a part holding more than it declares is named so.
    """
    if _declared_entries(handle) > MAX_ZIP_ENTRIES:
        raise _too_many_parts(name)
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _damaged(name) from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise _too_many_parts(name)
        declared = 0
        for entry in entries:
            declared += entry.file_size
            if entry.file_size > MAX_PART_BYTES or declared > MAX_UNZIPPED_BYTES:
                raise _unzips_too_big(name)
        scanner = XmlScanner(name)
        inflated = 0
        for entry in entries:
            if entry.is_dir():
                continue
            feed = scanner.part(entry.filename) if _is_xml(entry.filename) else None
            probe = copy.copy(entry)
            probe.file_size = MAX_PART_BYTES + 1  # read past a lying size, up to the limit
            actual = 0
            try:
                with archive.open(probe) as part:
                    while chunk := part.read(_CHUNK):
                        actual += len(chunk)
                        inflated += len(chunk)
                        if actual > entry.file_size:
                            raise SheetLimitError(
                                _(
                                    "{file} is damaged: a part holds more than the size it "
                                    "declares (a zip bomb?)"
                                ).format(file=name)
                            )
                        if inflated > MAX_UNZIPPED_BYTES:
                            raise _unzips_too_big(name)
                        if feed is not None:
                            feed(chunk, False)
                    if feed is not None:
                        feed(b"", True)
            except SheetLimitError:
                raise
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError,
                    NotImplementedError, pyexpat.ExpatError, zlib.error):  # fmt: skip
                # A broken deflate stream, a bad CRC, an encrypted or unknown-method part,
                # malformed XML: what openpyxl or calamine would fail on too, later.
                raise _damaged(name) from None


# BIFF records holding a value (BIFF5 and BIFF8): their body starts with row, column.
_BIFF_BOF = 0x0809
_BIFF_VALUES = frozenset({0x00FD, 0x0203, 0x027E, 0x0204, 0x0205, 0x0006, 0x00D6, 0x00BD})
_BIFF_MULRK = 0x00BD


def check_xls(path: Path) -> None:
    """Walk an old Excel file's workbook stream before calamine reads it: calamine builds
    each sheet as a rectangle from A1 to its last value, so two values far apart (A1 and
    IV65536) in a file of a few KB would cost it a gigabyte. A file this check cannot open is
    left to calamine, which says what is wrong with it."""
    import olefile

    name = path.name
    try:
        with olefile.OleFileIO(str(path)) as ole:
            stream = next((s for s in ("Workbook", "Book") if ole.exists(s)), None)
            if stream is None:
                return
            if ole.get_size(stream) > MAX_XLS_STREAM_BYTES:
                raise SheetLimitError(
                    _(
                        "{file} is an old Excel file (.xls) larger than {size}, the most read "
                        "in that format: save it as .xlsx and import it again"
                    ).format(file=name, size=_megabytes(MAX_XLS_STREAM_BYTES))
                )
            data = ole.openstream(stream).read(MAX_XLS_STREAM_BYTES + 1)
    except SheetLimitError:
        raise
    except Exception:  # olefile's many ways of saying "damaged": calamine says it in words
        return
    _check_biff(name, data)


def _check_biff(name: str, data: bytes) -> None:
    unpack = struct.unpack_from
    values = _BIFF_VALUES
    end = len(data)
    pos = 0
    rows = columns = 0
    while pos + 4 <= end:
        kind, length = unpack("<HH", data, pos)
        body = pos + 4
        pos = body + length
        if kind in values and length >= 4 and pos <= end:
            row, column = unpack("<HH", data, body)
            if kind == _BIFF_MULRK and length >= 6:
                column = unpack("<H", data, pos - 2)[0]  # its last column
            if row >= rows or column >= columns:
                rows, columns = max(rows, row + 1), max(columns, column + 1)
                if rows * columns > MAX_CALAMINE_CELLS:
                    raise too_many_cells(name, MAX_CALAMINE_CELLS)
        elif kind == _BIFF_BOF:
            rows = columns = 0  # a new sheet


def _too_many_parts(name: str) -> SheetLimitError:
    return SheetLimitError(
        _("{file} holds more than {n} parts, the most a spreadsheet may have").format(
            file=name, n=format_number(MAX_ZIP_ENTRIES)
        )
    )


_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_CENTRAL_ENTRY_BYTES = 46  # the smallest entry of a zip's central directory


def _declared_entries(handle: IO[bytes]) -> int:
    """How many parts the zip's end record declares, read before zipfile builds an object
    for each (millions of tiny entries fit in 100 MB): its count, or what its central
    directory's size can hold if more (zipfile reads the directory by size). 0 when there is
    no end record (zipfile then says the file is damaged)."""
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(max(0, size - (1 << 16) - 22))
    tail = handle.read()
    handle.seek(0)
    at = tail.rfind(_EOCD)
    if at < 0 or at + 22 > len(tail):
        return 0
    count, directory = struct.unpack_from("<HL", tail, at + 10)
    locator = at - 20
    zip64 = count == 0xFFFF or directory == 0xFFFFFFFF
    if zip64 and locator >= 0 and tail[locator : locator + 4] == _EOCD64_LOCATOR:
        (offset,) = struct.unpack_from("<Q", tail, locator + 8)
        handle.seek(offset)
        record = handle.read(56)
        handle.seek(0)
        if len(record) == 56 and record[:4] == _EOCD64:
            count, directory = struct.unpack_from("<QQ", record, 32)
    return max(count, directory // _CENTRAL_ENTRY_BYTES)


def _unzips_too_big(name: str) -> SheetLimitError:
    return SheetLimitError(
        _(
            "{file} unpacks to more than {size} (or one of its parts to more than {part}), the "
            "most a spreadsheet may hold: split it into several files"
        ).format(file=name, size=_megabytes(MAX_UNZIPPED_BYTES), part=_megabytes(MAX_PART_BYTES))
    )


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels"))


def _column_index(reference: str) -> int:
    """ "AB12" → 28 (1-based); 0 when the reference has no letters."""
    index = 0
    for char in reference:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            index = index * 26 + ord(char) - 96
        else:
            break
        if index > MAX_COLUMNS:
            return index
    return index


def _row_number(reference: str) -> int:
    digits = reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    return int(digits) if digits.isdigit() and len(digits) < 10 else 0


def _positive(text: Any, default: int) -> int:
    if isinstance(text, str) and text.isdigit() and len(text) < 10:
        return max(int(text), 1)
    return default


class XmlScanner:
    """Counts what the XML parts of one workbook describe, with expat and no tree: the
    budgets (elements, cells, shared strings) are for the whole workbook."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.elements = 0
        self.cells = 0
        self.shared_strings = 0

    def part(self, part_name: str) -> Callable[[bytes, bool], Any]:
        """A `feed(data, final)` for one part."""
        scanner = _PartScanner(self, part_name)

        def feed(data: bytes, final: bool) -> None:
            scanner.fed += len(data)
            scanner.parser.Parse(data, final)
            if final or scanner.fed - scanner.mark > scanner.slack:
                # Refused now rather than after parsing a long token again with each read.
                scanner.event(scanner.fed, MAX_TOKEN_BYTES)
            if final:
                self.elements += scanner.elements

        return feed


class _PartScanner:
    def __init__(self, workbook: XmlScanner, part_name: str) -> None:
        self.workbook = workbook
        self.name = workbook.name
        self.part_name = part_name
        self.root: str | None = None
        self.elements = 0
        self.budget = MAX_XML_ELEMENTS - workbook.elements
        self.fed = 0  # bytes given to the parser
        self.mark = 0  # where the last event began (a byte index)
        self.slack = MAX_TOKEN_BYTES  # how far the next event may begin from it
        self.text = 0
        self.in_rich = False  # inside a shared string / inline string (text runs add up)
        # XLSX sheet
        self.row = 0
        self.column = 0
        self.row_width = 0
        # ODS table
        self.ods_rows = 0
        self.ods_width = 0
        self.ods_pending_rows = 0
        self.ods_row_repeat = 1
        self.ods_row_value = False
        self.ods_columns = 0
        self.ods_pending_columns = 0
        self.ods_cell_repeat = 1
        self.ods_cell_value = False
        self.ods_in_cell = False
        parser = pyexpat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        parser.StartElementHandler = self._start
        parser.CharacterDataHandler = self._chars
        self.parser = parser

    def _doctype(self, *_args: Any) -> None:
        raise SheetLimitError(
            _(
                "{file} contains an XML document type declaration, which spreadsheets never "
                "have: it is refused"
            ).format(file=self.name)
        )

    def event(self, index: int, slack: int) -> None:
        """An event begins at byte `index`: what lay since the last one (a tag, a comment, an
        end tag, text) must be no longer than that one allowed."""
        if index - self.mark > self.slack:
            raise SheetLimitError(
                _(
                    "{file} holds an XML tag longer than {n} bytes, which spreadsheets never "
                    "have: it is refused"
                ).format(file=self.name, n=format_number(MAX_TOKEN_BYTES))
            )
        self.mark = index
        self.slack = slack

    def _chars(self, data: str) -> None:
        self.event(self.parser.CurrentByteIndex, _TEXT_SLACK)
        self.text += len(data)
        if self.ods_in_cell and not self.ods_cell_value and data.strip():
            self.ods_cell_value = True
        if self.text > MAX_CELL_CHARS:
            row = self.row or None
            raise cell_too_long(self.name, row, _letters(self.column) if row else None)

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        # Called for every element: the common case (nothing to count) is kept short.
        self.event(self.parser.CurrentByteIndex, MAX_TOKEN_BYTES)
        self.elements += 1
        if self.elements > self.budget:
            raise self._too_many_elements()
        local = tag[tag.rfind("}") + 1 :]
        if local in _COUNTED or self.root is None:
            self._counted(local, attrs)
            if self.root in _READ_WHOLE:
                self.budget = min(self.budget, MAX_PART_ELEMENTS)
        elif not (self.in_rich or self.ods_in_cell):
            self.text = 0

    def _too_many_elements(self) -> SheetLimitError:
        if self.root in _READ_WHOLE and self.elements > MAX_PART_ELEMENTS:
            return SheetLimitError(
                _(
                    "{file}: its part {part} holds more than {n} XML elements (too many formats "
                    "or settings), the most such a part may have: copy the data into a new "
                    "workbook and import that"
                ).format(file=self.name, part=self.part_name, n=format_number(MAX_PART_ELEMENTS))
            )
        return SheetLimitError(
            _(
                "{file} holds more than {n} XML elements, the most a spreadsheet may have: "
                "split it into several files"
            ).format(file=self.name, n=format_number(MAX_XML_ELEMENTS))
        )

    def _counted(self, local: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = local
            if local == "document-content":
                self.parser.EndElementHandler = self._ods_end
        if local in ("si", "is"):
            self.in_rich = True
            self.text = 0
            if local == "si" and self.root == "sst":
                workbook = self.workbook
                workbook.shared_strings += 1
                if workbook.shared_strings > MAX_SHARED_STRINGS:
                    raise SheetLimitError(
                        _(
                            "{file} holds more than {n} different texts (shared strings), the "
                            "most a spreadsheet may have: split it into several files"
                        ).format(file=self.name, n=format_number(MAX_SHARED_STRINGS))
                    )
        elif self.root == "worksheet" and local in ("row", "c"):
            self.in_rich = False
            self.text = 0
            if local == "row":
                self._xlsx_row(attrs)
            else:
                self._xlsx_cell(attrs)
        elif self.root == "document-content" and local in _ODS_COUNTED:
            self._ods_start(local, attrs)
        elif not (self.in_rich or self.ods_in_cell):
            self.text = 0

    # -- XLSX sheets: a reader fills every row up to its last cell, and every gap in rows

    def _xlsx_row(self, attrs: dict[str, str]) -> None:
        self._end_xlsx_row()
        number = _positive(attrs.get("r"), 0)
        self.row = number if number else self.row + 1
        self.column = 0
        if self.row > MAX_SHEET_ROWS:
            raise too_many_rows(self.name)

    def _xlsx_cell(self, attrs: dict[str, str]) -> None:
        reference = attrs.get("r")
        index = _column_index(reference) if reference else 0
        self.column = index if index else self.column + 1
        if self.column > MAX_COLUMNS:
            raise too_many_columns(self.name, self.row)
        if reference and not self.row:
            self.row = _row_number(reference)
        self.row_width = max(self.row_width, self.column)
        if self.workbook.cells + self.row_width > MAX_CELLS:
            raise too_many_cells(self.name)

    def _end_xlsx_row(self) -> None:
        self.workbook.cells += self.row_width
        self.row_width = 0

    # -- ODS tables: repeated rows and cells count once a value follows them (LibreOffice
    # writes a repeated empty row down to the last row of every sheet; readers skip it)

    def _ods_start(self, local: str, attrs: dict[str, str]) -> None:
        if local == "table":
            self.ods_rows = self.ods_pending_rows = self.ods_width = 0
        elif local == "table-row":
            self.ods_row_repeat = _positive(attrs.get(_ROWS_REPEATED), 1)
            self.ods_row_value = False
            self.ods_columns = self.ods_pending_columns = 0
        else:
            self.ods_in_cell = True
            self.ods_cell_repeat = _positive(attrs.get(_COLUMNS_REPEATED), 1)
            self.ods_cell_value = _VALUE_TYPE in attrs
            self.text = 0

    def _ods_end(self, tag: str) -> None:
        self.event(self.parser.CurrentByteIndex, MAX_TOKEN_BYTES)
        local = tag[tag.rfind("}") + 1 :]
        if local in ("table-cell", "covered-table-cell"):
            self.ods_in_cell = False
            if self.ods_cell_value:
                self.ods_columns += self.ods_pending_columns + self.ods_cell_repeat
                self.ods_pending_columns = 0
                self.ods_row_value = True
                if self.ods_columns > MAX_COLUMNS:
                    raise too_many_columns(self.name, self.ods_rows + self.ods_pending_rows + 1)
            else:
                self.ods_pending_columns += self.ods_cell_repeat
        elif local == "table-row":
            if self.ods_row_value:
                self.ods_rows += self.ods_pending_rows + self.ods_row_repeat
                self.ods_pending_rows = 0
                if self.ods_rows > MAX_SHEET_ROWS:
                    raise too_many_rows(self.name)
                self.ods_width = max(self.ods_width, self.ods_columns)
                if self.ods_rows * self.ods_width > MAX_CALAMINE_CELLS:
                    raise too_many_cells(self.name, MAX_CALAMINE_CELLS)
            else:
                self.ods_pending_rows += self.ods_row_repeat
                if self.ods_pending_rows > MAX_SHEET_ROWS:
                    # Empty rows cost nothing until a value follows; keep the count small.
                    self.ods_pending_rows = MAX_SHEET_ROWS + 1


def _letters(index: int) -> str:
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters or "A"
