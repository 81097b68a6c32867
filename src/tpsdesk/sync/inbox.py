"""The district's inbox: what is in a folder of travelling files, read from their headers
alone, and how each bundle stands with the district store; and merging the chosen ones.

`scan(folder)` never reads a payload: per file the container prefix and the header (capped
at MAX_HEADER, as the parser caps it), and the payload's length word to tell a truncated or
overlong file. `statuses(store, entries)` asks the district store a handful of queries for
all the files at once. Header text is untrusted: the store's own records (the laptop, the
area names) are what the caller shows first; header strings are kept as they are, to be
shown escaped.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from tpsdesk.i18n import N_, _, ngettext, os_error_text
from tpsdesk.store.db import Store
from tpsdesk.sync.container import (
    FILE_SUFFIX,
    MAGIC,
    MAX_FILE,
    MAX_HEADER,
    SIGNATURE_LENGTH,
    Kind,
    kind_label,
    parse_canonical_json,
    validate_header,
)
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.laptops_view import operators_in_rows

_PREFIX = len(MAGIC) + 1  # magic + version byte
_LEN = 4
# Ids per IN (…) query: well under SQLite's bound on parameters.
_CHUNK = 500


class FolderUnreadable(SyncError):
    code = "folder_unreadable"

    def __init__(self, folder: Path, reason: str) -> None:
        self.folder = folder
        self.reason = reason
        super().__init__()

    def problem(self) -> str:
        return _("Could not read {file}: {reason}").format(
            file=str(self.folder), reason=self.reason
        )


# -- what the CLI's `district merge` does with its arguments ---------------------------------


def folder_files(folder: Path) -> list[Path]:
    """The files directly in `folder` (sub-folders are not entered), sorted by name.
    FolderUnreadable when the folder cannot be listed."""
    try:
        return sorted(entry for entry in folder.iterdir() if entry.is_file())
    except OSError as exc:
        raise FolderUnreadable(folder, os_error_text(exc)) from None


def starts_like_tpsdesk(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            start = handle.read(len(MAGIC))
    except OSError:
        return True  # unreadable: the merge reports why
    return (bool(start) and MAGIC.startswith(start[: len(MAGIC)])) or start == MAGIC


def bundle_order(header: dict[str, Any] | None, name: str) -> tuple[str, int, str]:
    """Sort key of a bundle: its laptop, then its first change number, then its name."""
    if header is None:
        return ("", 0, name)
    sender = header.get("sender")
    sender_id = sender.get("id") if isinstance(sender, dict) else None
    seq = header.get("seq_from")
    return (
        sender_id if isinstance(sender_id, str) else "",
        seq if isinstance(seq, int) and not isinstance(seq, bool) else 0,
        name,
    )


def kind_name(kind: str) -> str:
    return _("a {kind}").format(kind=kind_label(kind))


def peek_header(path: Path) -> dict[str, Any] | None:
    """The header of a tpsdesk file, read without its payload; None when the file cannot be
    read or does not start like a tpsdesk file (the merge then says exactly why)."""
    try:
        with path.open("rb") as handle:
            start = handle.read(_PREFIX + _LEN)
            if len(start) < _PREFIX + _LEN or start[: len(MAGIC)] != MAGIC:
                return None
            length = int.from_bytes(start[_PREFIX:], "big")
            if length > MAX_HEADER:
                return None
            header = json.loads(handle.read(length).decode("utf-8"))
    except (OSError, ValueError):
        return None
    return header if isinstance(header, dict) else None


def bundle_files(
    paths: Iterable[Path], *, kind: Kind = Kind.BUNDLE
) -> tuple[list[Path], list[tuple[str, str]]]:
    """The bundles to merge among `paths` (a folder stands for the files in it), and the
    (name, why) of the files skipped as not a bundle: receipts, setup files, other files.

    Only the header is peeked at: a file whose header cannot be read is still given to the
    merge when its name says bundle (.tpsb) or it starts like a tpsdesk file, so a damaged
    bundle is refused with its reason, never skipped in silence. A folder's bundles go in the
    order of their laptop and first change number, whatever their names. `kind`: ROLLUP for
    a province's roll-up files (the same rules, one level up)."""
    bundles: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for path in paths:
        in_folder = path.is_dir()
        found: list[tuple[tuple[str, int, str], Path]] = []
        for entry in folder_files(path) if in_folder else [path]:
            if in_folder and entry.name.endswith(".part"):
                # What `bundle export` was writing when it stopped: never a whole bundle.
                skipped.append((entry.name, _("an unfinished copy")))
                continue
            header = peek_header(entry)
            found_kind = header.get("kind") if header is not None else None
            if found_kind is not None and found_kind != kind.value:
                skipped.append((entry.name, kind_name(str(found_kind))))
            elif (
                found_kind is None
                and entry.suffix.lower() != FILE_SUFFIX[kind]
                and entry.exists()
                and not starts_like_tpsdesk(entry)
            ):
                skipped.append((entry.name, _("not a tpsdesk file")))
            else:  # a bundle, or a damaged or missing one: the merge says why
                found.append((bundle_order(header, entry.name), entry))
        if in_folder:
            found.sort(key=lambda pair: pair[0])
        bundles.extend(entry for _order, entry in found)
    return bundles, skipped


