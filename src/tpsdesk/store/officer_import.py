"""Officer import, plan then apply: classify rows read from a file against the store, then write
the valid ones in one transaction.

`plan_import()` only reads: it validates each row (`validate_officer`), finds its place (TPS by
kelurahan and number, kelurahan by code or name), and sorts it into new, updated (its NIK is in
the store once; `PlannedRow.changes` says each field old → new, from `import_changes`),
unchanged, removed (its NIK is held here only by an officer the district removed as a
duplicate: skipped unless `ImportPlan.adding_removed()`), or invalid (with every reason, tied
to the row and column it came from). `apply_import()` writes the new and updated rows in ONE
transaction: an exception part-way leaves the store as it was. Importing the same file again
changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from ..domain.area import (
    AreaCodeError,
    normalize_kecamatan_code,
    normalize_kelurahan_code,
    parse_tps_number,
)
from ..domain.names import name_key
from ..domain.nik import normalize_nik
from ..domain.officer import OfficerDraft, OfficerFields, validate_officer
from ..domain.posts import Post, PostCatalogue, Unit
from ..domain.problems import Problem, Severity
from ..i18n import _
from .area_scope import check_placement, enrolled_area
from .db import Store, StoreError
from .dialect import is_postgres
from .import_changes import FieldChange, PlaceNames, field_changes, removed_by_district
from .models import Action, Kecamatan, Kelurahan, Officer, OfficerStatus, Tps, new_id
from .officers import Placement, _values
from .versioning import RowChange, changed_fields, stamp_rows

Progress = Callable[[int, int], None]
# Placement references a row may carry besides the officer's own fields.
PLACE_FIELDS: tuple[str, ...] = ("tps", "kelurahan", "kecamatan")
_PROGRESS_EVERY = 250
_IN_CHUNK = 500  # SQLite limits the number of parameters of one statement
_WRITE_CHUNK = 500  # new officers stamped at a time (progress between)


class ImportStale(StoreError):
    """The store changed between the preview and the import: preview again."""


class NoArea(StoreError):
    """The store holds no kecamatan at all: set up the area or enrol before importing (said
    once, instead of every row invalid; a file that cannot be read is still said first)."""


def _no_area() -> NoArea:
    return NoArea(
        _(
            "This store has no area yet, so no officer can be placed: import the area list "
            "(tpsdesk area import FILE, or F2 then I in the app) or enrol the laptop with the "
            "district's setup file first"
        )
    )


class RowStatus(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    INVALID = "invalid"
    # Its NIK is held here only by an officer the district removed as a duplicate: skipped,
    # unless the user chooses to add it again (`ImportPlan.adding_removed`).
    REMOVED = "removed"


@dataclass(frozen=True)
class SourceColumn:
    """Where a value came from: the column letter as Excel shows it, and its heading."""

    letter: str
    heading: str


@dataclass(frozen=True)
class RowProblem:
    """Something wrong with one row; `column` None: the row as a whole."""

    row: int
    column: SourceColumn | None
    field: str  # an OfficerDraft field, one of PLACE_FIELDS, or "" for the row
    code: str
    message: str  # translated; never the NIK or a name
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def describe(self) -> str:
        if self.column is not None:
            return _("Row {row}, column {letter} ({heading}): {message}").format(
                row=self.row,
                letter=self.column.letter,
                heading=self.column.heading,
                message=self.message,
            )
        return _("Row {row}: {message}").format(row=self.row, message=self.message)


@dataclass(frozen=True)
class ImportRow:
    """One row of a file: the officer's values as text, where they sit, what reading found."""

    row: int  # the row number as Excel shows it, or the CSV line
    draft: OfficerDraft
    tps: str = ""
    kelurahan: str = ""  # a code or a name
    kecamatan: str = ""  # a code or a name
    problems: tuple[RowProblem, ...] = ()  # found while reading cells (a NIK Excel damaged…)


