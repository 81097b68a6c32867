"""The BPJS Ketenagakerjaan collective enrolment sheet (XLSX or CSV), from a column mapping.

The column layout is read from a mapping file (docs/exports.md): the packaged default
`bpjs_template.json`, a file given with `--template`, or the store setting BPJS_TEMPLATE_SETTING.
Sheet `data_tk_baru` holds exactly the heading row and one row per officer, every cell text;
officers that cannot be enrolled yet are left out and listed with the reason beside it. When the
desk asks for the mother's maiden name (exchange.mother_name) and the template has a column for
it, the officers exported without it are listed too (sheet or side file "missing-mother").
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from tpsdesk.domain.dates import format_date
from tpsdesk.domain.eligibility import (
    EXCLUSION_LABELS,
    duty_period,
    exclusion_reasons,
    post_name,
)
from tpsdesk.domain.eligibility import (  # still importable from here, as before
    ExclusionKind as ExclusionKind,
)
from tpsdesk.domain.officer import OfficerDraft
from tpsdesk.domain.pay import PaySettings
from tpsdesk.domain.posts import PostCatalogue
from tpsdesk.exchange.xlsx_writer import (
    CSV,
    XLSX,
    AtomicFiles,
    ExportError,
    Progress,
    csv_writer,
    new_workbook,
    numbered_paths,
    output_kind,
    refuse_existing,
    save_workbook,
    settings_lines,
    side_path,
)
from tpsdesk.i18n import N_, _, ngettext, os_error_text
from tpsdesk.store.db import Store
from tpsdesk.store.models import Kecamatan, Kelurahan, Officer, Tps
from tpsdesk.store.pay_settings import load_pay_settings
from tpsdesk.sync.district import officers_under_review

# An officer's id and the values of its row in BPJS's sheet.
_Row = tuple[str, list[str]]

TEMPLATE_VERSION = 1
BPJS_TEMPLATE_SETTING = "bpjs_template"
BPJS_MAX_ROWS = 10_000  # BPJS's limit of rows per upload file
MAX_TEMPLATE_BYTES = 1_000_000
MAX_COLUMNS = 200

# What a template column may take its value from.
SOURCES: Mapping[str, str] = {
    "nik": N_("NIK"),
    "name": N_("Name"),
    "birth_place": N_("Place of birth"),
    "birth_date": N_("Date of birth (dd-mm-yyyy)"),
    "sex": N_("Sex (L/P)"),
    "mother_name": N_("Mother's maiden name"),
    "marital_status": N_("Marital status (Y/T)"),
    "address": N_("Address"),
    "postcode": N_("Postcode"),
    "phone": N_("Phone number"),
    "email": N_("E-mail"),
    "wage": N_("Wage basis in whole rupiah (pay settings)"),
    "duty_start": N_("Duty start (dd-mm-yyyy)"),
    "duty_end": N_("Duty end (dd-mm-yyyy)"),
    "work_location": N_("Work location: TPS, kelurahan, kecamatan"),
    "tps": N_("TPS number"),
    "kelurahan": N_("Kelurahan name"),
    "kecamatan": N_("Kecamatan name"),
    "post": N_("Post name"),
    "post_code": N_("Post code"),
}
_TEMPLATE_KEYS = frozenset({"version", "note", "sheet", "max_rows", "columns"})
_COLUMN_KEYS = frozenset({"heading", "source", "constant", "required"})


class TemplateError(ExportError):
    """A template mapping that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class TemplateColumn:
    heading: str
    source: str | None  # one of SOURCES, or None for a constant
    constant: str = ""
    required: bool = False


