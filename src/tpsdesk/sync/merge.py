"""The district's merge engine: its contracts (IncomingBundle, MergeReport) and one merge per
bundle.

Rules (docs/sync-design.md, "Merge rules"):

* A bundle's rows are checked first (`row_checks`: shape, values, area of the values sent). A
  structural problem, a header area other than the laptop's approved one, or a version the
  district has arriving with other contents (a rollback) refuses the whole bundle; a row a
  clerk can fix, or one the laptop may not write (`authority`: ownership by the district's
  rows now), is refused alone and listed in the report, and the rest merges. Every report is
  stored, so the same file again gets the same one.
* The rest is merged in one transaction. Every version of every row is kept in `RowVersion`.
  What a row shows is recomputed from the SET of its known versions (`lineage`): the heads and,
  among them, the winner. As the shown state is a function of the set of versions, the order in
  which bundles arrive cannot change it, and a bundle merged twice adds nothing.
* Findings (`findings`) are derived from the current state and keyed by what they are about,
  so they are neither duplicated nor order-dependent.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tpsdesk.i18n import _, ngettext
from tpsdesk.store.db import Store
from tpsdesk.store.dialect import is_postgres
from tpsdesk.store.models import Officer, utcnow
from tpsdesk.store.versioning import audit, state_of
from tpsdesk.sync.authority import check_authority
from tpsdesk.sync.changes import table_label
from tpsdesk.sync.district import (
    DeviceKeyMismatch,
    DeviceNotApproved,
    DeviceRevoked,
    FileIdReused,
    key_fingerprint,
    require_district,
    shown_fingerprint,
)
from tpsdesk.sync.district_models import (
    BundleStatus,
    Device,
    DeviceStatus,
    Finding,
    FindingKind,
    FindingStatus,
    QuarantinedBundle,
    ReceivedBundle,
    RowVersion,
)
from tpsdesk.sync.district_rows import (
    chunks,
    load_rows,
    load_versions,
    record_current_version,
    show,
)
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.findings import (
    OfficerKeys,
    record_rollback,
    refresh_conflict,
    refresh_duplicate_tps,
    refresh_duplicates,
    refresh_gaps,
)
from tpsdesk.sync.lineage import canonical, disagree, heads_of, identity, vkey
from tpsdesk.sync.merge_sql import counters_reused as staged_counters_reused
from tpsdesk.sync.merge_sql import (
    fast_forwards,
    insert_new_rows,
    insert_new_versions,
    rows_needing_lineage,
    stage_bundle,
    tps_places,
    update_shown_rows,
)
from tpsdesk.sync.row_checks import (
    CheckedRows,
    ParsedRow,
    Rejection,
    RowProblem,
    check_bundle_rows,
    check_row,
)
from tpsdesk.sync.staging import clear_stages, drop_staged

# Tables whose rows a bundle may change at the district. Kecamatan and kelurahan rows are the
# district's own reference data (it issues them in setup files): their versions from a bundle
# are kept in RowVersion but never applied ("ignored" in the report).
APPLIED_TABLES = frozenset({"tps", "officer"})

# Re-exported: the merge's contracts name them, and callers import them from here.
__all__ = [
    "APPLIED_TABLES",
    "CheckedRows",
    "IncomingBundle",
    "MergeReport",
    "MissingReference",
    "ParsedRow",
    "Rejection",
    "RowProblem",
    "VersionClash",
    "check_bundle_rows",
    "check_row",
    "merge_bundle",
]

# -- contracts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingBundle:
    """What reading a bundle gives the merge engine (docs/sync-design.md)."""

    file_id: str
    sender_id: str
    sender_key: bytes
    area: str
    seq_from: int
    seq_to: int
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class RowRef:
    table: str
    row_id: str


@dataclass(frozen=True)
class DuplicateRef:
    finding_id: str
    kind: str
    row_ids: tuple[str, ...]


@dataclass(frozen=True)
class MergeReport:
    file_id: str
    device_id: str
    seq_from: int
    seq_to: int
    status: str  # BundleStatus.MERGED or REFUSED
    reason: str = ""  # "rows_refused", "area", "" when merged
    accepted: tuple[RowRef, ...] = ()
    unchanged: tuple[RowRef, ...] = ()
    ignored: tuple[RowRef, ...] = ()
    conflicts: tuple[RowRef, ...] = ()
    duplicates: tuple[DuplicateRef, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    gaps: tuple[tuple[int, int], ...] = ()
    # Refused rows beyond the MAX_REJECTIONS the report keeps.
    rejected_more: int = 0
    # True when the file had been merged (or refused) before and this is the stored report.
    replay: bool = field(default=False, compare=False)

    @property
    def merged(self) -> bool:
        return self.status == BundleStatus.MERGED.value

    def to_json(self) -> dict[str, Any]:
        def refs(items: Iterable[RowRef]) -> list[dict[str, str]]:
            return [{"table": r.table, "id": r.row_id} for r in items]

        return {
            "file_id": self.file_id,
            "device_id": self.device_id,
            "seq_from": self.seq_from,
            "seq_to": self.seq_to,
            "status": self.status,
            "reason": self.reason,
            "accepted": refs(self.accepted),
            "unchanged": refs(self.unchanged),
            "ignored": refs(self.ignored),
            "conflicts": refs(self.conflicts),
            "duplicates": [
                {"finding": d.finding_id, "kind": d.kind, "rows": list(d.row_ids)}
                for d in self.duplicates
            ],
            "rejected": [
                {
                    "index": r.index,
                    "table": r.table,
                    "id": r.row_id,
                    "problems": [
                        {"field": p.field, "code": p.code, "message": p.message} for p in r.problems
                    ],
                }
                for r in self.rejected
            ],
            "gaps": [[a, b] for a, b in self.gaps],
            "rejected_more": self.rejected_more,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, replay: bool = False) -> MergeReport:
        def refs(items: list[dict[str, str]]) -> tuple[RowRef, ...]:
            return tuple(RowRef(r["table"], r["id"]) for r in items)

        return cls(
            file_id=data["file_id"],
            device_id=data["device_id"],
            seq_from=data["seq_from"],
            seq_to=data["seq_to"],
            status=data["status"],
            reason=data.get("reason", ""),
            accepted=refs(data.get("accepted", [])),
            unchanged=refs(data.get("unchanged", [])),
            ignored=refs(data.get("ignored", [])),
            conflicts=refs(data.get("conflicts", [])),
            duplicates=tuple(
                DuplicateRef(d["finding"], d["kind"], tuple(d["rows"]))
                for d in data.get("duplicates", [])
            ),
            rejected=tuple(
                Rejection(
                    r["index"],
                    r["table"],
                    r["id"],
                    tuple(RowProblem(p["field"], p["code"], p["message"]) for p in r["problems"]),
                )
                for r in data.get("rejected", [])
            ),
            gaps=tuple((a, b) for a, b in data.get("gaps", [])),
            rejected_more=int(data.get("rejected_more", 0)),
            replay=replay,
        )

    def summary(self) -> str:
        """A translated, human summary (no names, no NIKs)."""
        lines = []
        if self.replay:
            lines.append(_("This bundle was handled before; nothing changed. Its report:"))
        if not self.merged:
            n = sum(1 for r in self.rejected if r.index >= 0)
            if self.reason == "area":
                lines.append(
                    _(
                        "Bundle refused: it is for another area than the laptop was approved "
                        "for. Nothing was merged."
                    )
                )
            elif self.reason == "rollback":
                lines.append(
                    _(
                        "Bundle refused: this laptop sent again changes the district already "
                        "has, with other contents; its store was put back to an older copy. "
                        "Nothing was merged. At the district: see `district findings`. On the "
                        "laptop: import the next receipt; the laptop then takes a new identity, "
                        "sends everything again, and must be approved again."
                    )
                )
            else:
                lines.append(
                    ngettext(
                        "Bundle refused: {n} row is not acceptable. Nothing was merged; the "
                        "laptop must fix it and export again.",
                        "Bundle refused: {n} rows are not acceptable. Nothing was merged; the "
                        "laptop must fix them and export again.",
                        n,
                    ).format(n=n)
                )
            lines.extend(self._rejection_lines())
        else:
            lines.append(
                _(
                    "Bundle merged: {accepted} accepted, {unchanged} already known, "
                    "{conflicts} in conflict, {duplicates} possible duplicates."
                ).format(
                    accepted=len(self.accepted),
                    unchanged=len(self.unchanged) + len(self.ignored),
                    conflicts=len(self.conflicts),
                    duplicates=len(self.duplicates),
                )
            )
            if self.rejected:
                n = self.refused_rows
                lines.append(
                    ngettext(
                        "{n} row was refused and not merged; the rest was. The laptop is told "
                        "with its next receipt, and must fix it and export again:",
                        "{n} rows were refused and not merged; the rest was. The laptop is told "
                        "with its next receipt, and must fix them and export again:",
                        n,
                    ).format(n=n)
                )
                lines.extend(self._rejection_lines())
        if self.gaps:
            ranges = ", ".join(f"{a}–{b}" if a != b else str(a) for a, b in self.gaps)
            lines.append(
                _(
                    "Changes {ranges} of this laptop never arrived: ask for the missing bundle "
                    "(the next receipt names them)."
                ).format(ranges=ranges)
            )
        return "\n".join(lines)

    @property
    def refused_rows(self) -> int:
        """How many rows were refused: those the report keeps, and those it only counts."""
        return len(self.rejected) + self.rejected_more

    def _rejection_lines(self) -> list[str]:
        lines = []
        for rejection in self.rejected[:20]:
            for problem in rejection.problems:
                if rejection.index >= 0:
                    lines.append(
                        _("  row {row} ({table}): {message}").format(
                            row=rejection.index + 1,
                            table=table_label(rejection.table),
                            message=problem.message,
                        )
                    )
                else:
                    lines.append("  " + problem.message)
        more = self.refused_rows - 20
        if more > 0:
            lines.append(
                ngettext("  … and {n} more row", "  … and {n} more rows", more).format(n=more)
            )
        return lines


# What a stored report keeps of its refused rows (a hostile bundle must not grow the district
# store by a report per row): at most this many rows, each with at most MAX_PROBLEMS problems
# and messages of at most MAX_MESSAGE characters; the rest is counted in `rejected_more`.
MAX_REJECTIONS = 200
MAX_PROBLEMS = 10
MAX_MESSAGE = 300


def capped(rejections: list[Rejection]) -> tuple[tuple[Rejection, ...], int]:
    """(the rejections a report keeps, how many more there were), in row order."""
    ordered = sorted(rejections, key=lambda r: r.index)
    kept = tuple(
        Rejection(
            r.index,
            r.table[:40],
            r.row_id[:100],
            tuple(
                RowProblem(p.field[:40], p.code[:60], p.message[:MAX_MESSAGE])
                for p in r.problems[:MAX_PROBLEMS]
            ),
        )
        for r in ordered[:MAX_REJECTIONS]
    )
    return kept, max(0, len(ordered) - MAX_REJECTIONS)


class VersionClash(SyncError):
    """A version the district has arrives with other contents (a laptop reused counters): the
    merge is rolled back and the bundle refused as a rollback (`_refuse`)."""

    code = "version_clash"

    def problem(self) -> str:
        return _(
            "The bundle holds a change the district already has, but with different contents. "
            "Nothing was merged; ask the district's technical staff to check the laptop."
        )


class MissingReference(SyncError):
    """Rows point at a TPS, kelurahan or kecamatan the district does not have (yet)."""

    code = "missing_reference"

    def problem(self) -> str:
        return _(
            "The bundle refers to a TPS or an area the district does not have. Nothing was "
            "merged; merge the laptop's earlier bundles first, or check the area list."
        )


def _check_device(session: Session, bundle: IncomingBundle) -> Device:
    device = session.get(Device, bundle.sender_id)
    printed = key_fingerprint(bundle.sender_key)
    if device is None or device.status == DeviceStatus.PENDING.value:
        raise DeviceNotApproved(printed)
    if device.signing_key != _b64(bundle.sender_key):
        raise DeviceKeyMismatch()
    if device.status == DeviceStatus.REVOKED.value:
        raise DeviceRevoked(shown_fingerprint(device))  # at a province: the district's
    return device


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _store_report(
    session: Session, bundle: IncomingBundle, report: MergeReport, reason: str
) -> None:
    record = session.get(ReceivedBundle, bundle.file_id)
    if record is None:
        record = ReceivedBundle(
            file_id=bundle.file_id,
            device_id=bundle.sender_id,
            seq_from=bundle.seq_from,
            seq_to=bundle.seq_to,
            area=bundle.area,
        )
    record.status = report.status
    record.reason = reason
    record.report = canonical(report.to_json())
    session.add(record)
    held = session.get(QuarantinedBundle, bundle.file_id)
    if held is not None:
        session.delete(held)


def merge_bundle(
    store: Store,
    bundle: IncomingBundle,
    *,
    today: date | None = None,
    checked: CheckedRows | None = None,
) -> MergeReport:
    """Merge one bundle into a district store, in one transaction: all of it or none of it.

    The same file again returns the first report (`replay` set) and changes nothing. Raises
    a `SyncError` when the laptop is not approved, revoked, or signs with another key (nothing
    is recorded: a pending laptop's bundle belongs in quarantine, `district.quarantine`), or
    `MissingReference` (nothing merged, nothing recorded: the file may be merged later).

    Refusals (docs/sync-design.md, "Refusals"): a structurally bad bundle, one for another
    area than the laptop's approved one, or one holding a version the district has with other
    contents (the laptop's store went back in time: reason "rollback", with a finding) is
    refused whole; a row refused for its content or by ownership (`sync.authority`) is
    refused alone and listed in the report's `rejected`, and the rest merges. Every report is
    stored, so the same file again gets the same one.

    `checked`: the bundle's rows as `check_bundle_rows` checked them beforehand (in another
    process); used only if checked for the laptop's area as the store has it now, and today.
    """
    require_district(store)
    today = today or date.today()
    with store.read() as session:
        prior = session.get(ReceivedBundle, bundle.file_id)
        if prior is not None and prior.device_id != bundle.sender_id:
            raise FileIdReused()
        if prior is not None and prior.status != BundleStatus.QUARANTINED.value:
            return MergeReport.from_json(json.loads(prior.report), replay=True)
        device = _check_device(session, bundle)
        area = device.area_code
    if checked is None or (checked.area, checked.today) != (area, today):
        checked = check_bundle_rows(
            bundle.area, bundle.rows, area=area, catalogue=store.catalogue, today=today
        )
    parsed, rejected, reason = checked.parsed, checked.rejected, checked.reason
    if reason:
        return _refuse(store, bundle, reason, rejected)
    try:
        # Flushed by hand where a query needs it: autoflush at every lookup is most of the time.
        with store.transaction() as session, session.no_autoflush:
            replay = _one_merge_at_a_time(session, bundle)
            if replay is not None:
                return replay
            report = _apply(session, bundle, parsed, rejected, area)
    except VersionClash:
        return _refuse(store, bundle, "rollback", [], rollback=True)
    except IntegrityError as error:
        # Foreign keys are deferred to COMMIT, where SQLite counts the violations this
        # transaction made (a `foreign_key_check` would scan the whole district every time)
        # and PostgreSQL checks them (SQLSTATE 23503). Unique constraints fail at their
        # statement, so a failed COMMIT is a missing row.
        if getattr(error.orig, "sqlstate", None) != "23503" and "FOREIGN KEY" not in str(
            error.orig
        ):
            raise
        raise MissingReference() from None
    return report


# pg_advisory_xact_lock key of merging ("tpsdesk" merge): held to the end of the transaction.
MERGE_LOCK = 0x7470_7364_6573_6B02


def _one_merge_at_a_time(session: Session, bundle: IncomingBundle) -> MergeReport | None:
    """On PostgreSQL, where several clerks' processes merge into one district: wait for any
    other merge to finish (a transaction-level advisory lock), then look again whether this
    file was merged meanwhile (its report, as a replay). Merges so give the result one after
    another would; the same file merged twice at once merges once; reads are not blocked.
    SQLite has one process, which the store's lock already serializes."""
    if not is_postgres(session):
        return None
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MERGE_LOCK})
    prior = session.get(ReceivedBundle, bundle.file_id, populate_existing=True)
    if prior is None or prior.status == BundleStatus.QUARANTINED.value:
        return None
    if prior.device_id != bundle.sender_id:
        raise FileIdReused()
    return MergeReport.from_json(json.loads(prior.report), replay=True)


