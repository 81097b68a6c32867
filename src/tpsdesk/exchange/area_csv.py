"""Area list, CSV or XLSX: kecamatan, kelurahan and TPS rows in, every problem out with its line
(or sheet row) and column.

The file is what an office makes in Excel or LibreOffice: an .xlsx sheet, or a CSV comma or
semicolon separated, UTF-8 with or without a BOM (or UTF-16 from "Unicode text"), else
Windows-1252. Headings in Indonesian as offices write them ("Kode Kecamatan", "Kecamatan",
"Kel./Desa", "No. TPS", "Alamat TPS"…) or the English column names, in any case, spacing and
punctuation; title rows above the header, a "Kode | Nama" row under a merged group heading,
the "(1) (2) (3)" numbering row of government forms, and merged cells (a kecamatan name merged
down over its rows reads on every row) — found as the officer import finds them
(`sheet_reader.find_header`). Both go through `parse_area_rows`, so the rules are the same.
Parsing never touches a store; `import_area_csv` applies the rows only when there is no
problem at all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tpsdesk.domain.area import (
    AreaCodeError,
    normalize_kecamatan_code,
    normalize_kelurahan_code,
    parse_tps_number,
)
from tpsdesk.domain.text import cell_text_problems, fold_cell_breaks
from tpsdesk.exchange.sheet_reader import (
    Cell,
    column_letter,
    find_header,
    is_column_numbering,
    normalize_heading,
    sniff_delimiter_of,
)
from tpsdesk.i18n import _, os_error_text
from tpsdesk.store.areas import AreaRow

if TYPE_CHECKING:
    from tpsdesk.store.areas import AreaImportSummary
    from tpsdesk.store.db import Store

COLUMNS: tuple[str, ...] = (
    "kecamatan_code",
    "kecamatan_name",
    "kelurahan_code",
    "kelurahan_name",
    "tps_number",
    "tps_address",
)
REQUIRED_COLUMNS: tuple[str, ...] = COLUMNS[:5]
# Understood when present, never required: the voter count decides Pantarlih's size.
OPTIONAL_COLUMNS: tuple[str, ...] = ("tps_voters",)
MAX_VOTERS = 10_000
# An area list of a whole district has a few thousand lines; this is far above any real one.
MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class LineProblem:
    """One thing wrong in the file: line 1 is the header; `column` is "" for the whole line."""

    line: int
    column: str
    message: str  # translated
    in_sheet: bool = False  # `line` is a spreadsheet row number

    def describe(self) -> str:
        if self.in_sheet:
            if self.column:
                return _("Row {row}, column {column}: {message}").format(
                    row=self.line, column=self.column, message=self.message
                )
            return _("Row {row}: {message}").format(row=self.line, message=self.message)
        if self.column:
            return _("Line {line}, column {column}: {message}").format(
                line=self.line, column=self.column, message=self.message
            )
        return _("Line {line}: {message}").format(line=self.line, message=self.message)


@dataclass
class AreaParseResult:
    rows: list[AreaRow] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class AreaCsvError(Exception):
    """The file cannot be read at all (missing, too large); `message` is translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def decode_text(data: bytes) -> str:
    """Bytes as text: a BOM decides; else UTF-8 if it decodes; else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; those become U+FFFD rather than failing.
        return data.decode("cp1252", errors="replace")


def _sniff_delimiter(text: str) -> str:
    """Semicolon, tab or comma, decided as for a spreadsheet's CSV (title lines do not)."""
    return sniff_delimiter_of(text.splitlines())