# -- scan -----------------------------------------------------------------------------------


class EntryKind(StrEnum):
    BUNDLE = "bundle"
    RECEIPT = "receipt"
    SETUP = "setup"
    OTHER = "other"  # not a tpsdesk file
    DAMAGED = "damaged"  # starts like a tpsdesk file (or is named .tpsb) but cannot be read
    PART = "part"  # an unfinished copy (`.part`)


@dataclass(frozen=True)
class InboxEntry:
    """One file of the folder as its header tells it (nothing verified: header text is
    untrusted and shown escaped)."""

    name: str
    path: Path
    size: int
    mtime: float
    kind: EntryKind
    problem: str = ""  # DAMAGED: why, translated
    sender_id: str = ""
    sender_key: str = ""  # base64 Ed25519 key the header names
    # A roll-up file (district → province): its header also names the district's X25519 key.
    rollup: bool = False
    sender_encryption_key: str = ""
    recipient_fingerprint: str = ""
    district_code: str = ""
    district_name: str = ""
    area: str = ""
    seq_from: int = 0
    seq_to: int = 0
    created_at: str = ""
    file_id: str = ""

    @property
    def mergeable(self) -> bool:
        """Given to the merge when chosen: a bundle, or a file that looks like a damaged one
        (the merge then says why it is refused), as `district merge` does."""
        return self.kind in (EntryKind.BUNDLE, EntryKind.DAMAGED)

    @property
    def order(self) -> tuple[int, str, int, str]:
        if self.kind is EntryKind.BUNDLE:
            return (0, self.sender_id, self.seq_from, self.name)
        if self.kind is EntryKind.DAMAGED:
            return (1, "", 0, self.name)
        return (2, "", 0, self.name)


def _damaged(base: dict[str, Any], problem: str) -> InboxEntry:
    return InboxEntry(kind=EntryKind.DAMAGED, problem=problem, **base)


def _not_tpsdesk(base: dict[str, Any], path: Path) -> InboxEntry:
    if path.suffix.lower() == FILE_SUFFIX[Kind.BUNDLE]:
        return _damaged(base, _("it does not start like a tpsdesk file"))
    return InboxEntry(kind=EntryKind.OTHER, **base)


