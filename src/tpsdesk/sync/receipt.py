"""Receipts: the district's signed answer to one laptop, imported by that laptop.

A receipt says up to which sequence number the district holds every change of the laptop (so
the next bundle carries only what came after), which sequence ranges never arrived, the
status of each of the laptop's officers (accepted, needs fixing and why, enrolled with the
BPJS participant number), and the district's removals of the laptop's rows (a clerk's
decision on a duplicate travels back this way). Receipts are not encrypted, so they carry no
personal data: ids, versions, statuses, reason codes and BPJS participant numbers only.
Receipts are numbered per laptop; a laptop refuses one older than the last it imported, and
one addressed to another laptop.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from tpsdesk.i18n import N_, _
from tpsdesk.store.db import Store
from tpsdesk.store.models import OFFICER_FIELD_COLUMNS, Officer, OfficerStatus
from tpsdesk.store.versioning import audit, get_meta, set_meta, state_of
from tpsdesk.sync.changes import META_ACKED_SEQ, acked_seqs
from tpsdesk.sync.container import Kind, encode_key, parse_container
from tpsdesk.sync.district import (
    acknowledged_seq,
    gaps,
    list_devices,
    require_district,
)
from tpsdesk.sync.district_models import (
    BundleStatus,
    Device,
    Finding,
    FindingKind,
    FindingStatus,
    ReceivedBundle,
    RowVersion,
)
from tpsdesk.sync.errors import Malformed, SyncError
from tpsdesk.sync.fingerprint import fingerprint, fingerprints_match, format_fingerprint
from tpsdesk.sync.identity import (
    district_identity,
    district_settings,
    district_signing_key,
    ensure_device_identity,
)
from tpsdesk.sync.payload import open_signed, seal_signed
from tpsdesk.sync.setup import pinned_district

META_RECEIPT_VERSIONS = "receipt.versions"  # district: {device_id: last receipt version issued}
META_RECEIPT_IMPORTED = "receipt.imported"  # field: {"version", "file_id", "gaps", "imported_at"}

# Why an officer needs fixing, as codes the laptop translates into its own language.
REASONS: dict[str, str] = {
    "duplicate_nik": N_(
        "The same NIK is registered for another live officer; the district is reviewing it."
    ),
    "likely_duplicate": N_(
        "Another officer has the same name and birth date with a different NIK (a mistyped "
        "NIK?); the district is reviewing it."
    ),
    "conflict": N_(
        "This record was changed in two places at once; the district is choosing the right version."
    ),
    "rejected": N_("The district refused this record: {detail}"),
    "removed": N_("The district removed this record (a duplicate)."),
    "changed": N_(
        "The district corrected this record; ask the district office what changed and "
        "correct it here too."
    ),
}


class ReceiptRefused(SyncError):
    code = "receipt_refused"

    def __init__(self, reason: str, **params: Any) -> None:
        self.reason = reason
        self.params = params
        super().__init__()

    def problem(self) -> str:
        return _(self.reason).format(**self.params)


def _utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# -- district -------------------------------------------------------------------------------


def find_device(store: Store, ref: str) -> Device:
    """A laptop by its key fingerprint (as read over the phone) or its device id."""
    for device in list_devices(store):
        if device.device_id == ref or fingerprints_match(device.fingerprint, ref):
            return device
    raise ReceiptRefused(N_("No laptop with fingerprint or id {ref} is known here."), ref=ref)


def _laptop_rows(session: Session, device_id: str) -> list[str]:
    """Officer ids the laptop sent a version of."""
    query = (
        select(RowVersion.row_id)
        .where(RowVersion.table_name == "officer")
        .where((col(RowVersion.sender_id) == device_id) | (col(RowVersion.device) == device_id))
        .distinct()
    )
    return sorted(session.exec(query))


# The columns whose correction a receipt names (names only: the values do not travel).
CORRECTABLE = (*OFFICER_FIELD_COLUMNS, "tps_id", "kelurahan_code", "kecamatan_code")


def _laptop_latest(session: Session, officer_id: str, device_id: str) -> dict[str, Any] | None:
    """The wire values of the laptop's latest version of an officer the district holds."""
    query = (
        select(RowVersion)
        .where(RowVersion.row_id == officer_id, RowVersion.device == device_id)
        .order_by(col(RowVersion.counter).desc())
        .limit(1)
    )
    latest = session.exec(query).first()
    return None if latest is None else dict(json.loads(latest.values))