@dataclass(frozen=True)
class BpjsTemplate:
    sheet: str
    columns: tuple[TemplateColumn, ...]
    max_rows: int = BPJS_MAX_ROWS
    origin: str = ""  # where it came from, for the settings sheet

    def to_dict(self) -> dict[str, Any]:
        columns: list[dict[str, Any]] = []
        for column in self.columns:
            entry: dict[str, Any] = {"heading": column.heading}
            if column.source is None:
                entry["constant"] = column.constant
            else:
                entry["source"] = column.source
            if column.required:
                entry["required"] = True
            columns.append(entry)
        return {
            "version": TEMPLATE_VERSION,
            "sheet": self.sheet,
            "max_rows": self.max_rows,
            "columns": columns,
        }


def template_from_dict(data: object, origin: str) -> BpjsTemplate:
    """Check and read a template mapping; raises TemplateError naming `origin` and the entry."""

    def bad(entry: str, reason: str) -> TemplateError:
        return TemplateError(
            _("BPJS template {file}, {entry}: {reason}").format(
                file=origin, entry=entry, reason=reason
            )
        )

    if not isinstance(data, Mapping):
        raise bad("/", _("must be a JSON object with a list of columns"))
    unknown = sorted(str(key) for key in data if key not in _TEMPLATE_KEYS)
    if unknown:
        raise bad(", ".join(unknown), _("unknown key"))
    if data.get("version", TEMPLATE_VERSION) != TEMPLATE_VERSION:
        raise bad("version", _("only version 1 is supported"))
    sheet = data.get("sheet", "data_tk_baru")
    if not isinstance(sheet, str) or not sheet.strip() or len(sheet) > 31:
        raise bad("sheet", _("must be a sheet name of 1 to 31 characters"))
    max_rows = data.get("max_rows", BPJS_MAX_ROWS)
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or not max_rows >= 1:
        raise bad("max_rows", _("must be a whole number of rows, 1 or more"))
    if max_rows > 1_048_575:
        raise bad("max_rows", _("an XLSX sheet holds at most 1,048,575 rows below its heading"))
    entries = data.get("columns")
    if not isinstance(entries, list) or not entries:
        raise bad("columns", _("must be a non-empty list"))
    if len(entries) > MAX_COLUMNS:
        raise bad("columns", _("too many columns"))
    columns = []
    headings: set[str] = set()
    for index, entry in enumerate(entries, 1):
        where = _("column {n}").format(n=index)
        if not isinstance(entry, Mapping):
            raise bad(where, _("must be an object with a heading and a source or a constant"))
        unknown = sorted(str(key) for key in entry if key not in _COLUMN_KEYS)
        if unknown:
            raise bad(where, _("unknown key {key}").format(key=", ".join(unknown)))
        heading = entry.get("heading")
        if not isinstance(heading, str) or not heading.strip():
            raise bad(where, _("the heading is missing"))
        heading = heading.strip()
        where = f"{where} ({heading})"
        if heading in headings:
            raise bad(where, _("the heading appears twice"))
        headings.add(heading)
        source = entry.get("source")
        constant = entry.get("constant")
        if (source is None) == (constant is None):
            raise bad(where, _("give either a source or a constant"))
        if source is not None and source not in SOURCES:
            raise bad(
                where,
                _("unknown source {source}; choose from {choices}").format(
                    source=source, choices=", ".join(SOURCES)
                ),
            )
        if constant is not None and not isinstance(constant, str):
            raise bad(where, _("a constant must be text"))
        required = entry.get("required", False)
        if not isinstance(required, bool):
            raise bad(where, _("required must be true or false"))
        columns.append(TemplateColumn(heading, source, constant or "", required))
    return BpjsTemplate(sheet.strip(), tuple(columns), max_rows, origin)