def read_entry(path: Path, size: int, mtime: float) -> InboxEntry:
    """One file from its container prefix and header (at most MAX_HEADER + 17 bytes read)."""
    base: dict[str, Any] = {"name": path.name, "path": path, "size": size, "mtime": mtime}
    if path.name.endswith(".part"):
        return InboxEntry(kind=EntryKind.PART, **base)
    try:
        with path.open("rb") as handle:
            start = handle.read(_PREFIX + _LEN)
            if start[: len(MAGIC)] != MAGIC[: len(start)] or not start:
                return _not_tpsdesk(base, path)
            if len(start) < _PREFIX + _LEN:
                return _damaged(base, _("the file is cut short"))
            if start[len(MAGIC)] != 1:
                return _damaged(base, _("a file format this tpsdesk does not know"))
            length = int.from_bytes(start[_PREFIX:], "big")
            if length > MAX_HEADER:
                return _damaged(base, _("its header is too large"))
            header_bytes = handle.read(length)
            payload_word = handle.read(_LEN)
    except OSError as exc:
        return _damaged(base, os_error_text(exc))
    if len(header_bytes) < length or len(payload_word) < _LEN:
        return _damaged(base, _("the file is cut short"))
    expected = _PREFIX + _LEN + length + _LEN + int.from_bytes(payload_word, "big")
    expected += _LEN + SIGNATURE_LENGTH
    if size > MAX_FILE:
        return _damaged(base, _("the file is too large"))
    if size < expected:
        return _damaged(base, _("the file is cut short"))
    if size > expected:
        return _damaged(base, _("there are extra bytes after the signature"))
    try:
        header = parse_canonical_json(header_bytes)
        kind = validate_header(header)
    except SyncError as exc:
        return _damaged(base, exc.problem())
    if kind is Kind.RECEIPT:
        return InboxEntry(kind=EntryKind.RECEIPT, **base)
    if kind is Kind.SETUP:
        return InboxEntry(kind=EntryKind.SETUP, **base)
    return InboxEntry(
        kind=EntryKind.BUNDLE,
        sender_id=header["sender"]["id"],
        sender_key=header["sender"]["signing_key"],
        rollup=kind is Kind.ROLLUP,
        sender_encryption_key=header["sender"].get("encryption_key", ""),
        recipient_fingerprint=header["recipient"]["fingerprint"],
        district_code=header["district"]["code"],
        district_name=header["district"]["name"],
        area=header["area"],
        seq_from=header["seq_from"],
        seq_to=header["seq_to"],
        created_at=header["created_at"],
        file_id=header["file_id"],
        **base,
    )


def scan(folder: Path) -> list[InboxEntry]:
    """Every file directly in `folder`, bundles first (by laptop and first change), then
    damaged files, then the others by name. FolderUnreadable if it cannot be listed."""
    entries: list[InboxEntry] = []
    try:
        with os.scandir(folder) as listing:
            found = [item for item in listing]
    except OSError as exc:
        raise FolderUnreadable(folder, os_error_text(exc)) from None
    for item in found:
        try:
            if not item.is_file():
                continue
            stat = item.stat()
        except OSError:
            continue  # vanished meanwhile (a drive pulled out): the next scan says more
        entries.append(read_entry(Path(item.path), stat.st_size, stat.st_mtime))
    entries.sort(key=lambda e: e.order)
    return entries


# -- statuses -------------------------------------------------------------------------------


class InboxStatus(StrEnum):
    NEW = "new"
    MERGED = "merged"  # merged before
    WAITING = "waiting"  # in quarantine, or its laptop waits for approval
    REFUSED = "refused"  # refused before (the store keeps why)
    REVOKED = "revoked"  # from a revoked laptop: will be refused
    OTHER_KEY = "other_key"  # a known laptop id under another key: will be refused
    OTHER_DISTRICT = "other_district"  # for another office: will be refused
    # A laptop's bundle at a province, or a roll-up file at a district: will be refused.
    WRONG_KIND = "wrong_kind"
    RECEIPT = "receipt"
    SETUP = "setup"
    OTHER = "other"
    DAMAGED = "damaged"
    PART = "part"


STATUS_LABELS: dict[InboxStatus, str] = {
    InboxStatus.NEW: N_("new"),
    InboxStatus.MERGED: N_("merged before"),
    InboxStatus.WAITING: N_("waiting approval"),
    InboxStatus.REFUSED: N_("refused before"),
    InboxStatus.REVOKED: N_("revoked laptop"),
    InboxStatus.OTHER_KEY: N_("forged laptop id"),
    InboxStatus.OTHER_DISTRICT: N_("other district"),
    InboxStatus.WRONG_KIND: N_("wrong kind of file"),
    InboxStatus.RECEIPT: N_("receipt"),
    InboxStatus.SETUP: N_("setup file"),
    InboxStatus.OTHER: N_("other file"),
    InboxStatus.DAMAGED: N_("damaged"),
    InboxStatus.PART: N_("unfinished copy"),
}


