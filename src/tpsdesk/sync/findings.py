"""Findings for the clerk: same NIK, likely the same person, conflicts, sequence gaps, two TPS
with one number, a laptop store put back in time; derived from the current state and keyed by
what they are about (never duplicated, order-free); and the clerk's decisions on them.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from tpsdesk.domain.names import name_key
from tpsdesk.domain.officer import OfficerDraft, validate_officer
from tpsdesk.domain.posts import PostCatalogue
from tpsdesk.i18n import _, ngettext
from tpsdesk.store.db import Store
from tpsdesk.store.models import (
    OFFICER_FIELD_COLUMNS,
    Action,
    Kecamatan,
    Kelurahan,
    Officer,
    SyncFields,
    Tps,
    utcnow,
)
from tpsdesk.store.versioning import audit, stamp, state_of
from tpsdesk.sync.changes import row_to_wire, wire_value
from tpsdesk.sync.district import Decision, FindingError, missing_ranges, seen_ranges_in
from tpsdesk.sync.district_models import Device, Finding, FindingKind, FindingStatus, RowVersion
from tpsdesk.sync.district_rows import chunks, load_rows, load_versions, record_current_version
from tpsdesk.sync.lineage import DISTRICT_OWNED, canonical, disagree, heads_of, vkey
from tpsdesk.sync.row_checks import TYPES, typed_values
from tpsdesk.sync.staging import KEY_STAGE, empty_stage, prepare_key_stage, stage

# Live officers with one of the staged NIKs (served by ix_officer_nik), and live officers with
# one of the staged (name key, birth date) pairs (served by ix_officer_name_key_born: its WHERE
# is spelled as the index spells it, `{no}` the engine's false, `_false`). CROSS JOIN makes
# the keys SQLite's outer loop (one index SEARCH per key); PostgreSQL plans it as any join.
_SAME_NIK = (
    "SELECT o.id, o.nik FROM officer AS o WHERE o.nik IN "
    "(SELECT value FROM tpsdesk_stage_keys WHERE kind = 'nik') AND o.deleted = {no}"
)
# The keys of the officers left in the merge's officer stage (`refresh_duplicates(staged=True)`).
_STAGED_NIKS = " UNION ALL SELECT nik FROM tpsdesk_stage_officer"
_STAGED_NAMES = " UNION SELECT name_key, birth_date FROM tpsdesk_stage_officer"
_SAME_PERSON = (
    "SELECT k.value, k.born, o.id, o.nik FROM "
    "(SELECT DISTINCT value, born FROM tpsdesk_stage_keys WHERE kind = 'name') AS k "
    "CROSS JOIN officer AS o WHERE o.name_key = k.value "
    "AND o.birth_date = k.born AND o.deleted = {no}"
)


def finding_id(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def group_hash(ids: Iterable[str]) -> str:
    return hashlib.sha256(",".join(sorted(ids)).encode("ascii")).hexdigest()[:32]


@dataclass
class OfficerKeys:
    niks: set[str] = field(default_factory=set)
    names: set[tuple[str, date]] = field(default_factory=set)
    rows: set[str] = field(default_factory=set)

    def add(self, officer: Officer) -> None:
        self.niks.add(officer.nik)
        self.names.add((name_key(officer.name), officer.birth_date))
        self.rows.add(officer.id)


def refresh_duplicates(
    session: Session, keys: OfficerKeys, *, staged: bool = False
) -> dict[str, Finding]:
    """Recompute the same-NIK and likely-duplicate groups the changed officers touch.

    `keys`: the changed officers' NIKs, (name key, birth date) pairs and ids. `staged`: the
    officers left in the merge's officer stage (`sync/staging.py`) changed too — their NIKs and
    name keys are taken there, in SQL (their ids must be in `keys.rows`).

    Set-based: the keys go into a staging table, and each kind of group is one join of it with
    the officers (served by ix_officer_nik and ix_officer_name_key_born).

    Returns the current findings (open or resolved) of those groups by row id involved. Open
    findings of groups that no longer exist are removed (they were never acted on); resolved
    ones stay as the record of a decision.
    """
    if not (keys.rows or keys.niks or keys.names or staged):
        # Nothing changed (a keep-both decision): no group to recompute, none gone stale;
        # skip reading every open duplicate finding (10,000 of them: 0.4 s a decision).
        return {}
    connection = session.connection()
    prepare_key_stage(connection)
    records: list[list[Any]] = [["nik", nik, None] for nik in sorted(keys.niks)]
    records += [["name", key, born] for key, born in sorted(keys.names)]
    stage(connection, KEY_STAGE, ("kind", "value", "born"), records)
    current: dict[str, tuple[str, list[str]]] = {}
    # Rows whose groups were recomputed, per kind: an open finding of that kind touching them
    # and no longer found is stale.
    scope = {
        FindingKind.DUPLICATE_NIK.value: set(keys.rows),
        FindingKind.LIKELY_DUPLICATE.value: set(keys.rows),
    }
    by_nik: dict[str, list[str]] = defaultdict(list)
    for row_id, nik in connection.exec_driver_sql(
        _staged(_SAME_NIK, _STAGED_NIKS, staged).format(no=_false(connection))
    ).fetchall():
        by_nik[nik].append(row_id)
    for ids in by_nik.values():
        scope[FindingKind.DUPLICATE_NIK.value].update(ids)
        if len(ids) > 1:
            current[f"duplicate_nik:{group_hash(ids)}"] = (
                FindingKind.DUPLICATE_NIK.value,
                sorted(ids),
            )
    groups: dict[tuple[str, Any], list[tuple[str, str]]] = defaultdict(list)
    for key, born, row_id, nik in connection.exec_driver_sql(
        _staged(_SAME_PERSON, _STAGED_NAMES, staged).format(no=_false(connection))
    ).fetchall():
        groups[(key, born)].append((row_id, nik))
    for members in groups.values():
        ids = [row_id for row_id, _nik in members]
        scope[FindingKind.LIKELY_DUPLICATE.value].update(ids)
        if len({nik for _id, nik in members}) > 1:
            current[f"likely_duplicate:{group_hash(ids)}"] = (
                FindingKind.LIKELY_DUPLICATE.value,
                sorted(ids),
            )
    empty_stage(connection, KEY_STAGE)
    kinds = (FindingKind.DUPLICATE_NIK.value, FindingKind.LIKELY_DUPLICATE.value)
    # Columns, not ORM objects: every open duplicate finding of the district is read, and
    # only the stale ones are loaded (to be deleted).
    stale = select(Finding.id, Finding.key, Finding.kind, Finding.row_ids).where(
        col(Finding.kind).in_(kinds), Finding.status == FindingStatus.OPEN.value
    )
    for finding_key, key, kind, row_ids in session.exec(stale).all():
        if key not in current and scope[kind].intersection(json.loads(row_ids)):
            gone = session.get(Finding, finding_key)
            if gone is not None:
                session.delete(gone)
    # The groups' findings that exist, in one query a chunk, held here (the session keeps
    # only weak references): ensure_finding then finds them in the session.
    held: list[Finding] = []
    for chunk in chunks(finding_id(key) for key in current):
        held.extend(session.exec(select(Finding).where(col(Finding.id).in_(chunk))))
    by_id = {finding.id: finding for finding in held}
    found: dict[str, Finding] = {}
    for key, (kind, ids) in current.items():
        finding = by_id.get(finding_id(key))
        if finding is None:
            finding = new_finding(session, key, kind, "officer", ids, {"rows": ids})
        found[key] = finding
    return found


def _staged(query: str, union: str, staged: bool) -> str:
    """`query` with the staged officers' keys added to the staged keys it reads."""
    if not staged:
        return query
    head, tail = query.split("tpsdesk_stage_keys WHERE kind = ", 1)
    kind, rest = tail.split(")", 1)
    return f"{head}tpsdesk_stage_keys WHERE kind = {kind}{union}){rest}"