def load_template(path: Path) -> BpjsTemplate:
    """Read a template mapping file (JSON); raises TemplateError naming the file."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_TEMPLATE_BYTES + 1)
    except OSError as exc:
        raise TemplateError(
            _("Could not read the BPJS template {file}: {reason}").format(
                file=str(path), reason=os_error_text(exc)
            )
        ) from None
    if len(raw) > MAX_TEMPLATE_BYTES:
        raise TemplateError(
            _("The BPJS template {file} is too large to be a template.").format(file=str(path))
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise TemplateError(
            _("The BPJS template {file} is not UTF-8 text.").format(file=str(path))
        ) from None
    except json.JSONDecodeError as exc:
        raise TemplateError(
            _("The BPJS template {file} is not valid JSON: line {line}, column {column}").format(
                file=str(path), line=exc.lineno, column=exc.colno
            )
        ) from None
    return template_from_dict(data, str(path))


def default_template() -> BpjsTemplate:
    """The packaged mapping: the columns seen in recent BPJS templates."""
    raw = resources.files("tpsdesk.exchange").joinpath("bpjs_template.json").read_text("utf-8")
    return template_from_dict(json.loads(raw), _("built-in template"))


def store_template(store: Store) -> BpjsTemplate:
    """The district's template (store setting) if it has one, else the packaged default."""
    data = store.get_setting(BPJS_TEMPLATE_SETTING)
    if data is None:
        return default_template()
    return template_from_dict(data, _("the store's template setting"))


def save_template_setting(store: Store, template: BpjsTemplate | None) -> None:
    """Keep `template` in the store for later exports (None: back to the packaged default)."""
    store.set_setting(BPJS_TEMPLATE_SETTING, None if template is None else template.to_dict())


# -- the export ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    """An officer left out of the BPJS sheet, with every reason found."""

    officer_id: str
    nik: str
    name: str
    post: str
    location: str
    status: str
    kind: str  # ExclusionKind of the first reason
    reasons: tuple[str, ...]  # translated


@dataclass(frozen=True)
class Missing:
    """An exported officer without a value the desk asks for (the mother's maiden name)."""

    officer_id: str
    nik: str
    name: str
    post: str
    location: str
    status: str


MISSING_MOTHER = "missing-mother"  # the CSV side file: F-missing-mother.csv


@dataclass(frozen=True)
class BpjsExportResult:
    data_files: tuple[Path, ...]  # the files to upload to BPJS
    files: tuple[Path, ...]  # every file written, the data files first
    exported: int
    excluded: tuple[Exclusion, ...]
    # The template's mother's-name heading when the exported officers were checked for it
    # (the desk asks for it), else None; and the exported officers without it.
    mother_heading: str | None = None
    missing_mother: tuple[Missing, ...] = ()

    def excluded_by_kind(self) -> Counter[str]:
        return Counter(exclusion.kind for exclusion in self.excluded)


def bpjs_summary(result: BpjsExportResult, out: Path) -> tuple[list[str], list[str]]:
    """What to tell the person after a BPJS export, translated: how many were exported, and
    (second list) how many were left out, by reason, and where they are listed."""
    done = [
        ngettext("{n} officer exported.", "{n} officers exported.", result.exported).format(
            n=result.exported
        )
    ]
    if result.missing_mother:
        where = (
            str(side_path(out, MISSING_MOTHER).resolve())
            if out.suffix.lower() == CSV
            else _("the sheet “{sheet}” of the workbook").format(sheet=missing_mother_sheet())
        )
        done.append(
            ngettext(
                "{n} of them has no mother's maiden name ({heading} is empty): listed in {where}.",
                "{n} of them have no mother's maiden name ({heading} is empty): listed in {where}.",
                len(result.missing_mother),
            ).format(n=len(result.missing_mother), heading=result.mother_heading, where=where)
        )
    if not result.excluded:
        return done, []
    left_out = [
        ngettext("{n} officer left out:", "{n} officers left out:", len(result.excluded)).format(
            n=len(result.excluded)
        )
    ]
    left_out += [
        f"  {count:>6}  {_(EXCLUSION_LABELS[reason])}"
        for reason, count in result.excluded_by_kind().most_common()
    ]
    where = (
        str(side_path(out, "excluded").resolve())
        if out.suffix.lower() == CSV
        else _("the sheet “{sheet}” of the workbook").format(sheet=_("Not exported"))
    )
    left_out.append(_("Who and why: {where}.").format(where=where))
    return done, left_out


