"""Bundle files: written by a field laptop, read and merged by the district.

Field: `export_bundle` seals every change the district has not acknowledged into one file
(HPKE to the pinned district key, signed by the laptop) named for a USB stick.
District: `receive_bundle` reads a file in SECURITY.md's order. A laptop not yet approved has
its file kept in quarantine, still encrypted; a revoked laptop's file is refused before
anything is decrypted; an approved laptop's rows go to the merge engine in one transaction.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tpsdesk import durable
from tpsdesk.i18n import N_, _, os_error_text
from tpsdesk.store.db import Store
from tpsdesk.sync.changes import mark_sent, rows_to_send
from tpsdesk.sync.container import (
    Container,
    Kind,
    encode_key,
    parse_container,
    suggested_file_name,
    verify_container,
)
from tpsdesk.sync.district import (
    DeviceKeyMismatch,
    bundle_record,
    key_fingerprint,
    known_sender,
    quarantine,
    quarantined_data,
    refuse_waiting,
    require_district,
    waiting_files,
)
from tpsdesk.sync.district_models import BundleStatus, Device, DeviceStatus
from tpsdesk.sync.errors import (
    BadSignature,
    DecryptionFailed,
    Malformed,
    ManifestMismatch,
    NotATpsdeskFile,
    PayloadTooLarge,
    SyncError,
    TooLarge,
    UnsupportedFormat,
    WrongRecipient,
)
from tpsdesk.sync.identity import (
    district_encryption_key,
    ensure_device_identity,
    signing_key,
)
from tpsdesk.sync.merge import IncomingBundle, MergeReport, canonical, merge_bundle
from tpsdesk.sync.payload import (
    check_recipient,
    decrypt_bundle,
    parse_bundle,
    seal_bundle,
    unpack_bundle,
)
from tpsdesk.sync.prefetch import Prefetched, paused_gc
from tpsdesk.sync.setup import installed_setup, pinned_district

MAX_BUNDLE_FILE = 64 * 1024 * 1024


class NotEnrolled(SyncError):
    code = "not_enrolled"

    def problem(self) -> str:
        return _(
            "This laptop has no district setup file yet. Ask the district office for one and "
            "run: tpsdesk enroll SETUP_FILE."
        )


class NotAFieldStore(SyncError):
    code = "not_a_field_store"

    def problem(self) -> str:
        return _("Bundles are written by a field store (a laptop); this is a district store.")


class NothingToSend(SyncError):
    """Not a failure: every change has been acknowledged by the district."""

    code = "nothing_to_send"

    def problem(self) -> str:
        return _("Nothing to send: the district has acknowledged every change of this laptop.")


class Unreadable(SyncError):
    """The file could not be read from the disk at all."""

    code = "unreadable"

    def __init__(self, reason: str, *, file: str | os.PathLike[str] | None = None) -> None:
        self.reason = reason
        super().__init__(file=file)

    def problem(self) -> str:
        return _("The file cannot be read: {reason}.").format(reason=_(self.reason))


class Unwritable(SyncError):
    """The bundle could not be written (a missing or read-only folder, a full USB stick)."""

    code = "unwritable"

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__()

    def problem(self) -> str:
        return _("Could not write {file}: {reason}").format(file=str(self.path), reason=self.reason)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    seq_from: int
    seq_to: int
    rows: int
    counts: dict[str, int]
    size: int


def _utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def build_bundle(store: Store) -> tuple[dict[str, Any], bytes]:
    """(header, file bytes) of the bundle this laptop would send now."""
    if store.role != "field":
        raise NotAFieldStore()
    district = pinned_district(store)
    setup = installed_setup(store)
    if district is None or setup is None:
        raise NotEnrolled()
    from tpsdesk.sync.receipt import finish_rollback

    finish_rollback(store)  # a receipt found this store went back in time: new id first
    identity = ensure_device_identity(store)
    key = signing_key(store)
    assert key is not None and identity.receipt_public is not None  # ensure_… made them
    rows, seq_from, seq_to = rows_to_send(store)
    if not rows or seq_to < seq_from:
        raise NothingToSend()
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["table"]] = counts.get(row["table"], 0) + 1
    header: dict[str, Any] = {
        "kind": Kind.BUNDLE.value,
        "format": 1,
        "file_id": str(uuid.uuid4()),
        "created_at": _utc_now(),
        "sender": {
            "id": identity.device_id,
            "role": "field",
            "signing_key": encode_key(identity.public_key),
        },
        "recipient": {"id": district.device_id, "fingerprint": district.encryption_fingerprint},
        "district": {"code": district.code, "name": district.name},
        "area": setup.area,
        # Signed with the rest: the district encrypts this laptop's receipts to it.
        "encryption_key": encode_key(identity.receipt_public),
        "seq_from": seq_from,
        "seq_to": seq_to,
        "counts": counts,
    }
    if setup.file_id:  # the district looks up the area it issued to this laptop by it
        header["setup"] = setup.file_id
    data = seal_bundle(header, None, rows, key, district.encryption_public)
    sealed = parse_container(data).header
    return sealed, data


def export_bundle(store: Store, out_dir: Path) -> ExportResult:
    """Write the bundle into `out_dir` (created if missing) and mark its officers sent.

    Written through `tpsdesk.durable` (an exclusive temporary file with an unpredictable name,
    never through a symlink planted beside it, fsynced, then renamed), so a USB stick pulled
    out half way never holds a truncated bundle under the real name."""
    header, data = build_bundle(store)
    path = out_dir / suggested_file_name(header)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        durable.write_atomic(path, data)
    except OSError as error:
        reason = os_error_text(error)
        raise Unwritable(path, reason) from None
    mark_sent(store, header["seq_to"])
    return ExportResult(
        path=path,
        seq_from=header["seq_from"],
        seq_to=header["seq_to"],
        rows=header["payload"]["rows"],
        counts=dict(header["counts"]),
        size=len(data),
    )


# -- district -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiveOutcome:
    file: str
    status: str  # "merged", "refused", "quarantined", "already_quarantined"
    device_id: str
    fingerprint: str
    report: MergeReport | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file": self.file,
            "status": self.status,
            "device_id": self.device_id,
            "fingerprint": self.fingerprint,
        }
        if self.report is not None:
            data["report"] = self.report.to_json()
        return data


def read_bundle_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BUNDLE_FILE:
            raise TooLarge("file", size, MAX_BUNDLE_FILE, file=path)
        return path.read_bytes()
    except FileNotFoundError:
        raise Unreadable(N_("the file does not exist"), file=path) from None
    except IsADirectoryError:
        raise Unreadable(N_("this is a folder, not a file"), file=path) from None
    except OSError as error:
        raise Unreadable(os_error_text(error), file=path) from None


def receive_bundle(
    store: Store, data: bytes, *, file: str, prefetched: Prefetched | None = None
) -> ReceiveOutcome:
    """Quarantine, refuse or merge one bundle file, reading it once and in one direction, in
    SECURITY.md's order (docs/sync-design.md, "Reading a bundle at the district"):

    parse (size cap, structure, strict header) → sender: a device id known under another key
    or revoked is refused → signature (by the key the header names: for a known laptop that
    is its approved key) → recipient is this office → a laptop not yet approved: its file
    waits in quarantine, still encrypted (capped) → decrypt → decode within bounds → row
    checks and the merge (`merge.merge_bundle`) → report.

    `prefetched`: the file already parsed, verified and decrypted here by the prefetcher
    (`sync.prefetch`), its rows being checked in another process; those steps are not done
    twice, and only the device list is asked again (it may have changed meanwhile).

    At a province store the files are a district's roll-up files: `rollup.receive_rollup`."""
    require_district(store)
    if store.role == "province":
        from tpsdesk.sync.rollup import receive_rollup

        return receive_rollup(store, data, file=file)
    try:
        verified = prefetched.container if prefetched is not None else None
        container = verified or parse_bundle(data)
        if verified is None:
            device = _authenticate(store, container)
        else:  # verified ahead: only the device list may have changed since
            device = known_sender(store, container.sender_id, container.sender_key)
        shown = key_fingerprint(container.sender_key)
        if device is None or device.status == DeviceStatus.PENDING.value:
            header = container.header
            kept = quarantine(
                store,
                file_id=container.file_id,
                device_id=container.sender_id,
                seq_from=header["seq_from"],
                seq_to=header["seq_to"],
                area=header["area"],
                data=data,
                signing_key=container.sender_key,
                setup_id=header.get("setup"),
            )
            status = "quarantined" if kept else "already_quarantined"
            return ReceiveOutcome(file, status, container.sender_id, shown)
        with paused_gc():
            if verified is not None and prefetched is not None:
                plaintext = prefetched.plaintext
                today = prefetched.today
                checked = prefetched.result_for(device.area_code, store.catalogue, today)
            else:
                plaintext = decrypt_bundle(container, district_encryption_key(store))
                today, checked = date.today(), None
            # Checked over there: the rows themselves are not needed here any more.
            rows = [] if checked is not None else unpack_bundle(container, plaintext)[1]
            header = container.header
            record_receipt_key(store, device, header.get("encryption_key"))
            bundle = IncomingBundle(
                file_id=container.file_id,
                sender_id=container.sender_id,
                sender_key=container.sender_key,
                area=header["area"],
                seq_from=header["seq_from"],
                seq_to=header["seq_to"],
                rows=rows,
            )
            report = merge_bundle(store, bundle, today=today, checked=checked)
    except SyncError as error:
        raise error.with_file(file) from None
    return ReceiveOutcome(file, report.status, container.sender_id, shown, report)