def _false(connection: Any) -> str:
    """How the engine spells a false flag in a partial index's WHERE, which a query must
    repeat word for word for the index to serve it."""
    return "false" if connection.dialect.name == "postgresql" else "0"


def ensure_finding(
    session: Session, key: str, kind: str, table: str, ids: list[str], details: dict[str, Any]
) -> Finding:
    finding = session.get(Finding, finding_id(key))
    if finding is None:
        finding = new_finding(session, key, kind, table, ids, details)
    return finding


def new_finding(
    session: Session, key: str, kind: str, table: str, ids: list[str], details: dict[str, Any]
) -> Finding:
    """A finding the caller knows the store does not have yet (`ensure_finding` otherwise)."""
    finding = Finding(
        id=finding_id(key),
        key=key,
        kind=kind,
        table_name=table,
        row_ids=canonical(ids),
        details=canonical(details),
        area_code=finding_area(session, table, ids, details),
    )
    session.add(finding)
    return finding


def finding_area(session: Session, table: str, ids: list[str], details: dict[str, Any]) -> str:
    """Where a finding is, for the desk's area filter: the kelurahan of its first row that has
    one (a TPS officer's through the TPS), else the kecamatan; for a laptop's gap or rollback,
    the laptop's area. "" when nothing says."""
    if table == "officer" and ids:
        # The rows as this transaction holds them (a merge changes rows before it records
        # their conflicts, without flushing: the query gives the session's objects).
        first = ids[:10]
        held = {o.id: o for o in session.exec(select(Officer).where(col(Officer.id).in_(first)))}
        officers = [held[i] for i in first if i in held]
        for officer in officers:
            tps = session.get(Tps, officer.tps_id) if officer.tps_id else None
            if tps is not None:
                return tps.kelurahan_code
        for officer in officers:
            if officer.kelurahan_code or officer.kecamatan_code:
                return officer.kelurahan_code or officer.kecamatan_code
        return ""
    if table == "tps" and ids:
        code = session.exec(select(Tps.kelurahan_code).where(col(Tps.id).in_(ids[:50]))).first()
        return str(code or details.get("kelurahan", ""))
    if table in ("kelurahan", "kecamatan") and ids:
        model: Any = Kelurahan if table == "kelurahan" else Kecamatan
        return str(session.exec(select(model.code).where(model.id == ids[0])).first() or "")
    device_id = details.get("device_id")
    if isinstance(device_id, str) and device_id:
        device = session.get(Device, device_id)
        return device.area_code if device is not None else ""
    return ""