_COLUMNS: tuple[Any, ...] = (
    col(Officer.id),
    col(Officer.nik),
    col(Officer.name),
    col(Officer.birth_place),
    col(Officer.birth_date),
    col(Officer.sex),
    col(Officer.address),
    col(Officer.postcode),
    col(Officer.phone),
    col(Officer.email),
    col(Officer.mother_name),
    col(Officer.marital_status),
    col(Officer.post_code),
    col(Officer.duty_start),
    col(Officer.duty_end),
    col(Officer.status),
    col(Officer.status_reason),
    col(Officer.bpjs_number),
    col(Tps.number).label("tps_number"),
    col(Kelurahan.name).label("kelurahan_name"),
    col(Kecamatan.name).label("kecamatan_name"),
)


def _query() -> Any:
    return (
        sa_select(*_COLUMNS)
        .select_from(Officer)
        .outerjoin(Tps, col(Tps.id) == col(Officer.tps_id))
        .outerjoin(Kelurahan, col(Kelurahan.code) == col(Officer.kelurahan_code))
        .outerjoin(Kecamatan, col(Kecamatan.code) == col(Officer.kecamatan_code))
        .where(col(Officer.deleted).is_(False))
        .order_by(
            col(Officer.kecamatan_code),
            col(Officer.kelurahan_code),
            col(Tps.number),
            col(Officer.post_code),
            col(Officer.name),
            col(Officer.id),
        )
    )


def _rows(session: Session) -> Iterator[Row[Any]]:
    # Core execution streams from the SQLite cursor instead of buffering every row.
    yield from session.connection().execute(_query())


class _RowBuilder:
    """Turns a stored officer row into the template's text values."""

    def __init__(
        self, template: BpjsTemplate, settings: PaySettings, catalogue: PostCatalogue
    ) -> None:
        self.template = template
        self.settings = settings
        self.catalogue = catalogue
        self._wages: dict[str, str] = {}

    def post_name(self, code: str) -> str:
        return post_name(self.catalogue, code)

    def duty(self, row: Row[Any]) -> tuple[date | None, date | None]:
        return duty_period(self.catalogue, row.post_code, row.duty_start, row.duty_end)

    def wage(self, post_code: str) -> str:
        if post_code not in self._wages:
            wage = self.settings.wage_for(post_code)
            self._wages[post_code] = (
                "" if wage is None else str(wage.quantize(Decimal(1), rounding=ROUND_HALF_UP))
            )
        return self._wages[post_code]

    @staticmethod
    def location(row: Row[Any]) -> str:
        parts = []
        if row.tps_number is not None:
            parts.append(f"TPS {row.tps_number:03d}")
        if row.kelurahan_name:
            parts.append(row.kelurahan_name)
        if row.kecamatan_name:
            parts.append(row.kecamatan_name)
        return ", ".join(parts)

    def values(self, row: Row[Any]) -> list[str]:
        start, end = self.duty(row)
        out = []
        for column in self.template.columns:
            source = column.source
            if source is None:
                out.append(column.constant)
            elif source == "birth_date":
                out.append(format_date(row.birth_date))
            elif source == "duty_start":
                out.append(format_date(start) if start else "")
            elif source == "duty_end":
                out.append(format_date(end) if end else "")
            elif source == "wage":
                out.append(self.wage(row.post_code))
            elif source == "work_location":
                out.append(self.location(row))
            elif source == "tps":
                out.append(f"{row.tps_number:03d}" if row.tps_number is not None else "")
            elif source == "kelurahan":
                out.append(row.kelurahan_name or "")
            elif source == "kecamatan":
                out.append(row.kecamatan_name or "")
            elif source == "post":
                out.append(self.post_name(row.post_code))
            else:
                value = getattr(row, source)
                out.append("" if value is None else str(value))
        return out


