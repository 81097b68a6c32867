"""The district's laptops as the desk shows them: one row per laptop with its status, the area
the district issued and the one it claimed (by name from the district's own area tables), its
last bundle, what waits and which changes never arrived.

Read in a fixed number of queries whatever the number of laptops (devices, bundle log,
quarantine counts, area names, issued setup files), never one per laptop. Nothing here imports
textual or click: the desk's Laptops tab and `tpsdesk district devices` both use it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from tpsdesk.store.dialect import is_postgres
from tpsdesk.store.models import Kecamatan, Kelurahan
from tpsdesk.store.versioning import get_meta
from tpsdesk.sync.bundle import ReceiveFailure, ReceiveOutcome
from tpsdesk.sync.district import missing_ranges, require_district, union_ranges
from tpsdesk.sync.district_models import (
    BundleStatus,
    Device,
    DeviceStatus,
    QuarantinedBundle,
    ReceivedBundle,
)
from tpsdesk.sync.fingerprint import format_fingerprint

if TYPE_CHECKING:
    from tpsdesk.store.db import Store

# Waiting laptops first (they need a clerk), then approved, then revoked.
STATUS_ORDER = {
    DeviceStatus.PENDING.value: 0,
    DeviceStatus.APPROVED.value: 1,
    DeviceStatus.REVOKED.value: 2,
}


@dataclass(frozen=True)
class AreaName:
    """An area code with the names the district's area tables give it ("" when unknown)."""

    code: str
    kelurahan: str = ""
    kecamatan: str = ""

    @property
    def name(self) -> str:
        """The kelurahan's name for a kelurahan, the kecamatan's for a kecamatan."""
        return self.kelurahan or self.kecamatan


@dataclass(frozen=True)
class SetupIssued:
    """A setup file the district wrote (what the laptop installed, when its bundles say)."""

    file_id: str
    version: int
    area: str
    target: str
    created_at: str


@dataclass(frozen=True)
class BundleSeen:
    seq_from: int
    seq_to: int
    status: str
    received_at: datetime


@dataclass(frozen=True)
class LaptopRow:
    device_id: str
    fingerprint: str  # digits only
    status: str  # DeviceStatus value
    label: str  # the district's label of the laptop (typed at approval, or from a bundle)
    # The operator to show: the label, else the operator named in the latest row the laptop
    # wrote (its `updated_by`, from a bundle: untrusted, escape before showing); "" if unknown.
    operator: str
    area: AreaName  # the area the district issued ("" code while unknown)
    claimed: AreaName  # what its first bundle claimed
    setup: SetupIssued | None  # the setup file its first bundle named, if the district knows it
    first_seen_at: datetime
    approved_at: datetime | None
    revoked_at: datetime | None
    last_bundle: BundleSeen | None  # the latest bundle received (merged, waiting or refused)
    waiting: int  # bundles waiting in quarantine
    waiting_bytes: int
    merged: int
    refused: int
    gaps: list[tuple[int, int]] = field(default_factory=list)

    @property
    def fingerprint_groups(self) -> str:
        return format_fingerprint(self.fingerprint)

    @property
    def area_differs(self) -> bool:
        """Its bundles claim another area than the one the district issued: they are refused
        (a laptop whose issued area is still unknown is not marked: approval chooses it)."""
        return bool(self.area.code and self.claimed.code and self.claimed.code != self.area.code)


@dataclass(frozen=True)
class LaptopCounts:
    waiting: int
    approved: int
    revoked: int

    @property
    def total(self) -> int:
        return self.waiting + self.approved + self.revoked


def area_names(session: Session, codes: set[str]) -> dict[str, AreaName]:
    """{code: AreaName} for kelurahan and kecamatan codes, in two queries."""
    codes = {c for c in codes if c}
    if not codes:
        return {}
    kelurahan = {
        row.code: row
        for row in session.exec(select(Kelurahan).where(col(Kelurahan.code).in_(codes)))
    }
    kecamatan_codes = {k.kecamatan_code for k in kelurahan.values()} | codes
    kecamatan = {
        row.code: row.name
        for row in session.exec(select(Kecamatan).where(col(Kecamatan.code).in_(kecamatan_codes)))
    }
    out = {}
    for code in codes:
        if code in kelurahan:
            kel = kelurahan[code]
            out[code] = AreaName(code, kel.name, kecamatan.get(kel.kecamatan_code, ""))
        else:
            out[code] = AreaName(code, "", kecamatan.get(code, ""))
    return out


def operators_in_rows(session: Session, device_ids: list[str]) -> dict[str, str]:
    """{device id: operator} named in the latest row version each laptop wrote (`updated_by`
    of its highest change counter), in one query over the (device, counter) index."""
    out: dict[str, str] = {}
    if is_postgres(session):
        mark, operator = "%s", "(v.\"values\"::json ->> 'updated_by')"
    else:
        mark, operator = "?", "json_extract(v.\"values\", '$.updated_by')"
    for start in range(0, len(device_ids), 500):
        chunk = device_ids[start : start + 500]
        marks = ",".join(mark for _ in chunk)
        rows = session.connection().exec_driver_sql(
            f"SELECT v.device, {operator} "
            "FROM sync_row_version AS v JOIN (SELECT device, MAX(counter) AS top "
            f"FROM sync_row_version WHERE device IN ({marks}) GROUP BY device) AS m "
            "ON v.device = m.device AND v.counter = m.top",
            tuple(chunk),
        )
        for device, named in rows:
            if isinstance(named, str) and named:
                out[str(device)] = named
    return out