# The headings offices write, Indonesian first, then the English column names; compared as
# `normalize_heading` leaves them (case, spaces and punctuation do not count: "KEL./DESA" is
# "Kel/Desa").
HEADINGS: dict[str, tuple[str, ...]] = {
    "kecamatan_code": ("Kode Kecamatan", "Kode Kec", "Kd Kec", "Kd Kecamatan", "Kode Wilayah "
                       "Kecamatan", "Kecamatan Code", "Kecamatan Kode"),
    "kecamatan_name": ("Kecamatan", "Nama Kecamatan", "Kec", "Nama Kec", "Kecamatan Name",
                       "Kecamatan Nama"),
    "kelurahan_code": ("Kode Kelurahan/Desa", "Kode Kelurahan", "Kode Desa", "Kode Kel/Desa",
                       "Kode Desa/Kelurahan", "Kode Kel", "Kode Desa/Kel", "Kd Kel", "Kd Desa",
                       "Kd Kel/Desa", "Kelurahan Code", "Kelurahan/Desa Kode",
                       "Kelurahan Kode", "Desa Kode", "Kel/Desa Kode", "Desa/Kelurahan Kode"),
    "kelurahan_name": ("Kelurahan/Desa", "Kelurahan", "Desa", "Kel/Desa", "Desa/Kelurahan",
                       "Desa/Kel", "Kel", "Nama Kelurahan", "Nama Desa", "Nama Kelurahan/Desa",
                       "Nama Kel/Desa", "Nama Desa/Kelurahan", "Kelurahan Name",
                       "Kelurahan/Desa Nama", "Kelurahan Nama", "Desa Nama", "Kel/Desa Nama",
                       "Desa/Kelurahan Nama"),
    "tps_number": ("No. TPS", "Nomor TPS", "TPS", "TPS No", "No TPS", "TPS Number",
                   "Kode TPS"),
    "tps_address": ("Alamat TPS", "Alamat", "Lokasi TPS", "Lokasi", "Alamat Lokasi TPS",
                    "Tempat", "TPS Address"),
    "tps_voters": ("Jumlah Pemilih", "Pemilih", "DPT", "Jumlah DPT", "Jml Pemilih",
                   "Jumlah Pemilih DPT", "TPS Voters", "Voters"),
}  # fmt: skip
_HEADING_KEYS: dict[str, str] = {
    normalize_heading(alias): key for key, aliases in HEADINGS.items() for alias in (key, *aliases)
}
# Under a group heading merged over two columns ("Kecamatan" over "Kode" and "Nama").
_SUB_HEADINGS = frozenset({"kode", "kd", "nama", "code", "name"})


def _header_key(cell: str) -> str:
    """ "Kode Kecamatan", "KODE KEC." and "kecamatan_code" are the same column: its key in
    COLUMNS (or OPTIONAL_COLUMNS); another heading is returned as it is normalised."""
    key = normalize_heading(cell)
    return _HEADING_KEYS.get(key, key)


def _score(texts: list[str]) -> int:
    """How many of the area list's columns a row's texts name: the header scores highest."""
    return len({_HEADING_KEYS[k] for k in map(normalize_heading, texts) if k in _HEADING_KEYS})


def _with_sub_headings(header: list[str], sub: list[str]) -> list[str] | None:
    """ "Kecamatan" over "Kode" and "Nama" (a merged group heading, filled across) read as
    "Kecamatan Kode" and "Kecamatan Nama"; None when `sub` is no such row."""
    keys = [normalize_heading(text) for text in sub]
    if sum(key in _SUB_HEADINGS for key in keys) < 2 or any(
        key and key not in _SUB_HEADINGS for key in keys
    ):
        return None
    combined: list[str] = []
    group = ""
    for index in range(max(len(header), len(sub))):
        main = header[index] if index < len(header) else ""
        group = main or group  # a group heading merged but not filled (a CSV from such a sheet)
        below = sub[index] if index < len(sub) else ""
        combined.append(f"{group} {below}" if below else main)
    return combined


def parse_area_csv(data: bytes | str) -> AreaParseResult:
    """Parse an area list; every problem in the file is reported, each with line and column."""
    text = decode_text(data) if isinstance(data, bytes) else data.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    failure: list[LineProblem] = []

    def records() -> Iterator[tuple[int, list[str]]]:
        previous_end = 0
        try:
            for record in reader:
                line = previous_end + 1
                previous_end = reader.line_num
                yield line, record
        except csv.Error as exc:
            failure.append(
                LineProblem(
                    reader.line_num,
                    "",
                    _("The file cannot be read as CSV here ({reason})").format(reason=str(exc)),
                )
            )

    result = parse_area_rows(records())
    if failure:
        result.problems.extend(failure)
    return result