@dataclass(frozen=True)
class PlannedRow:
    row: int
    status: RowStatus
    problems: tuple[RowProblem, ...]  # errors when invalid; warnings otherwise
    fields: OfficerFields | None = None
    placement: Placement | None = None
    officer_id: str | None = None  # the officer updated (or unchanged)
    changed: tuple[str, ...] = ()  # columns an update changes
    # An update's changes, old → new as shown on screen (personal data: not for the CLI).
    changes: tuple[FieldChange, ...] = ()
    name: str = ""  # the officer's name, for the preview's lists (personal data)

    @property
    def errors(self) -> list[RowProblem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[RowProblem]:
        return [p for p in self.problems if not p.is_error]


@dataclass(frozen=True)
class ImportCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    removed: int = 0  # rows skipped: the district removed their NIK as a duplicate

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + self.invalid + self.removed


@dataclass
class ImportPlan:
    """What importing would do; apply it with `apply_import()` before the store changes."""

    rows: list[PlannedRow] = field(default_factory=list)
    marker: int = -1  # SQLite's total_changes() when planned: any write since makes it stale

    @property
    def counts(self) -> ImportCounts:
        tally = {status: 0 for status in RowStatus}
        for row in self.rows:
            tally[row.status] += 1
        return ImportCounts(
            new=tally[RowStatus.NEW],
            updated=tally[RowStatus.UPDATED],
            unchanged=tally[RowStatus.UNCHANGED],
            invalid=tally[RowStatus.INVALID],
            removed=tally[RowStatus.REMOVED],
        )

    @property
    def invalid_rows(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.status is RowStatus.INVALID]

    @property
    def to_write(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.status in (RowStatus.NEW, RowStatus.UPDATED)]

    @property
    def updated_rows(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.status is RowStatus.UPDATED]

    @property
    def removed_rows(self) -> list[PlannedRow]:
        return [row for row in self.rows if row.status is RowStatus.REMOVED]

    def adding_removed(self) -> ImportPlan:
        """This plan with the rows the district removed as duplicates added as new officers
        (the user chose so, knowing why): the district sees the same NIK again and reviews it."""
        rows = [
            replace(row, status=RowStatus.NEW) if row.status is RowStatus.REMOVED else row
            for row in self.rows
        ]
        return ImportPlan(rows, self.marker)


def mask_nik(nik: str) -> str:
    """3573…0001: enough to find the row, not enough to leak the NIK."""
    return f"{nik[:4]}…{nik[-4:]}" if len(nik) > 8 else "…"


def _marker(session: Session) -> int:
    if is_postgres(session):
        # No total_changes() there, and other clerks write too: every write of the store
        # appends to the audit trail, whose ids only grow.
        query = text("SELECT coalesce(max(id), 0) FROM audit_entry")
        return int(session.execute(query).scalar_one())
    return int(session.execute(text("SELECT total_changes()")).scalar_one())


# -- the area, loaded once ----------------------------------------------------------------


class _Area:
    def __init__(self, session: Session) -> None:
        self.kecamatan: dict[str, str] = {}  # code → name
        self.kecamatan_by_name: dict[str, list[str]] = defaultdict(list)
        for kec in session.exec(select(Kecamatan).where(col(Kecamatan.deleted).is_(False))):
            self.kecamatan[kec.code] = kec.name
            self.kecamatan_by_name[_fold(kec.name)].append(kec.code)
        self.kelurahan: dict[str, tuple[str, str]] = {}  # code → (name, kecamatan code)
        self.kelurahan_by_name: dict[str, list[str]] = defaultdict(list)
        for kel in session.exec(select(Kelurahan).where(col(Kelurahan.deleted).is_(False))):
            if kel.kecamatan_code not in self.kecamatan:
                continue
            self.kelurahan[kel.code] = (kel.name, kel.kecamatan_code)
            self.kelurahan_by_name[_fold(kel.name)].append(kel.code)
        self.tps: dict[tuple[str, int], str] = {}
        query = select(Tps.kelurahan_code, Tps.number, Tps.id).where(col(Tps.deleted).is_(False))
        for kelurahan_code, number, tps_id in session.exec(query):
            self.tps[(kelurahan_code, number)] = tps_id


# Words lists put before a name ("Kel. Sukun", "Desa Sumbersari", "Kec. Klojen").
_AREA_PREFIXES = frozenset({"kel", "kelurahan", "desa", "ds", "kec", "kecamatan"})


def _fold(name: str) -> str:
    """A kecamatan or kelurahan name for matching: case, punctuation and a leading "Kel.",
    "Desa" or "Kec." do not count."""
    words = name_key(name).split()
    if len(words) > 1 and words[0] in _AREA_PREFIXES:
        words = words[1:]
    return " ".join(words)


@dataclass
class _Resolver:
    area: _Area
    columns: Mapping[str, SourceColumn]
    default_kelurahan: str | None

    def _problem(self, row: int, field_name: str, code: str, message: str) -> RowProblem:
        return RowProblem(row, self.columns.get(field_name), field_name, code, message)

    def kecamatan(self, row: ImportRow, problems: list[RowProblem]) -> str | None:
        ref = " ".join(row.kecamatan.split())
        if not ref:
            return None
        try:
            code = normalize_kecamatan_code(ref)
        except AreaCodeError:
            matches = self.area.kecamatan_by_name.get(_fold(ref), [])
            if len(matches) == 1:
                return matches[0]
        else:
            if code in self.area.kecamatan:
                return code
        problems.append(
            self._problem(
                row.row,
                "kecamatan",
                "kecamatan.unknown",
                _("There is no kecamatan {ref} in the store").format(ref=f"“{ref}”"),
            )
        )
        return None

    def kelurahan(
        self, row: ImportRow, kecamatan: str | None, problems: list[RowProblem]
    ) -> str | None:
        ref = " ".join(row.kelurahan.split())
        if not ref:
            if self.default_kelurahan is not None:
                return self.default_kelurahan
            candidates = [
                code
                for code, (_name, kec) in self.area.kelurahan.items()
                if kecamatan is None or kec == kecamatan
            ]
            return candidates[0] if len(candidates) == 1 else None
        try:
            code = normalize_kelurahan_code(ref)
        except AreaCodeError:
            matches = [
                code
                for code in self.area.kelurahan_by_name.get(_fold(ref), [])
                if kecamatan is None or self.area.kelurahan[code][1] == kecamatan
            ]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                problems.append(
                    self._problem(
                        row.row,
                        "kelurahan",
                        "kelurahan.ambiguous",
                        _(
                            "Several kelurahan are called {ref}: write the kelurahan code, or "
                            "add a Kecamatan column"
                        ).format(ref=f"“{ref}”"),
                    )
                )
                return None
        else:
            if code in self.area.kelurahan:
                return code
        problems.append(
            self._problem(
                row.row,
                "kelurahan",
                "kelurahan.unknown",
                _("There is no kelurahan {ref} in the store").format(ref=f"“{ref}”"),
            )
        )
        return None

    def place(self, row: ImportRow, post: Post, problems: list[RowProblem]) -> Placement | None:
        before = len(problems)
        kecamatan = self.kecamatan(row, problems)
        kelurahan = self.kelurahan(row, kecamatan, problems)
        if len(problems) > before:
            return None
        if (
            kelurahan is not None
            and kecamatan is not None
            and self.area.kelurahan[kelurahan][1] != kecamatan
        ):
            problems.append(
                self._problem(
                    row.row,
                    "kelurahan",
                    "kelurahan.other_kecamatan",
                    _("Kelurahan {kelurahan} does not lie in kecamatan {kecamatan}").format(
                        kelurahan=self.area.kelurahan[kelurahan][0],
                        kecamatan=self.area.kecamatan[kecamatan],
                    ),
                )
            )
            return None
        if post.unit is Unit.KECAMATAN:
            if kecamatan is None and kelurahan is not None:
                kecamatan = self.area.kelurahan[kelurahan][1]
            if kecamatan is None and len(self.area.kecamatan) == 1:
                kecamatan = next(iter(self.area.kecamatan))
            if kecamatan is None:
                problems.append(
                    self._problem(
                        row.row,
                        "kecamatan",
                        "kecamatan.missing",
                        _("{post} is a post of a kecamatan: the kecamatan is missing").format(
                            post=post.name
                        ),
                    )
                )
                return None
            return Placement(None, None, kecamatan)
        if kelurahan is None:
            problems.append(
                self._problem(
                    row.row,
                    "kelurahan",
                    "kelurahan.missing",
                    _(
                        "The kelurahan is missing: the store has several, so the file needs a "
                        "Kelurahan column (or choose a default kelurahan)"
                    ),
                )
            )
            return None
        kel_kecamatan = self.area.kelurahan[kelurahan][1]
        if post.unit is Unit.KELURAHAN:
            return Placement(None, kelurahan, kel_kecamatan)
        tps_text = " ".join(row.tps.split())
        if not tps_text:
            problems.append(
                self._problem(
                    row.row,
                    "tps",
                    "tps.missing",
                    _("{post} is a post at a TPS: the TPS number is missing").format(
                        post=post.name
                    ),
                )
            )
            return None
        try:
            number = parse_tps_number(tps_text)
        except AreaCodeError as exc:
            problems.append(self._problem(row.row, "tps", "tps.invalid", exc.message))
            return None
        tps_id = self.area.tps.get((kelurahan, number))
        if tps_id is None:
            problems.append(
                self._problem(
                    row.row,
                    "tps",
                    "tps.unknown",
                    _("Kelurahan {kelurahan} has no TPS {number} in the store").format(
                        kelurahan=self.area.kelurahan[kelurahan][0], number=f"{number:03d}"
                    ),
                )
            )
            return None
        return Placement(tps_id, kelurahan, kel_kecamatan)


# -- planning -----------------------------------------------------------------------------


def _in_area(
    row: int,
    scope: str | None,
    post: Post,
    placement: Placement,
    columns: Mapping[str, SourceColumn],
    problems: list[RowProblem],
) -> Placement | None:
    """`placement`, or None with the reason when it lies outside the enrolled area."""
    refused = check_placement(scope, post.name, placement.kelurahan_code, placement.kecamatan_code)
    if refused is None:
        return placement
    # Name the column the user wrote: the TPS's kelurahan may come from a default.
    field_name = refused.field
    if field_name not in columns and field_name == "kelurahan" and "tps" in columns:
        field_name = "tps"
    problems.append(
        RowProblem(row, columns.get(field_name), field_name, "place.outside_area",
                   refused.message)
    )  # fmt: skip
    return None


def _from_problem(row: int, problem: Problem, columns: Mapping[str, SourceColumn]) -> RowProblem:
    return RowProblem(
        row, columns.get(problem.field), problem.field, problem.code, problem.message,
        problem.severity,
    )  # fmt: skip


def _store_niks(session: Session, niks: Iterable[str]) -> dict[str, list[str]]:
    """Live officers' ids by NIK, for the NIKs asked about."""
    found: dict[str, list[str]] = defaultdict(list)
    wanted = sorted(set(niks))
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        query = select(Officer.nik, Officer.id).where(
            col(Officer.nik).in_(chunk), col(Officer.deleted).is_(False)
        )
        for nik, officer_id in session.exec(query):
            found[nik].append(officer_id)
    return found


def _officers(session: Session, ids: Sequence[str]) -> dict[str, Officer]:
    found: dict[str, Officer] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = list(ids[start : start + _IN_CHUNK])
        for officer in session.exec(select(Officer).where(col(Officer.id).in_(chunk))):
            found[officer.id] = officer
    return found


def _post_of(catalogue: PostCatalogue, code: str) -> Post:
    post = catalogue.get(code)
    assert post is not None  # validate_officer found it
    return post


def plan_import(
    store: Store,
    rows: Iterable[ImportRow],
    *,
    columns: Mapping[str, SourceColumn] | None = None,
    default_kelurahan: str | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    total: int = 0,
) -> ImportPlan:
    """Classify every row against the store; reads only.

    `columns` maps a field (OfficerDraft fields and PLACE_FIELDS) to the column it came from,
    so that each problem names its column. `default_kelurahan` (a code) places rows that name
    no kelurahan; without it, a store with a single kelurahan uses that one. `progress` is
    called with (rows done, `total`) now and then; `total` 0 means unknown.
    """
    columns = dict(columns or {})
    today = today or date.today()
    catalogue = store.catalogue
    rows = list(rows)
    total = total or len(rows)
    if default_kelurahan is not None:
        try:
            default_kelurahan = normalize_kelurahan_code(default_kelurahan)
        except AreaCodeError as exc:
            raise StoreError(exc.message) from None

    with store.read() as session:
        marker = _marker(session)
        area = _Area(session)
        if not area.kecamatan:
            raise _no_area()
        if default_kelurahan is not None and default_kelurahan not in area.kelurahan:
            raise StoreError(
                _("There is no kelurahan with code {code}.").format(code=default_kelurahan)
            )
        resolver = _Resolver(area, columns, default_kelurahan)
        scope = enrolled_area(session)

        # Pass 1: each row on its own (values, place).
        checked: list[tuple[ImportRow, OfficerFields | None, Placement | None, list[RowProblem]]]
        checked = []
        for done, row in enumerate(rows, 1):
            problems = list(row.problems)
            damaged = {p.field for p in problems if p.is_error}
            result = validate_officer(row.draft, catalogue=catalogue, today=today)
            problems.extend(
                _from_problem(row.row, p, columns)
                for p in result.problems
                if p.field not in damaged  # one reason per cell: the reader's is the real one
            )
            fields = result.fields if not damaged else None
            placement = None
            if fields is not None:
                post = _post_of(catalogue, fields.post_code)
                placement = resolver.place(row, post, problems)
                if placement is not None:
                    placement = _in_area(row.row, scope, post, placement, columns, problems)
            checked.append((row, fields, placement, problems))
            if progress is not None and done % _PROGRESS_EVERY == 0:
                progress(done, total)

        # Pass 2: the same NIK twice in the file.
        rows_by_nik: dict[str, list[int]] = defaultdict(list)
        for row, _fields, _placement, _problems in checked:
            nik = normalize_nik(row.draft.nik) if isinstance(row.draft.nik, str) else ""
            if nik and not any(p.field == "nik" and p.is_error for p in row.problems):
                rows_by_nik[nik].append(row.row)
        by_row = {row.row: (fields, placement) for row, fields, placement, _p in checked}
        for row, _fields, placement, problems in checked:
            nik = normalize_nik(row.draft.nik) if isinstance(row.draft.nik, str) else ""
            others = [n for n in rows_by_nik.get(nik, []) if n != row.row] if nik else []
            if others:
                problems.append(
                    _duplicate_in_file(row.row, others, placement, by_row, catalogue, columns)
                )

        # Pass 3: against the store, by NIK.
        valid_niks = [
            fields.nik
            for _row, fields, placement, problems in checked
            if fields is not None and placement is not None and not _has_error(problems)
        ]
        in_store = _store_niks(session, valid_niks)
        single = [ids[0] for ids in in_store.values() if len(ids) == 1]
        existing = _officers(session, single)
        removed = removed_by_district(session, set(valid_niks) - set(in_store))
        places = PlaceNames.load(session)

        plan = ImportPlan(marker=marker)
        for row, fields, placement, problems in checked:
            if fields is None or placement is None or _has_error(problems):
                plan.rows.append(
                    PlannedRow(row.row, RowStatus.INVALID, tuple(_errors_first(problems)))
                )
                continue
            ids = in_store.get(fields.nik, [])
            if len(ids) > 1:
                problems.append(
                    RowProblem(
                        row.row,
                        columns.get("nik"),
                        "nik",
                        "nik.duplicate_in_store",
                        _(
                            "This NIK ({nik}) is already in the store {n} times: resolve the "
                            "duplicate first"
                        ).format(nik=mask_nik(fields.nik), n=len(ids)),
                    )
                )
                plan.rows.append(
                    PlannedRow(row.row, RowStatus.INVALID, tuple(_errors_first(problems)))
                )
                continue
            if not ids and fields.nik in removed:
                problems.append(_removed_problem(row.row, columns))
                plan.rows.append(
                    PlannedRow(row.row, RowStatus.REMOVED, tuple(problems), fields, placement,
                               name=fields.name)
                )  # fmt: skip
                continue
            if not ids:
                plan.rows.append(
                    PlannedRow(row.row, RowStatus.NEW, tuple(problems), fields, placement,
                               name=fields.name)
                )  # fmt: skip
                continue
            officer = existing[ids[0]]
            fields = _keep_absent(fields, officer, columns)
            values = _values(fields, placement)
            changed = tuple(changed_fields(officer, values))
            status = RowStatus.UPDATED if changed else RowStatus.UNCHANGED
            changes = field_changes(officer, values, changed, places=places, catalogue=catalogue)
            plan.rows.append(
                PlannedRow(row.row, status, tuple(problems), fields, placement, officer.id, changed,
                           changes, name=fields.name)
            )  # fmt: skip
    if progress is not None:
        progress(len(rows), total)
    return plan


def _duplicate_in_file(
    row: int,
    others: list[int],
    placement: Placement | None,
    by_row: Mapping[int, tuple[OfficerFields | None, Placement | None]],
    catalogue: PostCatalogue,
    columns: Mapping[str, SourceColumn],
) -> RowProblem:
    """The same NIK on other rows: said with the other row's post when it is in this TPS (one
    person cannot be saved twice in one TPS, as the officer form and `store.officers` say)."""
    rows = ", ".join(str(n) for n in others[:10])
    tps_id = placement.tps_id if placement is not None else None
    for other in others:
        fields, where = by_row[other]
        if tps_id is None or fields is None or where is None or where.tps_id != tps_id:
            continue
        return RowProblem(
            row,
            columns.get("nik"),
            "nik",
            "nik.duplicate_in_tps",
            _(
                "The same NIK is also on row {row} of this file, as {post} in the same TPS: "
                "one person cannot be saved twice in one TPS"
            ).format(row=other, post=_post_of(catalogue, fields.post_code).name),
        )
    return RowProblem(
        row,
        columns.get("nik"),
        "nik",
        "nik.duplicate_in_file",
        _("The same NIK is also on row {rows} of this file").format(rows=rows),
    )


# Fields a sheet may leave out: an update keeps the stored value of a column the file does not
# have (a list without phone numbers must not erase the phones typed on this laptop).
KEPT_WHEN_ABSENT = (
    "postcode",
    "phone",
    "email",
    "mother_name",
    "marital_status",
    "duty_start",
    "duty_end",
)


def _keep_absent(
    fields: OfficerFields, officer: Officer, columns: Mapping[str, SourceColumn]
) -> OfficerFields:
    """`fields` with the stored values of the optional fields no column of the file gives.
    Without a column map (a caller that does not say), every field is taken as given."""
    if not columns:
        return fields
    kept = {name: getattr(officer, name) for name in KEPT_WHEN_ABSENT if name not in columns}
    return replace(fields, **kept) if kept else fields


def _removed_problem(row: int, columns: Mapping[str, SourceColumn]) -> RowProblem:
    return RowProblem(
        row, columns.get("nik"), "nik", "nik.removed_by_district",
        _("The district removed this NIK as a duplicate (it is registered elsewhere): the row "
          "is skipped unless you choose to add it again"),
        Severity.WARNING,
    )  # fmt: skip


def _has_error(problems: Iterable[RowProblem]) -> bool:
    return any(p.is_error for p in problems)


def _errors_first(problems: list[RowProblem]) -> list[RowProblem]:
    return [p for p in problems if p.is_error] + [p for p in problems if not p.is_error]


# -- applying -----------------------------------------------------------------------------


def _insert_new(session: Session, rows: Sequence[PlannedRow], progress: Progress | None) -> None:
    """What `add_officer` does for each row, set-wise: `stamp_rows` inserts the new officers
    with their versions, change-log and audit entries, a chunk at a time (ORM objects cost
    about 1 ms an officer, 10 s for a 10k-row file)."""
    for start in range(0, len(rows), _WRITE_CHUNK):
        changes = []
        for row in rows[start : start + _WRITE_CHUNK]:
            assert row.fields is not None and row.placement is not None
            values = _values(row.fields, row.placement)
            values.update(
                id=new_id(), status=OfficerStatus.READY.value, status_reason="", bpjs_number=None
            )
            changes.append(RowChange(Action.CREATE, values))
        stamp_rows(session, Officer, changes)
        if progress is not None:
            progress(start + len(changes), len(rows))


def _update_existing(
    session: Session, rows: Sequence[PlannedRow], progress: Progress | None, total: int
) -> None:
    """What `update_officer` does for each row whose values changed, set-wise through
    `stamp_rows` (one executemany UPDATE, the log and audit entries; ORM objects cost ~0.5 ms
    an officer).

    The plan's placement stands: the plan's marker (checked by the caller) says the store has
    not changed since the plan resolved it. Each changed officer gets a new version based on
    its current one, and an audit entry naming the changed fields (never their values)."""
    if not rows:
        return
    current = _stored_officers(session, [row.officer_id for row in rows if row.officer_id])
    changes: list[RowChange] = []
    for done, row in enumerate(rows, 1):
        assert row.fields is not None and row.placement is not None
        assert row.officer_id is not None
        if progress is not None and done % _PROGRESS_EVERY == 0:
            progress(done, total)
        officer = current.get(row.officer_id)
        if officer is None or officer.deleted:
            raise ImportStale(
                _("The store changed after the preview: preview the file again, then import it.")
            )
        values = _values(row.fields, row.placement)
        changed = changed_fields(officer, values)
        if not changed:
            continue
        values["id"] = officer.id
        base = (officer.version_device, officer.version_counter)
        changes.append(RowChange(Action.UPDATE, values, base, changed))
    stamp_rows(session, Officer, changes)


def _stored_officers(session: Session, ids: Sequence[str]) -> dict[str, Row[Any]]:
    """The officers' stored columns as plain rows: ORM objects would cost more to build (and
    then to drop, once stale) than the update itself."""
    table = SQLModel.metadata.tables[str(Officer.__tablename__)]
    found: dict[str, Row[Any]] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = list(ids[start : start + _IN_CHUNK])
        for row in session.execute(sa_select(table).where(table.c.id.in_(chunk))):
            found[row.id] = row
    return found


def apply_import(
    store: Store, plan: ImportPlan, *, progress: Progress | None = None
) -> ImportCounts:
    """Write the plan's new and updated rows in one transaction, saved once.

    Raises ImportStale (writing nothing) if the store changed since the plan was made, which
    also refuses applying the same plan twice. Any exception rolls the whole import back.
    `progress` gets (rows written, rows to write). Returns the plan's counts.
    """
    todo = plan.to_write
    total = len(todo)
    if not todo:
        return plan.counts
    new = [row for row in todo if row.status is RowStatus.NEW]
    updated = [row for row in todo if row.status is RowStatus.UPDATED]
    with store.transaction() as session:
        if _marker(session) != plan.marker:
            raise ImportStale(
                _("The store changed after the preview: preview the file again, then import it.")
            )
        with session.no_autoflush:
            _update_existing(session, updated, progress, total)
        session.flush()
        _insert_new(
            session,
            new,
            None if progress is None else (lambda done, _n: progress(len(updated) + done, total)),
        )
    if progress is not None:
        progress(total, total)
    return plan.counts