def fill_finding_areas(session: Session) -> None:
    """Set the area of every finding of a store made before findings had one (once, when the
    column is added)."""
    for finding in session.exec(select(Finding).where(Finding.area_code == "")):
        area = finding_area(
            session, finding.table_name, json.loads(finding.row_ids), json.loads(finding.details)
        )
        if area:
            finding.area_code = area
            session.add(finding)
    session.flush()


def refresh_conflict(
    session: Session,
    table: str,
    row_id: str,
    heads: list[RowVersion],
    open_conflicts: dict[str, list[Finding]],
) -> None:
    key = ""
    if len(heads) > 1 and disagree(table, heads):
        ids = sorted(f"{v.device}:{v.counter}" for v in heads)
        key = f"conflict:{row_id}:{group_hash(ids)}"
        details = {
            "heads": [[v.device, v.counter] for v in heads],
            "winner": [heads[0].device, heads[0].counter],
        }
        ensure_finding(session, key, FindingKind.CONFLICT.value, table, [row_id], details)
    for finding in open_conflicts.get(row_id, []):
        if finding.key != key:
            session.delete(finding)


def refresh_gaps(session: Session, device_id: str) -> list[tuple[int, int]]:
    missing = missing_ranges(seen_ranges_in(session, device_id))
    keys = set()
    for start, end in missing:
        key = f"gap:{device_id}:{start}-{end}"
        keys.add(key)
        details = {"device_id": device_id, "from": start, "to": end}
        ensure_finding(session, key, FindingKind.GAP.value, "", [], details)
    query = select(Finding).where(
        Finding.kind == FindingKind.GAP.value, Finding.status == FindingStatus.OPEN.value
    )
    for finding in session.exec(query):
        if json.loads(finding.details).get("device_id") == device_id and finding.key not in keys:
            session.delete(finding)
    return missing


