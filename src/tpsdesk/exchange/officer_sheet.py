"""Officer lists from spreadsheets: find the header, map the headings people use, read the cells.

A sheet made in a kelurahan office has title rows above the header, merged cells, headings
such as "No. KTP", "Tgl. Lahir" or "Tempat, Tanggal Lahir", dates as date cells, serial
numbers or "17 Agustus 1980", and NIKs that Excel stored as numbers (and so lost their last
digit). This module turns such a sheet into `ImportRow`s with every problem found in the cells;
`tpsdesk.store.officer_import` classifies and writes them. The mapping from headings to fields
can be corrected by the user and saved in the store for next time.

    preview = preview_officer_import(store, path)      # reads the file and the store
    preview.plan.counts, preview.plan.invalid_rows      # show them, ask
    apply_officer_import(store, preview)                # one transaction
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tpsdesk.domain.dates import excel_serial_to_date, format_date, parse_date
from tpsdesk.domain.officer import DRAFT_FIELDS, FIELD_LABELS, OfficerDraft
from tpsdesk.domain.text import fold_cell_breaks
from tpsdesk.exchange.sheet_reader import (
    HEADER_SCAN_ROWS,
    Cell,
    Sheet,
    SheetError,
    cell_text,
    column_letter,
    find_header,
    is_column_numbering,
    normalize_heading,
    open_sheet,
)
from tpsdesk.i18n import N_, _, format_number
from tpsdesk.store.officer_import import (
    PLACE_FIELDS,
    ImportCounts,
    ImportPlan,
    ImportRow,
    Progress,
    RowProblem,
    SourceColumn,
    apply_import,
    plan_import,
)

if TYPE_CHECKING:
    from tpsdesk.store.db import Store

# A documented limit (docs/spreadsheets.md): far above a kecamatan's officers, and BPJS takes
# 10,000 rows a file anyway. Checked while streaming: a larger file is never read whole.
MAX_DATA_ROWS = 50_000
MIN_HEADER_MATCHES = 2
MAPPING_SETTING = "officer_import_mapping"
IGNORE = "-"  # a mapping target: ignore this column

BIRTH_PLACE_DATE = "birth_place_date"  # a combined "Tempat, Tanggal Lahir" column
TARGET_FIELDS: tuple[str, ...] = (*DRAFT_FIELDS, *PLACE_FIELDS, BIRTH_PLACE_DATE)
REQUIRED_FIELDS: tuple[str, ...] = ("nik", "name")

TARGET_LABELS: dict[str, str] = {
    **FIELD_LABELS,
    "tps": N_("TPS"),
    "kelurahan": N_("Kelurahan"),
    "kecamatan": N_("Kecamatan"),
    BIRTH_PLACE_DATE: N_("Place and date of birth"),
}


def _aliases(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    return {normalize_heading(alias): name for name, aliases in table.items() for alias in aliases}


# The headings offices use, Indonesian first; also the BPJS template's own column names.
ALIASES: dict[str, str] = _aliases(
    {
        "nik": ("NIK", "No. KTP", "No KTP", "Nomor KTP", "NIK KTP", "No NIK", "Nomor NIK",
                "Nomor Induk Kependudukan", "NOMOR_IDENTITAS", "No Identitas", "NIK/No. KTP",
                "No. KTP/NIK", "N I K", "Nomor Identitas", "No. Identitas"),
        "name": ("Nama", "Nama Lengkap", "Nama Petugas", "Nama Sesuai KTP", "Nama Lengkap Sesuai "
                 "KTP", "NAMA_LENGKAP", "Name"),
        "birth_place": ("Tempat Lahir", "Tmp Lahir", "Tmpt Lahir", "TEMPAT_LAHIR"),
        "birth_date": ("Tanggal Lahir", "Tgl Lahir", "Tgl. Lahir", "Tgl Lhr", "TGL_LAHIR",
                       "Tanggal Lhr"),
        BIRTH_PLACE_DATE: ("Tempat, Tanggal Lahir", "Tempat/Tanggal Lahir", "Tempat Tgl Lahir",
                           "Tempat/Tgl Lahir", "TTL", "Tempat dan Tanggal Lahir"),
        "sex": ("L/P", "Jenis Kelamin", "JK", "Kelamin", "JENIS_KELAMIN", "Jenis Kelamin (L/P)",
                "Sex"),
        "address": ("Alamat", "Alamat Lengkap", "Alamat Rumah", "Alamat Sesuai KTP",
                    "Alamat Domisili"),
        "postcode": ("Kode Pos", "KODE_POS", "Kodepos"),
        "phone": ("No HP", "No. HP", "HP", "Telp", "No Telp", "No. Telp", "No. Telepon",
                  "No Telepon", "Nomor Telepon", "Telepon", "Nomor HP", "No HP/WA", "No WA",
                  "Handphone", "No Handphone", "Nomor HP/WA", "Phone", "No. Telp/HP", "Telp/HP",
                  "No. Telepon/HP", "No HP/Telp", "No. WA/HP", "Kontak"),
        "email": ("Email", "E-mail", "Alamat Email", "Alamat E-mail"),
        "mother_name": ("Nama Ibu Kandung", "Ibu Kandung", "Nama Ibu", "NAMA_IBU_KANDUNG",
                        "Nama Gadis Ibu Kandung", "Nama Ibu Kandung Sesuai KK", "Nm Ibu Kandung",
                        "Nama Ibu Kandung Peserta", "Mother's Maiden Name"),
        "marital_status": ("Status Kawin", "Status Perkawinan", "Status Pernikahan",
                           "STATUS_KAWIN", "Kawin"),
        "post_code": ("Jabatan", "Posisi", "Jabatan Petugas", "Tugas", "Jabatan/Tugas", "Post",
                      "Kedudukan", "Jabatan dalam KPPS", "Keterangan Jabatan"),
        "duty_start": ("Mulai Tugas", "Tanggal Mulai", "Tgl Mulai", "Awal Tugas",
                       "Tanggal Mulai Tugas"),
        "duty_end": ("Selesai Tugas", "Tanggal Selesai", "Tgl Selesai", "Akhir Tugas",
                     "Tanggal Selesai Tugas"),
        "tps": ("TPS", "No TPS", "No. TPS", "Nomor TPS", "TPS No"),
        "kelurahan": ("Kelurahan", "Desa", "Kel/Desa", "Desa/Kel", "Kelurahan/Desa",
                      "Desa/Kelurahan", "Kode Kelurahan", "Nama Kelurahan", "Kel"),
        "kecamatan": ("Kecamatan", "Kec", "Kode Kecamatan", "Nama Kecamatan"),
    }
)  # fmt: skip

# Under a merged "Tempat, Tanggal Lahir" (or "TTL") heading, the next row often says which is which.
SUB_ALIASES: dict[str, str] = _aliases(
    {"birth_place": ("Tempat", "Tmp", "Tmpt"), "birth_date": ("Tanggal", "Tgl")}
)


class MappingError(SheetError):
    """A --map entry or saved mapping names a field that does not exist."""


@dataclass(frozen=True)
class ColumnMapping:
    """The user's corrections: a normalised heading → a field, or IGNORE.

    The built-in alias table answers for every heading not corrected here.
    """

    overrides: Mapping[str, str] = field(default_factory=dict)

    def field_for(self, heading: str) -> str | None:
        key = normalize_heading(heading)
        if key in self.overrides:
            target = self.overrides[key]
            return None if target == IGNORE else target
        return ALIASES.get(key)

    def with_overrides(self, pairs: Iterable[tuple[str, str]]) -> ColumnMapping:
        merged = dict(self.overrides)
        for heading, target in pairs:
            key = normalize_heading(heading)
            if not key:
                raise MappingError(_("A column mapping needs a heading before the “=”"))
            merged[key] = _check_target(target)
        return ColumnMapping(merged)

    def to_setting(self) -> dict[str, str]:
        return dict(sorted(self.overrides.items()))

    @classmethod
    def from_setting(cls, data: Any) -> ColumnMapping:
        """A saved mapping; entries naming no known field (an older version's) are dropped."""
        if not isinstance(data, dict):
            return cls()
        return cls(
            {
                normalize_heading(str(k)): v
                for k, v in data.items()
                if isinstance(v, str) and (v in TARGET_FIELDS or v == IGNORE)
            }
        )


def _check_target(target: str) -> str:
    name = target.strip()
    if name in ("", IGNORE, "ignore"):
        return IGNORE
    if name not in TARGET_FIELDS:
        raise MappingError(
            _("Unknown field {name}; use one of: {names}, or - to ignore the column").format(
                name=f"“{name}”", names=", ".join(TARGET_FIELDS)
            )
        )
    return name


def parse_map_option(text: str) -> tuple[str, str]:
    """ "No. Identitas=nik" → ("No. Identitas", "nik"); MappingError when malformed."""
    heading, sep, target = text.rpartition("=")
    if not sep or not heading.strip():
        raise MappingError(
            _("A column mapping is written HEADING=field, e.g. “No. Identitas=nik”; got {text}")
            .format(text=f"“{text}”")
        )  # fmt: skip
    return heading.strip(), _check_target(target)


def load_saved_mapping(store: Store) -> ColumnMapping:
    return ColumnMapping.from_setting(store.get_setting(MAPPING_SETTING))


def save_mapping(store: Store, mapping: ColumnMapping) -> None:
    """Keep `mapping`'s corrections for the next import (added to those saved before)."""
    saved = load_saved_mapping(store)
    merged = {**saved.overrides, **mapping.overrides}
    if merged != dict(saved.overrides):
        store.set_setting(MAPPING_SETTING, dict(sorted(merged.items())))


# -- the header ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MappedColumn:
    index: int  # 0-based
    letter: str
    heading: str  # as the file writes it (two header rows: "Tempat, Tanggal Lahir / Tempat")
    field: str | None  # None: ignored
    note: str = ""  # why it is ignored, when it looks like it should not be (translated)

    @property
    def source(self) -> SourceColumn:
        return SourceColumn(self.letter, self.heading)


def _texts(values: list[Cell]) -> list[str]:
    return [" ".join(cell_text(v).split()) for v in values]


def _score(texts: list[str], mapping: ColumnMapping) -> int:
    return len({f for f in (mapping.field_for(t) for t in texts if t) if f is not None})


def _columns(
    header: list[str], sub: list[str] | None, mapping: ColumnMapping
) -> list[MappedColumn]:
    columns: list[MappedColumn] = []
    taken: dict[str, str] = {}  # field → letter of the column that has it
    group = ""
    for index in range(max(len(header), len(sub or []))):
        main = header[index] if index < len(header) else ""
        below = sub[index] if sub is not None and index < len(sub) else ""
        if main:
            group = main
        heading = main
        target = mapping.field_for(main) if main else None
        if below and (not main or target in (None, BIRTH_PLACE_DATE)):
            # A sub-heading under a merged group heading ("TTL" over "Tempat" and "Tanggal").
            sub_target = mapping.field_for(below) or SUB_ALIASES.get(normalize_heading(below))
            if sub_target is not None:
                heading, target = (f"{group} / {below}" if group else below), sub_target
        if not heading:
            continue
        letter = column_letter(index)
        note = ""
        if target is not None and target in taken:
            note = _("{field} is already read from column {letter}").format(
                field=_(TARGET_LABELS[target]), letter=taken[target]
            )
            target = None
        elif target is not None:
            taken[target] = letter
        columns.append(MappedColumn(index, letter, heading, target, note))
    return columns


# -- cells --------------------------------------------------------------------------------

# An integer with more than 15 significant digits: Excel cannot have kept its last digit.
_EXCEL_DIGITS = 15
_SCIENTIFIC_TEXT = re.compile(r"(?a)\s*\d+(?:[.,]\d+)?\s*[eE]\s*\+?\s*\d+\s*")
_TRAILING_DATE = re.compile(
    r"(?a)^(?P<place>.*?)[\s,;/]+(?P<date>\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}[\s\-/.]*[^\W\d_]+\.?[\s\-/.]*\d{2,4})\s*$"
)


def _excel_damage(column: SourceColumn, row: int) -> RowProblem:
    return RowProblem(
        row,
        column,
        "nik",
        "nik.excel_number",
        _(
            "The NIK was stored as a number in Excel and lost its last digits: type it again "
            "as text"
        ),
    )


def nik_cell(value: Cell, column: SourceColumn, row: int) -> tuple[str, RowProblem | None]:
    if isinstance(value, bool):
        return cell_text(value), None
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
        return text, _excel_damage(column, row)
    if isinstance(value, int):
        digits = str(abs(value))
        if len(digits) > _EXCEL_DIGITS and digits.endswith("0"):
            return digits, _excel_damage(column, row)
        return digits, None
    text = cell_text(value)
    if _SCIENTIFIC_TEXT.fullmatch(text):
        return text, _excel_damage(column, row)
    return text, None


def _date_cell(value: Cell) -> str:
    if isinstance(value, bool):
        return cell_text(value)
    if isinstance(value, datetime):
        return format_date(value.date())
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, int | float):
        found = excel_serial_to_date(value)
        return format_date(found) if found is not None else cell_text(value)
    return cell_text(value)


