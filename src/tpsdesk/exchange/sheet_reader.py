"""Open a CSV, XLSX/XLSM, old Excel (.xls) or OpenDocument (.ods) file as a stream of rows:
(row number as Excel shows it, cell values).

What the file really is comes from its first bytes, not its name: an encrypted workbook (an
OLE2/CFB container with an encrypted package), an .xls, a PDF renamed .xlsx each get their own
handling; an .xls or .ods renamed .xlsx is read as what it is. Before any reader builds
anything, `sheet_limits` measures the file (size, inflated parts, XML, rows, columns, cells,
cell length) and refuses it with a message naming the limit; the rows streamed here are held
to the same limits. XLSX is read with openpyxl in read-only mode, so memory stays bounded
whatever the number of rows; merged cells come back as None beside their first cell, unless
the reader asks for them filled (`open_sheet(..., fill_merged=True)`: every cell of a merged
range reads as its first cell, as a kecamatan name merged down over its rows). XLS and ODS are
read with calamine, a sheet whole (hence their tighter cell limit). CSV: comma, semicolon or
tab, UTF-8 with or without a BOM, UTF-16 with a BOM, else Windows-1252.

`find_header` finds the header row under the title rows of an office's sheet, for every
reader (officer list, area list): the row, among the first ones with a value, that the
reader's headings match best.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from tpsdesk.domain.names import name_key
from tpsdesk.exchange import sheet_limits as limits
from tpsdesk.exchange.sheet_limits import SheetError
from tpsdesk.i18n import _, os_error_text

Cell = str | int | float | bool | date | datetime | time | timedelta | None
Row = tuple[int, list[Cell]]

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
_SNIFF_BYTES = 64 * 1024
HEADER_SCAN_LINES = 30  # lines with a value read to decide a CSV's delimiter
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# An encrypted OOXML workbook is a CFB container holding these streams; an .xls, these.
_ENCRYPTED_STREAMS = frozenset({"EncryptionInfo", "EncryptedPackage"})
_XLS_STREAMS = frozenset({"Workbook", "Book"})
_CFB_DIRECTORY_BYTES = 16 * 1024


@dataclass
class Sheet:
    """One open sheet. `rows` streams (row number, values); read it once."""

    path: Path
    kind: str  # "csv" | "xlsx" | "xls" | "ods"
    name: str  # the worksheet's name; "" for CSV
    estimated_rows: int  # rows the file declares (XLSX dimension) or guesses; 0: unknown
    rows: Iterator[Row]
    # Merged ranges as (first row, first column, last row, last column): rows as numbered
    # here (1 = the first), columns 0-based; filled in only with `fill_merged`.
    merged: tuple[tuple[int, int, int, int], ...] = ()
    merged_reader: Callable[[], tuple[tuple[int, int, int, int], ...]] | None = field(
        default=None, repr=False
    )


def column_letter(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA": how Excel names the column at `index`."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _not_a_spreadsheet(path: Path) -> SheetError:
    return SheetError(
        _("{file} is not a spreadsheet: save it as .xlsx or CSV and try again").format(
            file=path.name
        )
    )


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise SheetError(_("File not found: {file}").format(file=str(path))) from None
    except IsADirectoryError:
        raise SheetError(_("{file} is a folder, not a file").format(file=str(path))) from None
    except OSError as exc:
        raise SheetError(
            _("{file} cannot be read: {reason}").format(file=str(path), reason=os_error_text(exc))
        ) from None


def file_kind(path: Path) -> str:
    """ "xlsx", "xls", "ods" or "csv"; SheetError (with the reason) for anything else.

    The content decides, not the name: an old Excel file or an OpenDocument file renamed
    .xlsx is read as what it is; an OLE2 container is "password protected" only when it holds
    an encrypted OOXML package (an .xls holds a "Workbook" or "Book" stream instead).
    """
    head = _head(path)
    suffix = path.suffix.lower()
    if head.startswith(CFB_MAGIC):
        if _cfb_kind(path, head) == "encrypted":
            raise SheetError(
                _(
                    "{file} is password protected: open it in Excel, save it without a "
                    "password, and import it again"
                ).format(file=path.name)
            )
        return "xls"  # Excel 97–2003
    if head.startswith(ZIP_MAGIC):
        if _is_opendocument_spreadsheet(head):
            return "ods"  # LibreOffice / OpenOffice
        return "xlsx"
    if suffix in CSV_SUFFIXES:
        if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise _not_a_spreadsheet(path)
        return "csv"
    raise _not_a_spreadsheet(path)


def _is_opendocument_spreadsheet(head: bytes) -> bool:
    """An ODF zip starts with an uncompressed "mimetype" entry naming its type."""
    return b"mimetype" in head[:100] and ODS_MIMETYPE in head[:200]


def _cfb_kind(path: Path, head: bytes) -> str:
    """ "encrypted" (an OOXML workbook with a password) or "xls", from the container's
    directory, whose entries name its streams in UTF-16LE: looked for in the first bytes and
    at the directory's first sector (the header says where)."""
    names = _cfb_names_in(head)
    if not names and len(head) >= 0x34:
        shift = int.from_bytes(head[0x1E:0x20], "little")
        first = int.from_bytes(head[0x30:0x34], "little")
        if shift in (9, 12) and first < 0xFFFFFFFA:
            try:
                with path.open("rb") as handle:
                    handle.seek((first + 1) << shift)
                    names = _cfb_names_in(handle.read(_CFB_DIRECTORY_BYTES))
            except (OSError, ValueError, OverflowError):
                names = set()
    if names & _ENCRYPTED_STREAMS:
        return "encrypted"
    if names & _XLS_STREAMS:
        return "xls"
    # Neither found (a damaged or unusual container): by its name, as before.
    return "encrypted" if path.suffix.lower() in (".xlsx", ".xlsm") else "xls"