# -- clerk decisions on findings -------------------------------------------------------------


def _content_columns(table: str) -> list[str]:
    owned = DISTRICT_OWNED.get(table, frozenset())
    return [n for n in TYPES[table] if n not in SyncFields.SYNC_COLUMNS and n not in owned]


def _record_stamped(session: Session, row: SyncFields) -> None:
    versions = load_versions(session, [row.id])[row.id]
    record_current_version(session, row, versions)


def apply_decision(
    store: Store,
    finding_id: str,
    decision: str,
    *,
    keep: str | None = None,
    values: dict[str, Any] | None = None,
    note: str = "",
    remove_others: bool = False,
) -> Finding:
    """Carry out a clerk's decision on a finding (see `district.resolve_finding`)."""
    catalogue = store.catalogue
    with store.transaction() as session:
        finding = session.get(Finding, finding_id)
        if finding is None:
            raise FindingError(_("There is no such finding."))
        if finding.status == FindingStatus.RESOLVED.value:
            raise FindingError(_("This finding was already resolved."))
        rows: list[str] = json.loads(finding.row_ids)
        state = state_of(session)
        changed: list[dict[str, Any]] = []
        keys = OfficerKeys()
        if decision == Decision.KEEP_BOTH:
            pass
        elif finding.kind == FindingKind.CONFLICT.value:
            row = load_rows(session, finding.table_name, rows).get(rows[0])
            if row is None:
                raise FindingError(_("The row of this finding is gone."))
            versions = load_versions(session, rows)[rows[0]]
            record_current_version(session, row, versions)
            heads = heads_of(versions)
            if decision == Decision.KEEP_ONE:
                chosen = next((h for h in heads if f"{h.device}:{h.counter}" == keep), None)
                if chosen is None:
                    raise FindingError(_("Choose one of the versions in conflict."))
                new_values = typed_values(finding.table_name, json.loads(chosen.values))
                new_values["deleted"] = chosen.deleted
            elif decision == Decision.EDIT and values is not None:
                # `--keep V --set F=X`: V's values with F set, not the row shown (which may be
                # the other version); without --keep, the row shown.
                base = None
                if keep is not None:
                    kept = next((h for h in heads if f"{h.device}:{h.counter}" == keep), None)
                    if kept is None:
                        raise FindingError(_("Choose one of the versions in conflict."))
                    base = json.loads(kept.values)
                chosen = None
                new_values = _edited(finding.table_name, row, values, catalogue, base=base)
            else:
                raise FindingError(_("Unknown decision."))
            if isinstance(row, Officer):
                keys.add(row)
            wanted = {
                n: new_values[n] for n in [*_content_columns(finding.table_name), "deleted"]
                if n in new_values
            }  # fmt: skip
            if chosen is None or vkey(chosen) != (row.version_device, row.version_counter):
                for name, value in wanted.items():
                    setattr(row, name, value)
                stamp(session, state, row, Action.UPDATE, changed=sorted(wanted))
                record_current_version(session, row, versions)
                changed.append({"row": row.id, "version": [row.version_device,
                                                           row.version_counter]})  # fmt: skip
            for head in heads:
                if vkey(head) != (row.version_device, row.version_counter):
                    head.superseded = True
                    session.add(head)
            if isinstance(row, Officer):
                keys.add(row)
        elif finding.kind in (FindingKind.DUPLICATE_NIK.value, FindingKind.LIKELY_DUPLICATE.value):
            if keep not in rows:
                raise FindingError(_("Choose one of the officers of this finding."))
            officers = load_rows(session, "officer", rows)
            if decision == Decision.EDIT and values is not None:
                officer = officers[keep]
                assert isinstance(officer, Officer)
                keys.add(officer)
                new_values = _edited("officer", officer, values, catalogue)
                names = [n for n, v in new_values.items() if getattr(officer, n) != v]
                for name in names:
                    setattr(officer, name, new_values[name])
                if names:
                    stamp(session, state, officer, Action.UPDATE, changed=names)
                    _record_stamped(session, officer)
                    keys.add(officer)
                changed.append({"row": keep, "fields": sorted(names)})
            elif decision != Decision.KEEP_ONE:
                raise FindingError(_("Unknown decision."))
            # Keep one; or an edit that made the kept record the one person (the desk's
            # result built from both records).
            if decision == Decision.KEEP_ONE or remove_others:
                for row_id in rows:
                    other = officers.get(row_id)
                    if row_id != keep and other is not None and not other.deleted:
                        assert isinstance(other, Officer)
                        keys.add(other)
                        stamp(session, state, other, Action.DELETE, changed=["deleted"])
                        _record_stamped(session, other)
                        changed.append({"row": row_id, "deleted": True})
        elif finding.kind == FindingKind.DUPLICATE_TPS.value:
            changed.extend(_resolve_duplicate_tps(session, state, rows, decision, keep, values,
                                                  catalogue))  # fmt: skip
        elif decision != Decision.KEEP_ONE:
            raise FindingError(_("Unknown decision."))
        finding.status = FindingStatus.RESOLVED.value
        finding.resolved_at = utcnow()
        finding.resolved_by = state.actor
        finding.resolution = canonical(
            {"decision": decision, "keep": keep, "changes": changed, "note": note}
        )
        session.add(finding)
        session.flush()
        refresh_duplicates(session, keys)
        if finding.kind == FindingKind.DUPLICATE_TPS.value:
            places = load_rows(session, "tps", rows)
            refresh_duplicate_tps(session, {held_place(t) for t in places.values()},
                                  resolving=finding.id)  # fmt: skip
        audit(session, state, "finding_resolve", table_name="sync_finding", row_id=finding.id,
              note=decision)  # fmt: skip
        return finding