# At a province the senders are districts and the files roll-up files.
PROVINCE_LABELS: dict[InboxStatus, str] = {
    InboxStatus.REVOKED: N_("revoked district"),
    InboxStatus.OTHER_KEY: N_("forged district id"),
    InboxStatus.OTHER_DISTRICT: N_("other province"),
}


def status_label(status: InboxStatus, *, province: bool = False) -> str:
    if province and status in PROVINCE_LABELS:
        return _(PROVINCE_LABELS[status])
    return _(STATUS_LABELS[status])


_KIND_STATUS = {
    EntryKind.RECEIPT: InboxStatus.RECEIPT,
    EntryKind.SETUP: InboxStatus.SETUP,
    EntryKind.OTHER: InboxStatus.OTHER,
    EntryKind.DAMAGED: InboxStatus.DAMAGED,
    EntryKind.PART: InboxStatus.PART,
}


@dataclass(frozen=True)
class InboxRow:
    """A file and how it stands. `laptop` is the district's record of the sender (its label,
    else the operator of its latest merged rows), "" when the district does not know it;
    `kelurahan` and `kecamatan` are names from the district's own area tables."""

    entry: InboxEntry
    status: InboxStatus
    reason: str = ""  # translated: why damaged, refused before, or will be refused
    fingerprint: str = ""  # of the key the header names (to compare by phone)
    laptop: str = ""
    area: str = ""  # the area the district issued the laptop, else the one the header claims
    kelurahan: str = ""
    kecamatan: str = ""


@dataclass
class InboxCounts:
    files: int = 0
    by_status: dict[InboxStatus, int] = field(default_factory=dict)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _refusal_text(reason: str, report: str) -> str:
    """Why the district refused a bundle before, from what ReceivedBundle keeps."""
    from tpsdesk.sync.merge import MergeReport

    if reason == "area":
        return _("for another area than the laptop was approved for")
    if reason == "rollback":
        return _("the laptop's store was put back to an older copy")
    if reason == "rows_refused" or not reason:
        try:
            rows = MergeReport.from_json(json.loads(report or "{}")).refused_rows
        except (ValueError, KeyError, TypeError):
            rows = 0
        if rows:
            return ngettext(
                "{n} row was not acceptable", "{n} rows were not acceptable", rows
            ).format(n=rows)
        return _("its rows were not acceptable")
    return _("damaged or forged ({code})").format(code=reason)


def _fingerprint_of(entry: InboxEntry) -> str:
    """The fingerprint the sender is approved by: a laptop's key fingerprint, or a roll-up's
    district fingerprint of both keys (what `tpsdesk identity` prints at the district)."""
    from tpsdesk.sync.district import key_fingerprint
    from tpsdesk.sync.identity import district_fingerprint

    try:
        signing = base64.b64decode(entry.sender_key, validate=True)
        if entry.rollup:
            encryption = base64.b64decode(entry.sender_encryption_key, validate=True)
            return district_fingerprint(signing, encryption)
        return key_fingerprint(signing)
    except (binascii.Error, ValueError):
        return ""


def _same_keys(known: Any, entry: InboxEntry) -> bool:
    if known.signing_key != entry.sender_key:
        return False
    return not entry.rollup or (known.encryption_key or "") == entry.sender_encryption_key