def split_birth_place_date(value: Cell) -> tuple[str, str]:
    """ "Malang, 17 Agustus 1980" → ("Malang", "17 Agustus 1980"); a date cell → ("", date)."""
    if isinstance(value, date | datetime | int | float) and not isinstance(value, bool):
        return "", _date_cell(value)
    text = " ".join(cell_text(value).split())
    if not text:
        return "", ""
    place, comma, rest = text.rpartition(",")
    if comma and parse_date(rest.strip()) is not None:
        return place.strip(" ,"), rest.strip()
    match = _TRAILING_DATE.match(text)
    if match is not None and match["place"].strip():
        return match["place"].strip(" ,"), match["date"].strip()
    if comma:
        return place.strip(" ,"), rest.strip()
    return text, ""


# -- reading a sheet ----------------------------------------------------------------------


@dataclass
class OfficerSheet:
    """A sheet read into rows, with where every field came from."""

    path: Path
    kind: str  # "csv" | "xlsx"
    sheet_name: str
    header_row: int
    columns: list[MappedColumn]
    rows: list[ImportRow]
    missing: list[str]  # fields a complete row needs that no column gives

    @property
    def field_columns(self) -> dict[str, SourceColumn]:
        found = {c.field: c.source for c in self.columns if c.field is not None}
        combined = found.get(BIRTH_PLACE_DATE)
        if combined is not None:
            found.setdefault("birth_place", combined)
            found.setdefault("birth_date", combined)
        return found