def corrected_fields(session: Session, officer: Officer, device_id: str) -> list[str] | None:
    """The columns in which what the district shows differs from the laptop's latest version
    ([] when the laptop made the same correction: nothing for it to fix, though the version
    shown is another's); None when the district holds no version from that laptop."""
    from tpsdesk.sync.changes import row_to_wire

    theirs = _laptop_latest(session, officer.id, device_id)
    if theirs is None:
        return None
    shown = row_to_wire(officer, 0)["values"]
    return [name for name in CORRECTABLE if shown.get(name) != theirs.get(name)]


def _open_reasons(session: Session, row_ids: set[str]) -> dict[str, list[dict[str, Any]]]:
    reasons: dict[str, list[dict[str, Any]]] = defaultdict(list)
    query = select(Finding).where(Finding.status == FindingStatus.OPEN.value)
    for finding in session.exec(query):
        if finding.kind == FindingKind.GAP.value:
            continue
        for row_id in json.loads(finding.row_ids):
            if row_id in row_ids:
                reasons[row_id].append({"code": finding.kind, "finding": finding.id})
    return reasons


def _rejections(session: Session, device_id: str) -> dict[str, list[dict[str, Any]]]:
    """Rows of the laptop's refused bundles, with the district's reasons."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    query = select(ReceivedBundle).where(
        ReceivedBundle.device_id == device_id, ReceivedBundle.status == BundleStatus.REFUSED.value
    )
    for record in session.exec(query):
        report = json.loads(record.report or "{}")
        for rejected in report.get("rejected", []):
            row_id = rejected.get("id") or ""
            problems = rejected.get("problems", [])
            detail = "; ".join(str(p.get("message", "")) for p in problems)
            codes = [str(p.get("code", "")) for p in problems]
            out[row_id].append({"code": "rejected", "detail": detail, "codes": codes})
    return out


def _version_of(officer: Officer) -> dict[str, Any]:
    return {
        "version_device": officer.version_device,
        "version_counter": officer.version_counter,
        "base_device": officer.base_device,
        "base_counter": officer.base_counter,
    }


def build_receipt(store: Store, device_ref: str) -> tuple[dict[str, Any], bytes]:
    """(header, file bytes) of the next receipt for one laptop."""
    require_district(store)
    device = find_device(store, device_ref)
    identity = district_identity(store)
    settings = district_settings(store)
    if identity is None or settings is None:
        raise ReceiptRefused(
            N_("Set the district's name and code first: tpsdesk district settings.")
        )
    acked = acknowledged_seq(store, device.device_id)
    missing = gaps(store, device.device_id)
    entries: list[dict[str, Any]] = [
        {"type": "ack", "device_id": device.device_id, "seq": acked},
        *({"type": "gap", "from": low, "to": high} for low, high in missing),
    ]
    with store.transaction() as session:
        row_ids = _laptop_rows(session, device.device_id)
        reasons = _open_reasons(session, set(row_ids))
        rejected = _rejections(session, device.device_id)
        for row_id in row_ids:
            officer = session.get(Officer, row_id)
            if officer is None:
                continue
            entry: dict[str, Any] = {"type": "officer", "id": row_id}
            problems = reasons.get(row_id, []) + rejected.get(row_id, [])
            corrected = (
                None
                if officer.deleted or officer.version_device == device.device_id
                else corrected_fields(session, officer, device.device_id)
            )
            theirs = officer.version_device == device.device_id or corrected == []
            if not theirs:
                entry["status"] = OfficerStatus.NEEDS_FIX.value
                change: dict[str, Any] = {"code": "removed" if officer.deleted else "changed"}
                if corrected:
                    change["fields"] = corrected
                problems = [change, *problems]
            elif problems:
                entry["status"] = OfficerStatus.NEEDS_FIX.value
            elif officer.bpjs_number:
                entry["status"] = OfficerStatus.ENROLLED.value
                entry["bpjs_number"] = officer.bpjs_number
            else:
                entry["status"] = OfficerStatus.ACCEPTED.value
            if problems:
                entry["reasons"] = problems
            if not theirs:
                if officer.deleted:
                    # A removal travels back as a tombstone: versions only, no personal data.
                    entry["tombstone"] = _version_of(officer)
                else:
                    entry["changed_by_district"] = True
            entries.append(entry)
        versions = dict(get_meta(session, META_RECEIPT_VERSIONS, {}) or {})
        version = int(versions.get(device.device_id, 0)) + 1
        versions[device.device_id] = version
        set_meta(session, META_RECEIPT_VERSIONS, versions)
        audit(session, state_of(session), "receipt_issue", table_name="sync_device",
              row_id=device.device_id, note=json.dumps({"version": version}))  # fmt: skip
    header: dict[str, Any] = {
        "kind": Kind.RECEIPT.value,
        "format": 1,
        "file_id": str(uuid.uuid4()),
        "created_at": _utc_now(),
        "sender": {
            "id": identity.device_id,
            "role": "district",
            "signing_key": encode_key(identity.signing_public),
        },
        "recipient": {
            "id": device.device_id,
            "fingerprint": format_fingerprint(device.fingerprint),
        },
        "district": {"code": settings.code, "name": settings.name},
        "area": device.area_code,
        "version": version,
        "for_seq_to": acked,
    }
    data = seal_signed(header, None, entries, district_signing_key(store))
    return parse_container(data).header, data


# -- field ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptSummary:
    version: int
    acknowledged_seq: int
    gaps: tuple[tuple[int, int], ...]
    statuses: dict[str, int]  # status → officers
    updated_rows: int
    kept_local: int

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "acknowledged_seq": self.acknowledged_seq,
            "gaps": [list(g) for g in self.gaps],
            "statuses": dict(sorted(self.statuses.items())),
            "updated_rows": self.updated_rows,
            "kept_local": self.kept_local,
        }


_PLACE_LABELS = {
    "tps_id": N_("TPS"),
    "kelurahan_code": N_("Kelurahan"),
    "kecamatan_code": N_("Kecamatan"),
}


def _field_label(name: str) -> str:
    from tpsdesk.domain.officer import FIELD_LABELS

    label = FIELD_LABELS.get(name) or _PLACE_LABELS.get(name)
    return _(label) if label else name


def reason_text(reason: dict[str, Any]) -> str:
    """One reason of a receipt, in this laptop's language."""
    code = str(reason.get("code", ""))
    fields = reason.get("fields")
    if code == "changed" and isinstance(fields, list) and fields:
        return _(
            "The district corrected {fields} of this record; ask the district office for the "
            "new values and type them here too."
        ).format(fields=", ".join(_field_label(str(name)) for name in fields[:20]))
    template = REASONS.get(code)
    if template is None:
        return _("The district asks for a check of this record ({code}).").format(code=code)
    return _(template).format(detail=reason.get("detail", ""))