def _issued(session: Session) -> dict[str, SetupIssued]:
    from tpsdesk.sync.setup import META_SETUP_ISSUED

    value = get_meta(session, META_SETUP_ISSUED, {}) or {}
    out = {}
    for file_id, entry in value.items():
        try:
            version = int(entry.get("version", 0))
        except (TypeError, ValueError):
            version = 0
        out[str(file_id)] = SetupIssued(
            file_id=str(file_id),
            version=version,
            area=str(entry.get("area", "")),
            target=str(entry.get("target", "all")),
            created_at=str(entry.get("created_at", "")),
        )
    return out


def issued_area_names(store: Store) -> list[AreaName]:
    """The areas setup files were issued for (what a laptop may be approved for), by code,
    with their names."""
    require_district(store)
    with store.read() as session:
        codes = {s.area for s in _issued(session).values() if s.area}
        names = area_names(session, codes)
    return [names[c] for c in sorted(codes)]


def laptop_rows(store: Store, *, by_status: bool = True) -> list[LaptopRow]:
    """Every laptop the district has heard of, waiting first, then approved, then revoked
    (each by when first seen); with `by_status=False`, by when first seen only."""
    require_district(store)
    with store.read() as session:
        devices = list(
            session.exec(select(Device).order_by(col(Device.first_seen_at), col(Device.device_id)))
        )
        bundles: dict[str, list[BundleSeen]] = defaultdict(list)
        log = sa_select(
            col(ReceivedBundle.device_id),
            col(ReceivedBundle.seq_from),
            col(ReceivedBundle.seq_to),
            col(ReceivedBundle.status),
            col(ReceivedBundle.received_at),
        )
        for device_id, seq_from, seq_to, status, received_at in session.connection().execute(log):
            bundles[device_id].append(BundleSeen(seq_from, seq_to, status, received_at))
        held: dict[str, tuple[int, int]] = {}
        held_query = select(
            QuarantinedBundle.device_id,
            func.count(),
            func.coalesce(func.sum(func.length(QuarantinedBundle.data)), 0),
        ).group_by(col(QuarantinedBundle.device_id))
        for device_id, files, size in session.exec(held_query):
            held[device_id] = (int(files), int(size))
        issued = _issued(session)
        names = area_names(
            session, {d.area_code for d in devices} | {d.claimed_area for d in devices}
        )
        operators = operators_in_rows(session, [d.device_id for d in devices if not d.label])
    rows = []
    for device in devices:
        seen = bundles.get(device.device_id, [])
        merged = [b for b in seen if b.status == BundleStatus.MERGED.value]
        ranges = union_ranges([(b.seq_from, b.seq_to) for b in merged])
        files, size = held.get(device.device_id, (0, 0))
        last = max(seen, key=lambda b: (b.received_at, b.seq_to), default=None)
        rows.append(
            LaptopRow(
                device_id=device.device_id,
                fingerprint=device.fingerprint,
                status=device.status,
                label=device.label,
                operator=device.label or operators.get(device.device_id, ""),
                area=names.get(device.area_code, AreaName(device.area_code)),
                claimed=names.get(device.claimed_area, AreaName(device.claimed_area)),
                setup=issued.get(device.setup_id) if device.setup_id else None,
                first_seen_at=device.first_seen_at,
                approved_at=device.approved_at,
                revoked_at=device.revoked_at,
                last_bundle=last,
                waiting=files,
                waiting_bytes=size,
                merged=len(merged),
                refused=sum(b.status == BundleStatus.REFUSED.value for b in seen),
                gaps=missing_ranges(ranges),
            )
        )
    if by_status:
        rows.sort(key=lambda r: STATUS_ORDER.get(r.status, 3))  # stable: first seen within
    return rows


def laptop_counts(rows: list[LaptopRow]) -> LaptopCounts:
    return LaptopCounts(
        waiting=sum(r.status == DeviceStatus.PENDING.value for r in rows),
        approved=sum(r.status == DeviceStatus.APPROVED.value for r in rows),
        revoked=sum(r.status == DeviceStatus.REVOKED.value for r in rows),
    )


def laptop_row(store: Store, device_id: str) -> LaptopRow | None:
    """One laptop's row (after an approval, to report it)."""
    for row in laptop_rows(store):
        if row.device_id == device_id:
            return row
    return None


# -- approving: approve, then merge what waited -----------------------------------------------


@dataclass(frozen=True)
class Approval:
    device_id: str
    area: str
    claimed_area: str
    outcomes: list[ReceiveOutcome | ReceiveFailure]

    @property
    def merged(self) -> list[ReceiveOutcome]:
        return [o for o in self.outcomes if isinstance(o, ReceiveOutcome)]

    @property
    def failed(self) -> list[ReceiveFailure]:
        return [o for o in self.outcomes if isinstance(o, ReceiveFailure)]


def approve_and_merge(
    store: Store,
    fingerprint: str,
    *,
    area: str | None = None,
    label: str | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Approval:
    """Approve the laptop (`district.approve`: `area` one of the issued areas, needed when its
    area is unknown) and merge every bundle of it that waited, the store written once at the
    end. Refusals are SyncErrors (nothing changed when the approval itself is refused)."""
    from tpsdesk.sync.bundle import merge_released
    from tpsdesk.sync.district import approve

    device = approve(store, fingerprint, area=area, label=label)
    with store.saving_once():
        outcomes = merge_released(store, device.device_id, progress=progress)
    return Approval(device.device_id, device.area_code, device.claimed_area, outcomes)