def _too_many(path: Path) -> SheetError:
    return SheetError(
        _(
            "{file} has more than {n} rows of officers, the most one import takes: split it "
            "into several files"
        ).format(file=path.name, n=format_number(MAX_DATA_ROWS))
    )


def _find_header(
    sheet: Sheet, mapping: ColumnMapping
) -> tuple[int, list[MappedColumn], list[tuple[int, list[Cell]]], Iterator[Any]]:
    """The header row, its columns, the rows read past it, and the rest of the stream."""
    scan = find_header(iter(sheet.rows), lambda texts: _score(texts, mapping))
    if scan is None:
        raise SheetError(_("{file}: the sheet is empty").format(file=sheet.path.name))
    if scan.score < MIN_HEADER_MATCHES:
        raise SheetError(
            _(
                "{file}: no header row found in the first {n} rows; the header needs headings "
                "such as NIK, Nama, Tanggal Lahir, L/P, Jabatan, TPS"
            ).format(file=sheet.path.name, n=HEADER_SCAN_ROWS)
        )
    header_number, header, rest, rows = scan.number, _texts(scan.values), scan.after, scan.rest
    columns = _columns(header, None, mapping)
    if rest:
        sub = _texts(rest[0][1])
        with_sub = _columns(header, sub, mapping)
        found = {c.field for c in columns if c.field}
        if {c.field for c in with_sub if c.field} - found and not _has_digits(sub):
            columns = with_sub
            rest = rest[1:]
    if rest and is_column_numbering(_texts(rest[0][1])):
        rest = rest[1:]
    return header_number, columns, rest, rows


