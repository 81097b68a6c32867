"""District tables' repository: laptops (approve, revoke), quarantine, bundle log, sequence
ranges and gaps per laptop, and findings with the clerk's decisions.

Nothing here reads files or keys: the glue (bundle reading, the CLI) hands in what a bundle
header says. Every refusal is a `SyncError` whose message is translated.
"""

from __future__ import annotations

import base64
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, inspect
from sqlmodel import Session, col, delete, select

from tpsdesk.i18n import _
from tpsdesk.store.models import utcnow
from tpsdesk.store.versioning import audit, get_meta, state_of
from tpsdesk.sync.district_models import (
    BundleStatus,
    Device,
    DeviceStatus,
    Finding,
    FindingKind,
    FindingStatus,
    QuarantinedBundle,
    ReceivedBundle,
    ensure_district_tables,
)
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.fingerprint import fingerprint as format_key_fingerprint
from tpsdesk.sync.fingerprint import fingerprint_digits, format_fingerprint
from tpsdesk.sync.identity import district_fingerprint

if TYPE_CHECKING:
    from tpsdesk.store.db import Store


# -- errors -----------------------------------------------------------------------------------


class NotADistrictStore(SyncError):
    code = "not_a_district_store"

    def problem(self) -> str:
        return _("This is a field store; only a district store can merge bundles.")


class _AboutLaptop(SyncError):
    """A refusal that names a laptop by its key fingerprint."""

    def __init__(self, fingerprint: str, **kwargs: Any) -> None:
        self.fingerprint = fingerprint
        super().__init__(**kwargs)


class DeviceNotApproved(_AboutLaptop):
    """The laptop is known but not approved yet (its bundles wait in quarantine)."""

    code = "device_not_approved"

    def problem(self) -> str:
        return _(
            "The laptop with key fingerprint {fingerprint} is not approved yet; its bundle "
            "waits until a clerk approves it."
        ).format(fingerprint=self.fingerprint)


class DeviceRevoked(_AboutLaptop):
    code = "device_revoked"

    def problem(self) -> str:
        return _(
            "The laptop with key fingerprint {fingerprint} was revoked (lost or stolen); its "
            "bundles are refused."
        ).format(fingerprint=self.fingerprint)


class DeviceKeyMismatch(SyncError):
    """A device id the district knows arrives with another signing key."""

    code = "device_key_mismatch"

    def problem(self) -> str:
        return _(
            "The file names a laptop the district knows, but is signed with another key. "
            "Do not use it; ask the laptop's user to call the district office."
        )


class UnknownDevice(_AboutLaptop):
    code = "unknown_device"

    def problem(self) -> str:
        return _("No laptop with key fingerprint {fingerprint} is known here.").format(
            fingerprint=self.fingerprint
        )


# -- the same refusals at a province, where the senders are districts ---------------------------


class DistrictKeyMismatch(DeviceKeyMismatch):
    """A district the province knows sends under another signing or encryption key."""

    def problem(self) -> str:
        return _(
            "The roll-up file names a district the province knows, but its keys are not the "
            "ones the district was first seen with (its signing or encryption key differs). "
            "Nothing of it was kept; do not use it, and call the district office."
        )


class DistrictRevoked(DeviceRevoked):
    def problem(self) -> str:
        return _(
            "The district with fingerprint {fingerprint} was revoked; its roll-up files are "
            "refused."
        ).format(fingerprint=self.fingerprint)


class UnknownDistrict(UnknownDevice):
    def problem(self) -> str:
        return _(
            "No district with fingerprint {fingerprint} is known here. Nothing was changed; "
            "compare it again with the district fingerprint the district office reads from "
            "tpsdesk identity (all six groups)."
        ).format(fingerprint=self.fingerprint)


class NotDismissable(_AboutLaptop):
    """Only a laptop still waiting for approval can be dismissed."""

    code = "not_dismissable"

    def __init__(self, fingerprint: str, status: str, **kwargs: Any) -> None:
        self.status = status
        super().__init__(fingerprint, **kwargs)

    def problem(self) -> str:
        if self.status == DeviceStatus.REVOKED.value:
            return _(
                "The laptop with key fingerprint {fingerprint} is revoked, not waiting for "
                "approval: only a waiting laptop can be dismissed."
            ).format(fingerprint=self.fingerprint)
        return _(
            "The laptop with key fingerprint {fingerprint} is approved, not waiting for "
            "approval: only a waiting laptop can be dismissed. To stop its bundles, revoke it."
        ).format(fingerprint=self.fingerprint)