def statuses(store: Store, entries: Sequence[InboxEntry]) -> list[InboxRow]:
    """How each file stands with this district store, in the order of `entries`: a few
    queries for all of them (received bundles, quarantine, laptops, area names, operators),
    never one per file."""
    from tpsdesk.store.models import Kecamatan, Kelurahan
    from tpsdesk.sync.district import require_district
    from tpsdesk.sync.district_models import (
        BundleStatus,
        Device,
        DeviceStatus,
        QuarantinedBundle,
        ReceivedBundle,
    )
    from tpsdesk.sync.fingerprint import fingerprints_match
    from tpsdesk.sync.identity import district_identity

    require_district(store)
    province = store.role == "province"  # takes roll-up files, a district laptops' bundles
    bundles = [e for e in entries if e.kind is EntryKind.BUNDLE]
    file_ids = sorted({e.file_id for e in bundles})
    device_ids = sorted({e.sender_id for e in bundles})
    codes = {e.area for e in bundles}
    codes |= {code.rsplit(".", 1)[0] for code in codes if code.count(".") == 3}
    area_codes = sorted(codes)
    identity = district_identity(store)
    ours = identity.encryption_fingerprint if identity is not None else ""

    received: dict[str, ReceivedBundle] = {}
    waiting: set[str] = set()
    devices: dict[str, Device] = {}
    names: dict[str, str] = {}
    with store.read() as session:
        for chunk in _chunks(file_ids):
            for record in session.exec(
                select(ReceivedBundle).where(col(ReceivedBundle.file_id).in_(chunk))
            ):
                received[record.file_id] = record
            waiting.update(
                session.exec(
                    select(QuarantinedBundle.file_id).where(
                        col(QuarantinedBundle.file_id).in_(chunk)
                    )
                )
            )
        for chunk in _chunks(device_ids):
            for device in session.exec(select(Device).where(col(Device.device_id).in_(chunk))):
                devices[device.device_id] = device
        for chunk in _chunks(area_codes):
            for code, name in session.exec(
                select(Kelurahan.code, Kelurahan.name).where(col(Kelurahan.code).in_(chunk))
            ):
                names[code] = name
            for code, name in session.exec(
                select(Kecamatan.code, Kecamatan.name).where(col(Kecamatan.code).in_(chunk))
            ):
                names[code] = name
        # The laptops tab names them the same way (one query over the version index).
        operators = operators_in_rows(session, [d for d, dev in devices.items() if not dev.label])
    if province:
        from tpsdesk.sync.province import kabkota_names

        # A district is named by the kab/kota the province issued it, never by its header.
        named = kabkota_names(store)
        operators = {d: named.get(dev.area_code, "") for d, dev in devices.items()}

    rows: list[InboxRow] = []
    fingerprints: dict[str, str] = {}
    for entry in entries:
        if entry.kind is not EntryKind.BUNDLE:
            problem = entry.problem
            if entry.kind is EntryKind.OTHER:
                problem = _("not a tpsdesk file")
            elif entry.kind is EntryKind.PART:
                problem = _("an unfinished copy")
            rows.append(InboxRow(entry, _KIND_STATUS[entry.kind], reason=problem))
            continue
        known = devices.get(entry.sender_id)
        keys = entry.sender_key + entry.sender_encryption_key
        if keys not in fingerprints:
            fingerprints[keys] = _fingerprint_of(entry)
        # Trust what the district holds: a known laptop's area is the one it was issued.
        area = known.area_code if known is not None and known.area_code else entry.area
        parent = area.rsplit(".", 1)[0] if area.count(".") == 3 else area
        laptop = ""
        if known is not None:
            laptop = operators.get(known.device_id, "") if province else ""
            laptop = laptop or known.label or operators.get(known.device_id, "")
        stored = received.get(entry.file_id)
        status, reason = InboxStatus.NEW, ""
        if entry.rollup != province:
            status = InboxStatus.WRONG_KIND
            reason = (
                _("a laptop's bundle, for its district office: it will be refused")
                if province
                else _("a roll-up file: it goes to the province office; it will be refused")
            )
        elif known is not None and not _same_keys(known, entry):
            status = InboxStatus.OTHER_KEY
            reason = (
                _("this district is known under other keys: it will be refused")
                if province
                else _("this laptop id is known under another key: it will be refused")
            )
        elif known is not None and known.status == DeviceStatus.REVOKED.value:
            status = InboxStatus.REVOKED
            reason = (
                _("the district was revoked: it will be refused")
                if province
                else _("the laptop was revoked: it will be refused")
            )
        elif not ours or not fingerprints_match(entry.recipient_fingerprint, ours):
            status = InboxStatus.OTHER_DISTRICT
            reason = (
                _("made for another province office: it will be refused")
                if province
                else _("made for another district office ({district}): it will be refused").format(
                    district=entry.district_code
                )
            )
        elif stored is not None and stored.status == BundleStatus.MERGED.value:
            status = InboxStatus.MERGED
        elif stored is not None and stored.status == BundleStatus.REFUSED.value:
            status = InboxStatus.REFUSED
            reason = _refusal_text(stored.reason, stored.report)
        elif (
            entry.file_id in waiting
            or (stored is not None and stored.status == BundleStatus.QUARANTINED.value)
            or (known is not None and known.status == DeviceStatus.PENDING.value)
        ):
            status = InboxStatus.WAITING
            reason = (
                _("its district waits for approval (Districts, F4)")
                if province
                else _("its laptop waits for approval (Laptops, F4)")
            )
        rows.append(
            InboxRow(
                entry,
                status,
                reason=reason,
                fingerprint=fingerprints[keys],
                laptop=laptop,
                area=area,
                kelurahan=names.get(area, "") if area != parent else "",
                kecamatan=names.get(parent, ""),
            )
        )
    return rows