def _has_digits(texts: list[str]) -> bool:
    return sum(any(ch.isdigit() for ch in t) for t in texts) > 1


def _import_row(number: int, values: list[Cell], columns: list[MappedColumn]) -> ImportRow | None:
    draft = OfficerDraft()
    place: dict[str, str] = {"tps": "", "kelurahan": "", "kecamatan": ""}
    problems: list[RowProblem] = []
    combined: tuple[str, str] | None = None
    anything = False
    for column in columns:
        if column.field is None:
            continue
        value = values[column.index] if column.index < len(values) else None
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        anything = True
        target = column.field
        if target == "nik":
            text, damage = nik_cell(value, column.source, number)
            draft.nik = text
            if damage is not None:
                problems.append(damage)
        elif target in ("birth_date", "duty_start", "duty_end"):
            setattr(draft, target, _date_cell(value))
        elif target == BIRTH_PLACE_DATE:
            combined = split_birth_place_date(value)
        elif target in place:
            place[target] = fold_cell_breaks(cell_text(value)).strip()
        else:
            # A cell's Alt+Enter is a space in the officer's record; any other control or
            # format character is refused by validate_officer.
            setattr(draft, target, fold_cell_breaks(cell_text(value)).strip())
    if not anything:
        return None
    if combined is not None:
        # Separate columns win over the combined one where both are filled.
        draft.birth_place = draft.birth_place or combined[0]
        draft.birth_date = draft.birth_date or combined[1]
    return ImportRow(number, draft, problems=tuple(problems), **place)


class NoNikColumn(SheetError):
    """The header was found, but no column of it is known to hold the NIK: `columns` are the
    headings found, for the person to say which one does (a mapping override)."""

    def __init__(self, path: Path, header_row: int, columns: list[MappedColumn]) -> None:
        super().__init__(
            _(
                "{file}: the header (row {row}) has no NIK column; name the column NIK, or "
                'map it (e.g. --map "No. Identitas=nik")'
            ).format(file=path.name, row=header_row)
        )
        self.path = path
        self.header_row = header_row
        self.columns = columns