def import_receipt(store: Store, data: bytes, *, file: str) -> ReceiptSummary:
    """Check and apply a receipt on a field store, in one transaction."""
    if store.role != "field":
        raise ReceiptRefused(
            N_("Receipts are imported on a field store (a laptop); this is a district store.")
        ).with_file(file)
    district = pinned_district(store)
    if district is None:
        raise ReceiptRefused(
            N_("This laptop has no district setup file yet: tpsdesk enroll SETUP_FILE.")
        ).with_file(file)
    container, _manifest, entries = open_signed(
        data, trusted_key=district.signing_public, kind=Kind.RECEIPT, file=file
    )
    header = container.header
    identity = ensure_device_identity(store)
    my_ids = {history.device_id for history in store.device_history()} | {identity.device_id}
    recipient = header["recipient"]
    if recipient["id"] not in my_ids or (
        recipient["id"] == identity.device_id
        and not fingerprints_match(recipient["fingerprint"], fingerprint(identity.public_key))
    ):
        raise ReceiptRefused(
            N_("This receipt is for another laptop ({fingerprint}); it was not imported."),
            fingerprint=recipient["fingerprint"],
        ).with_file(file)
    version = int(header["version"])
    with store.transaction() as session:
        imported = dict(get_meta(session, META_RECEIPT_IMPORTED, {}) or {})
        last = int(imported.get("version", 0))
        if version < last:
            raise ReceiptRefused(
                N_("This receipt (number {version}) is older than the one already imported "
                   "(number {last}); it was not imported."),
                version=version, last=last,
            ).with_file(file)  # fmt: skip
        if version == last:
            raise ReceiptRefused(
                N_("This receipt (number {version}) was imported already; nothing changed."),
                version=version,
            ).with_file(file)
        summary = _apply_entries(session, store, entries, version, recipient["id"], file)
        set_meta(session, META_RECEIPT_IMPORTED, {
            "version": version, "file_id": container.file_id,
            "gaps": [list(g) for g in summary.gaps], "imported_at": _utc_now(),
        })  # fmt: skip
        audit(session, state_of(session), "receipt_import", note=json.dumps({"version": version}))
    return summary


