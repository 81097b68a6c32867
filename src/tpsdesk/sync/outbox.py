"""What the district sends out: setup files for one area or all, and the receipts of every
laptop with news, written to one folder with a result per file.

**A laptop has news** when a receipt written now would tell it something the last receipt
written for it did not. `build_receipt` records a digest of what each receipt tells
(`receipt.META_RECEIPT_TOLD`: the acknowledged sequence, the gaps, every officer's status with
its reasons, BPJS numbers, corrections and removals, refused rows, a rollback, and whether it
is encrypted); the outbox works out the same lines for the laptop now and compares. So changes
merged since, a decision on a finding about its rows, a KPJ number recorded, a refused row or
a rollback are news; a laptop whose last receipt was written before digests were kept has news
too (nothing says what that receipt told). Only approved laptops get receipts: a revoked or
waiting laptop is skipped, and so is an approved one the district never merged (or refused) a
bundle of.

Files are never written over: a name that exists already is refused for that file only (a
receipt's number is not used up: its name is known before it is built), and a refusal for one
laptop or area does not stop the others.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from tpsdesk import durable
from tpsdesk.i18n import N_, _, ngettext, os_error_text
from tpsdesk.store.db import Store
from tpsdesk.store.models import Kecamatan, Kelurahan, OfficerStatus, Tps, utcnow
from tpsdesk.store.versioning import get_meta, set_meta
from tpsdesk.sync.container import parse_container, suggested_file_name
from tpsdesk.sync.district import (
    get_device,
    list_devices,
    missing_ranges,
    require_district,
    seen_ranges_in,
)
from tpsdesk.sync.district_models import BundleStatus, Device, DeviceStatus, ReceivedBundle
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.identity import district_fingerprint, district_identity, district_settings
from tpsdesk.sync.receipt import (
    META_RECEIPT_TOLD,
    META_RECEIPT_VERSIONS,
    OpenReasons,
    build_receipt,
    entries_digest,
    open_reasons,
    receipt_entries,
    receipt_key_of,
)
from tpsdesk.sync.setup import DistrictNotSet, build_setup_file, left_out_tps, read_setup_file

Progress = Callable[[int, int, str], None]  # (done, total, file name)

# The plain text sheet written beside setup files, to print (its name without ".txt").
FINGERPRINT_SHEET = N_("DISTRICT-FINGERPRINT")
ALL_KECAMATAN = "all-kecamatan"
ALL_KELURAHAN = "all-kelurahan"


def _no_progress(done: int, total: int, name: str) -> None:
    return None


class WriteRefused(SyncError):
    """One file of a batch was not written; `problem()` says why, translated."""

    code = "write_refused"

    def __init__(self, text: str, *, file: str | None = None) -> None:
        self.text = text
        super().__init__(file=file)

    def problem(self) -> str:
        return self.text


def write_new_file(path: Path, data: bytes) -> None:
    """Write a new file, complete or not at all, never over an existing one (nor through a
    symlink); WriteRefused says why not."""
    try:
        durable.write_atomic(path, data, overwrite=False)
    except FileExistsError:
        raise WriteRefused(
            _("{file} already exists: nothing was written over it.").format(file=path.name),
            file=path.name,
        ) from None
    except OSError as exc:
        raise WriteRefused(
            _("Could not write {file}: {reason}").format(file=path.name, reason=os_error_text(exc)),
            file=path.name,
        ) from None


def _exists(path: Path) -> bool:
    return os.path.lexists(path)


# -- setup files --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaChoice:
    """A kecamatan or kelurahan of the district, as the clerk picks it."""

    code: str
    name: str
    kind: str  # "kecamatan" | "kelurahan"
    tps: int  # live TPS in it


def district_areas(store: Store) -> list[AreaChoice]:
    """Every live kecamatan and kelurahan of the district's area, each kecamatan followed by
    its kelurahan (a laptop is normally set up for one kelurahan)."""
    require_district(store)
    with store.read() as session:
        tps_count: Counter[str] = Counter()
        query = (
            select(Tps.kelurahan_code, func.count())
            .where(col(Tps.deleted).is_(False))
            .group_by(col(Tps.kelurahan_code))
        )
        for code, count in session.exec(query):
            tps_count[code] = int(count)
        kecamatan = list(
            session.exec(
                select(Kecamatan).where(col(Kecamatan.deleted).is_(False)).order_by(Kecamatan.code)
            )
        )
        kelurahan = list(
            session.exec(
                select(Kelurahan).where(col(Kelurahan.deleted).is_(False)).order_by(Kelurahan.code)
            )
        )
    out: list[AreaChoice] = []
    for kec in kecamatan:
        children = [k for k in kelurahan if k.kecamatan_code == kec.code]
        total = sum(tps_count[k.code] for k in children)
        out.append(AreaChoice(kec.code, kec.name, "kecamatan", total))
        out += [AreaChoice(k.code, k.name, "kelurahan", tps_count[k.code]) for k in children]
    return out


def setup_targets(store: Store, choice: str) -> list[str]:
    """The area codes a choice stands for: ALL_KECAMATAN, ALL_KELURAHAN (areas without a
    live TPS left out: a laptop could do nothing with them) or one area code."""
    if choice in (ALL_KECAMATAN, ALL_KELURAHAN):
        kind = "kecamatan" if choice == ALL_KECAMATAN else "kelurahan"
        return [a.code for a in district_areas(store) if a.kind == kind and a.tps]
    return [choice]


@dataclass(frozen=True)
class SetupWritten:
    area: str
    area_name: str
    path: Path | None  # None: not written
    version: int = 0
    tps: int = 0
    left_out: int = 0  # TPS left out: another TPS has its number in its kelurahan
    problem: str = ""  # translated, when not written


@dataclass
class SetupBatch:
    folder: Path
    district: str  # "name (code)"
    fingerprint: str
    files: list[SetupWritten] = field(default_factory=list)
    sheet: Path | None = None  # the fingerprint sheet
    sheet_problem: str = ""

    @property
    def written(self) -> list[SetupWritten]:
        return [f for f in self.files if f.path is not None]

    @property
    def refused(self) -> list[SetupWritten]:
        return [f for f in self.files if f.path is None]


def district_ready(store: Store) -> tuple[str, str]:
    """(district "name (code)", fingerprint); DistrictNotSet before its name and code are set."""
    require_district(store)
    settings = district_settings(store)
    if settings is None:
        raise DistrictNotSet()
    from tpsdesk.sync.identity import ensure_district_identity

    identity = district_identity(store) or ensure_district_identity(store)
    label = f"{settings.name} ({settings.code})"
    return label, district_fingerprint(identity.signing_public, identity.encryption_public)


def _area_names(store: Store) -> dict[str, str]:
    return {a.code: a.name for a in district_areas(store)}


def write_setup_files(
    store: Store,
    areas: Sequence[str],
    folder: Path,
    *,
    progress: Progress = _no_progress,
    now: datetime | None = None,
) -> SetupBatch:
    """A setup file (for all laptops) per area into `folder`, then the fingerprint sheet.
    Raises DistrictNotSet (nothing written); a refusal of one area is in its result."""
    district, fp = district_ready(store)
    names = _area_names(store)
    batch = SetupBatch(folder=folder, district=district, fingerprint=fp)
    total = len(areas)
    for index, area in enumerate(areas):
        name = names.get(area, "")
        progress(index, total, area)
        try:
            data = build_setup_file(store, area, now=now)
            header = parse_container(data).header
            path = folder / suggested_file_name(header)
            content = read_setup_file(data)
            write_new_file(path, data)
        except SyncError as refusal:
            batch.files.append(SetupWritten(area, name, None, problem=refusal.message))
            continue
        tps = sum(1 for row in content.rows if isinstance(row, Tps) and not row.deleted)
        left = len(left_out_tps(store, content.file_id))
        batch.files.append(
            SetupWritten(content.area, name, path, content.version, tps=tps, left_out=left)
        )
    progress(total, total, "")
    if batch.written:
        _write_sheet(batch, now or utcnow())
    return batch


def fingerprint_sheet(batch: SetupBatch, when: datetime) -> str:
    """The text printed beside the setup files: the district's fingerprint and the files."""
    lines = [
        _("Setup files of {district}").format(district=batch.district),
        _("Written {date}").format(date=when.strftime("%d-%m-%Y %H:%M UTC")),
        "",
        _("District fingerprint: read it aloud when an operator enrols a laptop:"),
        "",
        "    " + batch.fingerprint,
        "",
        _("Files:"),
    ]
    for item in batch.written:
        assert item.path is not None
        lines.append(f"  {item.path.name}  {item.area} {item.area_name}")
    return "\n".join(lines) + "\n"