def _authenticate(store: Store, container: Container) -> Device | None:
    """Steps 3–5 of `receive_bundle`: the sender (refused when its device id is known under
    another key, or revoked), the signature, the recipient. The laptop, or None if new."""
    device = known_sender(store, container.sender_id, container.sender_key)
    # The header's key is the approved one for a known laptop (checked just above).
    verify_container(container, container.sender_key)
    # A file for another office is refused at once: it must not wait in quarantine here (it
    # could never be opened) nor register its laptop as pending.
    check_recipient(container, district_encryption_key(store))
    return device


def _open_ahead(store: Store, data: bytes) -> tuple[Container, str, bytes] | None:
    """For the prefetcher: steps 2–5 and 7 of `receive_bundle` on a file of a laptop approved
    now — (container, the laptop's area, plaintext); None for any other file, which is then
    read at its turn with the usual messages."""
    try:
        container = parse_bundle(data)
        device = _authenticate(store, container)
        if device is None or device.status != DeviceStatus.APPROVED.value:
            return None
        plaintext = decrypt_bundle(container, district_encryption_key(store))
    except SyncError:
        return None
    return container, device.area_code, plaintext


@dataclass(frozen=True)
class ReceiveFailure:
    """A file that could not be read at all (the message names it and says why)."""

    file: str
    message: str
    code: str = ""  # the SyncError's code, when it was one