def _apply_entries(
    session: Session,
    store: Store,
    entries: list[dict[str, Any]],
    version: int,
    device_id: str,
    file: str,
) -> ReceiptSummary:
    acked = acked_seqs(session)
    acknowledged = acked.get(device_id, 0)
    found_gaps: list[tuple[int, int]] = []
    statuses: dict[str, int] = defaultdict(int)
    updated = kept = 0
    for entry in entries:
        kind = entry.get("type")
        if kind == "ack":
            if entry.get("device_id") != device_id or not isinstance(entry.get("seq"), int):
                raise Malformed(N_("a receipt entry is invalid"), file=file)
            acknowledged = max(acknowledged, int(entry["seq"]))
        elif kind == "gap":
            found_gaps.append((int(entry["from"]), int(entry["to"])))
        elif kind == "officer":
            officer = session.get(Officer, str(entry.get("id", "")))
            if officer is None:
                continue
            if "tombstone" in entry:
                if _adopt_tombstone(officer, entry["tombstone"], file):
                    updated += 1
                else:
                    kept += 1
            status = str(entry.get("status", ""))
            if status not in {s.value for s in OfficerStatus}:
                raise Malformed(N_("a receipt entry is invalid"), file=file)
            reasons = entry.get("reasons") or []
            officer.status = status
            officer.status_reason = " ".join(reason_text(r) for r in reasons)
            if entry.get("bpjs_number"):
                officer.bpjs_number = str(entry["bpjs_number"])
            session.add(officer)  # the laptop's bookkeeping: no new version, no change log
            statuses[status] += 1
        else:
            raise Malformed(N_("a receipt entry is invalid"), file=file)
    acked[device_id] = acknowledged
    set_meta(session, META_ACKED_SEQ, acked)
    return ReceiptSummary(version, acknowledged, tuple(found_gaps), dict(statuses), updated, kept)


def _adopt_tombstone(officer: Officer, version: Any, file: str) -> bool:
    """Take the district's removal of a row if it was made knowing this laptop's current
    version; a local edit made since stays (the next bundle shows both to the district)."""
    if not isinstance(version, dict):
        raise Malformed(N_("a receipt entry is invalid"), file=file)
    try:
        incoming = (str(version["version_device"]), int(version["version_counter"]))
        base = (version.get("base_device"), version.get("base_counter"))
    except (KeyError, TypeError, ValueError):
        raise Malformed(N_("a receipt entry is invalid"), file=file) from None
    current = (officer.version_device, officer.version_counter)
    if incoming == current or base != current:
        return False
    officer.deleted = True
    officer.version_device, officer.version_counter = incoming
    officer.base_device, officer.base_counter = current
    return True