def _write_sheet(batch: SetupBatch, when: datetime) -> None:
    text = fingerprint_sheet(batch, when).encode("utf-8")
    stem = _(FINGERPRINT_SHEET)
    for number in range(1, 100):
        path = batch.folder / (f"{stem}.txt" if number == 1 else f"{stem}-{number}.txt")
        if _exists(path):
            continue
        try:
            write_new_file(path, text)
        except WriteRefused as refusal:
            batch.sheet_problem = refusal.message
            return
        batch.sheet = path
        return
    batch.sheet_problem = _("{file} already exists: nothing was written over it.").format(
        file=f"{stem}.txt"
    )


# -- receipts -----------------------------------------------------------------------------------


class Standing(StrEnum):
    NEWS = "news"
    NO_NEWS = "no_news"
    REVOKED = "revoked"
    WAITING = "waiting"  # not approved yet
    NEVER_MERGED = "never_merged"


STANDING_LABELS = {
    Standing.NEWS: N_("has news"),
    Standing.NO_NEWS: N_("no news"),
    Standing.REVOKED: N_("revoked"),
    Standing.WAITING: N_("waiting for approval"),
    Standing.NEVER_MERGED: N_("nothing merged yet"),
}


@dataclass(frozen=True)
class Tells:
    """What a receipt tells its laptop, counted."""

    acknowledged: int = 0
    gaps: int = 0
    accepted: int = 0
    needs_fix: int = 0
    enrolled: int = 0  # with a KPJ number
    corrections: int = 0  # corrections and removals by the district
    refused_rows: int = 0  # refused places (kecamatan, kelurahan, TPS)
    rollback: bool = False
    encrypted: bool = False

    def describe(self) -> str:
        parts = [_("up to {seq} acknowledged").format(seq=self.acknowledged)]
        counts = (
            (self.accepted, ngettext("{n} accepted", "{n} accepted", self.accepted)),
            (self.needs_fix, ngettext("{n} needs fixing", "{n} need fixing", self.needs_fix)),
            (
                self.corrections,
                ngettext(
                    "{n} corrected by the district",
                    "{n} corrected by the district",
                    self.corrections,
                ),
            ),
            (self.enrolled, ngettext("{n} enrolled (KPJ)", "{n} enrolled (KPJ)", self.enrolled)),
            (
                self.refused_rows,
                ngettext("{n} place refused", "{n} places refused", self.refused_rows),
            ),
            (self.gaps, ngettext("{n} gap", "{n} gaps", self.gaps)),
        )
        parts += [text.format(n=n) for n, text in counts if n]
        if self.rollback:
            parts.append(_("its store went back to an older copy"))
        if not self.encrypted:
            parts.append(_("not encrypted: no KPJ numbers or corrected values"))
        return ", ".join(parts)