def _edited(
    table: str,
    row: SyncFields,
    values: dict[str, Any],
    catalogue: PostCatalogue,
    *,
    base: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row's content (or the wire values `base`, a version's) with `values` (wire form,
    content columns only) put in, checked."""
    allowed = set(_content_columns(table))
    unknown = set(values) - allowed
    if unknown:
        raise FindingError(_("Only the row's own fields can be edited."))
    wire = dict(base) if base is not None else row_to_wire(row, 0)["values"]
    for name, value in values.items():
        # Typed at the command line as text: a whole number for a number column.
        kind = TYPES[table][name][0]
        if kind is int and isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        wire[name] = value
    try:
        typed = typed_values(table, wire)
    except (ValueError, KeyError) as exc:
        raise FindingError(_("A value cannot be read.")) from exc
    if table == "officer" and not typed["deleted"]:
        draft = OfficerDraft(
            **{
                n: "" if typed[n] is None else str(wire_value(typed[n]))
                for n in OFFICER_FIELD_COLUMNS
            }
        )
        result = validate_officer(draft, catalogue=catalogue, today=date.today())
        if result.errors:
            raise FindingError(
                "; ".join(p.message for p in result.errors)  # translated messages, no values
            )
    return {n: typed[n] for n in allowed}


# -- duplicate TPS ---------------------------------------------------------------------------


def held_place(row: SyncFields) -> str:
    return str(getattr(row, "kelurahan_code", ""))


def refresh_duplicate_tps(
    session: Session, kelurahan_codes: Iterable[str], *, resolving: str = ""
) -> None:
    """Recompute the duplicate-TPS findings (two live TPS with one number in one kelurahan)
    of these kelurahan: one query for all of them. A setup file keeps working meanwhile (it
    takes one TPS per number, `setup.build_setup_file`). `resolving`: the finding being
    resolved, which is left as it is."""
    codes = sorted(set(kelurahan_codes))
    if not codes:
        return
    groups: dict[tuple[str, int], list[str]] = defaultdict(list)
    for chunk in chunks(codes):
        query = select(Tps.id, Tps.kelurahan_code, Tps.number).where(
            col(Tps.kelurahan_code).in_(chunk), col(Tps.deleted).is_(False)
        )
        for tps_id, kelurahan, number in session.exec(query):
            groups[(kelurahan, number)].append(tps_id)
    current: set[str] = set()
    for (kelurahan, number), ids in sorted(groups.items()):
        if len(ids) < 2:
            continue
        ids = sorted(ids)
        key = f"duplicate_tps:{group_hash(ids)}"
        current.add(key)
        details = {"kelurahan": kelurahan, "number": number, "rows": ids}
        ensure_finding(session, key, FindingKind.DUPLICATE_TPS.value, "tps", ids, details)
    stale = select(Finding).where(
        Finding.kind == FindingKind.DUPLICATE_TPS.value,
        Finding.status == FindingStatus.OPEN.value,
    )
    for finding in session.exec(stale):
        place = json.loads(finding.details).get("kelurahan")
        if place in codes and finding.key not in current and finding.id != resolving:
            session.delete(finding)


def _resolve_duplicate_tps(
    session: Session,
    state: Any,
    rows: list[str],
    decision: str,
    keep: str | None,
    values: dict[str, Any] | None,
    catalogue: PostCatalogue,
) -> list[dict[str, Any]]:
    """Keep one TPS (the others are removed, only if no live officer is placed there), or
    edit one (`--keep ID --set number=N`)."""
    if keep not in rows:
        raise FindingError(_("Choose one of the TPS of this finding."))
    places = load_rows(session, "tps", rows)
    changed: list[dict[str, Any]] = []
    if decision == Decision.KEEP_ONE:
        others = [t for i, t in places.items() if i != keep and not t.deleted]
        for tps in others:
            count = session.exec(
                select(func.count())
                .select_from(Officer)
                .where(Officer.tps_id == tps.id, col(Officer.deleted).is_(False))
            ).one()
            if count:
                raise FindingError(
                    ngettext(
                        "TPS {tps} still has {n} officer: move them to the TPS you keep first, "
                        "then resolve again.",
                        "TPS {tps} still has {n} officers: move them to the TPS you keep first, "
                        "then resolve again.",
                        count,
                    ).format(tps=tps.id[:8], n=count)
                )
        for tps in others:
            stamp(session, state, tps, Action.DELETE, changed=["deleted"])
            _record_stamped(session, tps)
            changed.append({"row": tps.id, "deleted": True})
    elif decision == Decision.EDIT and values is not None:
        tps = places[keep]
        new_values = _edited("tps", tps, values, catalogue)
        if not 1 <= new_values["number"] <= 999:
            raise FindingError(_("A TPS number is 1 to 999."))
        names = [n for n, v in new_values.items() if getattr(tps, n) != v]
        if "kelurahan_code" in names:
            raise FindingError(
                _("A TPS cannot move to another kelurahan; add a new TPS there instead.")
            )
        for name in names:
            setattr(tps, name, new_values[name])
        if names:
            stamp(session, state, tps, Action.UPDATE, changed=names)
            _record_stamped(session, tps)
        changed.append({"row": keep, "fields": sorted(names)})
    else:
        raise FindingError(_("Unknown decision."))
    return changed


# -- rollback --------------------------------------------------------------------------------


def record_rollback(session: Session, device_id: str, seq_from: int, seq_to: int) -> Finding:
    """An open finding that a laptop's store went back in time: one per laptop, listing the
    sequence ranges of its refused bundles."""
    key = f"rollback:{device_id}"
    finding = ensure_finding(
        session, key, FindingKind.ROLLBACK.value, "", [], {"device_id": device_id, "ranges": []}
    )
    details = json.loads(finding.details or "{}")
    ranges = [list(r) for r in details.get("ranges", [])]
    if [seq_from, seq_to] not in ranges:
        ranges.append([seq_from, seq_to])
        details["ranges"] = sorted(ranges)
        finding.details = canonical(details)
        session.add(finding)
    return finding
