"""The district's coverage: per kecamatan, kelurahan and TPS, posts filled against needed
(from `store.completion`, the one meaning of "filled"), officers waiting for a fix, officers
enrolled (a KPJ recorded), and when each kelurahan last sent a bundle.

Everything is read in a few aggregate queries (GROUP BY), never a loop over officers: the
desk draws it for 100,000 officers in well under a second.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from tpsdesk.domain.posts import Unit
from tpsdesk.store.completion import AreaFill, area_completion
from tpsdesk.store.db import Store
from tpsdesk.store.dialect import Spelled
from tpsdesk.store.models import Officer
from tpsdesk.sync.district import officers_under_review, require_district
from tpsdesk.sync.district_models import BundleStatus, Device, DeviceStatus, ReceivedBundle
from tpsdesk.sync.identity import district_settings
from tpsdesk.sync.receipt import refused_rows

# A place is (Unit.TPS, tps id), (Unit.KELURAHAN, code) or (Unit.KECAMATAN, code).
Place = tuple[Unit, str]


@dataclass(frozen=True)
class CoverageRow:
    """One kecamatan, kelurahan or TPS with the totals of everything below it."""

    unit: Unit
    code: str  # kecamatan code, kelurahan code, or the TPS id
    name: str  # the kecamatan's or kelurahan's name; a TPS's address
    kecamatan_code: str
    kelurahan_code: str | None  # None for a kecamatan
    kelurahan_name: str = ""  # of a TPS (its UnitRef)
    number: int | None = None  # a TPS's number
    voters: int | None = None  # a TPS's voters
    needed: int = 0
    filled: int = 0
    missing: int = 0
    waiting: int = 0  # officers waiting for a fix
    enrolled: int = 0  # officers with a KPJ recorded
    # A kelurahan: its last bundle received (from a laptop issued it or its kecamatan), None
    # when never. A kecamatan: None (see `kelurahan_count` and the filters). A TPS: its
    # kelurahan's.
    last_sent: datetime | None = None
    kelurahan_count: int = 0  # a kecamatan's kelurahan


@dataclass
class Coverage:
    district_name: str
    kecamatan: list[CoverageRow] = field(default_factory=list)
    kelurahan: dict[str, list[CoverageRow]] = field(default_factory=dict)  # by kecamatan
    tps: dict[str, list[CoverageRow]] = field(default_factory=dict)  # by kelurahan
    total: CoverageRow | None = None

    def kelurahan_rows(self) -> Iterable[CoverageRow]:
        for rows in self.kelurahan.values():
            yield from rows

    def has_area(self) -> bool:
        return bool(self.kecamatan)


def not_sent_since(row: CoverageRow, since: date | None) -> bool:
    """A kelurahan that never sent (`since` None) or sent nothing on or after `since` (the
    day a bundle arrived, in the computer's time zone)."""
    if row.last_sent is None:
        return True
    if since is None:
        return False
    return row.last_sent.astimezone().date() < since


def late_kelurahan(coverage: Coverage, kecamatan_code: str, since: date | None) -> list[str]:
    """Codes of the kecamatan's kelurahan that never sent (`since` None) or not since."""
    return [
        row.code for row in coverage.kelurahan.get(kecamatan_code, []) if not_sent_since(row, since)
    ]


# -- reading ---------------------------------------------------------------------------------

# Enrolled: a participant number recorded (`bpjs_number > ''` leaves out NULL and "").
# TPS officers (nearly all) in a plain scan grouped by TPS alone, as completion counts them;
# the few of kelurahan and kecamatan posts through the index that leaves TPS officers out.
_ENROLLED_TPS = Spelled(
    "SELECT tps_id, count(*) FROM officer NOT INDEXED "
    "WHERE deleted = 0 AND tps_id IS NOT NULL AND bpjs_number > '' GROUP BY tps_id"
)
_ENROLLED_UNITS = Spelled(
    "SELECT kelurahan_code, kecamatan_code, count(*) FROM officer "
    "WHERE tps_id IS NULL AND deleted = 0 AND bpjs_number > '' "
    "GROUP BY kelurahan_code, kecamatan_code"
)


def _place(tps_id: str | None, kelurahan_code: str | None, kecamatan_code: str) -> Place:
    if tps_id is not None:
        return (Unit.TPS, tps_id)
    if kelurahan_code is not None:
        return (Unit.KELURAHAN, kelurahan_code)
    return (Unit.KECAMATAN, kecamatan_code)


def _enrolled(session: Session) -> Counter[Place]:
    counts: Counter[Place] = Counter()
    for tps_id, n in session.execute(_ENROLLED_TPS.for_(session)):
        counts[(Unit.TPS, tps_id)] += n
    for kelurahan_code, kecamatan_code, n in session.execute(_ENROLLED_UNITS.for_(session)):
        counts[_place(None, kelurahan_code, kecamatan_code)] += n
    return counts


def _waiting(session: Session) -> Counter[Place]:
    """Officers with an open finding, and officer rows a laptop sent that the district
    refused: each counted once, at its place at the district, or (a row the district never
    took) at the area of the laptop that sent it."""
    ids = set(officers_under_review(session))
    unplaced: dict[str, str] = {}  # refused row id → the sender's area
    # Only laptops with a refused row in some report (every refused row is listed with its
    # "index"): reading every report of every laptop costs a query each.
    refusing = (
        sa_select(col(ReceivedBundle.device_id))
        .where(col(ReceivedBundle.report).contains('"index"'))
        .distinct()
    )
    devices = session.execute(
        sa_select(col(Device.device_id), col(Device.area_code)).where(
            col(Device.device_id).in_(refusing)
        )
    ).all()
    for device_id, area_code in devices:
        for row_id, table in refused_rows(session, device_id).items():
            if table == "officer":
                ids.add(row_id)
                unplaced.setdefault(row_id, area_code)
    counts: Counter[Place] = Counter()
    placed: set[str] = set()
    chunked = sorted(ids)
    for start in range(0, len(chunked), 500):
        query = sa_select(
            col(Officer.id),
            col(Officer.tps_id),
            col(Officer.kelurahan_code),
            col(Officer.kecamatan_code),
        ).where(col(Officer.id).in_(chunked[start : start + 500]), col(Officer.deleted).is_(False))
        for officer_id, tps_id, kelurahan_code, kecamatan_code in session.execute(query):
            placed.add(officer_id)
            counts[_place(tps_id, kelurahan_code, kecamatan_code)] += 1
    for row_id, area_code in unplaced.items():
        if row_id not in placed and area_code:
            unit = Unit.KELURAHAN if area_code.count(".") >= 3 else Unit.KECAMATAN
            counts[(unit, area_code)] += 1
    return counts


def _last_sent(session: Session) -> dict[str, datetime]:
    """Area code (a kelurahan's or a kecamatan's) → the last bundle a laptop issued that
    area sent (merged, or refused after it was read; not a waiting laptop's)."""
    query = (
        sa_select(col(Device.area_code), func.max(col(ReceivedBundle.received_at)))
        .join(Device, col(Device.device_id) == col(ReceivedBundle.device_id))
        .where(
            col(Device.status) != DeviceStatus.PENDING.value,
            col(Device.area_code) != "",
            col(ReceivedBundle.status).in_([BundleStatus.MERGED.value, BundleStatus.REFUSED.value]),
        )
        .group_by(col(Device.area_code))
    )
    return {area: when for area, when in session.execute(query) if when is not None}


def _latest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def read_coverage(store: Store) -> Coverage:
    """The coverage of the district's whole area (reads only)."""
    require_district(store)
    settings = district_settings(store)
    completion = area_completion(store)
    with store.read() as session:
        enrolled = _enrolled(session)
        waiting = _waiting(session)
        last_sent = _last_sent(session)
    coverage = Coverage(district_name=settings.name if settings is not None else "")
    fills_kel = completion.kelurahan
    fills_kec = completion.kecamatan

    # TPS first: their sums go up to their kelurahan and kecamatan.
    up_enrolled: Counter[Place] = Counter(enrolled)
    up_waiting: Counter[Place] = Counter(waiting)
    kelurahan_of: dict[str, str] = {}
    for unit in completion.units:
        if unit.unit == Unit.KELURAHAN:
            kelurahan_of[unit.code] = unit.kecamatan_code
    for place in completion.tps:
        kelurahan_of.setdefault(place.kelurahan_code, place.kecamatan_code)
        key: Place = (Unit.TPS, place.tps_id)
        for counts in (up_enrolled, up_waiting):
            counts[(Unit.KELURAHAN, place.kelurahan_code)] += counts[key]
    for kelurahan_code, kecamatan_code in kelurahan_of.items():
        key = (Unit.KELURAHAN, kelurahan_code)
        for counts in (up_enrolled, up_waiting):
            counts[(Unit.KECAMATAN, kecamatan_code)] += counts[key]

    kelurahan_sent: dict[str, datetime | None] = {}
    for unit in completion.units:
        if unit.unit != Unit.KELURAHAN:
            continue
        kelurahan_sent[unit.code] = _latest(
            last_sent.get(unit.code), last_sent.get(unit.kecamatan_code)
        )
    for place in completion.tps:
        coverage.tps.setdefault(place.kelurahan_code, []).append(
            CoverageRow(
                unit=Unit.TPS,
                code=place.tps_id,
                name=place.address,
                kecamatan_code=place.kecamatan_code,
                kelurahan_code=place.kelurahan_code,
                kelurahan_name=place.kelurahan_name,
                number=place.number,
                voters=place.voters,
                needed=place.fill.needed,
                filled=place.fill.filled,
                missing=place.fill.missing,
                waiting=waiting[(Unit.TPS, place.tps_id)],
                enrolled=enrolled[(Unit.TPS, place.tps_id)],
                last_sent=kelurahan_sent.get(place.kelurahan_code),
            )
        )
    units = sorted(completion.units, key=lambda u: (u.kecamatan_code, u.code))
    for unit in units:
        key = (unit.unit, unit.code)
        if unit.unit == Unit.KELURAHAN:
            fill = fills_kel.get(unit.code, AreaFill())
            coverage.kelurahan.setdefault(unit.kecamatan_code, []).append(
                CoverageRow(
                    unit=Unit.KELURAHAN,
                    code=unit.code,
                    name=unit.name,
                    kecamatan_code=unit.kecamatan_code,
                    kelurahan_code=unit.code,
                    needed=fill.needed,
                    filled=fill.filled,
                    missing=fill.missing,
                    waiting=up_waiting[key],
                    enrolled=up_enrolled[key],
                    last_sent=kelurahan_sent.get(unit.code),
                )
            )
    total = AreaFill()
    for unit in units:
        if unit.unit != Unit.KECAMATAN:
            continue
        key = (unit.unit, unit.code)
        fill = fills_kec.get(unit.code, AreaFill())
        total = total + fill
        coverage.kecamatan.append(
            CoverageRow(
                unit=Unit.KECAMATAN,
                code=unit.code,
                name=unit.name,
                kecamatan_code=unit.code,
                kelurahan_code=None,
                needed=fill.needed,
                filled=fill.filled,
                missing=fill.missing,
                waiting=up_waiting[key],
                enrolled=up_enrolled[key],
                kelurahan_count=len(coverage.kelurahan.get(unit.code, [])),
            )
        )
    coverage.total = CoverageRow(
        unit=Unit.KECAMATAN,
        code="",
        name=coverage.district_name,
        kecamatan_code="",
        kelurahan_code=None,
        needed=total.needed,
        filled=total.filled,
        missing=total.missing,
        waiting=sum(row.waiting for row in coverage.kecamatan),
        enrolled=sum(row.enrolled for row in coverage.kecamatan),
        kelurahan_count=sum(row.kelurahan_count for row in coverage.kecamatan),
    )
    return coverage