def parse_area_rows(
    records: Iterable[tuple[int, list[str]]], *, in_sheet: bool = False
) -> AreaParseResult:
    """The rules of an area list over (line or row number, cells as text) records.

    The first record with a value is the header. `in_sheet`: the numbers are spreadsheet rows.
    """
    result = AreaParseResult()
    header: list[str] | None = None
    positions: dict[str, int] = {}
    seen_kecamatan: dict[str, tuple[str, int]] = {}  # code → (name, first line)
    seen_kelurahan: dict[str, tuple[str, int]] = {}  # code → (name, first line)
    seen_tps: dict[tuple[str, int | None], int] = {}  # (kelurahan, number) → first line
    header_line = 1
    scan = find_header(((line, list[Cell](record)) for line, record in records), _score)
    if scan is not None:
        # Title rows above the header are passed over; with no known heading anywhere, the
        # first line with a value is taken for the header (and said to lack the columns).
        header_line = scan.number
        header = [str(cell or "") for cell in scan.values]
        after = [(line, [str(cell or "") for cell in values]) for line, values in scan.after]
        if after and (combined := _with_sub_headings(header, after[0][1])) is not None:
            header = combined
            after = after[1:]
        if after and is_column_numbering([" ".join(c.split()) for c in after[0][1]]):
            after = after[1:]
        positions, problems = _read_header(header, header_line, in_sheet)
        result.problems.extend(problems)
        headings = {
            key: _shown_heading(header, index, in_sheet) for key, index in positions.items()
        }
        rest = ((line, [str(cell or "") for cell in values]) for line, values in scan.rest)
        body: Iterable[tuple[int, list[str]]] = [] if problems else _chain(after, rest)
    else:
        headings = {}
        body = []
    for line, record in body:
        if not any(cell.strip() for cell in record):
            continue  # blank lines, and Excel's ";;;;;" rows
        if all(i < len(record) and _header_key(record[i]) == key for key, i in positions.items()):
            continue  # the header repeated (a list printed page by page)
        row = _read_row(record, line, positions, result.problems)
        if row is None:
            continue
        _check_consistency(row, line, seen_kecamatan, seen_kelurahan, seen_tps, result)
        result.rows.append(row)
    if header is None:
        result.problems.append(
            LineProblem(
                1,
                "",
                _("The file is empty: expected the header {header}").format(
                    header=",".join(COLUMNS)
                ),
            )
        )
    elif not result.rows and not result.problems:
        result.problems.append(
            LineProblem(header_line + 1, "", _("The file has a header but no rows"))
        )
    # Problems name the column as the file heads it (and, in a sheet, by its letter).
    result.problems = [
        LineProblem(p.line, headings.get(p.column, p.column), p.message, in_sheet=in_sheet)
        for p in result.problems
    ]
    return result


