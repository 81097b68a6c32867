"""Findings as the clerk reads them: pages by kind and area, newest first, and one finding side
by side (every field of each version or record, what differs, who sent it). Shared by the
district desk (`ui/district/findings.py`) and `tpsdesk district findings`; no textual, no click.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, func, or_, select

from tpsdesk.domain.dates import format_date
from tpsdesk.domain.officer import OfficerDraft, validate_officer
from tpsdesk.domain.posts import PostCatalogue
from tpsdesk.i18n import N_, _
from tpsdesk.store.db import Store
from tpsdesk.store.models import (
    OFFICER_FIELD_COLUMNS,
    Kecamatan,
    Kelurahan,
    Officer,
    SyncFields,
    Tps,
)
from tpsdesk.sync.district import FindingError, finding_rows, require_district
from tpsdesk.sync.district_models import (
    Device,
    Finding,
    FindingKind,
    FindingStatus,
    ReceivedBundle,
    RowVersion,
    ensure_district_tables,
)
from tpsdesk.sync.district_rows import chunks
from tpsdesk.sync.lineage import DISTRICT_OWNED
from tpsdesk.sync.row_checks import TYPES

PAGE = 100

# The kinds the desk pages through, in the selector's order.
KINDS: tuple[str, ...] = (
    FindingKind.DUPLICATE_NIK.value,
    FindingKind.LIKELY_DUPLICATE.value,
    FindingKind.CONFLICT.value,
    FindingKind.DUPLICATE_TPS.value,
    FindingKind.ROLLBACK.value,
    FindingKind.GAP.value,
)

# Short names for the kind selector (the long ones are `kind_label`).
KIND_SHORT = {
    FindingKind.DUPLICATE_NIK.value: N_("Same NIK"),
    FindingKind.LIKELY_DUPLICATE.value: N_("Likely same"),
    FindingKind.CONFLICT.value: N_("Conflict"),
    FindingKind.DUPLICATE_TPS.value: N_("Duplicate TPS"),
    FindingKind.ROLLBACK.value: N_("Old copy"),
    FindingKind.GAP.value: N_("Missing bundles"),
}

# Kinds whose records can all be kept as they are.
KEEP_BOTH_KINDS = frozenset(
    {
        FindingKind.DUPLICATE_NIK.value,
        FindingKind.LIKELY_DUPLICATE.value,
        FindingKind.ROLLBACK.value,
        FindingKind.GAP.value,
    }
)


# -- the CLI's listing (moved from cli/district.py) -------------------------------------------


def conflict_versions(store: Store, finding: Finding) -> list[dict[str, Any]]:
    """The versions in conflict, numbered from 1 in the finding's own order (the first is the
    one shown meanwhile), each with the values in which the versions differ: what the clerk
    picks with `--keep NUMBER`. [] for other findings."""
    if finding.kind != FindingKind.CONFLICT.value:
        return []
    heads = [(str(d), int(c)) for d, c in json.loads(finding.details or "{}").get("heads", [])]
    row_ids = json.loads(finding.row_ids)
    if not heads or not row_ids:
        return []
    with store.read() as session:
        query = select(RowVersion).where(
            RowVersion.row_id == row_ids[0], col(RowVersion.device).in_([d for d, _c in heads])
        )
        stored = {(v.device, v.counter): v for v in session.exec(query)}
    values = {key: json.loads(stored[key].values) if key in stored else {} for key in heads}
    differing = sorted(
        name
        for name in set().union(*(v.keys() for v in values.values()))
        if name not in SyncFields.SYNC_COLUMNS
        and len({json.dumps(v.get(name), sort_keys=True) for v in values.values()}) > 1
    )
    return [
        {
            "number": number,
            "version": f"{device}:{counter}",
            "deleted": bool(stored[(device, counter)].deleted)
            if (device, counter) in stored
            else False,
            "values": {name: values[(device, counter)].get(name) for name in differing},
        }
        for number, (device, counter) in enumerate(heads, start=1)
    ]


def version_values(version: dict[str, Any]) -> str:
    from tpsdesk.terminal import printable

    if version["deleted"]:
        return _("removed")
    shown = [
        f"{name}={printable('—' if value is None else str(value))}"
        for name, value in version["values"].items()
    ]
    return ", ".join(shown) or _("the same values")


def finding_lines(kind: str, details: dict[str, Any]) -> list[str]:
    """What a TPS or laptop finding is about, and how to settle it (codes and ids only)."""
    if kind == "duplicate_tps":
        return [
            _("kelurahan {kelurahan}, TPS number {number}: {ids}").format(
                kelurahan=str(details.get("kelurahan", ""))[:40],
                number=int(details.get("number", 0)),
                ids=", ".join(str(i)[:36] for i in details.get("rows", [])[:10]),
            ),
            _(
                "To decide: --keep TPS_ID removes the others (move their officers first), or "
                "--keep TPS_ID --set number=N renumbers that one."
            ),
        ]
    if kind == "rollback":
        ranges = ", ".join(f"{int(a)}–{int(b)}" for a, b in details.get("ranges", [])[:20])
        return [
            _(
                "laptop {device}: changes {ranges} came again with other contents; its store "
                "was put back to an older copy. Its next receipt makes it take a new identity: "
                "approve that one when it sends, then resolve this with --keep-both."
            ).format(device=str(details.get("device_id", ""))[:12], ranges=ranges)
        ]
    return []


def people(store: Store, row_ids: list[str]) -> list[dict[str, str]]:
    """Who a finding is about, for the clerk's screen (NIK and names are shown on request)."""
    from tpsdesk.store import areas, officers

    catalogue = store.catalogue
    out = []
    for row_id in row_ids:
        officer = officers.get_officer(store, row_id)
        if officer is None:
            continue
        post = catalogue.get(officer.post_code)
        tps = areas.get_tps(store, officer.tps_id) if officer.tps_id else None
        where = (
            f"{tps.kelurahan_code}/{tps.label}"
            if tps is not None
            else officer.kelurahan_code or officer.kecamatan_code
        )
        out.append(
            {
                "id": row_id,
                "nik": officer.nik,
                "name": officer.name,
                "where": f"{post.name if post else officer.post_code}, {where}"
                + ((" " + _("(deleted)")) if officer.deleted else ""),
            }
        )
    return out