def tells_of(entries: list[dict[str, Any]], *, encrypted: bool) -> Tells:
    statuses: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    acked = 0
    for entry in entries:
        kind = entry.get("type")
        if kind == "ack":
            acked = int(entry.get("seq", 0))
        elif kind == "officer":
            statuses[str(entry.get("status", ""))] += 1
            if "correction" in entry or "tombstone" in entry or entry.get("changed_by_district"):
                counts["corrections"] += 1
        else:
            counts[str(kind)] += 1
    return Tells(
        acknowledged=acked,
        gaps=counts["gap"],
        accepted=statuses[OfficerStatus.ACCEPTED.value],
        needs_fix=statuses[OfficerStatus.NEEDS_FIX.value],
        enrolled=statuses[OfficerStatus.ENROLLED.value],
        corrections=counts["corrections"],
        refused_rows=counts["refused_row"],
        rollback=bool(counts["rollback"]),
        encrypted=encrypted,
    )


@dataclass(frozen=True)
class LaptopNews:
    """An approved, revoked or waiting laptop and whether a receipt now would be news."""

    device_id: str
    fingerprint: str
    label: str
    area: str
    area_name: str
    standing: Standing
    receipts: int  # receipts written for it so far
    tells: Tells | None  # what a receipt now would tell (approved laptops with a merge)
    file_name: str  # the next receipt's file name ("" when it gets none)

    @property
    def has_news(self) -> bool:
        return self.standing is Standing.NEWS