def _refuse(
    store: Store,
    bundle: IncomingBundle,
    reason: str,
    rejected: list[Rejection],
    *,
    rollback: bool = False,
) -> MergeReport:
    """Record the refusal of a whole bundle (and, for a rollback, its finding); its report."""
    kept, more = capped(rejected)
    report = MergeReport(
        bundle.file_id,
        bundle.sender_id,
        bundle.seq_from,
        bundle.seq_to,
        BundleStatus.REFUSED.value,
        reason,
        rejected=kept,
        rejected_more=more,
    )
    with store.transaction() as session:
        replay = _one_merge_at_a_time(session, bundle)
        if replay is not None:
            return replay
        _store_report(session, bundle, report, reason)
        if rollback:
            record_rollback(session, bundle.sender_id, bundle.seq_from, bundle.seq_to)
        audit(
            session,
            state_of(session),
            "bundle_refuse",
            table_name="sync_received_bundle",
            row_id=bundle.file_id,
            note=reason,
        )
    return report


def _open_conflicts(session: Session, row_ids: Iterable[str]) -> dict[str, list[Finding]]:
    """{row id: open conflict findings} of these rows (a conflict finding names its one row)."""
    out: dict[str, list[Finding]] = defaultdict(list)
    for chunk in chunks(row_ids):
        query = select(Finding).where(
            Finding.kind == FindingKind.CONFLICT.value,
            Finding.status == FindingStatus.OPEN.value,
            col(Finding.row_ids).in_([canonical([row_id]) for row_id in chunk]),
        )
        for finding in session.exec(query):
            for row_id in json.loads(finding.row_ids):
                out[row_id].append(finding)
    return out