def kind_label(kind: str) -> str:
    labels = {
        "duplicate_nik": N_("same NIK twice"),
        "likely_duplicate": N_("likely the same person (different NIK)"),
        "conflict": N_("edited in two places"),
        "gap": N_("missing bundle"),
        "rejected_row": N_("refused row"),
        "duplicate_tps": N_("two TPS with one number"),
        "rollback": N_("laptop store put back to an older copy"),
    }
    return _(labels.get(kind, kind))


def by_prefix(prefix: str, candidates: list[str]) -> list[str]:
    """The candidates `prefix` names: itself when it is one of them, else those it starts
    (case ignored: ids are lower-case hex, people may type them in capitals)."""
    wanted = prefix.strip().lower()
    if wanted in candidates:
        return [wanted]
    return [c for c in candidates if wanted and c.lower().startswith(wanted)]


def kept(store: Store, finding: Finding, keep: str) -> str:
    """What to keep as the merge engine takes it: a version number or the start of a version
    (conflicts), or the start of an officer or TPS id (duplicates), made whole; FindingError
    when it names nothing or more than one, with the candidates."""
    from tpsdesk.sync import district as repo

    if finding.kind == FindingKind.CONFLICT.value:
        versions = [v["version"] for v in conflict_versions(store, finding)]
        text = keep.strip()
        if text.isdigit():
            number = int(text)
            if not 1 <= number <= len(versions):
                raise FindingError(
                    _("This conflict has no version {number}: choose from 1 to {count}.").format(
                        number=number, count=len(versions)
                    )
                )
            return versions[number - 1]
        matches = by_prefix(text, versions)
        if len(matches) == 1:
            return matches[0]
        numbered = ", ".join(f"{n} ({v})" for n, v in enumerate(versions, start=1))
        raise FindingError(
            _(
                "{keep} names no single version of this conflict; its versions: {candidates}."
            ).format(keep=keep, candidates=numbered)
        )
    if finding.kind == FindingKind.DUPLICATE_TPS.value:
        places = repo.finding_rows(finding)
        matches = by_prefix(keep, places)
        if len(matches) != 1:
            raise FindingError(
                _(
                    "{keep} names no single TPS of this finding; its TPS: {candidates}. Type "
                    "more of the id."
                ).format(keep=keep, candidates=", ".join(places))
            )
        return matches[0]
    if finding.kind in (FindingKind.DUPLICATE_NIK.value, FindingKind.LIKELY_DUPLICATE.value):
        officers = repo.finding_rows(finding)
        matches = by_prefix(keep, officers)
        if not matches:
            raise FindingError(
                _(
                    "No officer of this finding starts with {prefix}; its officers: {candidates}."
                ).format(prefix=keep, candidates=", ".join(officers))
            )
        if len(matches) > 1:
            raise FindingError(
                _(
                    "More than one officer of this finding starts with {prefix}: {candidates}. "
                    "Type more of the id."
                ).format(prefix=keep, candidates=", ".join(matches))
            )
        return matches[0]
    return keep


