"""Receipts: the district's signed answer to one laptop, imported by that laptop.

A receipt says up to which sequence number the district holds every change of the laptop (so
the next bundle carries only what came after), which sequence ranges never arrived, the
status of each of the laptop's officers (accepted, needs fixing and why, enrolled with the
BPJS participant number), the rows the district refused with its reasons, and the district's
removals and corrections of the laptop's rows (a clerk's decision travels back this way).

Format 2 (the district knows the laptop's X25519 key, announced in its signed bundles): the
entries are HPKE-encrypted to the laptop, so BPJS participant numbers and the values of a
clerk's correction travel. Format 1 (a laptop of an earlier tpsdesk, whose key the district
does not know): signed only, with no personal data — ids, versions, statuses, reason codes
and the names of corrected fields; no BPJS numbers, no values. A laptop reads both.
Receipts are numbered per laptop; a laptop refuses one older than the last it imported, and
one addressed to another laptop. A receipt acknowledging more than the laptop ever sent (its
store was put back to an older copy), or saying the district saw that happen, makes the
laptop take a new device id (`finish_rollback`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from tpsdesk.i18n import N_, _
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer, OfficerStatus
from tpsdesk.store.versioning import audit, get_meta, set_meta, state_of
from tpsdesk.sync.changes import (
    META_ACKED_SEQ,
    META_SENT_SEQ,
    META_SENT_SEQS,
    acked_seqs,
    row_to_wire,
)
from tpsdesk.sync.container import (
    FORMAT_VERSION,
    RECEIPT_FORMAT_ENCRYPTED,
    Kind,
    encode_key,
    parse_container,
)
from tpsdesk.sync.corrections import CONFLICT_REASON, CORRECTABLE, apply_correction
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
from tpsdesk.sync.hpke import is_low_order
from tpsdesk.sync.identity import (
    district_identity,
    district_settings,
    district_signing_key,
    ensure_device_identity,
    receipt_keys,
)
from tpsdesk.sync.payload import open_receipt, seal_receipt, seal_signed
from tpsdesk.sync.setup import pinned_district

META_RECEIPT_VERSIONS = "receipt.versions"  # district: {device_id: last receipt version issued}
# district: {device_id: entries_digest of the last receipt written} (what it told the laptop)
META_RECEIPT_TOLD = "receipt.told"
META_RECEIPT_IMPORTED = "receipt.imported"  # field: {"version", "file_id", "gaps", "imported_at"}
# field: {"device_id", "safe_seq", "reason"} — a receipt showed this store went back in time;
# `finish_rollback` gives it a new device id (set and cleared in separate transactions, so an
# interruption in between only means it is done at the next export or import).
META_ROLLBACK = "receipt.rollback"

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
    "correction_conflict": CONFLICT_REASON,
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
    theirs = _laptop_latest(session, officer.id, device_id)
    if theirs is None:
        return None
    shown = row_to_wire(officer, 0)["values"]
    return [name for name in CORRECTABLE if shown.get(name) != theirs.get(name)]


OpenReasons = dict[str, list[dict[str, Any]]]  # row id → the open findings about it


def open_reasons(session: Session, row_ids: set[str] | None = None) -> OpenReasons:
    """The open findings (gaps aside) about each row, in a fixed order; of every row when
    `row_ids` is None (read once for the receipts of many laptops)."""
    reasons: OpenReasons = defaultdict(list)
    query = (
        select(Finding.id, Finding.kind, Finding.row_ids)
        .where(Finding.status == FindingStatus.OPEN.value)
        .order_by(col(Finding.id))
    )
    for finding_id, kind, row_ids_json in session.exec(query):
        if kind == FindingKind.GAP.value:
            continue
        for row_id in json.loads(row_ids_json):
            if row_ids is None or row_id in row_ids:
                reasons[row_id].append({"code": kind, "finding": finding_id})
    return reasons


_PLACE_TABLES = frozenset({"kecamatan", "kelurahan", "tps"})


def _rejections(session: Session, device_id: str) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """row id → (table, reasons) of the laptop's rows the district refused, read from the
    report of every bundle of the laptop (merged or refused), oldest first: a row a later
    bundle brought again and the district took (or found unchanged) is no longer refused."""
    out: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    query = (
        select(ReceivedBundle)
        .where(
            ReceivedBundle.device_id == device_id,
            col(ReceivedBundle.status).in_([BundleStatus.MERGED.value, BundleStatus.REFUSED.value]),
        )
        .order_by(col(ReceivedBundle.seq_to), col(ReceivedBundle.received_at))
    )
    for record in session.exec(query):
        report = json.loads(record.report or "{}")
        for key in ("accepted", "unchanged", "ignored", "conflicts"):
            for ref in report.get(key, []):
                if isinstance(ref, dict):
                    out.pop(str(ref.get("id", "")), None)
        for rejected in report.get("rejected", []):
            row_id = str(rejected.get("id") or "")
            table = str(rejected.get("table") or "officer")
            if not row_id or table not in _PLACE_TABLES | {"officer"}:
                continue  # a refusal of the whole file: nothing of the laptop's to mark
            problems = [p for p in rejected.get("problems", []) if isinstance(p, dict)]
            detail = "; ".join(str(p.get("message", "")) for p in problems)
            fields = sorted({str(p.get("field")) for p in problems if p.get("field")})
            codes = [str(p.get("code", "")) for p in problems]
            reason = {"code": "rejected", "detail": detail, "codes": codes, "fields": fields}
            out[row_id] = (table, [reason])
    return out


def refused_rows(session: Session, device_id: str) -> dict[str, str]:
    """row id → table of the laptop's rows the district refused and no later bundle of it
    brought again and had taken (what its next receipt asks it to fix)."""
    return {row_id: table for row_id, (table, _reasons) in _rejections(session, device_id).items()}


def _rollback_reported(session: Session, device_id: str) -> dict[str, Any] | None:
    """A bundle of the laptop the district refused because the laptop's store went back in
    time (same sequence numbers, other content: reason "rollback"), if any."""
    query = (
        select(ReceivedBundle)
        .where(ReceivedBundle.device_id == device_id, ReceivedBundle.reason == "rollback")
        .order_by(col(ReceivedBundle.seq_from))
        .limit(1)
    )
    record = session.exec(query).first()
    if record is None:
        return None
    return {"type": "rollback", "device_id": device_id, "from": record.seq_from}


def _versions_known(session: Session, officer: Officer) -> dict[str, int]:
    """{device: highest counter} of the row's versions the district's shown version was made
    knowing (itself included): the laptop takes a correction only if its own current version
    is among them."""
    from tpsdesk.sync.lineage import Lineage, knows, lineage_of

    versions = list(session.exec(select(RowVersion).where(RowVersion.row_id == officer.id)))
    lineage = lineage_of(versions)
    shown = (officer.version_device, officer.version_counter)
    if shown not in lineage:  # the district's own edit, recorded on the row only
        device, counter = officer.base_device, officer.base_counter
        base = None if device is None or counter is None else (device, counter)
        lineage[shown] = Lineage(base, {})
    out: dict[str, int] = {shown[0]: shown[1]}
    for version in versions:
        key = (version.device, version.counter)
        if version.counter > out.get(version.device, 0) and knows(shown, key, lineage):
            out[version.device] = version.counter
    return out


def _sent_by(session: Session, officer: Officer, device_id: str) -> bool:
    """Whether the shown version of the officer came from this laptop (under any of its ids:
    a laptop that moved to a new id sends its earlier id's versions)."""
    if officer.version_device == device_id:
        return True
    query = select(RowVersion.sender_id).where(
        RowVersion.row_id == officer.id,
        RowVersion.device == officer.version_device,
        RowVersion.counter == officer.version_counter,
    )
    return session.exec(query).first() == device_id


def receipt_key_of(device: Device) -> bytes | None:
    """The laptop's X25519 key as the district recorded it, if usable."""
    import base64
    import binascii

    if not device.encryption_key:
        return None
    try:
        raw = base64.b64decode(device.encryption_key, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 and not is_low_order(raw) else None


def _version_of(officer: Officer) -> dict[str, Any]:
    return {
        "version_device": officer.version_device,
        "version_counter": officer.version_counter,
        "base_device": officer.base_device,
        "base_counter": officer.base_counter,
    }


def receipt_entries(
    session: Session,
    device: Device,
    acked: int,
    missing: list[tuple[int, int]],
    *,
    encrypted: bool,
    reasons_of: OpenReasons | None = None,
) -> list[dict[str, Any]]:
    """What a receipt for the laptop says now (its payload lines): the acknowledged sequence,
    the gaps, each of its officers' status, refused rows, a rollback. Reads only.
    `reasons_of`: `open_reasons(session)` of every row, when read once for many laptops."""
    entries: list[dict[str, Any]] = [
        {"type": "ack", "device_id": device.device_id, "seq": acked},
        *({"type": "gap", "from": low, "to": high} for low, high in missing),
    ]
    rollback = _rollback_reported(session, device.device_id)
    # Entry types a laptop of an earlier tpsdesk does not know go in format 2 only (such a
    # laptop has no receipt key, so it gets format 1 and can still import it).
    if rollback is not None and encrypted:
        entries.append(rollback)
    row_ids = _laptop_rows(session, device.device_id)
    reasons = open_reasons(session, set(row_ids)) if reasons_of is None else reasons_of
    rejected = _rejections(session, device.device_id)
    for row_id in row_ids:
        officer = session.get(Officer, row_id)
        if officer is None:
            continue
        entries.append(
            _officer_entry(
                session,
                officer,
                device.device_id,
                reasons.get(row_id, []) + rejected.pop(row_id, ("", []))[1],
                encrypted=encrypted,
            )
        )
    # Rows the district refused and never took: the laptop still has to fix them.
    for row_id, (table, problems) in sorted(rejected.items()):
        if table == "officer":
            entries.append(
                {
                    "type": "officer",
                    "id": row_id,
                    "status": OfficerStatus.NEEDS_FIX.value,
                    "reasons": problems,
                }
            )
        elif encrypted:
            entries.append(
                {"type": "refused_row", "table": table, "id": row_id, "reasons": problems}
            )
    return entries


def entries_digest(entries: list[dict[str, Any]], *, encrypted: bool) -> str:
    """A digest of what a receipt tells (order of lines aside): two receipts with the same
    digest tell a laptop the same thing."""
    lines = sorted(json.dumps(entry, sort_keys=True, default=str) for entry in entries)
    text = json.dumps({"encrypted": encrypted, "lines": lines})
    return hashlib.sha256(text.encode()).hexdigest()


def build_receipt(store: Store, device_ref: str) -> tuple[dict[str, Any], bytes]:
    """(header, file bytes) of the next receipt for one laptop: format 2 (encrypted to the
    laptop, with BPJS numbers and corrected values) when the district knows the laptop's
    X25519 key, else format 1 without any personal data (`header["format"]` says which)."""
    require_district(store)
    device = find_device(store, device_ref)
    identity = district_identity(store)
    settings = district_settings(store)
    if identity is None or settings is None:
        raise ReceiptRefused(
            N_("Set the district's name and code first: tpsdesk district settings.")
        )
    laptop_key = receipt_key_of(device)
    encrypted = laptop_key is not None
    acked = acknowledged_seq(store, device.device_id)
    missing = gaps(store, device.device_id)
    with store.transaction() as session:
        entries = receipt_entries(session, device, acked, missing, encrypted=encrypted)
        told = dict(get_meta(session, META_RECEIPT_TOLD, {}) or {})
        told[device.device_id] = entries_digest(entries, encrypted=encrypted)
        set_meta(session, META_RECEIPT_TOLD, told)
        versions = dict(get_meta(session, META_RECEIPT_VERSIONS, {}) or {})
        version = int(versions.get(device.device_id, 0)) + 1
        versions[device.device_id] = version
        set_meta(session, META_RECEIPT_VERSIONS, versions)
        audit(session, state_of(session), "receipt_issue", table_name="sync_device",
              row_id=device.device_id,
              note=json.dumps({"version": version, "encrypted": encrypted}))  # fmt: skip
    header: dict[str, Any] = {
        "kind": Kind.RECEIPT.value,
        "format": RECEIPT_FORMAT_ENCRYPTED if encrypted else FORMAT_VERSION,
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
    key = district_signing_key(store)
    if laptop_key is not None:
        data = seal_receipt(header, entries, key, laptop_key)
    else:
        data = seal_signed(header, None, entries, key)
    return parse_container(data).header, data


def _officer_entry(
    session: Session,
    officer: Officer,
    device_id: str,
    problems: list[dict[str, Any]],
    *,
    encrypted: bool,
) -> dict[str, Any]:
    """One officer's line of the receipt. Values (BPJS number, a correction's values) only
    when `encrypted`."""
    entry: dict[str, Any] = {"type": "officer", "id": officer.id}
    sent = _sent_by(session, officer, device_id)
    corrected = None if officer.deleted or sent else corrected_fields(session, officer, device_id)
    theirs = sent or corrected == []
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
        if encrypted:
            entry["bpjs_number"] = officer.bpjs_number
    else:
        entry["status"] = OfficerStatus.ACCEPTED.value
    if problems:
        entry["reasons"] = problems
    if not theirs:
        if officer.deleted:
            # A removal travels back as a tombstone: versions only, no personal data.
            entry["tombstone"] = _version_of(officer)
        elif encrypted:
            entry["correction"] = _correction(session, officer)
            if officer.bpjs_number:
                entry["bpjs_number"] = officer.bpjs_number
        else:
            entry["changed_by_district"] = True
    elif encrypted and not sent and not officer.deleted:
        # The district shows its own version with the laptop's values (the laptop typed the
        # same correction): sent all the same, so the laptop's next edit names that version in
        # its history and does not meet it as a conflict.
        entry["correction"] = _correction(session, officer)
    return entry


def _correction(session: Session, officer: Officer) -> dict[str, Any]:
    wire = row_to_wire(officer, 0)["values"]
    return {
        "version": _version_of(officer),
        "values": {name: wire[name] for name in CORRECTABLE},
        "knows": _versions_known(session, officer),
    }


# -- field ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptSummary:
    version: int
    acknowledged_seq: int
    gaps: tuple[tuple[int, int], ...]
    statuses: dict[str, int]  # status → officers
    updated_rows: int
    kept_local: int
    corrected: int = 0  # the district's corrections taken as they were
    conflicts: int = 0  # corrections that met a change made here (`list_corrections`)
    # Officers the district removed (a duplicate kept elsewhere): counted under needs_fix in
    # `statuses`, with the reason, but out of the lists as tombstones — nothing to fix.
    removed: int = 0
    encrypted: bool = False  # format 2
    # Set when the receipt showed this store went back in time: the device id it now has
    # (with new keys); the district must approve it (its fingerprint) before it merges.
    new_device_id: str | None = None
    new_fingerprint: str | None = None
    # Places (kecamatan, kelurahan, TPS) the district refused: (what, reason), translated.
    refused_places: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "acknowledged_seq": self.acknowledged_seq,
            "gaps": [list(g) for g in self.gaps],
            "statuses": dict(sorted(self.statuses.items())),
            "updated_rows": self.updated_rows,
            "kept_local": self.kept_local,
            "corrected": self.corrected,
            "conflicts": self.conflicts,
            "removed": self.removed,
            "encrypted": self.encrypted,
            "new_device_id": self.new_device_id,
            "new_fingerprint": self.new_fingerprint,
            "refused_places": [{"place": p, "reason": r} for p, r in self.refused_places],
        }


_PLACE_LABELS = {
    "tps_id": N_("TPS"),
    "kelurahan_code": N_("Kelurahan"),
    "kecamatan_code": N_("Kecamatan"),
}


def field_label(name: str) -> str:
    """An officer column as people read it, in this laptop's language."""
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
        ).format(fields=", ".join(field_label(str(name)) for name in fields[:20]))
    template = REASONS.get(code)
    if template is None:
        return _("The district asks for a check of this record ({code}).").format(code=code)
    return _(template).format(detail=reason.get("detail", ""))


def import_receipt(store: Store, data: bytes, *, file: str) -> ReceiptSummary:
    """Check and apply a receipt on a field store, in one transaction (then, if the receipt
    showed the store went back in time, a new device id: `finish_rollback`)."""
    if store.role != "field":
        raise ReceiptRefused(
            N_("Receipts are imported on a field store (a laptop); this is a district store.")
        ).with_file(file)
    district = pinned_district(store)
    if district is None:
        raise ReceiptRefused(
            N_("This laptop has no district setup file yet: tpsdesk enroll SETUP_FILE.")
        ).with_file(file)
    finish_rollback(store)
    identity = ensure_device_identity(store)
    my_ids = {history.device_id for history in store.device_history()} | {identity.device_id}

    def check_recipient(recipient: dict[str, Any]) -> None:
        if recipient["id"] not in my_ids or (
            recipient["id"] == identity.device_id
            and not fingerprints_match(recipient["fingerprint"], fingerprint(identity.public_key))
        ):
            raise ReceiptRefused(
                N_("This receipt is for another laptop ({fingerprint}); it was not imported."),
                fingerprint=recipient["fingerprint"],
            )

    container, _manifest, entries = open_receipt(
        data,
        trusted_key=district.signing_public,
        keys=receipt_keys(store),
        check_recipient=check_recipient,
        file=file,
    )
    header = container.header
    recipient = header["recipient"]
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
        summary = _apply_entries(session, entries, version, recipient["id"], file)
        set_meta(session, META_RECEIPT_IMPORTED, {
            "version": version, "file_id": container.file_id,
            "gaps": [list(g) for g in summary.gaps], "imported_at": _utc_now(),
        })  # fmt: skip
        audit(session, state_of(session), "receipt_import", note=json.dumps({"version": version}))
    encrypted = header["format"] == RECEIPT_FORMAT_ENCRYPTED
    summary = replace(summary, encrypted=encrypted)
    if finish_rollback(store):
        laptop = ensure_device_identity(store)
        summary = replace(
            summary, new_device_id=laptop.device_id, new_fingerprint=laptop.fingerprint
        )
    return summary


def _sent_so_far(session: Session, device_id: str) -> int:
    """The highest sequence number this store exported under `device_id` (an id that exported
    only under an earlier tpsdesk, which kept just the last one exported: that, for the current
    id; the id's own last change for an earlier one)."""
    sent = get_meta(session, META_SENT_SEQS, None)
    if isinstance(sent, dict) and isinstance(sent.get(device_id), int):
        return int(sent[device_id])
    if device_id == state_of(session).device_id:
        return int(get_meta(session, META_SENT_SEQ, 0) or 0)
    from tpsdesk.store.versioning import last_seq

    return last_seq(session, device_id)


def _apply_entries(
    session: Session,
    entries: list[dict[str, Any]],
    version: int,
    device_id: str,
    file: str,
) -> ReceiptSummary:
    acked = acked_seqs(session)
    acknowledged = acked.get(device_id, 0)
    found_gaps: list[tuple[int, int]] = []
    statuses: dict[str, int] = defaultdict(int)
    updated = kept = corrected = conflicts = removed = 0
    rollback_from: int | None = None
    refused_places: list[tuple[str, str]] = []
    held = _officers_named(session, entries)
    # Each entry changes one officer: a flush before every read made 1,000 entries cost
    # seconds. The reads inside (places, meta) do not depend on the officers changed.
    with session.no_autoflush:
        for entry in entries:
            kind = entry.get("type")
            if kind == "ack":
                if entry.get("device_id") != device_id or type(entry.get("seq")) is not int:
                    raise Malformed(N_("a receipt entry is invalid"), file=file)
                acknowledged = max(acknowledged, int(entry["seq"]))
            elif kind == "gap":
                found_gaps.append((int(entry["from"]), int(entry["to"])))
            elif kind == "rollback":
                start = entry.get("from")
                if entry.get("device_id") != device_id or type(start) is not int or start < 1:
                    raise Malformed(N_("a receipt entry is invalid"), file=file)
                rollback_from = start if rollback_from is None else min(rollback_from, start)
            elif kind == "refused_row":
                place = _place_name(session, entry.get("table"), entry.get("id"))
                if place is None:
                    raise Malformed(N_("a receipt entry is invalid"), file=file)
                reasons = [r for r in entry.get("reasons") or [] if isinstance(r, dict)]
                # "The district refused <place>: <why>" — the why alone, not reason_text's own
                # "The district refused this record: …" again.
                why = [
                    str(r["detail"]) if r.get("code") == "rejected" and r.get("detail")
                    else reason_text(r)
                    for r in reasons
                ]  # fmt: skip
                refused_places.append((place, " ".join(why)))
            elif kind == "officer":
                officer = held.get(str(entry.get("id", "")))
                if officer is None:
                    continue
                status, change = _apply_officer(session, officer, entry, file)
                statuses[status] += 1
                updated += change in ("removed", "applied")
                kept += change == "kept"
                corrected += change == "applied"
                conflicts += change == "conflict"
                removed += change == "removed"
            else:
                raise Malformed(N_("a receipt entry is invalid"), file=file)
    sent = _sent_so_far(session, device_id)
    if acknowledged > sent or rollback_from is not None:
        # The district holds changes of this id that this store never made (or other ones
        # under the same numbers): its store was put back to an older copy. Only what this
        # copy itself sent counts as acknowledged; the rest goes again, under a new id.
        safe = min(acknowledged, sent)
        if rollback_from is not None:
            safe = min(safe, rollback_from - 1)
        set_meta(session, META_ROLLBACK, {"device_id": device_id, "safe_seq": max(safe, 0)})
        acknowledged = max(min(acknowledged, safe), 0)
        acked[device_id] = min(acked.get(device_id, 0), acknowledged)
    else:
        acked[device_id] = acknowledged
    set_meta(session, META_ACKED_SEQ, acked)
    return ReceiptSummary(
        version, acknowledged, tuple(found_gaps), dict(statuses), updated, kept,
        corrected=corrected, conflicts=conflicts, removed=removed,
        refused_places=tuple(refused_places),
    )  # fmt: skip


def _place_name(session: Session, table: Any, row_id: Any) -> str | None:
    """A refused place as people read it ("TPS 3 (35.73.05.1001)"), or None if the entry is
    not a place row."""
    from tpsdesk.store.models import Kecamatan, Kelurahan, Tps
    from tpsdesk.sync.changes import table_label

    models: dict[str, Any] = {"tps": Tps, "kelurahan": Kelurahan, "kecamatan": Kecamatan}
    if table not in models or not isinstance(row_id, str) or not row_id:
        return None
    row = session.get(models[table], row_id)
    if row is None:
        return f"{table_label(table)} {row_id[:8]}"
    if isinstance(row, Tps):
        return f"{table_label(table)} {row.number} ({row.kelurahan_code})"
    return f"{table_label(table)} {row.code} {row.name}"


def _officers_named(session: Session, entries: list[dict[str, Any]]) -> dict[str, Officer]:
    """The officers the receipt's entries name that this laptop holds, read in chunks."""
    ids = sorted({str(e.get("id", "")) for e in entries if e.get("type") == "officer"})
    held: dict[str, Officer] = {}
    for start in range(0, len(ids), 500):
        query = select(Officer).where(col(Officer.id).in_(ids[start : start + 500]))
        held.update((officer.id, officer) for officer in session.exec(query))
    return held


def _apply_officer(
    session: Session, officer: Officer, entry: dict[str, Any], file: str
) -> tuple[str, str]:
    """Apply one officer entry: (status given, what changed: "removed", "applied",
    "conflict", "kept" or "")."""
    status = str(entry.get("status", ""))
    if status not in {s.value for s in OfficerStatus}:
        raise Malformed(N_("a receipt entry is invalid"), file=file)
    reasons = [r for r in entry.get("reasons") or [] if isinstance(r, dict)]
    change = ""
    if "tombstone" in entry:
        adopted = _adopt_tombstone(officer, entry["tombstone"], file)
        change = {True: "removed", False: "kept", None: ""}[adopted]
    elif "correction" in entry:
        result = apply_correction(session, officer, entry["correction"])
        if result is None:
            raise Malformed(N_("a receipt entry is invalid"), file=file)
        others = [r for r in reasons if r.get("code") != "changed"]
        if result in ("applied", "same"):
            change = "applied" if result == "applied" else ""
            reasons = others
            if not others:
                status = (
                    OfficerStatus.ENROLLED.value
                    if entry.get("bpjs_number")
                    else OfficerStatus.ACCEPTED.value
                )
        else:
            change = "conflict"
            reasons = [{"code": "correction_conflict"}, *others]
    officer.status = status
    officer.status_reason = " ".join(reason_text(r) for r in reasons)
    if entry.get("bpjs_number"):
        officer.bpjs_number = str(entry["bpjs_number"])
    session.add(officer)  # the laptop's bookkeeping: no new version, no change log
    return status, change


def _adopt_tombstone(officer: Officer, version: Any, file: str) -> bool | None:
    """Take the district's removal of a row if it was made knowing this laptop's current
    version (True); a local edit made since stays (False: the next bundle shows both to the
    district). None when this laptop took that removal already (a receipt seen again)."""
    if not isinstance(version, dict):
        raise Malformed(N_("a receipt entry is invalid"), file=file)
    try:
        incoming = (str(version["version_device"]), int(version["version_counter"]))
        base = (version.get("base_device"), version.get("base_counter"))
    except (KeyError, TypeError, ValueError):
        raise Malformed(N_("a receipt entry is invalid"), file=file) from None
    current = (officer.version_device, officer.version_counter)
    if incoming == current:
        return None
    if base != current:
        return False
    officer.deleted = True
    officer.version_device, officer.version_counter = incoming
    officer.base_device, officer.base_counter = current
    return True


def finish_rollback(store: Store) -> bool:
    """If a receipt showed this store went back to an older copy: give it a new device id
    (with new keys, made by `ensure_device_identity`), and make every row it changed under
    the old id after what that copy itself sent a new version of the new id, so that none of
    its version numbers can meet the district's other content under the same number again.
    Returns whether it did anything."""
    if store.role != "field":
        return False
    with store.read() as session:
        pending = get_meta(session, META_ROLLBACK)
    if not isinstance(pending, dict):
        return False
    old_id = str(pending.get("device_id", ""))
    safe = int(pending.get("safe_seq", 0) or 0)
    store.start_new_device("rollback")
    with store.transaction() as session:
        _restamp_after(session, old_id, safe)
        set_meta(session, META_ROLLBACK, None)
        audit(session, state_of(session), "rollback_detected",
              note=json.dumps({"old_device_id": old_id, "safe_seq": safe}))  # fmt: skip
    ensure_device_identity(store)
    return True


def _restamp_after(session: Session, old_id: str, safe: int) -> None:
    from tpsdesk.store.models import Action, ChangeLog
    from tpsdesk.store.versioning import stamp
    from tpsdesk.sync.changes import MODELS

    query = (
        select(ChangeLog.table_name, ChangeLog.row_id)
        .where(ChangeLog.device_id == old_id, col(ChangeLog.seq) > safe)
        .distinct()
    )
    state = state_of(session)
    for table_name, row_id in sorted(session.exec(query)):
        model = MODELS.get(table_name)
        row = None if model is None else session.get(model, row_id)
        if row is not None:
            stamp(session, state, row, Action.UPDATE)