def _apply(
    session: Session,
    bundle: IncomingBundle,
    parsed: list[ParsedRow],
    refused: list[Rejection],
    area: str,
) -> MergeReport:
    """The merge of a checked bundle (docs/sync-design.md, "The set-based merge"): the rows go
    into the staging tables in one bulk step; rows new to the district are checked and
    inserted by SQL over them; only the rows the district knows already (a version of them,
    or a shown row) go through the version lineage here, loaded for them alone."""
    connection = session.connection()
    by_table: dict[str, list[ParsedRow]] = defaultdict(list)
    for row in parsed:
        by_table[row.table].append(row)
    applied = [table for table in by_table if table in APPLIED_TABLES]
    stage_bundle(session, parsed, file_id=bundle.file_id, sender_id=bundle.sender_id,
                 received_at=utcnow(), applied=applied)  # fmt: skip
    # The laptop's own new versions: a counter the district holds for another row means its
    # store went back to an older copy and numbered other changes the same (a rollback).
    if staged_counters_reused(session, bundle.sender_id):
        raise VersionClash()
    # Rows the district knows (a version of them, or a shown row): the lineage decides what
    # they show. Area rows are never applied: their versions are kept, by the same path.
    known = rows_needing_lineage(session)
    # Of those, the fast-forwards (a new version of what the district shows, knowing every
    # version it holds): applied by SQL too, without their versions.
    forward = fast_forwards(session) if known else set()
    lineage_rows = {p.row_id for p in parsed
                    if (p.row_id in known and p.row_id not in forward)
                    or p.table not in APPLIED_TABLES}  # fmt: skip
    versions = load_versions(session, lineage_rows)
    open_conflicts = _open_conflicts(session, lineage_rows)
    # The district's shown rows of the rows it knows: ownership is checked on them
    # (set-based, sync.authority) before anything is written, and the lineage works on them.
    loaded = known | lineage_rows  # area rows, as the lineage rows, may have no version yet
    currents = {table: load_rows(session, table, (p.row_id for p in rows if p.row_id in loaded))
                for table, rows in by_table.items()}  # fmt: skip
    places = tps_places(session) if "officer" in by_table else {}
    denied = check_authority(session, area, parsed, currents, refused, places=places)
    # What stays in the staging tables is what SQL inserts: the new rows, not refused.
    drop_staged(connection, [p.index for p in parsed
                             if p.row_id in lineage_rows or p.index in denied])  # fmt: skip
    rejected = list(refused)
    touched_places: set[str] = set()  # kelurahan codes of TPS rows this bundle changed
    outcome: dict[str, list[RowRef]] = defaultdict(list)
    keys = OfficerKeys()
    new_rows: set[str] = set()
    staged_officers = False
    forwarded: set[str] = set()  # fast-forwards not refused
    for table, rows in by_table.items():
        current = currents[table]
        for row_id, present in current.items():
            if row_id in lineage_rows:  # a fast-forward's shown version is recorded
                record_current_version(session, present, versions[row_id])
        touched: dict[str, ParsedRow] = {}
        for p in rows:
            ref = RowRef(table, p.row_id)
            denial = denied.get(p.index)
            if p.row_id not in lineage_rows:
                # New to the district, or a fast-forward: inserted or applied from the staging
                # tables below, with its version (its only head, so the winner).
                if denial is not None:
                    rejected.append(denial)  # nothing of it is recorded, not even as a version
                    continue
                touched[p.row_id] = p
                new_rows.add(p.row_id)
                continue
            known_version = next((v for v in versions[p.row_id] if vkey(v) == p.version), None)
            if known_version is not None:
                if known_version.table_name != table or (
                    identity(table, json.loads(known_version.values))
                    != identity(table, p.wire or json.loads(p.wire_json))
                ):
                    raise VersionClash()
                history = json.loads(known_version.history or "{}")
                wider = {d: max(c, history.get(d, 0)) for d, c in p.history.items()}
                widens = any(history.get(d, 0) < c for d, c in wider.items())
                if denial is not None and widens:
                    # A copy that tells more of its ancestry could change which version
                    # shows: only a laptop that may write the row may tell it.
                    rejected.append(denial)
                    continue
                # A copy of a version the district has changes nothing: never refused (the
                # district may have moved the row out of the laptop's area since).
                outcome["unchanged"].append(ref)
                if widens:
                    history.update(wider)
                    known_version.history = canonical(history)
                    session.add(known_version)
                    if table in APPLIED_TABLES:
                        touched[p.row_id] = p  # more is known of its ancestry now
                continue
            if denial is not None:
                rejected.append(denial)  # nothing of it is recorded, not even as a version
                continue
            version = RowVersion(
                table_name=table,
                row_id=p.row_id,
                device=p.device,
                counter=p.counter,
                base_device=p.base[0] if p.base else None,
                base_counter=p.base[1] if p.base else None,
                deleted=p.deleted,
                values=p.wire_json,
                history=p.history_json,
                file_id=bundle.file_id,
                sender_id=bundle.sender_id,
            )
            session.add(version)
            versions[p.row_id].append(version)
            if table not in APPLIED_TABLES:
                outcome["ignored"].append(ref)
                continue
            touched[p.row_id] = p
            new_rows.add(p.row_id)
        for row_id, p in touched.items():
            ref = RowRef(table, row_id)
            if table == "tps":
                touched_places.add(p.typed["kelurahan_code"])
            if row_id not in lineage_rows:
                if table == "officer":
                    existing = current.get(row_id)
                    if isinstance(existing, Officer):
                        keys.add(existing)  # what it showed before the fast-forward
                    keys.rows.add(row_id)  # its NIK and name key are read from the stage
                    staged_officers = True
                if row_id in forward:
                    forwarded.add(row_id)
                outcome["accepted"].append(ref)
                continue
            heads = heads_of(versions[row_id])
            winner = heads[0]
            existing = current.get(row_id)
            if existing is None or (existing.version_device, existing.version_counter) != vkey(
                winner
            ):
                if isinstance(existing, Officer):
                    keys.add(existing)
                # The winner's values as check_row read them, when it is this bundle's version.
                typed = p.typed if row_id in new_rows and vkey(winner) == p.version else None
                shown = show(session, table, existing, winner, typed)
                current[row_id] = shown
                if isinstance(shown, Officer):
                    keys.add(shown)
            refresh_conflict(session, table, row_id, heads, open_conflicts)
            if row_id not in new_rows:
                continue
            if (
                len(heads) > 1
                and any(vkey(h) == p.version for h in heads)
                and disagree(table, heads)
            ):
                outcome["conflicts"].append(ref)
            elif vkey(winner) == p.version:
                outcome["accepted"].append(ref)
            else:
                outcome["unchanged"].append(ref)  # an ancestor of what the district has

    if forwarded:
        # The fast-forwards show their new version (UPDATE … FROM the stage). What the session
        # holds is written first, then all of it is read again when next used (the loaded
        # copies of those rows are stale; one expiry of everything costs less than one a row).
        # Their open conflicts are gone (one head now).
        session.flush()
        for table in applied:
            update_shown_rows(session, table)
        session.expire_all()
        for findings_of_row in _open_conflicts(session, forwarded).values():
            for finding in findings_of_row:
                session.delete(finding)
    # New TPS rows before the ORM flush and new officers after it: either may refer to a
    # TPS. In id order, so that the id indexes grow at one end instead of everywhere at once.
    if "tps" in applied:
        insert_new_rows(session, "tps")
    session.flush()
    if "officer" in applied:
        insert_new_rows(session, "officer")
    if applied:
        insert_new_versions(session, applied)
    found = refresh_duplicates(session, keys, staged=staged_officers)
    clear_stages(connection)
    bundle_rows = {p.row_id for p in parsed if p.index not in denied}
    duplicates = sorted(
        (
            DuplicateRef(f.id, f.kind, tuple(json.loads(f.row_ids)))
            for f in found.values()
            if f.status == FindingStatus.OPEN.value
            and bundle_rows.intersection(json.loads(f.row_ids))
        ),
        key=lambda d: (d.kind, d.finding_id),
    )
    # The bundle's own range counts as seen from here on.
    placeholder = MergeReport(
        bundle.file_id, bundle.sender_id, bundle.seq_from, bundle.seq_to, BundleStatus.MERGED.value
    )
    refresh_duplicate_tps(session, touched_places)
    _store_report(session, bundle, placeholder, "")
    session.flush()
    missing = refresh_gaps(session, bundle.sender_id)
    kept, more = capped(rejected)
    report = MergeReport(
        bundle.file_id,
        bundle.sender_id,
        bundle.seq_from,
        bundle.seq_to,
        BundleStatus.MERGED.value,
        "",
        accepted=tuple(outcome["accepted"]),
        unchanged=tuple(outcome["unchanged"]),
        ignored=tuple(outcome["ignored"]),
        conflicts=tuple(outcome["conflicts"]),
        duplicates=tuple(duplicates),
        gaps=tuple(missing),
        rejected=kept,
        rejected_more=more,
    )
    _store_report(session, bundle, report, "")
    counts = {name: len(refs) for name, refs in outcome.items()}
    counts["rejected"] = len(rejected)
    audit(session, state_of(session), "bundle_merge", table_name="sync_received_bundle",
          row_id=bundle.file_id, note=canonical(counts))  # fmt: skip
    return report
