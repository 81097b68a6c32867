"""BPJS participant numbers (KPJ) from the file BPJS Ketenagakerjaan sends back after a
collective enrolment: each row a NIK and its KPJ. Matched officers become "enrolled"; the next
receipt tells their laptop (docs/exports.md).

The file is read like an officer list (CSV, XLSX, XLS, ODS; header under title rows; NIKs that
Excel stored as numbers are flagged), planned against the store, and written in one
transaction only after the plan is shown: nothing is half-recorded.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, select

from tpsdesk.domain.nik import normalize_nik
from tpsdesk.exchange.officer_sheet import ALIASES, nik_cell, normalize_heading
from tpsdesk.exchange.sheet_reader import (
    Row,
    SheetError,
    cell_text,
    column_letter,
    open_sheet,
)
from tpsdesk.i18n import _
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer, OfficerStatus
from tpsdesk.store.officer_import import RowProblem, SourceColumn
from tpsdesk.store.versioning import audit, state_of
from tpsdesk.sync.district import officers_under_review

HEADER_SEARCH_ROWS = 30
MAX_ROWS = 100_000

# Headings of the KPJ column in BPJS's files and in offices' own lists.
KPJ_HEADINGS = frozenset(
    normalize_heading(h)
    for h in (
        "KPJ", "No KPJ", "No. KPJ", "Nomor KPJ", "NO_KPJ", "KPJ Baru", "Nomor Peserta",
        "No Peserta", "No. Peserta", "Nomor Kepesertaan", "No Kepesertaan", "Nomor Kartu",
        "No Kartu Peserta",
    )
)  # fmt: skip
NIK_HEADINGS = frozenset(h for h, target in ALIASES.items() if target == "nik")
_KPJ = re.compile(r"(?a)\d{8,16}")


@dataclass(frozen=True)
class ParticipantRow:
    row: int
    nik: str
    kpj: str
    problems: tuple[RowProblem, ...] = ()


@dataclass
class ParticipantPlan:
    """What recording the file would do: officer id → KPJ for the rows that match one live
    officer, and every row that cannot be used, with why."""

    path: Path
    to_record: dict[str, tuple[int, str]] = field(default_factory=dict)  # id → (row, kpj)
    unchanged: int = 0
    replaced: int = 0  # officers whose earlier KPJ the file changes
    problems: list[RowProblem] = field(default_factory=list)


def _find_header(rows: Iterable[Row]) -> tuple[int, int, int] | None:
    for number, values in rows:
        headings = [normalize_heading(cell_text(v)) for v in values]
        nik = next((i for i, h in enumerate(headings) if h in NIK_HEADINGS), None)
        kpj = next((i for i, h in enumerate(headings) if h in KPJ_HEADINGS), None)
        if nik is not None and kpj is not None:
            return number, nik, kpj
        if number >= HEADER_SEARCH_ROWS:
            return None
    return None


def read_participant_numbers(path: Path, *, sheet: str | None = None) -> list[ParticipantRow]:
    """The (NIK, KPJ) rows of the file; SheetError if it cannot be read, has no header with
    both a NIK and a KPJ column, or holds more than MAX_ROWS rows."""
    path = Path(path)
    with open_sheet(path, sheet) as opened:
        found = _find_header(opened.rows)
        if found is None:
            raise SheetError(
                _(
                    "{file}: no header with a NIK column and a KPJ column (e.g. “NIK” and "
                    "“No KPJ”) in the first {n} rows"
                ).format(file=path.name, n=HEADER_SEARCH_ROWS)
            )
        _header_row, nik_index, kpj_index = found
        nik_column = SourceColumn(column_letter(nik_index), "NIK")
        kpj_column = SourceColumn(column_letter(kpj_index), "KPJ")
        out: list[ParticipantRow] = []
        for number, values in opened.rows:
            nik_value = values[nik_index] if nik_index < len(values) else None
            kpj_value = values[kpj_index] if kpj_index < len(values) else None
            if nik_value in (None, "") and kpj_value in (None, ""):
                continue
            if len(out) >= MAX_ROWS:
                raise SheetError(
                    _("{file} holds more than {n} rows: split it into several files").format(
                        file=path.name, n=MAX_ROWS
                    )
                )
            nik_text, damage = nik_cell(nik_value, nik_column, number)
            problems = [damage] if damage is not None else []
            nik = normalize_nik(nik_text)
            if damage is None and not re.fullmatch(r"(?a)\d{16}", nik):
                problems.append(
                    RowProblem(number, nik_column, "nik", "nik.invalid", _("Not a 16-digit NIK"))
                )
            kpj = re.sub(r"[\s.\-]", "", cell_text(kpj_value))
            if isinstance(kpj_value, float) and kpj_value.is_integer():
                kpj = str(int(kpj_value))
            if not _KPJ.fullmatch(kpj):
                problems.append(
                    RowProblem(
                        number,
                        kpj_column,
                        "kpj",
                        "kpj.invalid",
                        _("A participant number (KPJ) is 8 to 16 digits"),
                    )
                )
            out.append(ParticipantRow(number, nik, kpj, tuple(problems)))
        return out


def plan_participant_numbers(
    store: Store, path: Path, rows: list[ParticipantRow]
) -> ParticipantPlan:
    """Match every row to the live officers with its NIK (reads only): usually one; several
    when the district kept a person's two posts, but not while a duplicate finding about them
    is open."""
    plan = ParticipantPlan(Path(path))
    niks = {row.nik for row in rows if not row.problems}
    by_nik: dict[str, list[Officer]] = defaultdict(list)
    with store.read() as session:
        under_review = officers_under_review(session)
        chunked = sorted(niks)
        for start in range(0, len(chunked), 500):
            query = select(Officer).where(
                col(Officer.nik).in_(chunked[start : start + 500]), col(Officer.deleted).is_(False)
            )
            for officer in session.exec(query):
                by_nik[officer.nik].append(officer)
    seen: dict[str, int] = {}
    for row in rows:
        if row.problems:
            plan.problems.extend(row.problems)
            continue
        if row.nik in seen:
            plan.problems.append(
                RowProblem(
                    row.row, None, "nik", "nik.repeated",
                    _("The same NIK is also on row {other} of this file").format(
                        other=seen[row.nik]
                    ),
                )
            )  # fmt: skip
            continue
        seen[row.nik] = row.row
        officers = by_nik.get(row.nik, [])
        if not officers:
            plan.problems.append(
                RowProblem(row.row, None, "nik", "nik.unknown", _("No officer has this NIK"))
            )
            continue
        if len(officers) > 1 and any(o.id in under_review for o in officers):
            plan.problems.append(
                RowProblem(
                    row.row, None, "nik", "nik.twice",
                    _("Two officers have this NIK: resolve the duplicate first"),
                )
            )  # fmt: skip
            continue
        # One person may hold two posts (a duplicate the district kept): one KPJ for both.
        for officer in officers:
            if officer.bpjs_number == row.kpj and officer.status == OfficerStatus.ENROLLED.value:
                plan.unchanged += 1
                continue
            if officer.bpjs_number and officer.bpjs_number != row.kpj:
                plan.replaced += 1
            plan.to_record[officer.id] = (row.row, row.kpj)
    return plan


def record_participant_numbers(store: Store, plan: ParticipantPlan) -> int:
    """Write the plan's numbers in one transaction; the officers become "enrolled". Returns how
    many officers were recorded."""
    if not plan.to_record:
        return 0
    with store.transaction() as session:
        for officer_id, (_row, kpj) in plan.to_record.items():
            officer = session.get(Officer, officer_id)
            if officer is None or officer.deleted:
                continue
            # District-owned columns: no new version, the receipt carries them to the laptop.
            officer.bpjs_number = kpj
            officer.status = OfficerStatus.ENROLLED.value
            officer.status_reason = ""
            session.add(officer)
        audit(
            session,
            state_of(session),
            "participant_numbers",
            table_name="officer",
            note=_("{n} participant numbers from {file}").format(
                n=len(plan.to_record), file=plan.path.name
            ),
        )
    return len(plan.to_record)