class QuarantineFull(SyncError):
    """Waiting bundles of laptops not yet approved are capped: anyone holding a setup file
    can write bundles, and they must not fill the district store."""

    code = "quarantine_full"

    def __init__(
        self,
        files: int,
        size: int,
        *,
        fingerprint: str = "",
        province: bool = False,
        **kwargs: Any,
    ) -> None:
        self.files = files
        self.size = size
        self.fingerprint = fingerprint  # set when the cap of one laptop was hit
        self.province = province  # at a province: the senders are districts
        super().__init__(**kwargs)

    def problem(self) -> str:
        mib = self.size // (1024 * 1024)
        if self.province and self.fingerprint:
            return _(
                "The roll-up file was not kept: the district with fingerprint {fingerprint} "
                "already has as many roll-up files waiting for approval as the province keeps "
                "for one district ({files} files or {mib} MiB). Compare its fingerprint and "
                "approve it, or dismiss it (Districts, F4)."
            ).format(fingerprint=self.fingerprint, files=self.files, mib=mib)
        if self.province:
            return _(
                "The roll-up file was not kept: roll-up files of districts not yet approved "
                "already fill what the province keeps for them ({files} files or {mib} MiB in "
                "all). Approve or dismiss waiting districts first (Districts, F4)."
            ).format(files=self.files, mib=mib)
        if self.fingerprint:
            return _(
                "The bundle was not kept: the laptop with key fingerprint {fingerprint} "
                "already has as many bundles waiting for approval as the district keeps for "
                "one laptop ({files} files or {mib} MiB). Compare its fingerprint and approve "
                "it, or dismiss it: tpsdesk district devices."
            ).format(fingerprint=self.fingerprint, files=self.files, mib=mib)
        return _(
            "The bundle was not kept: bundles of laptops not yet approved already fill what "
            "the district keeps for them ({files} files or {mib} MiB in all). Approve or "
            "dismiss waiting laptops first: tpsdesk district devices."
        ).format(files=self.files, mib=mib)


class TooManyPending(SyncError):
    code = "too_many_pending"

    def __init__(self, limit: int, *, province: bool = False, **kwargs: Any) -> None:
        self.limit = limit
        self.province = province  # at a province: the senders are districts
        super().__init__(**kwargs)

    def problem(self) -> str:
        if self.province:
            return _(
                "The roll-up file was not kept: {limit} districts already wait for approval, "
                "the most the province keeps. Approve or dismiss waiting districts first "
                "(Districts, F4)."
            ).format(limit=self.limit)
        return _(
            "The bundle was not kept: {limit} laptops already wait for approval, the most the "
            "district keeps. Approve or dismiss waiting laptops first: tpsdesk district devices."
        ).format(limit=self.limit)


class FileIdReused(SyncError):
    code = "file_id_reused"

    def problem(self) -> str:
        return _(
            "A file with this identifier came from another laptop before. Do not use it; "
            "ask the sender to export it again."
        )


class AreaNotIssued(SyncError):
    """Approval for an area no setup file was issued for, or with no area known."""

    code = "area_not_issued"

    def __init__(
        self, area: str, issued: list[str], *, claimed: bool = False, province: bool = False
    ) -> None:
        self.area = area[:40]
        self.issued = issued
        self.claimed = claimed
        self.province = province  # at a province: the sender is a district, the area a kab/kota
        super().__init__()

    def problem(self) -> str:
        choices = ", ".join(self.issued[:20]) or _("none yet")
        if self.province:
            return _(
                "The province issued no setup file for the kab/kota this district claims "
                "({area}). Write its setup file first (Files out, or tpsdesk province "
                "setup-file), then approve it. Issued so far: {choices}."
            ).format(area=self.area or "-", choices=choices)
        if self.claimed:
            return _(
                "The district issued no setup file for the area this laptop claims ({area}). "
                "Approve it with --area, one of the areas setup files were issued for: "
                "{choices}."
            ).format(area=self.area or "-", choices=choices)
        return _(
            "No setup file was issued for area {area}. Choose one of the areas setup files "
            "were issued for: {choices}."
        ).format(area=self.area, choices=choices)