def _draft(row: Row[Any]) -> OfficerDraft:
    return OfficerDraft(
        nik=row.nik,
        name=row.name,
        birth_place=row.birth_place or "",
        birth_date=format_date(row.birth_date),
        sex=row.sex,
        address=row.address or "",
        postcode=row.postcode or "",
        phone=row.phone or "",
        email=row.email or "",
        mother_name=row.mother_name or "",
        marital_status=row.marital_status or "",
        post_code=row.post_code,
        duty_start=format_date(row.duty_start) if row.duty_start else "",
        duty_end=format_date(row.duty_end) if row.duty_end else "",
    )


def _reasons(
    row: Row[Any],
    values: list[str],
    builder: _RowBuilder,
    findings: Mapping[str, str],
    today: date,
) -> list[tuple[str, str]]:
    """(kind, translated reason) of everything that keeps this officer out; [] to export.
    The rules are `domain.eligibility`'s."""
    empty_required = [
        (column.heading, column.source)
        for column, value in zip(builder.template.columns, values, strict=True)
        if column.required and not value
    ]
    return exclusion_reasons(
        _draft(row),
        status=row.status,
        status_reason=row.status_reason,
        bpjs_number=row.bpjs_number,
        finding=findings.get(row.id),
        duty=builder.duty(row),
        empty_required=empty_required,
        settings=builder.settings,
        catalogue=builder.catalogue,
        today=today,
    )