def summary_line(rows: Sequence[InboxRow], *, province: bool = False) -> str:
    """ "12 files: 8 new, 2 merged before, 1 waiting approval, 1 not a bundle"."""
    counts: dict[InboxStatus, int] = {}
    others = 0
    for row in rows:
        if row.entry.mergeable:
            counts[row.status] = counts.get(row.status, 0) + 1
        else:
            others += 1
    head = ngettext("{n} file", "{n} files", len(rows)).format(n=len(rows))
    order = list(InboxStatus)
    parts = [
        f"{counts[status]} {status_label(status, province=province)}"
        for status in sorted(counts, key=order.index)
        if counts[status]
    ]
    if others and province:
        parts.append(
            ngettext("{n} not a roll-up file", "{n} not roll-up files", others).format(n=others)
        )
    elif others:
        parts.append(ngettext("{n} not a bundle", "{n} not bundles", others).format(n=others))
    return head + (": " + ", ".join(parts) if parts else "")


def file_date(entry: InboxEntry) -> datetime:
    """When the bundle was made (its header), else when the file was last written."""
    if entry.created_at:
        try:
            return datetime.fromisoformat(entry.created_at)
        except ValueError:
            pass
    return datetime.fromtimestamp(entry.mtime, UTC)


# -- merge ----------------------------------------------------------------------------------


def merge_paths(
    store: Store,
    paths: Sequence[Path],
    *,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Any]:
    """Merge these files in this order as `district merge` does: `receive_files` within
    `store.saving_once()` (the store is written once, after the last file). Returns one
    ReceiveOutcome or ReceiveFailure per file."""
    from tpsdesk.sync.bundle import read_bundle_file, receive_files

    def reader(path: Path) -> Callable[[], bytes]:
        return lambda: read_bundle_file(path)

    with store.saving_once():
        return receive_files(
            store, [(path.name, reader(path)) for path in paths], progress=progress
        )


# -- report ---------------------------------------------------------------------------------


class OutcomeKind(StrEnum):
    MERGED = "merged"
    MERGED_WITH_REFUSALS = "merged_with_refusals"
    MERGED_BEFORE = "merged_before"
    REFUSED = "refused"
    WAITING = "waiting"


@dataclass(frozen=True)
class OutcomeLines:
    """One file's merge outcome as a clerk reads it: a headline and detail lines, translated
    (file names and reasons untrusted: shown escaped)."""

    file: str
    kind: OutcomeKind
    headline: str
    details: tuple[str, ...] = ()


SHOWN_REJECTIONS = 5