def _chain(
    first: list[tuple[int, list[str]]], then: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    yield from first
    yield from then


MAX_HEADING_SHOWN = 40


def _shown_heading(header: list[str], index: int, in_sheet: bool) -> str:
    """The column as a message names it: the file's heading (a hostile or overlong one as
    the app's own name for it), in a sheet after its letter: "C (Kelurahan/Desa)"."""
    heading = " ".join(fold_cell_breaks(header[index]).split())
    if not heading or cell_text_problems("heading", heading) or len(heading) > MAX_HEADING_SHOWN:
        heading = _header_key(header[index])
        heading = heading if heading in COLUMNS or heading in OPTIONAL_COLUMNS else ""
    if in_sheet:
        letter = column_letter(index)
        return f"{letter} ({heading})" if heading else letter
    return heading


def _read_header(
    record: list[str], line: int, in_sheet: bool = False
) -> tuple[dict[str, int], list[LineProblem]]:
    positions: dict[str, int] = {}
    problems: list[LineProblem] = []
    for index, cell in enumerate(record):
        key = _header_key(cell)
        if key not in COLUMNS and key not in OPTIONAL_COLUMNS:
            continue  # extra columns (notes, "No.", …) are ignored
        if key in positions:
            problems.append(
                LineProblem(
                    line,
                    _shown_heading(record, index, in_sheet),
                    _("The column {column} appears twice in the header").format(column=key),
                )
            )
        positions.setdefault(key, index)
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        problems.append(
            LineProblem(
                line,
                "",
                _(
                    "The header lacks the column(s) {missing}; head the columns {headings} "
                    "(or {header})"
                ).format(
                    missing=", ".join(f"{HEADINGS[name][0]} ({name})" for name in missing),
                    headings=", ".join(HEADINGS[name][0] for name in COLUMNS),
                    header=",".join(COLUMNS),
                ),
            )
        )
    return positions, problems


def _read_row(
    record: list[str], line: int, positions: dict[str, int], problems: list[LineProblem]
) -> AreaRow | None:
    def cell(name: str) -> str:
        index = positions.get(name)
        if index is None or index >= len(record):
            return ""
        return " ".join(record[index].split())

    before = len(problems)
    # A cell's line breaks are read as spaces (Alt+Enter); other control and format
    # characters are refused in every column, before the other checks: a
    # column holding one reports only that (the others would judge, or quote, what it hides).
    unclean: list[LineProblem] = []
    for name, index in positions.items():
        if index < len(record):
            for problem in cell_text_problems(name, fold_cell_breaks(record[index])):
                unclean.append(LineProblem(line, name, problem.message))

    kecamatan_code = ""
    raw = cell("kecamatan_code")
    if not raw:
        problems.append(LineProblem(line, "kecamatan_code", _("The kecamatan code is missing")))
    else:
        try:
            kecamatan_code = normalize_kecamatan_code(raw)
        except AreaCodeError as exc:
            problems.append(LineProblem(line, "kecamatan_code", exc.message))

    kecamatan_name = _name(cell("kecamatan_name"), line, "kecamatan_name", problems)

    kelurahan_code = ""
    raw = cell("kelurahan_code")
    if not raw:
        problems.append(
            LineProblem(line, "kelurahan_code", _("The kelurahan or desa code is missing"))
        )
    else:
        try:
            kelurahan_code = normalize_kelurahan_code(raw)
        except AreaCodeError as exc:
            problems.append(LineProblem(line, "kelurahan_code", exc.message))
    if kecamatan_code and kelurahan_code and not kelurahan_code.startswith(kecamatan_code + "."):
        problems.append(
            LineProblem(
                line,
                "kelurahan_code",
                _("Kelurahan {kelurahan} does not lie in kecamatan {kecamatan}").format(
                    kelurahan=kelurahan_code, kecamatan=kecamatan_code
                ),
            )
        )

    kelurahan_name = _name(cell("kelurahan_name"), line, "kelurahan_name", problems)

    tps_number = 0
    raw = cell("tps_number")
    if not raw:
        problems.append(LineProblem(line, "tps_number", _("The TPS number is missing")))
    else:
        try:
            tps_number = parse_tps_number(raw)
        except AreaCodeError as exc:
            problems.append(LineProblem(line, "tps_number", exc.message))

    tps_address = cell("tps_address")
    if len(tps_address) > 500:
        problems.append(
            LineProblem(line, "tps_address", _("The address is too long (at most 500 characters)"))
        )

    tps_voters: int | None = None
    raw = cell("tps_voters")
    if raw:
        if raw.isascii() and raw.isdigit() and int(raw) <= MAX_VOTERS:
            tps_voters = int(raw)
        else:
            problems.append(
                LineProblem(
                    line,
                    "tps_voters",
                    _("The number of voters must be a whole number from 0 to {n}").format(
                        n=MAX_VOTERS
                    ),
                )
            )

    if unclean:
        columns = {problem.column for problem in unclean}
        problems[before:] = [p for p in problems[before:] if p.column not in columns] + unclean
    if len(problems) > before:
        return None
    return AreaRow(
        kecamatan_code=kecamatan_code,
        kecamatan_name=kecamatan_name,
        kelurahan_code=kelurahan_code,
        kelurahan_name=kelurahan_name,
        tps_number=tps_number,
        tps_address=tps_address,
        tps_voters=tps_voters,
    )


def _name(value: str, line: int, column: str, problems: list[LineProblem]) -> str:
    if not value:
        problems.append(LineProblem(line, column, _("The name is missing")))
    elif len(value) > MAX_NAME_LENGTH:
        problems.append(
            LineProblem(
                line,
                column,
                _("The name is too long (at most {n} characters)").format(n=MAX_NAME_LENGTH),
            )
        )
    return value


def _check_consistency(
    row: AreaRow,
    line: int,
    seen_kecamatan: dict[str, tuple[str, int]],
    seen_kelurahan: dict[str, tuple[str, int]],
    seen_tps: dict[tuple[str, int | None], int],
    result: AreaParseResult,
) -> None:
    """One name per code, and each TPS number once per kelurahan, across the whole file."""
    name, first = seen_kecamatan.setdefault(row.kecamatan_code, (row.kecamatan_name, line))
    if name.casefold() != row.kecamatan_name.casefold():
        result.problems.append(
            LineProblem(
                line,
                "kecamatan_name",
                _("Kecamatan {code} is called {other} on line {first}").format(
                    code=row.kecamatan_code, other=f"“{name}”", first=first
                ),
            )
        )
    name, first = seen_kelurahan.setdefault(row.kelurahan_code, (row.kelurahan_name, line))
    if name.casefold() != row.kelurahan_name.casefold():
        result.problems.append(
            LineProblem(
                line,
                "kelurahan_name",
                _("Kelurahan {code} is called {other} on line {first}").format(
                    code=row.kelurahan_code, other=f"“{name}”", first=first
                ),
            )
        )
    key = (row.kelurahan_code, row.tps_number)
    first_tps = seen_tps.setdefault(key, line)
    if first_tps != line:
        result.problems.append(
            LineProblem(
                line,
                "tps_number",
                _("TPS {number} of kelurahan {code} is already on line {first}").format(
                    number=f"{row.tps_number:03d}", code=row.kelurahan_code, first=first_tps
                ),
            )
        )


def read_area_csv(path: Path) -> AreaParseResult:
    """Parse the area list at `path`, CSV, XLSX, XLS or ODS (told by its content, not its
    name);
    AreaCsvError if the file cannot be read at all."""
    from tpsdesk.exchange.sheet_reader import (
        CFB_MAGIC,
        CSV_SUFFIXES,
        ZIP_MAGIC,
        SheetError,
        file_kind,
        iter_text_rows,
        open_sheet,
    )

    path = Path(path)
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(CFB_MAGIC))
    except OSError:
        magic = b""  # said below, with the CSV reader's messages
    # A spreadsheet, or a CSV named as one, is read by sheet_reader, within its limits
    # (sheet_limits); anything else is read as CSV, whatever its name, as before.
    if magic.startswith((ZIP_MAGIC, CFB_MAGIC)) or path.suffix.lower() in (
        ".xlsx",
        ".xlsm",
        ".xls",
        ".ods",
        *CSV_SUFFIXES,
    ):
        try:
            kind = file_kind(path)
            with open_sheet(path, fill_merged=True) as sheet:
                return parse_area_rows(iter_text_rows(sheet), in_sheet=kind != "csv")
        except SheetError as exc:
            raise AreaCsvError(exc.message) from None
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise AreaCsvError(
                _("{file} is too large for an area list ({size} MB)").format(
                    file=path.name, size=size // (1024 * 1024)
                )
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise AreaCsvError(_("File not found: {file}").format(file=str(path))) from None
    except IsADirectoryError:
        raise AreaCsvError(_("{file} is a folder, not a file").format(file=str(path))) from None
    except OSError as exc:
        raise AreaCsvError(
            _("{file} cannot be read: {reason}").format(file=str(path), reason=os_error_text(exc))
        ) from None
    return parse_area_csv(data)


read_area_file = read_area_csv


def import_area_csv(store: Store, path: Path) -> tuple[AreaParseResult, AreaImportSummary | None]:
    """Parse `path` and, only if it has no problem at all, apply its rows in one transaction."""
    from tpsdesk.store.areas import apply_area_rows

    result = read_area_csv(path)
    if not result.ok:
        return result, None
    return result, apply_area_rows(store, result.rows)


import_area_file = import_area_csv