class FindingError(SyncError):
    """A decision on a finding that cannot be carried out (unknown finding, wrong choice)."""

    code = "finding_error"

    def __init__(self, text: str, **kwargs: Any) -> None:
        self.text = text  # already translated
        super().__init__(**kwargs)

    def problem(self) -> str:
        return self.text


def require_district(store: Store) -> None:
    """A district store, or a province store (a district one level up: the same tables)."""
    if store.role not in ("district", "province"):
        raise NotADistrictStore()
    ensure_district_tables(store)


def _digits(fingerprint: str) -> str:
    return "".join(ch for ch in fingerprint if ch.isdigit())


def key_fingerprint(signing_key: bytes) -> str:
    """The fingerprint people read over the phone for a laptop's raw public key."""
    return format_key_fingerprint(signing_key)


def shown_fingerprint(device: Device) -> str:
    """The fingerprint a sender is known by, grouped: a laptop's key fingerprint, or at a
    province a district's fingerprint of both its keys (what `tpsdesk identity` prints)."""
    return format_fingerprint(device.fingerprint)


def _at_province(store: Store) -> bool:
    return store.role == "province"


def _unknown(store: Store, fingerprint: str) -> UnknownDevice:
    return UnknownDistrict(fingerprint) if _at_province(store) else UnknownDevice(fingerprint)


def _revoked(store: Store, device: Device) -> DeviceRevoked:
    shown = shown_fingerprint(device)
    return DistrictRevoked(shown) if _at_province(store) else DeviceRevoked(shown)


def _key_mismatch(store: Store) -> DeviceKeyMismatch:
    return DistrictKeyMismatch() if _at_province(store) else DeviceKeyMismatch()