def receive_files(
    store: Store,
    files: Sequence[tuple[str, Callable[[], bytes]]],
    *,
    refusals: tuple[type[Exception], ...] = (),
    prefetch: bool | None = None,
    today: date | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[ReceiveOutcome | ReceiveFailure]:
    """`receive_bundle` for each (name, read) in order, each its own transaction. A SyncError,
    or one of `refusals` raised by `read` (it must have a `message`), becomes a ReceiveFailure
    and the next file is taken. With many files (`prefetch` None: `prefetch_enabled`), the
    files after the current one are opened here and their rows decoded and checked in a
    second process meanwhile. `progress(done, total, name)` is called before each file (done
    = files finished)."""
    from tpsdesk.sync.prefetch import DEPTH, BundlePrefetcher, prefetch_enabled

    enabled = prefetch_enabled(len(files)) if prefetch is None else prefetch
    day = today or date.today()
    caught: tuple[type[Exception], ...] = (SyncError, *refusals)
    results: list[ReceiveOutcome | ReceiveFailure] = []
    with BundlePrefetcher(store, enabled=enabled, opener=_open_ahead) as ahead:
        for index, (name, read) in enumerate(files):
            if progress is not None:
                progress(index, len(files), name)
            for later in range(index + 1, min(index + 1 + DEPTH, len(files))):
                ahead.ahead(later, files[later][0], files[later][1], day)
            data, prefetched = ahead.take(index)
            try:
                if data is None:
                    data = read()
                results.append(receive_bundle(store, data, file=name, prefetched=prefetched))
            except caught as error:
                code = error.code if isinstance(error, SyncError) else ""
                results.append(ReceiveFailure(name, str(getattr(error, "message", error)), code))
    return results


# Refusals that say the waiting file itself can never be merged: it is recorded as refused and
# dropped. Any other (a version clash, a missing reference) leaves it waiting, to be merged
# once what it needs has arrived.
_FILE_REFUSALS = (
    Malformed,
    PayloadTooLarge,
    ManifestMismatch,
    DecryptionFailed,
    BadSignature,
    WrongRecipient,
    TooLarge,
    NotATpsdeskFile,
    UnsupportedFormat,
    DeviceKeyMismatch,
)


def record_receipt_key(store: Store, device: Device, encoded: Any) -> None:
    """Remember the X25519 key an approved laptop announced in a bundle it signed (checked,
    not low-order, by `validate_header`), so its receipts can be encrypted to it. `device`: the
    laptop as the sender check just read it. Written only when it changes: a transaction of
    its own (inside a merge batch it saves with the batch)."""
    if not isinstance(encoded, str) or device.encryption_key == encoded:
        return  # unchanged, or a laptop of an earlier tpsdesk (its receipts stay format 1)
    with store.transaction() as session:
        current = session.get(Device, device.device_id)
        if current is not None:
            current.encryption_key = encoded
            session.add(current)


def merge_released(
    store: Store,
    device_id: str,
    *,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[ReceiveOutcome | ReceiveFailure]:
    """After approval: merge every bundle of this laptop that waited in quarantine, one at a
    time. A file that fails is skipped with a ReceiveFailure saying why, and the others are
    merged; a file that can never be merged (damaged, forged, over a bound) is recorded as
    refused and dropped from quarantine, so it does not fail every later approval again.
    `progress(done, total, name)` is called before each file (done = files finished)."""
    if store.role == "province":  # a district's roll-up files waited
        from tpsdesk.sync.rollup import merge_waiting

        return merge_waiting(store, device_id, progress=progress)
    outcomes: list[ReceiveOutcome | ReceiveFailure] = []
    file_ids = waiting_files(store, device_id)
    for index, file_id in enumerate(file_ids):
        name = _("waiting bundle {id}").format(id=file_id[:8])
        if progress is not None:
            progress(index, len(file_ids), name)
        data = quarantined_data(store, file_id)
        if data is None:
            continue
        try:
            outcomes.append(receive_bundle(store, data, file=name))
        except SyncError as error:
            if isinstance(error, _FILE_REFUSALS):
                _refuse_waiting(store, file_id, error.code)
            outcomes.append(ReceiveFailure(name, error.message, error.code))
    return outcomes


def _refuse_waiting(store: Store, file_id: str, reason: str) -> None:
    record = bundle_record(store, file_id)
    if record is None:
        return
    report = MergeReport(
        file_id,
        record.device_id,
        record.seq_from,
        record.seq_to,
        BundleStatus.REFUSED.value,
        reason,
    )
    refuse_waiting(store, file_id, reason=reason, report=canonical(report.to_json()))
