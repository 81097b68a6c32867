"""Roll-up files: what a district accepted, sent to its province (docs/sync-design.md, "The
province roll-up").

District: `export_rollup` writes every row the district shows in its kab/kota — kecamatan,
kelurahan, TPS and officers, tombstones included — each at the version it shows, with that
version's history, into signed roll-up files (the bundle container, kind "rollup", the
district key as sender, HPKE to the pinned province key). A roll-up is WHOLE by default (the
province's merge makes the rows it already has "unchanged"); `changed=True` sends only what
the district learnt since the last roll-up written. Big districts are split into parts of at
most `PART_ROWS` rows, parents first, read from the store as a stream (one part in memory at
a time).

Province: `receive_rollup` reads a file in the order of a laptop's bundle at the district
(`bundle.receive_bundle`): strict header → the sender is not known under another key nor
revoked → signature → addressed to this province → a district not yet approved waits in
quarantine → decrypt → rows. The kecamatan and kelurahan rows (the district's own reference
data, which a district never takes from a laptop) are applied here, only inside the kab/kota
the province issued to the district; then every row goes through the district's merge
(`merge.merge_bundle`) with the district's issued kab/kota as its area: the same checks,
ownership rules, lineage and findings, so it is idempotent and order-independent. A version
is device:counter, globally unique: a laptop's version arriving through its district is the
version the district holds. Officers the district enrolled keep their KPJ number
(`carry_enrolment`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from tpsdesk import durable
from tpsdesk.i18n import N_, _, os_error_text
from tpsdesk.store.db import Store
from tpsdesk.store.models import Kecamatan, Kelurahan, Officer, OfficerStatus, SyncFields
from tpsdesk.store.versioning import audit, get_meta, set_meta, state_of
from tpsdesk.sync.bundle import ReceiveFailure, ReceiveOutcome, Unwritable
from tpsdesk.sync.changes import MODELS, TABLE_ORDER, row_to_wire
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
    DeviceKeyMismatch,
    known_sender,
    quarantine,
    quarantined_data,
    refuse_waiting,
    require_district,
    waiting_files,
)
from tpsdesk.sync.district_models import BundleStatus, DeviceStatus, RowVersion
from tpsdesk.sync.district_rows import chunks
from tpsdesk.sync.errors import (
    BadSignature,
    DecryptionFailed,
    Malformed,
    ManifestMismatch,
    PayloadTooLarge,
    SyncError,
    TooLarge,
    WrongRecipient,
)
from tpsdesk.sync.identity import (
    district_encryption_key,
    district_fingerprint,
    district_settings,
    district_signing_key,
    ensure_district_identity,
)
from tpsdesk.sync.lineage import canonical
from tpsdesk.sync.merge import IncomingBundle, MergeReport, merge_bundle
from tpsdesk.sync.payload import check_recipient, decrypt_bundle, seal_bundle, unpack_bundle
from tpsdesk.sync.province import ProvinceRefused, pinned_province, require_province
from tpsdesk.sync.row_checks import _MAX_HISTORY, ParsedRow, check_bundle_rows, within

# Rows in one roll-up file: well inside the container's bounds (MAX_ROWS, BUNDLE_BOUNDS).
PART_ROWS = 20_000
META_ROLLUP_SEQ = "rollup.seq"  # district: the last roll-up sequence number written
META_ROLLUP_MARK = "rollup.mark"  # district: the newest RowVersion id when it was written
AREA_TABLES = ("kecamatan", "kelurahan")
_READ_CHUNK = 1_000


# -- the district writes ------------------------------------------------------------------------


def sender_id(district_code: str, signing_public: bytes) -> str:
    """The id a district sends its roll-up files under: its kab/kota code and the start of its
    key's fingerprint. Stable when the store file is copied (a copy gets a new device id), and
    not one another district can take first: whoever sends under a known id with another key
    is refused (`DeviceKeyMismatch`)."""
    from tpsdesk.sync.fingerprint import fingerprint_digits

    return f"district-{district_code}-{fingerprint_digits(signing_public)[:10]}"


@dataclass(frozen=True)
class RollupExport:
    paths: tuple[Path, ...]
    seq_from: int
    seq_to: int
    rows: int
    counts: dict[str, int]
    whole: bool = True


def _history(value: str | None, device: str) -> dict[str, int]:
    """A shown version's history as the wire takes it: at most the `_MAX_HISTORY` devices a
    row may name (its own device kept first; a history cut short only makes the province see
    more versions as concurrent, never refuses the file)."""
    try:
        loaded = json.loads(value or "{}")
    except ValueError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    history = {str(k): int(v) for k, v in loaded.items()}
    if len(history) <= _MAX_HISTORY:
        return history
    kept = sorted(history, key=lambda d: (d != device, d))[:_MAX_HISTORY]
    return {d: history[d] for d in kept}


def shown_rows(
    session: Session, area: str, *, after: int | None = None
) -> Iterator[dict[str, Any]]:
    """Every row the district shows in `area` on the wire, parents first, each at its shown
    version with that version's history (from the district's RowVersion), read in chunks.

    `after` (a RowVersion id): only the rows whose shown version the district learnt after it,
    and those whose shown version is not in RowVersion (the district's own rows and edits
    that no merge has recorded yet: sent every time)."""
    for table in TABLE_ORDER:
        model: type[SyncFields] = MODELS[table]
        query = (
            select(model, RowVersion.history)
            .outerjoin(
                RowVersion,
                and_(
                    col(RowVersion.row_id) == col(model.id),
                    col(RowVersion.device) == col(model.version_device),
                    col(RowVersion.counter) == col(model.version_counter),
                ),
            )
            .where(col(model.version_device) != "")
            .where(
                true()
                if after is None
                else or_(col(RowVersion.id).is_(None), col(RowVersion.id) > after)
            )
            .order_by(col(model.id))
            .execution_options(yield_per=_READ_CHUNK)
        )
        for row, history in session.exec(query):
            if not within(_place(row), area):
                continue
            yield row_to_wire(row, 0, _history(history, row.version_device))


def _place(row: SyncFields) -> str:
    for name in ("kelurahan_code", "kecamatan_code", "code"):
        value = getattr(row, name, None)
        if isinstance(value, str) and value:
            return value
    return ""


def _utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def export_rollup(
    store: Store, out_dir: Path, *, changed: bool = False, part_rows: int = PART_ROWS
) -> RollupExport:
    """Write this district's roll-up into `out_dir` (one file per part, parents first).

    Whole by default: every row shown, its first part covering sequence numbers 1..n (it
    replaces every earlier roll-up, so the province sees no gap). `changed`: only the rows
    whose shown version the district learnt since the last roll-up written (and its own rows
    and edits not yet recorded as versions), numbered after the last one, so the province
    names a lost file as missing (a gap); a row shown again at a version the district had
    before (a clerk's decision) waits for the next whole roll-up."""
    if store.role != "district":
        raise ProvinceRefused(
            _("Roll-up files are written by a district store; this store is not one.")
        )
    province = pinned_province(store)
    settings = district_settings(store)
    if province is None or settings is None:
        raise ProvinceRefused(
            _(
                "This district has no province setup file yet. Ask the province office for "
                "one and run: tpsdesk rollup join FILE --fingerprint FINGERPRINT."
            )
        )
    if settings.code != province.area:
        raise ProvinceRefused(
            _(
                "This district store is {code} now, but the province issued its setup file "
                "for {area}. Ask the province for the file of {code}."
            ).format(code=settings.code, area=province.area)
        )
    require_district(store)  # makes the district tables of a store that never merged
    identity = ensure_district_identity(store)
    key = district_signing_key(store)
    with store.read() as session:
        first = int(get_meta(session, META_ROLLUP_SEQ, 0) or 0) + 1
        mark = int(get_meta(session, META_ROLLUP_MARK, 0) or 0)
        # Versions learnt from here on go with the next roll-up that sends changes.
        newest = session.exec(select(func.max(RowVersion.id))).one() or 0
    paths: list[Path] = []
    counts: dict[str, int] = {}
    seq = first - 1
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise Unwritable(out_dir, os_error_text(error)) from None
    with store.read() as session:
        stream = shown_rows(session, province.area, after=mark if changed else None)
        while True:
            part = list(islice(stream, part_rows))
            if not part and paths:
                break
            seq += 1
            part_counts: dict[str, int] = {}
            for row in part:
                part_counts[row["table"]] = part_counts.get(row["table"], 0) + 1
                counts[row["table"]] = counts.get(row["table"], 0) + 1
            header: dict[str, Any] = {
                "kind": Kind.ROLLUP.value,
                "format": 1,
                "file_id": str(uuid.uuid4()),
                "created_at": _utc_now(),
                "sender": {
                    "id": sender_id(settings.code, identity.signing_public),
                    "role": "district",
                    "signing_key": encode_key(identity.signing_public),
                    # Signed with the header: the province approves the district by the
                    # fingerprint of both keys (the one `tpsdesk identity` prints).
                    "encryption_key": encode_key(identity.encryption_public),
                },
                "recipient": {
                    "id": province.device_id,
                    "fingerprint": _encryption_fingerprint(province.encryption_public),
                },
                "district": {"code": settings.code, "name": settings.name},
                "area": province.area,
                "setup": province.setup_id,
                # A whole roll-up's first part covers every earlier one: it holds them all.
                "seq_from": 1 if seq == first and not changed else seq,
                "seq_to": seq,
                "counts": part_counts,
            }
            data = seal_bundle(header, None, part, key, province.encryption_public)
            path = out_dir / suggested_file_name(parse_container(data).header)
            try:
                durable.write_atomic(path, data)
            except OSError as error:
                raise Unwritable(path, os_error_text(error)) from None
            paths.append(path)
            if len(part) < part_rows:
                break
    with store.transaction() as session:
        set_meta(session, META_ROLLUP_SEQ, seq)
        set_meta(session, META_ROLLUP_MARK, int(newest))
        audit(session, state_of(session), "rollup_export", table_name="store_meta",
              note=f"{first}-{seq}{' changed' if changed else ''}")  # fmt: skip
    return RollupExport(tuple(paths), first, seq, sum(counts.values()), counts, not changed)


def _encryption_fingerprint(raw: bytes) -> str:
    from tpsdesk.sync.hpke import x25519_fingerprint

    return x25519_fingerprint(raw)


# -- the province reads -------------------------------------------------------------------------


def sender_fingerprint(container: Container) -> str:
    """The district fingerprint of a roll-up's sender (both keys its header names): what the
    district reads from `tpsdesk identity` and the province approves it by."""
    encryption = container.sender_encryption_key
    assert encryption is not None  # validate_header: a roll-up's sender names it
    return district_fingerprint(container.sender_key, encryption)


def _authenticate(store: Store, container: Container) -> Any:
    # The district as the province holds it: its signing AND encryption key must be the
    # ones it was first seen (and approved) with, never what a later file claims.
    device = known_sender(
        store,
        container.sender_id,
        container.sender_key,
        encryption_key=container.sender_encryption_key,
    )
    verify_container(container, container.sender_key)
    check_recipient(container, district_encryption_key(store))
    return device


def _parse(data: bytes) -> Container:
    container = parse_container(data)
    if container.kind is Kind.BUNDLE:
        raise ProvinceRefused(
            _(
                "This is a laptop's bundle: it goes to its district office, which merges it "
                "and sends the province its roll-up. A province merges only roll-up files; "
                "nothing was merged."
            )
        )
    if container.kind is not Kind.ROLLUP:
        raise Malformed(
            N_("the file is a {kind}, not a {expected}"),
            kind=kind_label(container.kind),
            expected=kind_label(Kind.ROLLUP),
        )
    return container


def apply_area_rows(store: Store, rows: Sequence[ParsedRow], *, area: str) -> int:
    """See `_apply_area_rows`; when the rows cannot all be taken together (a kelurahan whose
    kecamatan the province holds under another id, a code taken), none is: the merge then
    refuses the file as referring to places the province does not have (MissingReference)."""
    try:
        return _apply_area_rows(store, rows, area=area)
    except IntegrityError:
        return 0


def _apply_area_rows(store: Store, rows: Sequence[ParsedRow], *, area: str) -> int:
    """Apply a roll-up's kecamatan and kelurahan rows (as `check_bundle_rows` accepted them
    for `area`, the kab/kota the province issued to the district) in one transaction;
    returns how many changed.

    A row is taken when the province has none with its id and none with its code, or when
    the one it has lies in `area` and the incoming version knows it (same device, later
    counter, or named in its history). Rows outside `area` are left to the merge, which
    refuses them in its report."""
    changed = 0
    with store.transaction() as session:
        for parsed in rows:
            if parsed.table not in AREA_TABLES:
                continue
            code = str(parsed.typed["code"])
            if not within(code, area):
                continue
            model = MODELS[parsed.table]
            held = session.get(model, parsed.row_id)
            if held is None:
                code_column = Kecamatan.code if parsed.table == "kecamatan" else Kelurahan.code
                same_code = session.exec(select(model).where(col(code_column) == code)).first()
                if same_code is not None:
                    continue  # the province holds this code under another id: keep it
                session.add(model(**parsed.typed))
                changed += 1
                continue
            if not within(str(getattr(held, "code", "")), area):
                continue  # another district's row: never touched
            mine = (held.version_device, held.version_counter)
            knows = (parsed.device == mine[0] and parsed.counter > mine[1]) or (
                parsed.history.get(mine[0], 0) >= mine[1]
                and (parsed.device, parsed.counter) != mine
            )
            if not knows:
                continue
            for name, value in parsed.typed.items():
                if name != "id" and getattr(held, name) != value:
                    setattr(held, name, value)
            session.add(held)
            changed += 1
        if changed:
            audit(session, state_of(session), "rollup_areas", table_name="kelurahan",
                  note=str(changed))  # fmt: skip
    return changed


def receive_rollup(
    store: Store, data: bytes, *, file: str, today: date | None = None
) -> ReceiveOutcome:
    """Quarantine, refuse or merge one roll-up file at the province (see the module doc)."""
    require_province(store)
    require_district(store)
    today = today or date.today()
    try:
        container = _parse(data)
        device = _authenticate(store, container)
        shown = sender_fingerprint(container)
        header = container.header
        if device is None or device.status == DeviceStatus.PENDING.value:
            kept = quarantine(
                store,
                file_id=container.file_id,
                device_id=container.sender_id,
                seq_from=header["seq_from"],
                seq_to=header["seq_to"],
                area=header["area"],
                data=data,
                signing_key=container.sender_key,
                encryption_key=container.sender_encryption_key,
                setup_id=header.get("setup"),
            )
            status = "quarantined" if kept else "already_quarantined"
            return ReceiveOutcome(file, status, container.sender_id, shown)
        replay = _handled(store, container.file_id)  # the merge gives its stored report
        rows: list[dict[str, Any]] = []
        if not replay:
            plaintext = decrypt_bundle(container, district_encryption_key(store))
            rows = unpack_bundle(container, plaintext)[1]
        bundle = IncomingBundle(
            file_id=container.file_id,
            sender_id=container.sender_id,
            sender_key=container.sender_key,
            area=header["area"],
            seq_from=header["seq_from"],
            seq_to=header["seq_to"],
            rows=rows,
        )
        checked = None
        if not replay:
            # Checked once, here and for the merge. Area rows are applied only for a file the
            # merge will take (not refused whole).
            checked = check_bundle_rows(
                header["area"], rows, area=device.area_code, catalogue=store.catalogue,
                today=today,
            )  # fmt: skip
            if not checked.reason:
                apply_area_rows(store, checked.parsed, area=device.area_code)
        report = merge_bundle(store, bundle, today=today, checked=checked)
        if checked is not None and report.merged and not report.replay:
            carry_enrolment(store, checked.parsed, area=device.area_code)
    except SyncError as error:
        raise error.with_file(file) from None
    return ReceiveOutcome(file, report.status, container.sender_id, shown, report)


def carry_enrolment(store: Store, rows: Sequence[ParsedRow], *, area: str) -> int:
    """Officers the district already enrolled with BPJS (a KPJ number): the number, and the
    status "enrolled", are set on the province's officer when it has none and shows the same
    version inside `area`, so the province's BPJS sheet never enrols them twice. The merge
    itself never takes these district-owned columns (`lineage.DISTRICT_OWNED`). Returns how
    many officers were updated."""
    numbers = {
        p.row_id: (p.version, str(p.typed["bpjs_number"]))
        for p in rows
        if p.table == "officer" and p.typed.get("bpjs_number")
    }
    if not numbers:
        return 0
    changed = 0
    with store.transaction() as session:
        for chunk in chunks(numbers):
            for officer in session.exec(select(Officer).where(col(Officer.id).in_(chunk))):
                version, number = numbers[officer.id]
                place = officer.kelurahan_code or officer.kecamatan_code
                if (
                    officer.bpjs_number
                    or (officer.version_device, officer.version_counter) != version
                    or not within(place, area)
                ):
                    continue
                officer.bpjs_number = number
                officer.status = OfficerStatus.ENROLLED.value
                session.add(officer)
                changed += 1
        if changed:
            audit(session, state_of(session), "rollup_enrolment", table_name="officer",
                  note=str(changed))  # fmt: skip
    return changed


def _handled(store: Store, file_id: str) -> bool:
    """Whether the file was merged or refused before (its replay changes nothing)."""
    from tpsdesk.sync.district_models import ReceivedBundle

    with store.read() as session:
        prior = session.get(ReceivedBundle, file_id)
        return prior is not None and prior.status != BundleStatus.QUARANTINED.value


def receive_rollups(
    store: Store,
    files: Sequence[tuple[str, Callable[[], bytes]]],
    *,
    refusals: tuple[type[Exception], ...] = (),
    today: date | None = None,
) -> list[ReceiveOutcome | ReceiveFailure]:
    """`receive_rollup` for each (name, read) in order, each its own transaction; a refused
    file (a SyncError, or one of `refusals` raised by `read`: it must have a `message`)
    becomes a ReceiveFailure saying why, and the next one is taken."""
    caught: tuple[type[Exception], ...] = (SyncError, *refusals)
    results: list[ReceiveOutcome | ReceiveFailure] = []
    for name, read in files:
        try:
            results.append(receive_rollup(store, read(), file=name, today=today))
        except caught as error:
            code = error.code if isinstance(error, SyncError) else ""
            results.append(ReceiveFailure(name, str(getattr(error, "message", error)), code))
    return results


_FILE_REFUSALS = (
    Malformed,
    PayloadTooLarge,
    ManifestMismatch,
    DecryptionFailed,
    BadSignature,
    WrongRecipient,
    TooLarge,
    DeviceKeyMismatch,
)


def merge_waiting(
    store: Store,
    device_id: str,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    today: date | None = None,
) -> list[ReceiveOutcome | ReceiveFailure]:
    """After a district is approved: merge its roll-up files that waited in quarantine, in
    sequence order; a file that can never be merged is recorded as refused and dropped.
    `progress(done, total, name)` is called before each file."""
    outcomes: list[ReceiveOutcome | ReceiveFailure] = []
    file_ids = waiting_files(store, device_id)
    for index, file_id in enumerate(file_ids):
        name = _("waiting roll-up file {id}").format(id=file_id[:8])
        if progress is not None:
            progress(index, len(file_ids), name)
        data = quarantined_data(store, file_id)
        if data is None:
            continue
        try:
            outcomes.append(receive_rollup(store, data, file=name, today=today))
        except SyncError as error:
            if isinstance(error, _FILE_REFUSALS):
                report = MergeReport(file_id, device_id, 0, 0, BundleStatus.REFUSED.value,
                                     error.code)  # fmt: skip
                refuse_waiting(store, file_id, reason=error.code,
                               report=canonical(report.to_json()))  # fmt: skip
            outcomes.append(ReceiveFailure(name, error.message, error.code))
    return outcomes


# -- the province's coverage, per kab/kota -------------------------------------------------------


@dataclass(frozen=True)
class KabkotaCoverage:
    code: str
    name: str
    needed: int
    filled: int
    waiting: int
    enrolled: int
    last_rollup: datetime | None  # the last roll-up file of that kab/kota merged here


def coverage_by_kabkota(store: Store) -> list[KabkotaCoverage]:
    """A province's coverage summed per kab/kota (`coverage.read_coverage` per kecamatan,
    grouped by the "PP.KK" start of their codes), with the day each kab/kota last rolled up."""
    from sqlalchemy import func

    from tpsdesk.sync.coverage import read_coverage
    from tpsdesk.sync.district_models import ReceivedBundle
    from tpsdesk.sync.province import kabkota_names

    require_province(store)
    coverage = read_coverage(store)
    names = kabkota_names(store)
    with store.read() as session:
        query = (
            select(ReceivedBundle.area, func.max(ReceivedBundle.received_at))
            .where(ReceivedBundle.status == BundleStatus.MERGED.value)
            .group_by(col(ReceivedBundle.area))
        )
        last = {str(area): moment for area, moment in session.exec(query)}
    sums: dict[str, list[int]] = {}
    for row in coverage.kecamatan:
        totals = sums.setdefault(row.code[:5], [0, 0, 0, 0])
        for index, value in enumerate((row.needed, row.filled, row.waiting, row.enrolled)):
            totals[index] += value
    return [
        KabkotaCoverage(
            code, names.get(code, ""), needed, filled, waiting, enrolled, last.get(code)
        )
        for code, (needed, filled, waiting, enrolled) in sorted(sums.items())
    ]