def _encoded(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def _same_keys(device: Device, signing_key: bytes, encryption_key: bytes | None) -> bool:
    """Whether a sender's keys are the ones the office holds for `device` (the encryption key
    only for a district at its province: `encryption_key` given)."""
    same = hmac.compare_digest(device.signing_key, _encoded(signing_key))
    if encryption_key is None:
        return same
    held = device.encryption_key or ""
    return hmac.compare_digest(held, _encoded(encryption_key)) and same


# -- devices ---------------------------------------------------------------------------------


def get_device(store: Store, device_id: str) -> Device | None:
    require_district(store)
    with store.read() as session:
        return session.get(Device, device_id)


def list_devices(store: Store, status: DeviceStatus | None = None) -> list[Device]:
    require_district(store)
    with store.read() as session:
        query = select(Device).order_by(col(Device.first_seen_at), col(Device.device_id))
        if status is not None:
            query = query.where(Device.status == status.value)
        return list(session.exec(query))


# Caps on what laptops not yet approved can make the district keep (SECURITY.md test 27).
# Anyone holding a setup file can write bundles under fresh keys; a real laptop sends a few
# bundles before a clerk phones its user and approves it.
MAX_PENDING = 100  # laptops waiting for approval
QUARANTINE_FILES_PER_KEY = 20  # waiting bundles of one laptop key
QUARANTINE_BYTES_PER_KEY = 64 * 1024 * 1024
QUARANTINE_FILES = 500  # waiting bundles in all
QUARANTINE_BYTES = 512 * 1024 * 1024


def _add_pending(
    session: Session,
    *,
    device_id: str,
    signing_key: bytes,
    area: str,
    setup_id: str | None = None,
    label: str = "",
    encryption_key: bytes | None = None,
) -> Device:
    """Register a new laptop as pending (with `encryption_key`: a district at its province,
    known by the district fingerprint of both keys). `area` is what its header claims; the
    area it gets is the one of the setup file the district issued (`setup_id`, the
    header's "setup"), never the claim (SECURITY 25); a bundle without that field (an older
    laptop) keeps its claim only if the district issued a setup file for exactly that area,
    else the area stays empty until a clerk chooses an issued one at approval."""
    pending = session.exec(
        select(func.count()).select_from(Device).where(Device.status == DeviceStatus.PENDING.value)
    ).one()
    if pending >= MAX_PENDING:
        raise TooManyPending(MAX_PENDING, province=encryption_key is not None)
    if encryption_key is None:
        fingerprint = fingerprint_digits(signing_key)
    else:
        fingerprint = _digits(district_fingerprint(signing_key, encryption_key))
    # A setup file made for another laptop (by its fingerprint) gives this one no area.
    issued = issued_areas_in(session, fingerprint)
    approved = issued.get(setup_id, "") if setup_id else ""
    if not setup_id and area in issued.values():
        approved = area  # an older laptop: its claim stands only where a file was issued
    device = Device(
        device_id=device_id,
        fingerprint=fingerprint,
        signing_key=base64.b64encode(signing_key).decode("ascii"),
        area_code=approved,
        claimed_area=area,
        setup_id=setup_id or "",
        label=label,
        encryption_key=None if encryption_key is None else _encoded(encryption_key),
    )
    session.add(device)
    audit(session, state_of(session), "device_pending", table_name="sync_device",
          row_id=device_id)  # fmt: skip
    return device


def issued_areas_in(session: Session, fingerprint: str | None = None) -> dict[str, str]:
    """{setup file id: area} of every setup file this district wrote; with `fingerprint`
    (a laptop's, digits), only those for all laptops or for that one."""
    from tpsdesk.sync.setup import META_SETUP_ISSUED

    issued = get_meta(session, META_SETUP_ISSUED, {}) or {}
    return {
        str(file_id): str(entry.get("area", ""))
        for file_id, entry in issued.items()
        if fingerprint is None
        or str(entry.get("target", "all")) == "all"
        or _digits(str(entry.get("target", ""))) == fingerprint
    }


def issued_areas(store: Store) -> list[str]:
    """The areas of the setup files this district wrote (what a laptop may be approved for)."""
    with store.read() as session:
        return sorted(set(issued_areas_in(session).values()))


def register_pending(
    store: Store,
    *,
    device_id: str,
    signing_key: bytes,
    area: str,
    label: str = "",
    setup_id: str | None = None,
) -> Device:
    """Remember a laptop from a bundle header (pending until approved); idempotent.

    `area` is what the header claims; the area the laptop gets is the one of the setup file
    the district issued (`setup_id`), see `_add_pending`. A device id already known with
    another key is refused (`DeviceKeyMismatch`); a new laptop past `MAX_PENDING` waiting
    ones, `TooManyPending`.
    """
    require_district(store)
    encoded = base64.b64encode(signing_key).decode("ascii")
    with store.transaction() as session:
        device = session.get(Device, device_id)
        if device is not None:
            if device.signing_key != encoded:
                raise DeviceKeyMismatch()
            return device
        return _add_pending(
            session,
            device_id=device_id,
            signing_key=signing_key,
            area=area,
            setup_id=setup_id,
            label=label,
        )


def known_sender(
    store: Store, device_id: str, signing_key: bytes, *, encryption_key: bytes | None = None
) -> Device | None:
    """The laptop a bundle names, if the district knows it (None: a new laptop). A device id
    known under another key is refused (`DeviceKeyMismatch`) and a revoked laptop too
    (`DeviceRevoked`): before anything of the file is verified, decrypted or kept, so a
    forged file can never wait under a real laptop's device id. At a province
    (`encryption_key`: the district's, from a roll-up's header) the encryption key must also
    be the one the province holds: a file under the same signing key but another encryption
    key never rides on the district's approval."""
    device = get_device(store, device_id)
    if device is None:
        return None
    if not _same_keys(device, signing_key, encryption_key):
        raise _key_mismatch(store)
    if device.status == DeviceStatus.REVOKED.value:
        raise _revoked(store, device)
    return device


def _by_fingerprint(session: Session, fingerprint: str) -> list[Device]:
    query = select(Device).where(Device.fingerprint == _digits(fingerprint))
    return list(session.exec(query))


def approve(
    store: Store, fingerprint: str, *, area: str | None = None, label: str | None = None
) -> Device:
    """Approve the laptop with this fingerprint (read back over the phone). Its area is the
    area of the setup file issued to it; `area` (one of the issued areas) replaces it, and is
    needed when that is unknown. Approving an approved laptop changes nothing; a revoked
    laptop stays revoked (it needs a new identity)."""
    require_district(store)
    with store.transaction() as session:
        found = _by_fingerprint(session, fingerprint)
        if not found:
            raise _unknown(store, fingerprint)
        device = found[0]
        if device.status == DeviceStatus.REVOKED.value:
            raise _revoked(store, device)
        issued = sorted(set(issued_areas_in(session).values()))
        province = store.role == "province"
        if area is not None and area not in issued:
            raise AreaNotIssued(area, issued, province=province)
        if area is None and not device.area_code:
            raise AreaNotIssued(device.claimed_area, issued, claimed=True, province=province)
        if area is not None:
            device.area_code = area
        if label is not None:
            device.label = label
        if device.status != DeviceStatus.APPROVED.value:
            device.status = DeviceStatus.APPROVED.value
            device.approved_at = utcnow()
            audit(session, state_of(session), "device_approve", table_name="sync_device",
                  row_id=device.device_id)  # fmt: skip
        session.add(device)
        return device


def revoke(store: Store, fingerprint: str) -> Device:
    """Revoke a laptop (lost, stolen): its later bundles are refused, and the ones waiting in
    quarantine are dropped and recorded as refused."""
    require_district(store)
    with store.transaction() as session:
        found = _by_fingerprint(session, fingerprint)
        if not found:
            raise _unknown(store, fingerprint)
        device = found[0]
        if device.status != DeviceStatus.REVOKED.value:
            device.status = DeviceStatus.REVOKED.value
            device.revoked_at = utcnow()
            session.add(device)
            waiting = select(QuarantinedBundle).where(
                QuarantinedBundle.device_id == device.device_id
            )
            for held in session.exec(waiting):
                received = session.get(ReceivedBundle, held.file_id)
                if received is not None:
                    received.status = BundleStatus.REFUSED.value
                    received.reason = "device_revoked"
                    session.add(received)
                session.delete(held)
            audit(session, state_of(session), "device_revoke", table_name="sync_device",
                  row_id=device.device_id)  # fmt: skip
        return device


# -- quarantine ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarantineEntry:
    file_id: str
    device_id: str
    seq_from: int
    seq_to: int
    size: int
    received_at: datetime


def _held(session: Session, signing_key: str | None = None) -> tuple[int, int]:
    """(files, bytes) waiting in quarantine: in all, or of the laptops with this key."""
    query = select(func.count(), func.coalesce(func.sum(func.length(QuarantinedBundle.data)), 0))
    if signing_key is not None:
        query = query.join(Device, col(Device.device_id) == col(QuarantinedBundle.device_id)).where(
            Device.signing_key == signing_key
        )
    files, size = session.exec(query).one()
    return int(files), int(size)


def quarantine(
    store: Store,
    *,
    file_id: str,
    device_id: str,
    seq_from: int,
    seq_to: int,
    area: str,
    data: bytes,
    signing_key: bytes | None = None,
    setup_id: str | None = None,
    encryption_key: bytes | None = None,
) -> bool:
    """Keep the raw bundle of a laptop not yet approved until it is; False if the file id is
    already known (quarantined, merged or refused: nothing to keep).

    With `signing_key`, an unknown laptop is registered as pending in the same transaction
    (`TooManyPending` past `MAX_PENDING`) and a known one must have that key
    (`DeviceKeyMismatch`); `encryption_key` (a district's, at its province) is kept with it
    and must match too. Past the caps per laptop key or in all: `QuarantineFull`, and
    nothing is kept or registered."""
    require_district(store)
    with store.transaction() as session:
        if session.get(ReceivedBundle, file_id) is not None:
            return False
        device = session.get(Device, device_id)
        if signing_key is not None:
            if device is None:
                device = _add_pending(
                    session,
                    device_id=device_id,
                    signing_key=signing_key,
                    area=area,
                    setup_id=setup_id,
                    encryption_key=encryption_key,
                )
            elif not _same_keys(device, signing_key, encryption_key):
                raise _key_mismatch(store)
        if device is not None:
            files, size = _held(session, device.signing_key)
            if files + 1 > QUARANTINE_FILES_PER_KEY or size + len(data) > QUARANTINE_BYTES_PER_KEY:
                raise QuarantineFull(
                    QUARANTINE_FILES_PER_KEY,
                    QUARANTINE_BYTES_PER_KEY,
                    fingerprint=shown_fingerprint(device),
                    province=_at_province(store),
                )
        files, size = _held(session)
        if files + 1 > QUARANTINE_FILES or size + len(data) > QUARANTINE_BYTES:
            raise QuarantineFull(QUARANTINE_FILES, QUARANTINE_BYTES, province=_at_province(store))
        session.add(
            ReceivedBundle(
                file_id=file_id,
                device_id=device_id,
                seq_from=seq_from,
                seq_to=seq_to,
                area=area,
                status=BundleStatus.QUARANTINED.value,
            )
        )
        session.add(QuarantinedBundle(file_id=file_id, device_id=device_id, data=data))
        audit(session, state_of(session), "bundle_quarantine", table_name="sync_received_bundle",
              row_id=file_id)  # fmt: skip
    return True


def refuse_waiting(store: Store, file_id: str, *, reason: str, report: str) -> None:
    """A bundle that waited in quarantine and could not be merged once its laptop was
    approved (damaged, forged, over a bound): recorded as refused with `reason` (an error
    code) and `report` (a MergeReport as canonical JSON, for replays), its raw file dropped."""
    require_district(store)
    with store.transaction() as session:
        received = session.get(ReceivedBundle, file_id)
        if received is not None:
            received.status = BundleStatus.REFUSED.value
            received.reason = reason
            received.report = report
            session.add(received)
        held = session.get(QuarantinedBundle, file_id)
        if held is not None:
            session.delete(held)
        audit(session, state_of(session), "bundle_refuse", table_name="sync_received_bundle",
              row_id=file_id, note=reason)  # fmt: skip


def dismiss(store: Store, fingerprint: str) -> int:
    """Forget a laptop still waiting for approval (not recognised when its user was phoned,
    or made up): it and its waiting bundles are removed, audited; returns how many bundles.
    Approved or revoked laptops are refused (`NotDismissable`): their history stays. A later
    bundle of a dismissed laptop makes it wait again, as a new one."""
    require_district(store)
    with store.transaction() as session:
        found = _by_fingerprint(session, fingerprint)
        if not found:
            raise _unknown(store, fingerprint)
        waiting = [d for d in found if d.status == DeviceStatus.PENDING.value]
        if not waiting:
            shown = shown_fingerprint(found[0])
            raise NotDismissable(shown, found[0].status)
        removed = 0
        for device in waiting:
            held = select(QuarantinedBundle.file_id).where(
                QuarantinedBundle.device_id == device.device_id
            )
            file_ids = list(session.exec(held))
            removed += len(file_ids)
            session.exec(
                delete(QuarantinedBundle).where(col(QuarantinedBundle.file_id).in_(file_ids))
            )
            session.exec(
                delete(ReceivedBundle).where(
                    col(ReceivedBundle.device_id) == device.device_id,
                    col(ReceivedBundle.status) == BundleStatus.QUARANTINED.value,
                )
            )
            session.delete(device)
            audit(session, state_of(session), "device_dismiss", table_name="sync_device",
                  row_id=device.device_id, note=str(len(file_ids)))  # fmt: skip
        return removed


def quarantined(store: Store, device_id: str | None = None) -> list[QuarantineEntry]:
    require_district(store)
    with store.read() as session:
        query = (
            select(QuarantinedBundle, ReceivedBundle)
            .join(ReceivedBundle, col(ReceivedBundle.file_id) == col(QuarantinedBundle.file_id))
            .order_by(col(ReceivedBundle.seq_from), col(QuarantinedBundle.file_id))
        )
        if device_id is not None:
            query = query.where(QuarantinedBundle.device_id == device_id)
        return [
            QuarantineEntry(
                held.file_id,
                held.device_id,
                received.seq_from,
                received.seq_to,
                len(held.data),
                held.received_at,
            )
            for held, received in session.exec(query)
        ]


def quarantined_data(store: Store, file_id: str) -> bytes | None:
    """The raw file kept in quarantine (to read and merge after approval; `merge_bundle`
    removes it when the bundle is merged or refused)."""
    require_district(store)
    with store.read() as session:
        held = session.get(QuarantinedBundle, file_id)
        return None if held is None else bytes(held.data)


def waiting_files(store: Store, device_id: str) -> list[str]:
    """The file ids of an approved laptop's bundles waiting in quarantine, in sequence order
    (read each with `quarantined_data` to merge it); empty while not approved."""
    device = get_device(store, device_id)
    if device is None or device.status != DeviceStatus.APPROVED.value:
        return []
    return [entry.file_id for entry in quarantined(store, device_id)]


def release(store: Store, device_id: str) -> list[tuple[str, bytes]]:
    """(file id, raw file) of every bundle of an approved laptop waiting in quarantine, in
    sequence order; empty while not approved."""
    out = []
    for file_id in waiting_files(store, device_id):
        data = quarantined_data(store, file_id)
        if data is not None:
            out.append((file_id, data))
    return out


# -- bundle log, sequence ranges and gaps ----------------------------------------------------


def bundle_record(store: Store, file_id: str) -> ReceivedBundle | None:
    require_district(store)
    with store.read() as session:
        return session.get(ReceivedBundle, file_id)


def union_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge overlapping or touching ranges (inclusive); empty ranges (from > to) drop out."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(r for r in ranges if r[0] <= r[1]):
        if out and start <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def missing_ranges(seen: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Ranges between 1 and the highest seen sequence number that no seen range covers."""
    gaps = []
    expected = 1
    for start, end in union_ranges(seen):
        if start > expected:
            gaps.append((expected, start - 1))
        expected = max(expected, end + 1)
    return gaps


def seen_ranges_in(session: Session, device_id: str) -> list[tuple[int, int]]:
    query = select(ReceivedBundle.seq_from, ReceivedBundle.seq_to).where(
        ReceivedBundle.device_id == device_id,
        ReceivedBundle.status == BundleStatus.MERGED.value,
    )
    return union_ranges([(a, b) for a, b in session.exec(query)])


def seen_ranges(store: Store, device_id: str) -> list[tuple[int, int]]:
    """The sequence ranges of a laptop's merged bundles, joined."""
    require_district(store)
    with store.read() as session:
        return seen_ranges_in(session, device_id)


def gaps(store: Store, device_id: str) -> list[tuple[int, int]]:
    """Sequence ranges of a laptop that never arrived (before its highest merged one)."""
    return missing_ranges(seen_ranges(store, device_id))


def acknowledged_seq(store: Store, device_id: str) -> int:
    """The highest sequence number up to which everything of the laptop was merged: what a
    receipt acknowledges (the laptop then re-sends only what comes after)."""
    seen = seen_ranges(store, device_id)
    return seen[0][1] if seen and seen[0][0] == 1 else 0


# -- findings --------------------------------------------------------------------------------


class Decision:
    KEEP_ONE = "keep_one"
    KEEP_BOTH = "keep_both"
    EDIT = "edit"


def list_findings(
    store: Store, *, status: FindingStatus | None = None, kind: FindingKind | None = None
) -> list[Finding]:
    require_district(store)
    with store.read() as session:
        query = select(Finding).order_by(col(Finding.created_at), col(Finding.id))
        if status is not None:
            query = query.where(Finding.status == status.value)
        if kind is not None:
            query = query.where(Finding.kind == kind.value)
        return list(session.exec(query))


def get_finding(store: Store, finding_id: str) -> Finding | None:
    require_district(store)
    with store.read() as session:
        return session.get(Finding, finding_id)


def finding_rows(finding: Finding) -> list[str]:
    rows = json.loads(finding.row_ids)
    return [str(r) for r in rows]


def officers_under_review(session: Session) -> dict[str, str]:
    """{officer id: finding kind} of the open findings about officers, read in the caller's
    session; {} in a store without findings (a field store made before the sync tables)."""
    if not inspect(session.connection()).has_table(str(Finding.__tablename__)):
        return {}
    found: dict[str, str] = {}
    # Two columns, not whole findings: the coverage reads this for thousands of findings.
    query = select(Finding.kind, Finding.row_ids).where(
        Finding.status == FindingStatus.OPEN.value, Finding.table_name == "officer"
    )
    for kind, row_ids in session.exec(query):
        for row_id in json.loads(row_ids):
            found.setdefault(str(row_id), kind)
    return found


def resolve_finding(
    store: Store,
    finding_id: str,
    decision: str,
    *,
    keep: str | None = None,
    values: dict[str, Any] | None = None,
    note: str = "",
    remove_others: bool = False,
) -> Finding:
    """Record a clerk's decision on a finding and carry it out; see `merge.apply_decision`.

    keep_one: `keep` is a row id (duplicates: the others are deleted) or a version
    "device:counter" (conflicts: that version is shown, the others are set aside);
    keep_both: nothing changes, the finding is closed; edit: `values` (wire form, content
    columns only) are written to `keep`'s row (duplicates) or to the row (conflicts), as a new
    district version; with `remove_others` (duplicates) the other records are then removed
    as by keep_one. The decision is kept in `resolution` for the next receipt.
    """
    from tpsdesk.sync.findings import apply_decision

    require_district(store)
    return apply_decision(
        store, finding_id, decision, keep=keep, values=values, note=note,
        remove_others=remove_others,
    )  # fmt: skip