def export_bpjs(
    store: Store,
    out: Path,
    *,
    template: BpjsTemplate | None = None,
    settings: PaySettings | None = None,
    force: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
    max_rows: int | None = None,
) -> BpjsExportResult:
    """Write the BPJS enrolment sheet to `out` (.xlsx or .csv); returns what was written.

    At most `max_rows` (the template's, 10,000 by default) officers a file: more give
    F-1.xlsx, F-2.xlsx, …. XLSX: the other sheets list the officers left out and the settings
    used; CSV: F-excluded.csv and F-settings.csv beside it. `progress(done, total)` is called
    as officers are checked and written. Raises ExportError (nothing written) when there is
    nothing to export or a file cannot be written.
    """
    kind = output_kind(out, (XLSX, CSV))
    template = template or store_template(store)
    settings = settings or load_pay_settings(store)
    catalogue = store.catalogue
    today = today or date.today()
    limit = max_rows or template.max_rows
    builder = _RowBuilder(template, settings, catalogue)
    mother_heading = _mother_heading_checked(store, template)
    missing_mother: list[Missing] = []
    with store.read() as session:
        total = (
            session.connection()
            .execute(text("SELECT count(*) FROM officer WHERE NOT deleted"))
            .scalar_one()
        )
        steps = 2 * total
        findings = officers_under_review(session)
        excluded: list[Exclusion] = []
        excluded_ids: set[str] = set()
        done = 0
        for row in _rows(session):
            values = builder.values(row)
            reasons = _reasons(row, values, builder, findings, today)
            if reasons:
                excluded_ids.add(row.id)
                excluded.append(
                    Exclusion(
                        officer_id=row.id,
                        nik=row.nik,
                        name=row.name,
                        post=builder.post_name(row.post_code),
                        location=builder.location(row),
                        status=row.status,
                        kind=reasons[0][0],
                        reasons=tuple(reason for _kind, reason in reasons),
                    )
                )
            elif mother_heading is not None and not (row.mother_name or "").strip():
                missing_mother.append(
                    Missing(
                        officer_id=row.id,
                        nik=row.nik,
                        name=row.name,
                        post=builder.post_name(row.post_code),
                        location=builder.location(row),
                        status=row.status,
                    )
                )
            done += 1
            if progress is not None and done % 500 == 0:
                progress(done, steps)
        exported = total - len(excluded)
        if total == 0:
            raise ExportError(_("There are no officers to export."))
        if exported == 0:
            raise ExportError(_no_one_message(excluded))
        file_count = -(-exported // limit)
        data_paths = numbered_paths(out, file_count)
        side_paths = [side_path(out, "excluded"), side_path(out, "settings")] if kind == CSV else []
        if kind == CSV and mother_heading is not None:
            side_paths.append(side_path(out, MISSING_MOTHER))
        refuse_existing([*data_paths, *side_paths], force)
        info = _ExportInfo(
            template,
            settings,
            catalogue,
            exported,
            excluded,
            data_paths,
            mother_heading,
            {officer.officer_id: officer for officer in missing_mother},
        )

        def rows_to_write() -> Iterator[tuple[str, list[str]]]:
            nonlocal done
            for row in _rows(session):
                done += 1
                if progress is not None and done % 500 == 0:
                    progress(done, steps)
                if row.id in excluded_ids:
                    continue
                yield row.id, builder.values(row)

        rows = rows_to_write()
        with AtomicFiles(force=force) as files:
            for part, path in enumerate(data_paths, 1):
                temp = files.new(path)
                chunk = _take(rows, limit)
                if kind == XLSX:
                    _write_xlsx_part(temp, chunk, info, part, files)
                else:
                    _write_csv_part(temp, (values for _id, values in chunk), template)
            if kind == CSV:
                _write_csv_excluded(files.new(side_paths[0]), excluded)
                _write_csv_settings(files.new(side_paths[1]), info)
                if mother_heading is not None:
                    _write_csv_missing(files.new(side_paths[2]), missing_mother)
    if progress is not None:
        progress(steps, steps)
    return BpjsExportResult(
        data_files=tuple(data_paths),
        files=tuple(files.written),
        exported=exported,
        excluded=tuple(excluded),
        mother_heading=mother_heading,
        missing_mother=tuple(missing_mother),
    )


def _mother_heading_checked(store: Store, template: BpjsTemplate) -> str | None:
    """The template's mother's-name heading when the desk asks for the mother's name (the
    exported officers are then checked for it), else None."""
    from tpsdesk.exchange.mother_name import mother_name_asked, mother_name_heading

    heading = mother_name_heading(template)
    if heading is None or not mother_name_asked(store, template):
        return None
    return heading


def missing_mother_sheet() -> str:
    """The name of the workbook's sheet listing officers without the mother's maiden name."""
    return _("No mother's name")


def _take(rows: Iterator[_Row], limit: int) -> Iterator[_Row]:
    for _index in range(limit):
        row = next(rows, None)
        if row is None:
            return
        yield row


def _no_one_message(excluded: list[Exclusion]) -> str:
    counts = Counter(exclusion.kind for exclusion in excluded)
    summary = ", ".join(f"{n} {_(EXCLUSION_LABELS[kind])}" for kind, n in counts.most_common())
    return ngettext(
        "No officer can be exported: the {n} officer is left out ({summary}).",
        "No officer can be exported: all {n} officers are left out ({summary}).",
        len(excluded),
    ).format(n=len(excluded), summary=summary)


@dataclass(frozen=True)
class _ExportInfo:
    template: BpjsTemplate
    settings: PaySettings
    catalogue: PostCatalogue
    exported: int
    excluded: list[Exclusion]
    data_paths: list[Path]
    mother_heading: str | None = None
    # Officers exported without the mother's maiden name, by officer id (each file lists its own).
    missing_mother: Mapping[str, Missing] = field(default_factory=dict)

    def lines(self, part: int | None) -> list[tuple[str, str]]:
        now = datetime.now(UTC).astimezone()
        lines = [
            (_("Written"), now.strftime("%d-%m-%Y %H:%M %z")),
            (_("BPJS template"), self.template.origin),
            (_("Officers exported"), str(self.exported)),
            (_("Officers left out"), str(len(self.excluded))),
        ]
        if self.mother_heading is not None:
            lines.append(
                (
                    _("Exported without the mother's maiden name"),
                    str(len(self.missing_mother)),
                )
            )
        if part is not None:
            lines.append(
                (
                    _("File"),
                    _("{part} of {count}").format(part=part, count=len(self.data_paths)),
                )
            )
            if part > 1:
                lines.append(
                    (
                        _("Officers left out are listed in"),
                        self.data_paths[0].name,
                    )
                )
        lines.append((_("Files"), ", ".join(path.name for path in self.data_paths)))
        return lines + settings_lines(self.settings, self.catalogue)


def _excluded_heading() -> list[str]:
    return [_("NIK"), _("Name"), _("Post"), _("Place"), _("Status"), _("Why it is left out")]


def _excluded_values(exclusion: Exclusion) -> list[str]:
    return [
        exclusion.nik,
        exclusion.name,
        exclusion.post,
        exclusion.location,
        exclusion.status,
        "; ".join(exclusion.reasons),
    ]


def _missing_heading() -> list[str]:
    return [_("NIK"), _("Name"), _("Post"), _("Place"), _("Status")]


def _missing_values(missing: Missing) -> list[str]:
    return [missing.nik, missing.name, missing.post, missing.location, missing.status]


def _write_xlsx_part(
    path: Path, rows: Iterator[_Row], info: _ExportInfo, part: int, files: AtomicFiles
) -> None:
    """One file of at most the template's rows. The officers left out are in no file: they
    are listed once, in the first. Those exported without a mother's name are listed in the
    file that holds them. So a file's size follows its own rows, never the export's (a
    province's million officers make a hundred files)."""
    workbook = new_workbook()
    data = files.sheet(workbook, info.template.sheet, path)
    # BPJS's own sheet: its headings as they are, no styling, every cell Text.
    data.text_row(column.heading for column in info.template.columns)
    written: list[str] = []
    for row_id, values in rows:
        data.text_row(values)
        written.append(row_id)
    if part == 1:
        left_out = files.sheet(workbook, _("Not exported"), path)
        left_out.widths([20, 30, 20, 30, 12, 80])
        left_out.heading(_excluded_heading())
        for exclusion in info.excluded:
            left_out.text_row(_excluded_values(exclusion))
    if info.mother_heading is not None:
        missing = files.sheet(workbook, missing_mother_sheet(), path)
        missing.widths([20, 30, 20, 30, 12])
        missing.heading(_missing_heading())
        for row_id in written:
            officer = info.missing_mother.get(row_id)
            if officer is not None:
                missing.text_row(_missing_values(officer))
    used = files.sheet(workbook, _("Settings"), path)
    used.widths([34, 60])
    used.heading([_("Setting"), _("Value")])
    for label, value in info.lines(part):
        used.text_row([label, value])
    save_workbook(workbook, path)


def _write_csv_part(path: Path, rows: Iterator[list[str]], template: BpjsTemplate) -> None:
    with csv_writer(path) as writer:
        writer.writerow([column.heading for column in template.columns])
        writer.writerows(rows)


def _write_csv_excluded(path: Path, excluded: list[Exclusion]) -> None:
    with csv_writer(path) as writer:
        writer.writerow(_excluded_heading())
        writer.writerows(_excluded_values(exclusion) for exclusion in excluded)


def _write_csv_missing(path: Path, missing: list[Missing]) -> None:
    with csv_writer(path) as writer:
        writer.writerow(_missing_heading())
        writer.writerows(_missing_values(officer) for officer in missing)


def _write_csv_settings(path: Path, info: _ExportInfo) -> None:
    with csv_writer(path) as writer:
        writer.writerow([_("Setting"), _("Value")])
        writer.writerows(info.lines(None))


# Used by tests and the app to show what a source means.
def source_label(source: str) -> str:
    return _(SOURCES[source])