def _cfb_names_in(data: bytes) -> set[str]:
    return {name for name in (*_ENCRYPTED_STREAMS, *_XLS_STREAMS)
            if name.encode("utf-16-le") in data}  # fmt: skip


@contextmanager
def open_sheet(
    path: Path, sheet: str | None = None, *, fill_merged: bool = False
) -> Iterator[Sheet]:
    """Open `path` and choose its sheet: `sheet` by name, else the first one with a value.

    `fill_merged`: every cell of a merged range reads as the range's first cell (and
    `Sheet.merged` lists the ranges). Raises SheetError for a file that is missing, not a
    spreadsheet, encrypted, an old .xls, has no such sheet, or holds no value at all.
    """
    if fill_merged:
        with open_sheet(path, sheet) as plain:
            merged = _merged_ranges(plain)
            if merged:
                plain.merged = merged
                plain.rows = _filled(plain.rows, merged)
            yield plain
        return
    path = Path(path)
    limits.check_file_size(path)
    kind = file_kind(path)
    # Measured before openpyxl or calamine builds anything from it (sheet_limits).
    if kind in ("xlsx", "ods"):
        _check_zip_once(path)
    elif kind == "xls":
        limits.check_xls(path)
    if kind == "csv":
        with _open_csv(path) as opened:
            yield opened
    elif kind == "xlsx":
        with _open_xlsx(path, sheet) as opened:
            yield opened
    else:
        with _open_calamine(path, sheet, kind) as opened:
            yield opened


_checked: list[tuple[str, int, int, int]] = []  # files measured lately, unchanged since


def _check_zip_once(path: Path) -> None:
    """`limits.check_zip`, skipped for a file measured moments ago and unchanged since (the
    command line checks a file before asking for the passphrase, then reads it; the import
    screen reads it again after each mapping correction)."""
    with path.open("rb") as handle:
        info = os.fstat(handle.fileno())
        key = (str(path.resolve()), info.st_size, info.st_mtime_ns, info.st_ino)
        if key in _checked:
            return
        limits.check_zip(handle, path.name)
    _checked.append(key)
    del _checked[:-4]


# -- CSV ---------------------------------------------------------------------------------


