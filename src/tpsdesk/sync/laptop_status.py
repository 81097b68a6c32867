"""What a field laptop knows about its sync: enrolled or not, the district and area, its own
fingerprint, what is waiting to be sent, the last bundle and receipt, and the officers the
district asks to fix. The sync screen, the dashboard banner and the CLI read it from here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from tpsdesk.store.db import Store
from tpsdesk.store.models import ChangeLog, Kelurahan, Officer, OfficerStatus, Tps
from tpsdesk.store.versioning import get_meta, set_meta
from tpsdesk.sync.changes import META_SENT_SEQS, _pending_entries, acked_seqs
from tpsdesk.sync.corrections import CORRECTABLE, Correction, list_corrections

# {"file", "size", "seq_from", "seq_to", "rows", "officers": {new, changed, removed}, "at"}
META_LAST_BUNDLE = "sync.last_bundle"
_CHUNK = 500


@dataclass(frozen=True)
class OfficerChanges:
    """The officers among some changes: new here, changed, removed."""

    new: int = 0
    changed: int = 0
    removed: int = 0

    @property
    def total(self) -> int:
        return self.new + self.changed + self.removed


@dataclass(frozen=True)
class PendingChanges:
    """What the next bundle would carry (everything the district has not acknowledged), and
    how much of it was never written into any bundle."""

    rows: int = 0
    officers: OfficerChanges = field(default_factory=OfficerChanges)
    seq_from: int = 1
    seq_to: int = 0
    unsent_rows: int = 0  # changed after the last bundle written


@dataclass(frozen=True)
class LastBundle:
    file: str
    size: int
    seq_from: int
    seq_to: int
    rows: int
    officers: OfficerChanges
    written_at: datetime | None


@dataclass(frozen=True)
class LastReceipt:
    version: int
    imported_at: datetime | None


@dataclass(frozen=True)
class OfficerToFix:
    """An officer the district asks to fix, with its reason (shown to the user who opened
    the list; never logged), and where it is placed (to open the officer form there)."""

    id: str
    name: str
    post_code: str
    post_name: str
    reason: str
    tps_id: str | None
    tps_number: int | None
    kelurahan_code: str | None
    kelurahan_name: str | None
    kecamatan_code: str
    correction: bool = False  # the district's values wait side by side (sync.corrections)
    changed_since: bool = False  # changed here after the last bundle: the fix goes with the next


@dataclass(frozen=True)
class LaptopStatus:
    enrolled: bool
    district_name: str | None
    district_code: str | None
    district_fingerprint: str | None
    area: str | None
    setup_version: int | None
    setup_expires: str | None
    laptop_fingerprint: str | None
    pending: PendingChanges
    last_bundle: LastBundle | None
    last_receipt: LastReceipt | None
    to_fix: int
    corrections: int


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _officer_changes(
    session: Session, store: Store, pending: dict[tuple[str, str], int]
) -> OfficerChanges:
    """Officers among pending changes: removed (a tombstone travels), new (created under this
    device id after what the district acknowledged), or changed."""
    ids = sorted(row_id for (table, row_id) in pending if table == "officer")
    if not ids:
        return OfficerChanges()
    after = acked_seqs(session).get(store.device_id, 0)
    removed: set[str] = set()
    created: set[str] = set()
    for chunk in _chunks(ids):
        removed.update(
            session.exec(
                select(Officer.id).where(col(Officer.id).in_(chunk), col(Officer.deleted).is_(True))
            )
        )
        created.update(
            session.exec(
                select(ChangeLog.row_id).where(
                    ChangeLog.table_name == "officer",
                    col(ChangeLog.row_id).in_(chunk),
                    ChangeLog.action == "create",
                    ChangeLog.device_id == store.device_id,
                    col(ChangeLog.seq) > after,
                )
            )
        )
    new = len(created - removed)
    return OfficerChanges(new=new, changed=len(ids) - new - len(removed), removed=len(removed))


def pending_changes(store: Store) -> PendingChanges:
    """What the next bundle would carry, counted from the change log (no row is read whole)."""
    from tpsdesk.store.versioning import last_seq

    with store.read() as session:
        acked = acked_seqs(session).get(store.device_id, 0)
        seq_to = max(acked, last_seq(session, store.device_id))
        pending = _pending_entries(session, store, acked, seq_to)
        sent = get_meta(session, META_SENT_SEQS, {}) or {}
        sent_seq = max(acked, int(sent.get(store.device_id, 0) or 0))
        # Rows carried over from an earlier device id (seq 0) went with the last bundle, if any.
        unsent = sum(1 for seq in pending.values() if seq > sent_seq or not sent_seq)
        return PendingChanges(
            rows=len(pending),
            officers=_officer_changes(session, store, pending),
            seq_from=acked + 1,
            seq_to=seq_to,
            unsent_rows=unsent,
        )


def record_bundle(
    store: Store, *, file: str, size: int, seq_from: int, seq_to: int, rows: int,
    officers: OfficerChanges,
) -> None:  # fmt: skip
    """Remember the bundle just written, for the sync screen's "last bundle"."""
    with store.transaction() as session:
        set_meta(session, META_LAST_BUNDLE, {
            "file": file, "size": size, "seq_from": seq_from, "seq_to": seq_to, "rows": rows,
            "officers": {"new": officers.new, "changed": officers.changed,
                         "removed": officers.removed},
            "at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        })  # fmt: skip


def _last_bundle(session: Session) -> LastBundle | None:
    value = get_meta(session, META_LAST_BUNDLE, None)
    if not isinstance(value, dict):
        return None
    held = value.get("officers")
    counts: dict[str, Any] = held if isinstance(held, dict) else {}
    try:
        return LastBundle(
            file=str(value.get("file", "")),
            size=int(value.get("size", 0)),
            seq_from=int(value.get("seq_from", 0)),
            seq_to=int(value.get("seq_to", 0)),
            rows=int(value.get("rows", 0)),
            officers=OfficerChanges(
                new=int(counts.get("new", 0)),
                changed=int(counts.get("changed", 0)),
                removed=int(counts.get("removed", 0)),
            ),
            written_at=_when(value.get("at")),
        )
    except (TypeError, ValueError):
        return None


def _last_receipt(session: Session) -> LastReceipt | None:
    from tpsdesk.sync.receipt import META_RECEIPT_IMPORTED

    value = get_meta(session, META_RECEIPT_IMPORTED, None)
    if not isinstance(value, dict) or not isinstance(value.get("version"), int):
        return None
    return LastReceipt(version=int(value["version"]), imported_at=_when(value.get("imported_at")))


@dataclass(frozen=True)
class SentBundle:
    """A bundle just written, and what is on it."""

    path: Path
    size: int
    seq_from: int
    seq_to: int
    rows: int
    counts: dict[str, int]
    officers: OfficerChanges


def send_bundle(store: Store, folder: Path) -> SentBundle:
    """Write the bundle into `folder` (sync.bundle.export_bundle) and say what is on it.
    Raises NotEnrolled, NothingToSend, Unwritable (SyncError) as export_bundle does."""
    from tpsdesk.sync.bundle import export_bundle

    officers = pending_changes(store).officers  # counted before mark_sent changes statuses
    result = export_bundle(store, folder)
    if officers.total != result.counts.get("officer", 0):
        officers = OfficerChanges(changed=result.counts.get("officer", 0))  # cannot happen
    record_bundle(
        store, file=result.path.name, size=result.size, seq_from=result.seq_from,
        seq_to=result.seq_to, rows=result.rows, officers=officers,
    )  # fmt: skip
    return SentBundle(
        path=result.path,
        size=result.size,
        seq_from=result.seq_from,
        seq_to=result.seq_to,
        rows=result.rows,
        counts=dict(result.counts),
        officers=officers,
    )


def needing_fixes(store: Store) -> list[OfficerToFix]:
    """The officers the district asks to fix (a removed one, a duplicate the district took
    out, has nothing left to fix), by name, with the district's corrections waiting marked."""
    from sqlalchemy import select as sa_select

    waiting = {c.officer_id for c in list_corrections(store)}
    catalogue = store.catalogue
    query = (
        sa_select(
            col(Officer.id),
            col(Officer.name),
            col(Officer.post_code),
            col(Officer.status_reason),
            col(Officer.tps_id),
            col(Tps.number),
            col(Officer.kelurahan_code),
            col(Kelurahan.name),
            col(Officer.kecamatan_code),
        )
        .select_from(Officer)
        .outerjoin(Tps, col(Tps.id) == col(Officer.tps_id))
        .outerjoin(Kelurahan, col(Kelurahan.code) == col(Officer.kelurahan_code))
        .where(
            col(Officer.deleted).is_(False),
            (col(Officer.status) == OfficerStatus.NEEDS_FIX.value) | col(Officer.id).in_(waiting),
        )
        .order_by(col(Officer.name), col(Officer.id))
    )
    found: list[OfficerToFix] = []
    with store.read() as session:
        sent = get_meta(session, META_SENT_SEQS, {}) or {}
        sent_seq = int(sent.get(store.device_id, 0) or 0)
        changed = set(
            session.exec(
                select(ChangeLog.row_id).where(
                    ChangeLog.table_name == "officer",
                    ChangeLog.device_id == store.device_id,
                    col(ChangeLog.seq) > sent_seq,
                )
            )
        )
        for row in session.execute(query):
            post = catalogue.get(row[2])
            found.append(
                OfficerToFix(
                    id=row[0],
                    name=row[1],
                    post_code=row[2],
                    post_name=post.name if post is not None else row[2],
                    reason=row[3] or "",
                    tps_id=row[4],
                    tps_number=row[5],
                    kelurahan_code=row[6],
                    kelurahan_name=row[7],
                    kecamatan_code=row[8],
                    correction=row[0] in waiting,
                    changed_since=row[0] in changed,
                )
            )
    return found


def fix_counts(store: Store) -> tuple[int, int]:
    """(officers needing a fix, of which corrections waiting side by side): the banner."""
    from sqlmodel import func

    waiting = {c.officer_id for c in list_corrections(store)}
    with store.read() as session:
        query = (
            select(func.count())
            .select_from(Officer)
            .where(
                col(Officer.deleted).is_(False),
                (col(Officer.status) == OfficerStatus.NEEDS_FIX.value)
                | col(Officer.id).in_(waiting),
            )
        )
        return int(session.exec(query).one()), len(waiting)


def laptop_status(store: Store) -> LaptopStatus:
    """Everything the sync screen shows at its top; reads only (creates no identity)."""
    from tpsdesk.sync.identity import device_identity
    from tpsdesk.sync.setup import installed_setup, pinned_district

    pinned = pinned_district(store)
    installed = installed_setup(store)
    me = device_identity(store)
    to_fix, corrections = fix_counts(store)
    with store.read() as session:
        last_bundle = _last_bundle(session)
        last_receipt = _last_receipt(session)
    return LaptopStatus(
        enrolled=pinned is not None and installed is not None,
        district_name=pinned.name if pinned is not None else None,
        district_code=pinned.code if pinned is not None else None,
        district_fingerprint=pinned.fingerprint if pinned is not None else None,
        area=installed.area if installed is not None else None,
        setup_version=installed.version if installed is not None else None,
        setup_expires=installed.expires_at if installed is not None else None,
        laptop_fingerprint=me.fingerprint if me is not None else None,
        pending=pending_changes(store),
        last_bundle=last_bundle,
        last_receipt=last_receipt,
        to_fix=to_fix,
        corrections=corrections,
    )


@dataclass(frozen=True)
class FieldSide:
    """One officer field as the correction screen shows it: this laptop's value and the
    district's, and whether they differ."""

    field: str
    mine: Any
    district: Any
    differs: bool


def correction_sides(
    store: Store, officer_id: str
) -> tuple[Officer, Correction, list[FieldSide]] | None:
    """Every correctable field of an officer with a district correction waiting: both values,
    the differing ones marked. None when no correction waits for it."""
    from tpsdesk.sync.corrections import correction_for

    correction = correction_for(store, officer_id)
    if correction is None:
        return None
    with store.read() as session:
        officer = session.get(Officer, officer_id)
    if officer is None:
        return None
    differing = {item.field: item for item in correction.fields}
    sides = []
    for name in CORRECTABLE:
        mine = getattr(officer, name)
        item = differing.get(name)
        sides.append(FieldSide(name, mine, item.district if item else mine, item is not None))
    return officer, correction, sides


def shown_value(store: Store, name: str, value: Any) -> str:
    """A field's value as the correction screen shows it: dates dd-mm-yyyy, a post by its
    name, a TPS by number and kelurahan, nothing as "—" (not yet escaped for the screen)."""
    from tpsdesk.domain.dates import format_date

    if value is None or value == "":
        return "—"
    if hasattr(value, "isoformat") and hasattr(value, "day"):
        return format_date(value)
    if name == "post_code":
        post = store.catalogue.get(str(value))
        return post.name if post is not None else str(value)
    if name in {"tps_id", "kelurahan_code", "kecamatan_code"}:
        with store.read() as session:
            return _place_shown(session, name, value)
    return str(value)


def _place_shown(session: Session, name: str, value: Any) -> str:
    from tpsdesk.domain.area import format_tps
    from tpsdesk.store.models import Kecamatan

    def kelurahan_name(code: str) -> str:
        query = select(Kelurahan.name).where(Kelurahan.code == code)
        return session.exec(query).first() or code

    if name == "tps_id":
        tps = session.get(Tps, value)
        if tps is None:
            return str(value)
        return f"TPS {format_tps(tps.number)} {kelurahan_name(tps.kelurahan_code)}"
    if name == "kelurahan_code":
        return kelurahan_name(str(value))
    found = session.exec(select(Kecamatan.name).where(Kecamatan.code == value)).first()
    return found or str(value)


@dataclass(frozen=True)
class AreaCounts:
    kecamatan: int
    kelurahan: int
    tps: int


def area_counts(store: Store) -> AreaCounts:
    """How many kecamatan, kelurahan and TPS the laptop holds (after an enrolment)."""
    from sqlmodel import func

    from tpsdesk.store.models import Kecamatan

    with store.read() as session:

        def count(model: Any) -> int:
            query = select(func.count()).select_from(model).where(col(model.deleted).is_(False))
            return int(session.exec(query).one())

        return AreaCounts(count(Kecamatan), count(Kelurahan), count(Tps))


def roster_status(status: str, *, enrolled: bool) -> str:
    """An officer's status in a roster: on an enrolled laptop, where it stands in sync
    (not sent yet, sent, accepted, needs fixing, KPJ registered)."""
    from tpsdesk.i18n import _
    from tpsdesk.store.officers import status_label

    if enrolled and status == OfficerStatus.READY.value:
        return _("not sent yet")
    if status == OfficerStatus.ENROLLED.value:
        return _("KPJ registered")
    return status_label(status)