# -- pages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingRow:
    id: str
    kind: str
    status: str
    created_at: datetime
    place: str  # kelurahan (or kecamatan) name, and the TPS numbers
    people: str  # names (shown on the clerk's screen only)
    summary: str
    resolved_by: str = ""
    resolved_at: datetime | None = None
    decision: str = ""


@dataclass(frozen=True)
class FindingPage:
    rows: list[FindingRow]
    total: int
    offset: int


def _area_filter(kecamatan: str | None, kelurahan: str | None) -> Any:
    if kelurahan:
        return Finding.area_code == kelurahan
    if kecamatan:
        return or_(
            Finding.area_code == kecamatan,
            (col(Finding.area_code) > kecamatan + ".") & (col(Finding.area_code) < kecamatan + "/"),
        )
    return None


def counts(
    store: Store,
    *,
    status: str = FindingStatus.OPEN.value,
    kecamatan: str | None = None,
    kelurahan: str | None = None,
) -> dict[str, int]:
    """{kind: how many findings} with that status (in that area), for the kind selector."""
    require_district(store)
    ensure_district_tables(store)
    with store.read() as session:
        query = (
            select(Finding.kind, func.count())
            .where(Finding.status == status)
            .group_by(col(Finding.kind))
        )
        where = _area_filter(kecamatan, kelurahan)
        if where is not None:
            query = query.where(where)
        return {str(kind): int(n) for kind, n in session.exec(query)}