def read_officer_sheet(
    path: Path,
    *,
    sheet: str | None = None,
    mapping: ColumnMapping | None = None,
    progress: Progress | None = None,
) -> OfficerSheet:
    """Read an officer list; SheetError when the file as a whole cannot be used.

    Rows whose mapped cells are all empty are skipped; more than MAX_DATA_ROWS rows is refused
    as soon as the row after the limit is read. `progress` gets (rows read, rows the file
    declares — 0 when unknown).
    """
    mapping = mapping or ColumnMapping()
    path = Path(path)
    with open_sheet(path, sheet) as opened:
        header_row, columns, buffered, rest = _find_header(opened, mapping)
        fields = {c.field for c in columns if c.field is not None}
        if "nik" not in fields:
            raise NoNikColumn(path, header_row, columns)
        missing = [
            name
            for name in ("nik", "name", "birth_place", "birth_date", "sex", "address", "post_code")
            if name not in fields
            and not (name in ("birth_place", "birth_date") and BIRTH_PLACE_DATE in fields)
        ]
        nik_column = next(c for c in columns if c.field == "nik")
        rows: list[ImportRow] = []

        def stream() -> Iterator[tuple[int, list[Cell]]]:
            yield from buffered
            yield from rest

        for number, values in stream():
            row = _import_row(number, values, columns)
            if row is None:
                continue
            if row.draft.nik == nik_column.heading:
                continue  # the header repeated (a sheet printed page by page)
            if len(rows) >= MAX_DATA_ROWS:
                raise _too_many(path)
            rows.append(row)
            if progress is not None and len(rows) % 500 == 0:
                progress(len(rows), opened.estimated_rows)
    if progress is not None:
        progress(len(rows), len(rows))
    return OfficerSheet(path, opened.kind, opened.name, header_row, columns, rows, missing)


def check_officer_file(path: Path, *, sheet: str | None = None) -> None:
    """Refuse early what no mapping can fix: not a spreadsheet, encrypted, .xls, no such sheet.

    Cheap (no row is read past the first value); for checking before asking for a passphrase.
    """
    with open_sheet(Path(path), sheet):
        pass


# -- preview and import -------------------------------------------------------------------


@dataclass
class OfficerImportPreview:
    sheet: OfficerSheet
    plan: ImportPlan
    mapping: ColumnMapping

    @property
    def counts(self) -> ImportCounts:
        return self.plan.counts


def preview_officer_import(
    store: Store,
    path: Path,
    *,
    sheet: str | None = None,
    overrides: Iterable[tuple[str, str]] = (),
    default_kelurahan: str | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> OfficerImportPreview:
    """Read `path` with the saved mapping plus `overrides` and classify its rows; reads only.

    `progress` is called first while reading the file (rows read, rows declared or 0), then
    while checking the rows (rows checked, rows in all).
    """
    mapping = load_saved_mapping(store).with_overrides(overrides)
    parsed = read_officer_sheet(path, sheet=sheet, mapping=mapping, progress=progress)
    plan = plan_import(
        store,
        parsed.rows,
        columns=parsed.field_columns,
        default_kelurahan=default_kelurahan,
        today=today,
        progress=progress,
        total=len(parsed.rows),
    )
    return OfficerImportPreview(parsed, plan, mapping)


def apply_officer_import(
    store: Store, preview: OfficerImportPreview, *, progress: Progress | None = None
) -> ImportCounts:
    """Write the preview's new and updated rows in one transaction (see `apply_import`)."""
    return apply_import(store, preview.plan, progress=progress)


def describe_counts(counts: ImportCounts) -> str:
    text = _("{new} new, {updated} updated, {unchanged} unchanged, {invalid} invalid").format(
        new=counts.new, updated=counts.updated, unchanged=counts.unchanged, invalid=counts.invalid
    )
    if counts.removed:
        text += ", " + _("{n} removed by the district (skipped)").format(n=counts.removed)
    return text


def describe_imported(counts: ImportCounts) -> str:
    """After an import: what was written."""
    return _("Imported: {new} new, {updated} updated.").format(
        new=counts.new, updated=counts.updated
    )


def describe_left(counts: ImportCounts) -> str:
    """After an import (or before it, at the confirmation): the rows not written, by kind."""
    text = _("Not written: {unchanged} unchanged, {invalid} invalid").format(
        unchanged=counts.unchanged, invalid=counts.invalid
    )
    if counts.removed:
        text += ", " + _("{n} removed by the district (skipped)").format(n=counts.removed)
    return text + "."