def _csv_encoding(path: Path, head: bytes) -> str:
    """Decide as `area_csv.decode_text` does, reading the file in chunks (never all of it)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def sniff_delimiter(line: str) -> str:
    """Semicolon, tab or comma: whichever the line has most of (comma when none)."""
    counts = {d: line.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def sniff_delimiter_of(lines: Iterable[str], scan_lines: int = HEADER_SCAN_LINES) -> str:
    """The delimiter of the first `scan_lines` lines with a value: the one of the line with
    the most delimiters, so that a title line above the header ("Daftar TPS", no delimiter
    at all) does not decide it."""
    best, most = ",", 0
    for number, line in enumerate((line for line in lines if line.strip()), 1):
        delimiter = sniff_delimiter(line)
        count = line.count(delimiter)
        if count > most:
            best, most = delimiter, count
        if number >= scan_lines:
            break
    return best


def _bounded_lines(path: Path, handle: IO[str]) -> Iterator[str]:
    """The file's lines, refusing one longer than MAX_LINE_CHARS before more is read: a
    line of a million columns is never handed whole to the CSV parser."""
    number = 0
    while line := handle.readline(limits.MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > limits.MAX_LINE_CHARS:
            raise limits.line_too_long(path.name, number)
        yield line


def _bounded(path: Path, rows: Iterator[Row]) -> Iterator[Row]:
    """`rows`, refused at the first one past a limit (sheet_limits): its number counts the
    empty rows above it, its length the empty cells before its last value."""
    cells = 0
    for number, values in rows:
        if number > limits.MAX_SHEET_ROWS:
            raise limits.too_many_rows(path.name)
        if len(values) > limits.MAX_COLUMNS:
            raise limits.too_many_columns(path.name, number)
        cells += len(values)
        if cells > limits.MAX_CELLS:
            raise limits.too_many_cells(path.name)
        for index, value in enumerate(values):
            if isinstance(value, str) and len(value) > limits.MAX_CELL_CHARS:
                raise limits.cell_too_long(path.name, number, column_letter(index))
        yield number, values


@contextmanager
def _open_csv(path: Path) -> Iterator[Sheet]:
    head = _head(path)
    encoding = _csv_encoding(path, head)
    # cp1252 leaves five bytes undefined; "replace" turns them into U+FFFD instead of failing.
    with path.open("r", encoding=encoding, errors="replace", newline="") as handle:
        delimiter = sniff_delimiter_of(_bounded_lines(path, handle))
        handle.seek(0)
        size = path.stat().st_size
        sample = head.count(b"\n")
        estimate = int(size * sample / len(head)) if sample and head else 0

        def rows() -> Iterator[Row]:
            reader = csv.reader(_bounded_lines(path, handle), delimiter=delimiter)
            previous_end = 0
            try:
                for record in reader:
                    line = previous_end + 1
                    previous_end = reader.line_num
                    yield line, [cell.replace("\ufeff", "") for cell in record]
            except csv.Error as exc:
                raise SheetError(
                    _("{file}, line {line}: the file cannot be read as CSV ({reason})").format(
                        file=path.name, line=reader.line_num, reason=str(exc)
                    )
                ) from None

        yield Sheet(path, "csv", "", estimate, _bounded(path, rows()))


# -- XLSX --------------------------------------------------------------------------------


def _has_value(values: tuple[Any, ...]) -> bool:
    return any(v is not None and not (isinstance(v, str) and not v.strip()) for v in values)


def _first_row_with_value(worksheet: Any) -> bool:
    return any(_has_value(values) for values in worksheet.iter_rows(values_only=True))


@contextmanager
def _open_xlsx(path: Path, sheet: str | None) -> Iterator[Sheet]:
    from openpyxl import load_workbook

    handle = path.open("rb")
    try:
        try:
            # A file object, not the name: openpyxl would refuse a name not ending in .xlsx.
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError):
            raise _not_a_spreadsheet(path) from None
        except Exception as exc:  # openpyxl raises many types for a broken part
            raise _not_a_spreadsheet(path) from exc
        try:
            by_title = {ws.title: ws for ws in workbook.worksheets}
            chosen = _choose(
                path, list(by_title), sheet, lambda title: _first_row_with_value(by_title[title])
            )
            worksheet = by_title[chosen]
            estimate = worksheet.max_row or 0
            # The declared dimension may be wrong (some tools write "A1"): read every row there is.
            worksheet.reset_dimensions()

            def rows() -> Iterator[Row]:
                try:
                    for number, values in enumerate(worksheet.iter_rows(values_only=True), 1):
                        yield number, [_plain(v) for v in values]
                except SheetError:
                    raise
                except Exception as exc:
                    raise SheetError(
                        _("{file}: the sheet {sheet} cannot be read ({reason})").format(
                            file=path.name,
                            sheet=f"“{worksheet.title}”",
                            reason=exc.__class__.__name__,
                        )
                    ) from exc

            yield Sheet(
                path,
                "xlsx",
                worksheet.title,
                int(estimate),
                _bounded(path, rows()),
                merged_reader=lambda: _xlsx_merged(path, worksheet),
            )
        finally:
            workbook.close()
    finally:
        handle.close()


# -- XLS and ODS ---------------------------------------------------------------------------


def _choose(path: Path, names: list[str], sheet: str | None, has_value: Any) -> str:
    """The sheet called `sheet` (any case), else the first with a value; SheetError if none."""
    if sheet is not None:
        chosen = [name for name in names if name.casefold() == sheet.casefold()]
        if not chosen:
            raise SheetError(
                _("{file} has no sheet called {sheet}; its sheets are: {names}").format(
                    file=path.name,
                    sheet=f"“{sheet}”",
                    names=", ".join(f"“{name}”" for name in names),
                )
            )
        return chosen[0]
    for name in names:
        if has_value(name):
            return name
    raise SheetError(_("{file} is empty: no sheet holds any value").format(file=path.name))


@contextmanager
def _open_calamine(path: Path, sheet: str | None, kind: str) -> Iterator[Sheet]:
    """An old Excel (.xls) or OpenDocument (.ods) file, read with calamine, a sheet whole:
    `sheet_limits` has checked that the sheet's rectangle stays small."""
    import python_calamine as calamine

    failures = (calamine.CalamineError, calamine.PasswordError, calamine.XmlError,
                calamine.ZipError, OSError, ValueError)  # fmt: skip
    try:
        # From the content, not the name: from_path picks the format by the file's suffix, so
        # an .xls or .ods renamed .xlsx would be read as a zip.
        with path.open("rb") as handle:
            workbook = calamine.CalamineWorkbook.from_filelike(handle)
    except failures as exc:
        if kind == "xls":
            raise SheetError(
                _(
                    "{file} cannot be read as an old Excel file (.xls): if it has a password, "
                    "save it without one; otherwise save it as .xlsx or CSV and try again"
                ).format(file=path.name)
            ) from exc
        raise _not_a_spreadsheet(path) from exc
    try:
        loaded: dict[str, list[list[Any]]] = {}

        def rows_of(name: str) -> list[list[Any]]:
            if name not in loaded:
                loaded[name] = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            return loaded[name]

        def has_value(name: str) -> bool:
            return any(_has_value(tuple(values)) for values in rows_of(name))

        try:
            name = _choose(path, list(workbook.sheet_names), sheet, has_value)
            values = rows_of(name)
        except SheetError:
            raise
        except Exception as exc:  # calamine's errors for a damaged part
            raise SheetError(
                _("{file}: the sheet {sheet} cannot be read ({reason})").format(
                    file=path.name, sheet=f"“{sheet or ''}”", reason=exc.__class__.__name__
                )
            ) from exc

        def rows() -> Iterator[Row]:
            for number, row in enumerate(values, 1):
                # calamine gives "" for an empty cell; openpyxl, and this module, None.
                yield number, [None if v == "" else _plain(v) for v in row]

        def merged() -> tuple[tuple[int, int, int, int], ...]:
            if kind == "ods":  # calamine does not say an OpenDocument sheet's merges
                return _ods_merged(path, name)
            found = workbook.get_sheet_by_name(name).merged_cell_ranges or []
            if len(found) > MAX_MERGED_RANGES:
                raise _too_many_merged(path)
            return tuple((r0 + 1, c0, r1 + 1, c1) for (r0, c0), (r1, c1) in found)

        yield Sheet(path, kind, name, len(values), _bounded(path, rows()), merged_reader=merged)
    finally:
        workbook.close()