def outcome_lines(outcome: Any, *, province: bool = False) -> OutcomeLines:
    """What to show for one ReceiveOutcome or ReceiveFailure of `merge_paths` (`province`:
    at a province store, whose senders are districts)."""
    from tpsdesk.sync.bundle import ReceiveFailure

    if isinstance(outcome, ReceiveFailure):
        return OutcomeLines(
            outcome.file,
            OutcomeKind.REFUSED,
            _("refused as a whole; nothing was merged"),
            (outcome.message,),
        )
    if outcome.status in ("quarantined", "already_quarantined") and province:
        return OutcomeLines(
            outcome.file,
            OutcomeKind.WAITING,
            _("waits for approval of its district"),
            (
                _("District fingerprint: {fingerprint}").format(fingerprint=outcome.fingerprint),
                _(
                    "Call the district office and compare the fingerprint (its tpsdesk "
                    "identity), then open Districts (F4) to approve it: what waited is merged "
                    "then."
                ),
            ),
        )
    if outcome.status in ("quarantined", "already_quarantined"):
        return OutcomeLines(
            outcome.file,
            OutcomeKind.WAITING,
            _("waits for approval of its laptop"),
            (
                _("Laptop fingerprint: {fingerprint}").format(fingerprint=outcome.fingerprint),
                _(
                    "Call the laptop's user and compare the fingerprint, then open Laptops "
                    "(F4) to approve it: what waited is merged then."
                ),
            ),
        )
    report = outcome.report
    details: list[str] = []
    if report.merged and not report.replay:
        details.append(
            _(
                "{accepted} accepted, {unchanged} unchanged, conflicts: {conflicts}, duplicate "
                "findings: {duplicates}."
            ).format(
                accepted=len(report.accepted),
                unchanged=len(report.unchanged),
                conflicts=len(report.conflicts),
                duplicates=len(report.duplicates),
            )
        )
    if report.rejected:
        if report.merged and province:
            details.append(
                ngettext(
                    "{n} row was refused and not merged. First reasons:",
                    "{n} rows were refused and not merged. First reasons:",
                    report.refused_rows,
                ).format(n=report.refused_rows)
            )
        elif report.merged:
            details.append(
                ngettext(
                    "{n} row was refused and not merged; the laptop is told with its next "
                    "receipt. First reasons:",
                    "{n} rows were refused and not merged; the laptop is told with its next "
                    "receipt. First reasons:",
                    report.refused_rows,
                ).format(n=report.refused_rows)
            )
        details.extend(_rejection_lines(report))
    elif not report.merged:
        details.append(report.summary().splitlines()[0])
    for low, high in report.gaps:
        details.append(
            (
                _("Missing from this district: roll-up files {low}–{high} (never arrived).")
                if province
                else _(
                    "Missing from this laptop: changes {low}–{high} (a bundle that never arrived)."
                )
            ).format(low=low, high=high)
        )
    if report.replay:
        kind, headline = OutcomeKind.MERGED_BEFORE, _("merged before; nothing changed")
    elif not report.merged:
        kind, headline = OutcomeKind.REFUSED, _("refused as a whole; nothing was merged")
    elif report.rejected:
        kind, headline = OutcomeKind.MERGED_WITH_REFUSALS, _("merged, some rows refused")
    else:
        kind, headline = OutcomeKind.MERGED, _("merged")
    return OutcomeLines(outcome.file, kind, headline, tuple(details))


def _rejection_lines(report: Any) -> list[str]:
    out: list[str] = []
    for rejection in report.rejected:
        where = (
            _("row {n}").format(n=rejection.index + 1) if rejection.index >= 0 else _("the bundle")
        )
        for problem in rejection.problems:
            if len(out) >= SHOWN_REJECTIONS:
                return out
            out.append(f"{where}: {problem.message}")
    return out


def report_title(lines: Sequence[OutcomeLines]) -> str:
    """ "Merge report: 3 merged, 1 waiting approval, 2 refused"."""
    counts: dict[OutcomeKind, int] = {}
    for line in lines:
        counts[line.kind] = counts.get(line.kind, 0) + 1
    labels = {
        OutcomeKind.MERGED: N_("merged"),
        OutcomeKind.MERGED_WITH_REFUSALS: N_("merged with refused rows"),
        OutcomeKind.MERGED_BEFORE: N_("merged before"),
        OutcomeKind.WAITING: N_("waiting approval"),
        OutcomeKind.REFUSED: N_("refused"),
    }
    parts = [f"{counts[kind]} {_(labels[kind])}" for kind in OutcomeKind if counts.get(kind)]
    return _("Merge report: {parts}").format(parts=", ".join(parts) or "0")