def page(
    store: Store,
    *,
    kind: str,
    status: str = FindingStatus.OPEN.value,
    kecamatan: str | None = None,
    kelurahan: str | None = None,
    offset: int = 0,
    limit: int = PAGE,
) -> FindingPage:
    """One page of findings of `kind`, newest first (decided ones: latest decision first),
    with the total that match."""
    require_district(store)
    ensure_district_tables(store)
    where = [Finding.status == status, Finding.kind == kind]
    area = _area_filter(kecamatan, kelurahan)
    if area is not None:
        where.append(area)
    with store.read() as session:
        total = int(session.exec(select(func.count()).select_from(Finding).where(*where)).one())
        offset = max(0, min(offset, max(0, total - 1) // limit * limit))
        query = (
            select(Finding)
            .where(*where)
            .order_by(
                # Decided ones by the latest decision; open ones by the latest found.
                col(Finding.resolved_at).desc()
                if status == FindingStatus.RESOLVED.value
                else col(Finding.created_at).desc(),
                col(Finding.id).desc(),
            )
            .offset(offset)
            .limit(limit)
        )
        findings = list(session.exec(query))
        rows = _page_rows(session, findings)
    return FindingPage(rows, total, offset)


def _page_rows(session: Session, findings: list[Finding]) -> list[FindingRow]:
    officer_ids = [i for f in findings if f.table_name == "officer" for i in finding_rows(f)]
    tps_ids = [i for f in findings if f.table_name == "tps" for i in finding_rows(f)]
    found: dict[str, Officer] = {}
    for chunk in chunks(officer_ids):
        for officer in session.exec(select(Officer).where(col(Officer.id).in_(chunk))):
            found[officer.id] = officer
    tps_ids += [o.tps_id for o in found.values() if o.tps_id]
    places: dict[str, Tps] = {}
    for chunk in chunks(set(tps_ids)):
        for tps in session.exec(select(Tps).where(col(Tps.id).in_(chunk))):
            places[tps.id] = tps
    names = _area_names(session, {f.area_code for f in findings if f.area_code})
    out = []
    for finding in findings:
        ids = finding_rows(finding)
        details = json.loads(finding.details or "{}")
        place = names.get(finding.area_code, finding.area_code)
        who = ""
        summary = kind_label(finding.kind)
        if finding.table_name == "officer":
            officers = [found[i] for i in ids if i in found]
            who = ", ".join(o.name for o in officers[:3])
            numbers = sorted({places[o.tps_id].label for o in officers
                              if o.tps_id and o.tps_id in places})  # fmt: skip
            if numbers:
                place = f"TPS {', '.join(numbers)}, {place}"
            if finding.kind == FindingKind.CONFLICT.value:
                summary = _("{n} versions").format(n=len(details.get("heads", [])))
            elif officers:
                summary = ", ".join(o.nik for o in officers[:3])
        elif finding.table_name == "tps":
            number = details.get("number")
            if isinstance(number, int):
                place = f"TPS {number:03d}, {place}"
            summary = _("{n} TPS with one number").format(n=len(ids))
        elif finding.kind == FindingKind.ROLLBACK.value:
            summary = _("changes {ranges}").format(
                ranges=", ".join(f"{a}–{b}" for a, b in details.get("ranges", [])[:5])
            )
        elif finding.kind == FindingKind.GAP.value:
            summary = _("changes {start}–{end} missing").format(
                start=details.get("from", "?"), end=details.get("to", "?")
            )
        if finding.kind in (FindingKind.ROLLBACK.value, FindingKind.GAP.value):
            device = session.get(Device, str(details.get("device_id", "")))
            who = _laptop_name(device, str(details.get("device_id", "")))
        resolution = json.loads(finding.resolution) if finding.resolution else {}
        out.append(
            FindingRow(
                id=finding.id,
                kind=finding.kind,
                status=finding.status,
                created_at=finding.created_at,
                place=place,
                people=who,
                summary=summary,
                resolved_by=finding.resolved_by,
                resolved_at=finding.resolved_at,
                decision=str(resolution.get("decision", "")),
            )
        )
    return out


def _area_names(session: Session, codes: set[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for chunk in chunks(codes):
        for code, name in session.exec(
            select(Kelurahan.code, Kelurahan.name).where(col(Kelurahan.code).in_(chunk))
        ):
            out[code] = _("Kel. {name}").format(name=name)
        for code, name in session.exec(
            select(Kecamatan.code, Kecamatan.name).where(col(Kecamatan.code).in_(chunk))
        ):
            out[code] = _("Kec. {name}").format(name=name)
    return out


def _laptop_name(device: Device | None, device_id: str) -> str:
    if device is not None and device.device_id.startswith("district-"):
        # At a province the senders are districts (`rollup.sender_id`).
        return _("kab/kota {code}").format(code=device.area_code or device.claimed_area)
    if device is None:
        return _("laptop {id}").format(id=device_id[:8]) if device_id else ""
    if device.label:
        return _("laptop {label}").format(label=device.label)
    return _("laptop {id}").format(id=device.fingerprint[:8] or device_id[:8])


@dataclass(frozen=True)
class AreaChoice:
    code: str
    name: str


def area_choices(store: Store) -> tuple[list[AreaChoice], dict[str, list[AreaChoice]]]:
    """The district's live kecamatan, and the kelurahan of each, for the area filter."""
    with store.read() as session:
        kecamatan = [
            AreaChoice(code, name)
            for code, name in session.exec(
                select(Kecamatan.code, Kecamatan.name)
                .where(col(Kecamatan.deleted).is_(False))
                .order_by(col(Kecamatan.name))
            )
        ]
        kelurahan: dict[str, list[AreaChoice]] = {}
        for code, name, parent in session.exec(
            select(Kelurahan.code, Kelurahan.name, Kelurahan.kecamatan_code)
            .where(col(Kelurahan.deleted).is_(False))
            .order_by(col(Kelurahan.name))
        ):
            kelurahan.setdefault(parent, []).append(AreaChoice(code, name))
    return kecamatan, kelurahan


# -- one finding side by side -----------------------------------------------------------------

_OFFICER_FIELDS: tuple[str, ...] = (
    *OFFICER_FIELD_COLUMNS[:11],
    "post_code",
    "tps_id",
    "kelurahan_code",
    "kecamatan_code",
    "duty_start",
    "duty_end",
)
_TPS_FIELDS: tuple[str, ...] = ("kelurahan_code", "number", "address", "voters")
_TPS_LABELS = {
    "kelurahan_code": N_("Kelurahan"),
    "number": N_("TPS number"),
    "address": N_("Address"),
    "voters": N_("Voters"),
}
# The fields the clerk may type a new value into (the place fields are taken, not typed).
EDITABLE = {"officer": frozenset(OFFICER_FIELD_COLUMNS), "tps": frozenset({"number", "address"})}


@dataclass(frozen=True)
class Version:
    """One column of the side-by-side view: a version of a row (conflicts) or one of the
    records found alike (duplicates)."""

    key: str  # what `resolve_finding` keeps: "device:counter" or a row id
    number: int
    values: dict[str, Any]  # wire values of the content fields
    deleted: bool
    laptop: str  # "laptop Bu Sri" or "district office"
    area: str  # the laptop's area name
    operator: str  # who typed it (the row's updated_by)
    changed: str  # the change date as shown (dd-mm-yyyy)
    bundle: str  # the file id of the bundle that brought it ("" for the district's own)
    received: str  # when that bundle was received (dd-mm-yyyy)


@dataclass(frozen=True)
class FieldRow:
    name: str
    label: str
    shown: list[str]  # one text per version
    differs: bool
    editable: bool


@dataclass
class FindingDetail:
    id: str
    kind: str
    status: str
    table: str
    created_at: datetime
    versions: list[Version]
    fields: list[FieldRow]
    lines: list[str] = field(default_factory=list)
    resolved_by: str = ""
    resolved_at: datetime | None = None
    resolution: dict[str, Any] = field(default_factory=dict)

    def can_keep_both(self) -> bool:
        return self.kind in KEEP_BOTH_KINDS


def field_label(table: str, name: str) -> str:
    if table == "tps":
        return _(_TPS_LABELS.get(name, name))
    from tpsdesk.sync.receipt import field_label as officer_label

    return officer_label(name)


def shown_value(
    table: str, name: str, value: Any, catalogue: PostCatalogue, places: dict[str, str]
) -> str:
    """A wire value as the clerk reads it: dates dd-mm-yyyy, a post by name, a place by
    name; "—" for nothing."""
    if value is None or value == "":
        return "—"
    if name in ("birth_date", "duty_start", "duty_end") and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if name == "post_code":
        post = catalogue.get(str(value))
        return post.name if post is not None else str(value)
    if name in ("tps_id", "kelurahan_code", "kecamatan_code"):
        return places.get(str(value), str(value))
    if table == "tps" and name == "number" and isinstance(value, int):
        return f"{value:03d}"
    return str(value)


def _content(table: str) -> list[str]:
    owned = DISTRICT_OWNED.get(table, frozenset())
    return [n for n in TYPES[table] if n not in SyncFields.SYNC_COLUMNS and n not in owned]


def _day(value: Any) -> str:
    if isinstance(value, datetime):
        return format_date(value.date())
    if isinstance(value, str) and value:
        try:
            return format_date(datetime.fromisoformat(value).date())
        except ValueError:
            return ""
    return ""


def detail(store: Store, finding_id: str) -> FindingDetail:
    """Every field of each version (conflict) or record (duplicates, duplicate TPS) of a
    finding, which differ, and who sent each; a laptop finding has no versions, only lines."""
    require_district(store)
    with store.read() as session:
        finding = session.get(Finding, finding_id)
        if finding is None:
            raise FindingError(_("There is no such finding."))
        ids = finding_rows(finding)
        details = json.loads(finding.details or "{}")
        table = finding.table_name
        sources: list[tuple[str, dict[str, Any], bool, RowVersion | None]] = []
        if finding.kind == FindingKind.CONFLICT.value and ids:
            heads = [(str(d), int(c)) for d, c in details.get("heads", [])]
            query = select(RowVersion).where(
                RowVersion.row_id == ids[0], col(RowVersion.device).in_([d for d, _c in heads])
            )
            stored = {(v.device, v.counter): v for v in session.exec(query)}
            for device, counter in heads:
                version = stored.get((device, counter))
                values = json.loads(version.values) if version is not None else {}
                deleted = bool(version.deleted) if version is not None else False
                sources.append((f"{device}:{counter}", values, deleted, version))
        elif table in ("officer", "tps") and ids:
            from tpsdesk.sync.changes import row_to_wire
            from tpsdesk.sync.district_rows import load_rows

            rows = load_rows(session, table, ids)
            for row_id in ids:
                row = rows.get(row_id)
                if row is None:
                    continue
                version = session.exec(
                    select(RowVersion).where(
                        RowVersion.row_id == row_id,
                        RowVersion.device == row.version_device,
                        RowVersion.counter == row.version_counter,
                    )
                ).first()
                sources.append((row_id, row_to_wire(row, 0)["values"], row.deleted, version))
            # Row ids are random: the records in a stable order (by NIK or TPS number).
            sources.sort(key=lambda s: (str(s[1].get("nik", s[1].get("number", ""))), s[0]))
        senders = {v.sender_id for _k, _v, _d, v in sources if v is not None and v.sender_id}
        devices = {d.device_id: d for d in session.exec(
            select(Device).where(col(Device.device_id).in_(senders)))}  # fmt: skip
        files = {v.file_id for _k, _v, _d, v in sources if v is not None and v.file_id}
        bundles = {b.file_id: b for b in session.exec(
            select(ReceivedBundle).where(col(ReceivedBundle.file_id).in_(files)))}  # fmt: skip
        place_codes: set[str] = {d.area_code for d in devices.values() if d.area_code}
        tps_ids: set[str] = set()
        for _key, values, _deleted, _version in sources:
            for name in ("kelurahan_code", "kecamatan_code"):
                if values.get(name):
                    place_codes.add(str(values[name]))
            if values.get("tps_id"):
                tps_ids.add(str(values["tps_id"]))
        places = _area_names(session, place_codes)
        for chunk in chunks(tps_ids):
            for tps in session.exec(select(Tps).where(col(Tps.id).in_(chunk))):
                places[tps.id] = f"TPS {tps.label}"
        versions = []
        for number, (key, values, deleted, version) in enumerate(sources, start=1):
            sender = devices.get(version.sender_id) if version is not None else None
            bundle = bundles.get(version.file_id) if version is not None else None
            own = version is None or not version.file_id
            versions.append(
                Version(
                    key=key,
                    number=number,
                    values=values,
                    deleted=deleted,
                    laptop=_("district office")
                    if own
                    else _laptop_name(sender, version.sender_id if version else ""),
                    area=places.get(sender.area_code, sender.area_code) if sender else "",
                    operator=str(values.get("updated_by", "") or ""),
                    changed=_day(values.get("updated_at")),
                    bundle=version.file_id if version is not None else "",
                    received=_day(bundle.received_at) if bundle is not None else "",
                )
            )
        names = _OFFICER_FIELDS if table == "officer" else _TPS_FIELDS if table == "tps" else ()
        content = set(_content(table)) if table in TYPES else set()
        fields = []
        catalogue = store.catalogue
        for name in names:
            if name not in content:
                continue
            raw = [v.values.get(name) for v in versions]
            fields.append(
                FieldRow(
                    name=name,
                    label=field_label(table, name),
                    shown=[shown_value(table, name, value, catalogue, places) for value in raw],
                    differs=len({json.dumps(value, sort_keys=True) for value in raw}) > 1,
                    editable=name in EDITABLE.get(table, frozenset()),
                )
            )
        lines = _desk_lines(session, finding.kind, details, places)
        return FindingDetail(
            id=finding.id,
            kind=finding.kind,
            status=finding.status,
            table=table,
            created_at=finding.created_at,
            versions=versions,
            fields=fields,
            lines=lines,
            resolved_by=finding.resolved_by,
            resolved_at=finding.resolved_at,
            resolution=json.loads(finding.resolution) if finding.resolution else {},
        )


def _desk_lines(
    session: Session, kind: str, details: dict[str, Any], places: dict[str, str]
) -> list[str]:
    """What a TPS or laptop finding is about and how the desk settles it."""
    if kind == FindingKind.DUPLICATE_TPS.value:
        kelurahan = str(details.get("kelurahan", ""))
        number = details.get("number")
        return [
            _(
                "Two TPS numbered {number} in {kelurahan}: keep one (1, 2…; its officers must "
                "move first) or give one another number (E on the number, then F2)."
            ).format(
                number=f"{number:03d}" if isinstance(number, int) else "?",
                kelurahan=places.get(kelurahan, kelurahan),
            )
        ]
    device_id = str(details.get("device_id", ""))
    laptop = _laptop_name(session.get(Device, device_id), device_id)
    if kind == FindingKind.ROLLBACK.value:
        ranges = ", ".join(f"{int(a)}–{int(b)}" for a, b in details.get("ranges", [])[:20])
        return [
            _(
                "{laptop}: changes {ranges} came again with other contents; its store was put "
                "back to an older copy. Its next receipt makes it take a new identity: approve "
                "that one when it sends, then close this finding with B."
            ).format(laptop=laptop, ranges=ranges)
        ]
    if kind == FindingKind.GAP.value:
        return [
            _(
                "{laptop}: changes {start}–{end} have not arrived. Merge the bundles that hold "
                "them when they come; close this finding with B if they never will."
            ).format(laptop=laptop, start=details.get("from", "?"), end=details.get("to", "?"))
        ]
    return []


# -- the result being built --------------------------------------------------------------------


def check_value(
    table: str,
    values: dict[str, Any],
    name: str,
    text: str,
    catalogue: PostCatalogue,
    today: date,
) -> tuple[Any, list[str]]:
    """The wire value of `text` typed for field `name` of a result whose other values are
    `values` (wire form), checked by the merge's rules; or the messages saying why not."""
    if name not in EDITABLE.get(table, frozenset()):
        return None, [_("Only the row's own fields can be edited.")]
    if table == "tps":
        if name == "number":
            digits = text.strip()
            if not digits.isdigit() or not 1 <= int(digits) <= 999:
                return None, [_("A TPS number is 1 to 999.")]
            return int(digits), []
        return text.strip(), []
    draft_values: dict[str, str] = {}
    for column in OFFICER_FIELD_COLUMNS:
        value = values.get(column)
        if column in ("birth_date", "duty_start", "duty_end") and isinstance(value, str) and value:
            with contextlib.suppress(ValueError):
                value = format_date(date.fromisoformat(value))
        draft_values[column] = "" if value is None else str(value)
    draft_values[name] = text
    result = validate_officer(OfficerDraft(**draft_values), catalogue=catalogue, today=today)
    errors = [p.message for p in result.errors if p.field in (name, "")]
    if not errors and result.fields is None:
        errors = [p.message for p in result.errors]
    if errors:
        return None, errors
    assert result.fields is not None
    from tpsdesk.sync.changes import wire_value

    return wire_value(getattr(result.fields, name)), []


def result_changes(base: dict[str, Any], result: dict[str, Any], table: str) -> dict[str, Any]:
    """The content fields where the result differs from the base version (what an EDIT
    decision writes)."""
    names = _content(table) if table in TYPES else []
    return {
        n: result.get(n)
        for n in names
        if json.dumps(result.get(n), sort_keys=True) != json.dumps(base.get(n), sort_keys=True)
    }