def _merged_any(store: Store) -> set[str]:
    with store.read() as session:
        query = (
            select(ReceivedBundle.device_id)
            .where(
                col(ReceivedBundle.status).in_(
                    [BundleStatus.MERGED.value, BundleStatus.REFUSED.value]
                )
            )
            .distinct()
        )
        return set(session.exec(query))


def _next_file_name(device: Device, version: int) -> str:
    return suggested_file_name(
        {
            "kind": "receipt",
            "area": device.area_code,
            "recipient": {"id": device.device_id},
            "version": version,
        }
    )


def laptop_news(
    store: Store,
    device: Device,
    merged: set[str] | None = None,
    reasons_of: OpenReasons | None = None,
) -> LaptopNews:
    """Where one laptop stands for a receipt, and what a receipt now would tell it
    (`merged` and `reasons_of` are read once by `laptops_news` for every laptop)."""
    if merged is None:
        require_district(store)
        merged = _merged_any(store)
    with store.read() as session:
        versions = dict(get_meta(session, META_RECEIPT_VERSIONS, {}) or {})
        told = dict(get_meta(session, META_RECEIPT_TOLD, {}) or {})
        area_name = ""
        if device.area_code:
            for model in (Kelurahan, Kecamatan):
                query = select(model.name).where(model.code == device.area_code)
                found = session.exec(query.where(col(model.deleted).is_(False))).first()
                if found is not None:
                    area_name = found
                    break
    receipts = int(versions.get(device.device_id, 0))

    def made(standing: Standing, tells: Tells | None = None, file_name: str = "") -> LaptopNews:
        return LaptopNews(
            device.device_id,
            device.fingerprint,
            device.label,
            device.area_code,
            area_name,
            standing,
            receipts,
            tells,
            file_name,
        )

    if device.status == DeviceStatus.REVOKED.value:
        return made(Standing.REVOKED)
    if device.status != DeviceStatus.APPROVED.value:
        return made(Standing.WAITING)
    if device.device_id not in merged:
        return made(Standing.NEVER_MERGED)
    encrypted = receipt_key_of(device) is not None
    with store.read() as session:
        # As district.acknowledged_seq and district.gaps, in this one read.
        seen = seen_ranges_in(session, device.device_id)
        acked = seen[0][1] if seen and seen[0][0] == 1 else 0
        entries = receipt_entries(
            session, device, acked, missing_ranges(seen), encrypted=encrypted, reasons_of=reasons_of
        )
    digest = entries_digest(entries, encrypted=encrypted)
    standing = Standing.NO_NEWS if told.get(device.device_id) == digest else Standing.NEWS
    return made(
        standing, tells_of(entries, encrypted=encrypted), _next_file_name(device, receipts + 1)
    )


def laptops_news(store: Store, *, progress: Progress = _no_progress) -> list[LaptopNews]:
    """Every laptop the district knows, those with news first (about 25 ms a laptop with a
    dozen officers: `progress` is told after each)."""
    require_district(store)
    merged = _merged_any(store)
    devices = list_devices(store)
    with store.read() as session:
        reasons_of = open_reasons(session)
    found = []
    for index, device in enumerate(devices):
        found.append(laptop_news(store, device, merged, reasons_of))
        progress(index + 1, len(devices), device.area_code)
    order = list(Standing)
    return sorted(found, key=lambda n: (order.index(n.standing), n.area, n.device_id))


