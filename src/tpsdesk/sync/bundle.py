"""Bundle files: written by a field laptop, read and merged by the district.

Field: `export_bundle` seals every change the district has not acknowledged into one file
(HPKE to the pinned district key, signed by the laptop) named for a USB stick.
District: `receive_bundle` reads a file in SECURITY.md's order. A laptop not yet approved has
its file kept in quarantine, still encrypted; a revoked laptop's file is refused before
anything is decrypted; an approved laptop's rows go to the merge engine in one transaction.
"""

from __future__ import annotations

import base64
import contextlib
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tpsdesk.i18n import N_, _
from tpsdesk.store.db import Store
from tpsdesk.sync.changes import mark_sent, rows_to_send
from tpsdesk.sync.container import (
    Container,
    Kind,
    encode_key,
    kind_label,
    parse_container,
    suggested_file_name,
    verify_container,
)
from tpsdesk.sync.district import (
    DeviceRevoked,
    get_device,
    quarantine,
    register_pending,
    release,
    require_district,
)
from tpsdesk.sync.district_models import DeviceStatus
from tpsdesk.sync.errors import Malformed, SyncError, TooLarge, WrongRecipient
from tpsdesk.sync.fingerprint import fingerprints_match, format_fingerprint
from tpsdesk.sync.hpke import x25519_fingerprint, x25519_raw
from tpsdesk.sync.identity import (
    district_encryption_key,
    ensure_device_identity,
    signing_key,
)
from tpsdesk.sync.merge import IncomingBundle, MergeReport, merge_bundle
from tpsdesk.sync.payload import decrypt_bundle, seal_bundle, unpack_bundle
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
    identity = ensure_device_identity(store)
    key = signing_key(store)
    assert key is not None  # ensure_device_identity made it
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

    The file is written under a temporary name and renamed, so a USB stick pulled out half
    way never holds a truncated bundle under the real name."""
    header, data = build_bundle(store)
    path = out_dir / suggested_file_name(header)
    temp = path.with_name(path.name + ".part")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with temp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        reason = error.strerror or error.__class__.__name__
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
        raise Unreadable(str(error.strerror or error), file=path) from None


def receive_bundle(
    store: Store, data: bytes, *, file: str, prefetched: Prefetched | None = None
) -> ReceiveOutcome:
    """Quarantine, refuse or merge one bundle file (see the module docstring).

    `prefetched`: the file's rows already being checked in another process
    (`sync.prefetch`); used only if they fit, else the file is read here."""
    from tpsdesk.sync.fingerprint import fingerprint as key_fingerprint

    require_district(store)
    try:
        container = parse_container(data)
        if container.kind is not Kind.BUNDLE:
            raise Malformed(
                N_("the file is a {kind}, not a bundle"), kind=kind_label(container.kind)
            )
        # The header's own key must have signed it, or nothing about the file can be trusted.
        verify_container(container, container.sender_key)
        ours = x25519_fingerprint(x25519_raw(district_encryption_key(store)))
        # A file for another office is refused at once: it must not wait in quarantine here
        # (it could never be opened) nor register its laptop as pending.
        named = container.header["recipient"]["fingerprint"]
        if not fingerprints_match(named, ours):
            raise WrongRecipient(named)
    except SyncError as error:
        raise error.with_file(file) from None
    header = container.header
    sender_id = container.sender_id
    shown_fingerprint = key_fingerprint(container.sender_key)
    device = get_device(store, sender_id)
    if device is None or device.status == DeviceStatus.PENDING.value:
        if device is None:
            register_pending(
                store,
                device_id=sender_id,
                signing_key=container.sender_key,
                area=header["area"],
                setup_id=header.get("setup"),
            )
        kept = quarantine(
            store,
            file_id=container.file_id,
            device_id=sender_id,
            seq_from=header["seq_from"],
            seq_to=header["seq_to"],
            area=header["area"],
            data=data,
        )
        return ReceiveOutcome(
            file, "quarantined" if kept else "already_quarantined", sender_id, shown_fingerprint
        )
    with paused_gc():
        report = _open_and_merge(
            store, container, data, file=file, recipient=ours, prefetched=prefetched
        )
    return ReceiveOutcome(file, report.status, sender_id, shown_fingerprint, report)


@dataclass(frozen=True)
class ReceiveFailure:
    """A file that could not be read at all (the message names it and says why)."""

    file: str
    message: str


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
    files after the current one are decoded and checked in a second process meanwhile.
    `progress(done, total, name)` is called before each file (done = files finished)."""
    from tpsdesk.sync.prefetch import DEPTH, BundlePrefetcher, prefetch_enabled

    enabled = prefetch_enabled(len(files)) if prefetch is None else prefetch
    day = today or date.today()
    caught: tuple[type[Exception], ...] = (SyncError, *refusals)
    results: list[ReceiveOutcome | ReceiveFailure] = []
    with BundlePrefetcher(store, enabled=enabled) as ahead:
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
                results.append(ReceiveFailure(name, str(getattr(error, "message", error))))
    return results


def _open_and_merge(
    store: Store,
    container: Container,
    data: bytes,
    *,
    file: str,
    recipient: str,
    prefetched: Prefetched | None = None,
) -> MergeReport:
    device = get_device(store, container.sender_id)
    assert device is not None
    if device.status == DeviceStatus.REVOKED.value:
        raise DeviceRevoked(format_fingerprint(device.fingerprint), file=file)

    def allowed(sender_id: str, key: bytes) -> bool:
        return device.status == DeviceStatus.APPROVED.value

    today = date.today() if prefetched is None else prefetched.today
    try:
        opened, plaintext = decrypt_bundle(
            data,
            expected_recipient_fingerprint=recipient,
            district_private_x25519=district_encryption_key(store),
            trusted_sender_key=base64.b64decode(device.signing_key),
            is_sender_allowed=allowed,
            file=file,
        )
        checked = (
            None
            if prefetched is None
            else prefetched.result_for(device.area_code, store.catalogue, today)
        )
        # Checked over there: the rows themselves are not needed here any more.
        rows = [] if checked is not None else unpack_bundle(opened, plaintext, file=file)[1]
        header = opened.header
        bundle = IncomingBundle(
            file_id=opened.file_id,
            sender_id=opened.sender_id,
            sender_key=opened.sender_key,
            area=header["area"],
            seq_from=header["seq_from"],
            seq_to=header["seq_to"],
            rows=rows,
        )
        return merge_bundle(store, bundle, today=today, checked=checked)
    except SyncError as error:
        raise error.with_file(file) from None


def merge_released(store: Store, device_id: str) -> list[ReceiveOutcome]:
    """After approval: merge every bundle of this laptop that waited in quarantine."""
    outcomes = []
    for file_id, data in release(store, device_id):
        name = _("waiting bundle {id}").format(id=file_id[:8])
        outcomes.append(receive_bundle(store, data, file=name))
    return outcomes