# -- merged cells ----------------------------------------------------------------------------

# Far above any real sheet (an area list merges a kecamatan name once per kecamatan).
MAX_MERGED_RANGES = 20_000
_CELL_REFERENCE = re.compile(r"(?a)^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _too_many_merged(path: Path) -> SheetError:
    return SheetError(
        _("{file} has more than {n} merged cell ranges: unmerge them and try again").format(
            file=path.name, n=MAX_MERGED_RANGES
        )
    )


def _cell_reference(text: str) -> tuple[int, int] | None:
    """ "B12" → (12, 1): the row number and the 0-based column; None when malformed."""
    match = _CELL_REFERENCE.match(text)
    if match is None:
        return None
    column = 0
    for letter in match[1].upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(match[2]), column - 1


def _xlsx_merged(path: Path, worksheet: Any) -> tuple[tuple[int, int, int, int], ...]:
    """The `<mergeCell ref="A2:A9"/>` ranges of an XLSX sheet, streamed from its XML (which
    `sheet_limits` has measured, DTDs refused, before anything was read)."""
    from xml.parsers import expat

    found: list[tuple[int, int, int, int]] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag.rpartition("}")[2] != "mergeCell":
            return
        first, _sep, last = attrs.get("ref", "").partition(":")
        top, bottom = _cell_reference(first), _cell_reference(last or first)
        if top is None or bottom is None:
            return
        if len(found) >= MAX_MERGED_RANGES:
            raise _too_many_merged(path)
        found.append((top[0], top[1], bottom[0], bottom[1]))

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    try:
        with worksheet._get_source() as source:
            parser.ParseFile(source)
    except SheetError:
        raise
    except Exception as exc:  # a damaged part: openpyxl says so while reading the rows
        raise _not_a_spreadsheet(path) from exc
    return tuple(found)


_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def _ods_merged(path: Path, table: str) -> tuple[tuple[int, int, int, int], ...]:
    """The merged ranges of the OpenDocument table `table`: its cells spanning rows or columns
    (`table:number-rows-spanned`, `…-columns-spanned`), streamed from content.xml (which
    `sheet_limits` has measured). Rows and columns are counted as calamine lays the sheet
    out: from A1, repeated rows and cells counted."""
    from xml.parsers import expat

    found: list[tuple[int, int, int, int]] = []
    place = {"inside": 0, "row": 0, "column": 0}  # row: 1-based once a row has started

    def count(attrs: dict[str, str], name: str) -> int:
        value = attrs.get(_ODS_TABLE + name, "1")
        return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else 1

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == _ODS_TABLE + "table":
            if place["inside"] or attrs.get(_ODS_TABLE + "name") == table:
                place["inside"] += 1
            return
        if place["inside"] != 1:
            return
        if tag == _ODS_TABLE + "table-row":
            place["row"] += 1
            place["column"] = 0
            place["repeat"] = count(attrs, "number-rows-repeated")
        elif tag in (_ODS_TABLE + "table-cell", _ODS_TABLE + "covered-table-cell"):
            rows = count(attrs, "number-rows-spanned")
            columns = count(attrs, "number-columns-spanned")
            if rows > 1 or columns > 1:
                if len(found) >= MAX_MERGED_RANGES:
                    raise _too_many_merged(path)
                row, column = place["row"], place["column"]
                found.append((row, column, row + rows - 1, column + columns - 1))
            place["column"] += count(attrs, "number-columns-repeated")

    def end(tag: str) -> None:
        if tag == _ODS_TABLE + "table" and place["inside"]:
            place["inside"] -= 1
        elif tag == _ODS_TABLE + "table-row" and place["inside"] == 1:
            place["row"] += place.get("repeat", 1) - 1

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as source:
            parser.ParseFile(source)
    except SheetError:
        raise
    except Exception as exc:  # calamine has read this part already: damage is unlikely
        raise _not_a_spreadsheet(path) from exc
    return tuple(found)


def _merged_ranges(sheet: Sheet) -> tuple[tuple[int, int, int, int], ...]:
    """The sheet's merged ranges of more than one cell; SheetError when filling them would
    make more cells than a sheet may hold (`sheet_limits.MAX_CELLS`)."""
    if sheet.merged_reader is None:
        return ()
    found = tuple(
        (top, left, bottom, right)
        for top, left, bottom, right in sheet.merged_reader()
        if (bottom, right) != (top, left) and top <= bottom and left <= right
        and bottom <= limits.MAX_SHEET_ROWS and right < limits.MAX_COLUMNS
    )  # fmt: skip
    if sum((bottom - top + 1) * (right - left + 1) for top, left, bottom, right in found) > (
        limits.MAX_CELLS
    ):
        raise limits.too_many_cells(sheet.path.name)
    return found


def _filled(rows: Iterator[Row], merged: tuple[tuple[int, int, int, int], ...]) -> Iterator[Row]:
    """`rows` with every cell of a merged range holding the range's first cell's value."""
    pending = sorted(merged, reverse=True)  # popped from the end: by first row
    active: list[tuple[int, int, int, int, Cell]] = []
    for number, values in rows:
        while pending and pending[-1][0] <= number:
            top, left, bottom, right = pending.pop()
            if top == number:
                value = values[left] if left < len(values) else None
                active.append((top, left, bottom, right, value))
        active = [entry for entry in active if entry[2] >= number]
        if active:
            values = list(values)
            for _top, left, _bottom, right, value in active:
                if value is None:
                    continue
                if len(values) <= right:
                    values.extend([None] * (right + 1 - len(values)))
                for index in range(left, right + 1):
                    values[index] = value
        yield number, values


# -- the header row ----------------------------------------------------------------------------

HEADER_SCAN_ROWS = 30


def normalize_heading(text: str) -> str:
    """ "No. KTP", "NO KTP" and "no_ktp" are one heading: lower case, letters and digits only.

    A note in brackets is dropped: "Tanggal Lahir (dd-mm-yyyy)" is "tanggal lahir".
    """
    return name_key(re.sub(r"\([^)]*\)", " ", text.replace("\ufeff", "")))


def row_texts(values: Sequence[Cell]) -> list[str]:
    """A row's cells as one-line text, spaces collapsed ("" for an empty cell)."""
    return [" ".join(cell_text(v).split()) for v in values]


_COLUMN_NUMBERS = re.compile(r"(?a)\(?\d{1,2}\)?")


def is_column_numbering(texts: list[str]) -> bool:
    """The "(1) (2) (3)…" row that government forms put under their header."""
    filled = [t for t in texts if t]
    return len(filled) >= 3 and all(_COLUMN_NUMBERS.fullmatch(t) for t in filled)


@dataclass
class HeaderScan:
    """The header row found by `find_header`, and the rows read past it."""

    number: int
    values: list[Cell]
    after: list[Row]  # the rows with a value read past the header while looking for it
    rest: Iterator[Row]  # the stream, from the row after the last one read
    score: int


def find_header(
    rows: Iterator[Row], score: Callable[[list[str]], int], *, scan_rows: int = HEADER_SCAN_ROWS
) -> HeaderScan | None:
    """The header among the first `scan_rows` rows with a value: the one `score` (given the
    row's texts) rates highest, the first of equals (title rows above it score less). None
    when no row has a value. The caller decides whether the score is enough."""
    scanned: list[Row] = []
    for number, values in rows:
        if any(row_texts(values)):
            scanned.append((number, values))
            if len(scanned) >= scan_rows:
                break
    if not scanned:
        return None
    scores = [score(row_texts(values)) for _number, values in scanned]
    best = max(range(len(scanned)), key=lambda i: (scores[i], -i))
    number, values = scanned[best]
    return HeaderScan(number, values, scanned[best + 1 :], rows, scores[best])


def _plain(value: Any) -> Cell:
    """openpyxl's cell values as the types this app knows (Decimal, rich text → float, str)."""
    if value is None or isinstance(value, str | int | float | date | time | timedelta):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def iter_text_rows(sheet: Sheet) -> Iterator[tuple[int, list[str]]]:
    """Rows as text, for readers with no use for types (the area list): numbers without ".0"."""
    for number, values in sheet.rows:
        yield number, [cell_text(value) for value in values]


def cell_text(value: Cell) -> str:
    """A cell as plain text: 7.0 → "7", a date → dd-mm-yyyy, None → ""."""
    from tpsdesk.domain.dates import format_date

    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return format_date(value.date())
    if isinstance(value, date):
        return format_date(value)
    return str(value)