@dataclass(frozen=True)
class ReceiptWritten:
    device_id: str
    fingerprint: str
    area: str
    area_name: str
    path: Path | None  # None: not written
    version: int = 0
    tells: Tells | None = None
    problem: str = ""  # translated, when not written


def _forget_told(store: Store, device_id: str) -> None:
    """The receipt was built but not written: the laptop still has that news."""
    with store.transaction() as session:
        told = dict(get_meta(session, META_RECEIPT_TOLD, {}) or {})
        told.pop(device_id, None)
        set_meta(session, META_RECEIPT_TOLD, told)


def write_receipt(store: Store, device_id: str, folder: Path) -> ReceiptWritten:
    """The next receipt of one laptop into `folder` (a name that exists is refused before a
    receipt number is used); the refusal is in the result, never raised. The laptop's
    standing is read again here: one revoked since the list was drawn gets nothing."""
    device = get_device(store, device_id)
    if device is None:
        return ReceiptWritten(
            device_id, "", "", "", None, problem=_("This laptop is not known here.")
        )
    news = laptop_news(store, device)

    def refused(text: str) -> ReceiptWritten:
        return ReceiptWritten(
            news.device_id, news.fingerprint, news.area, news.area_name, None, problem=text
        )

    if news.standing in (Standing.REVOKED, Standing.WAITING, Standing.NEVER_MERGED):
        return refused(_(STANDING_LABELS[news.standing]))
    if news.file_name and _exists(folder / news.file_name):
        return refused(
            _("{file} already exists: nothing was written over it.").format(file=news.file_name)
        )
    try:
        header, data = build_receipt(store, news.device_id)
    except SyncError as refusal:
        return refused(refusal.message)
    path = folder / suggested_file_name(header)
    try:
        write_new_file(path, data)
    except WriteRefused as refusal:
        _forget_told(store, news.device_id)
        return refused(refusal.message)
    encrypted = header["payload"]["encryption"] != "none"
    tells = news.tells if news.tells is not None else Tells(encrypted=encrypted)
    return ReceiptWritten(
        news.device_id,
        news.fingerprint,
        news.area,
        news.area_name,
        path,
        version=int(header["version"]),
        tells=tells,
    )


@dataclass
class ReceiptBatch:
    folder: Path
    results: list[ReceiptWritten] = field(default_factory=list)
    skipped: list[LaptopNews] = field(default_factory=list)  # no news, revoked, …

    @property
    def written(self) -> list[ReceiptWritten]:
        return [r for r in self.results if r.path is not None]

    @property
    def refused(self) -> list[ReceiptWritten]:
        return [r for r in self.results if r.path is None]


def write_receipts(
    store: Store,
    folder: Path,
    *,
    progress: Progress = _no_progress,
    only: Sequence[str] | None = None,
) -> ReceiptBatch:
    """A receipt for every laptop with news (or for the laptops `only` names, news or not,
    if they are approved and merged) into `folder`; the others are listed as skipped."""
    require_district(store)
    batch = ReceiptBatch(folder=folder)
    everyone = laptops_news(store)
    if only is not None:
        wanted = set(only)
        chosen = [n for n in everyone if n.device_id in wanted]
        batch.skipped = [
            n
            for n in chosen
            if n.standing in (Standing.REVOKED, Standing.WAITING, Standing.NEVER_MERGED)
        ]
        chosen = [n for n in chosen if n not in batch.skipped]
    else:
        chosen = [n for n in everyone if n.has_news]
        batch.skipped = [n for n in everyone if not n.has_news]
    for index, news in enumerate(chosen):
        progress(index, len(chosen), news.file_name)
        batch.results.append(write_receipt(store, news.device_id, folder))
    progress(len(chosen), len(chosen), "")
    return batch
