"""Field side: the district's corrections of this laptop's officers, as values (format 2
receipts).

A correction is the district's version of an officer (a clerk's edit or decision) with the
values of its content columns. `apply_correction` adopts it when this laptop has not changed
the officer since the version the correction was made knowing: the officer takes the
district's version and values, with no new local version (nothing to send back, no
conflict). Otherwise the laptop's values stay, and the correction is kept (StoreMeta, never
synced) as a conflict: `list_corrections` shows both values side by side, `resolve_correction`
takes the district's values or keeps the laptop's. Either answer is a new local version that
names the district's version in its history, so the district sees it as made knowing the
correction and no conflict is left there either.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from tpsdesk.i18n import N_, _
from tpsdesk.store.db import Store, StoreError
from tpsdesk.store.models import OFFICER_FIELD_COLUMNS, Action, Kecamatan, Kelurahan, Officer, Tps
from tpsdesk.store.versioning import get_meta, set_meta, stamp, state_of

# StoreMeta: {officer id: {"version": {...}, "values": {...}, "fields": [...]}} — corrections
# that met a local change; holds personal data, so it lives only in the encrypted store.
META_CORRECTIONS = "receipt.corrections"
# StoreMeta: {row id: {device id: counter}} — versions of other stores (the district's) this
# laptop's current version of a row was made knowing; added to the row's history on the wire.
META_KNOWN_VERSIONS = "sync.known_versions"

# The officer columns a correction sets (the content, placement included).
CORRECTABLE: tuple[str, ...] = (
    *OFFICER_FIELD_COLUMNS,
    "tps_id",
    "kelurahan_code",
    "kecamatan_code",
)
_DATES = frozenset({"birth_date", "duty_start", "duty_end"})
_REQUIRED = frozenset({"nik", "name", "birth_date", "sex", "post_code", "kecamatan_code"})
_MAX_TEXT = 200
_ISO_DATE = re.compile(r"(?a)\d{4}-\d{2}-\d{2}")
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


class CorrectionError(StoreError):
    """A correction that cannot be resolved as asked (translated message)."""


@dataclass(frozen=True)
class FieldConflict:
    field: str
    mine: Any
    district: Any


@dataclass(frozen=True)
class Correction:
    officer_id: str
    version: tuple[str, int]
    fields: tuple[FieldConflict, ...]  # only the columns where the two differ


def typed_correction(values: Any) -> dict[str, Any] | None:
    """The correction's values as the officer's Python values; None if any is unusable (a
    signed receipt from the pinned district, but checked all the same: it goes into the
    store)."""
    if not isinstance(values, dict) or set(values) != set(CORRECTABLE):
        return None
    out: dict[str, Any] = {}
    for name in CORRECTABLE:
        value = values[name]
        if value is None:
            if name in _REQUIRED:
                return None
            out[name] = None
            continue
        if not isinstance(value, str) or len(value) > _MAX_TEXT:
            return None
        if any(unicodedata.category(ch) in _BAD_CATEGORIES for ch in value):
            return None
        if name in _DATES:
            if not _ISO_DATE.fullmatch(value):
                return None
            try:
                out[name] = date.fromisoformat(value)
            except ValueError:
                return None
        else:
            out[name] = value
    return out


def _version(value: Any) -> tuple[tuple[str, int], tuple[str, int] | None] | None:
    """(version, base) of a correction's "version" object, or None if malformed."""
    if not isinstance(value, dict):
        return None
    device, counter = value.get("version_device"), value.get("version_counter")
    base_device, base_counter = value.get("base_device"), value.get("base_counter")
    if not isinstance(device, str) or not device or type(counter) is not int or counter < 1:
        return None
    if base_device is None and base_counter is None:
        return (device, counter), None
    if not isinstance(base_device, str) or type(base_counter) is not int:
        return None
    return (device, counter), (base_device, base_counter)


def _knows(value: Any) -> dict[str, int] | None:
    if not isinstance(value, dict):
        return None
    out: dict[str, int] = {}
    for device, counter in value.items():
        if type(counter) is not int:
            return None
        out[str(device)] = counter
    return out


def _place_exists(session: Session, values: dict[str, Any]) -> bool:
    """Whether the correction's TPS/kelurahan/kecamatan is live on this laptop (a place it
    does not hold would break the store's references). Remembered for the session: a
    receipt names the same few places again and again."""
    key = (values["tps_id"], values["kelurahan_code"], values["kecamatan_code"])
    known: dict[tuple[Any, ...], bool] = session.info.setdefault("tpsdesk.places_live", {})
    if key not in known:
        known[key] = _places_live(session, values)
    return known[key]


def _places_live(session: Session, values: dict[str, Any]) -> bool:
    if values["tps_id"] is not None:
        tps = session.get(Tps, values["tps_id"])
        if tps is None or tps.deleted:
            return False
    if values["kelurahan_code"] is not None:
        query = select(Kelurahan).where(Kelurahan.code == values["kelurahan_code"])
        kelurahan = session.exec(query).first()
        if kelurahan is None or kelurahan.deleted:
            return False
    query_kec = select(Kecamatan).where(Kecamatan.code == values["kecamatan_code"])
    kecamatan = session.exec(query_kec).first()
    return kecamatan is not None and not kecamatan.deleted


def _wire(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _differing(officer: Officer, values: dict[str, Any]) -> list[str]:
    return [name for name in CORRECTABLE if getattr(officer, name) != values[name]]


def apply_correction(session: Session, officer: Officer, correction: Any) -> str | None:
    """Adopt or keep one correction of a receipt entry, inside the import's transaction.

    Returns "applied" (the district's version and values taken), "same" (this laptop already
    shows that version, or the same values), "conflict" (kept for the person to decide), or
    None when the correction is malformed."""
    if not isinstance(correction, dict):
        return None
    version = _version(correction.get("version"))
    knows = _knows(correction.get("knows"))
    values = typed_correction(correction.get("values"))
    if version is None or knows is None or values is None:
        return None
    (device, counter), base = version
    current = (officer.version_device, officer.version_counter)
    if current == (device, counter) or officer.deleted:
        _forget(session, officer.id)
        return "same"
    # Made knowing this laptop's current version: nothing here since, so take it as it is.
    if knows.get(current[0], 0) >= current[1] and _place_exists(session, values):
        for name, value in values.items():
            setattr(officer, name, value)
        officer.version_device, officer.version_counter = device, counter
        officer.base_device, officer.base_counter = base if base is not None else (None, None)
        session.add(officer)
        _forget(session, officer.id)
        return "applied"
    if not _differing(officer, values):
        _remember_known(session, officer.id, device, counter)
        _forget(session, officer.id)
        return "same"
    stored = dict(get_meta(session, META_CORRECTIONS, {}) or {})
    stored[officer.id] = {
        "version": {"version_device": device, "version_counter": counter},
        "values": {name: _wire(value) for name, value in values.items()},
    }
    set_meta(session, META_CORRECTIONS, stored)
    return "conflict"


def _forget(session: Session, officer_id: str) -> None:
    stored = dict(get_meta(session, META_CORRECTIONS, {}) or {})
    if stored.pop(officer_id, None) is not None:
        set_meta(session, META_CORRECTIONS, stored)


def _remember_known(session: Session, row_id: str, device: str, counter: int) -> None:
    known = dict(get_meta(session, META_KNOWN_VERSIONS, {}) or {})
    row = dict(known.get(row_id) or {})
    row[device] = max(int(row.get(device, 0)), counter)
    known[row_id] = row
    set_meta(session, META_KNOWN_VERSIONS, known)


def known_versions(session: Session) -> dict[str, dict[str, int]]:
    """row id → {device: counter} of other stores' versions this laptop's rows know."""
    value = get_meta(session, META_KNOWN_VERSIONS, {})
    if not isinstance(value, dict):
        return {}
    return {
        str(row): {str(d): int(c) for d, c in devices.items() if type(c) is int}
        for row, devices in value.items()
        if isinstance(devices, dict)
    }


def _read(session: Session, officer_id: str, entry: Any) -> Correction | None:
    officer = session.get(Officer, officer_id)
    if officer is None or officer.deleted or not isinstance(entry, dict):
        return None
    version = _version(entry.get("version"))
    values = typed_correction(entry.get("values"))
    if version is None or values is None:
        return None
    fields = tuple(
        FieldConflict(name, getattr(officer, name), values[name])
        for name in _differing(officer, values)
    )
    return Correction(officer_id, version[0], fields)


def list_corrections(store: Store) -> list[Correction]:
    """The district's corrections that met a change made here, with both values (those
    whose values meanwhile agree, or whose officer was removed, are left out)."""
    with store.read() as session:
        stored = get_meta(session, META_CORRECTIONS, {}) or {}
        found = [_read(session, officer_id, entry) for officer_id, entry in stored.items()]
    return sorted((c for c in found if c is not None and c.fields), key=lambda c: c.officer_id)


def correction_for(store: Store, officer_id: str) -> Correction | None:
    """The pending correction of one officer (the officer form shows it), if any."""
    with store.read() as session:
        stored = get_meta(session, META_CORRECTIONS, {}) or {}
        found = _read(session, officer_id, stored.get(officer_id))
    return found if found is not None and found.fields else None


def resolve_correction(store: Store, officer_id: str, *, take: bool) -> Correction:
    """Take the district's values (`take`) or keep this laptop's, for one pending correction.

    Either way the officer gets a new local version naming the district's version in its
    history, which the next bundle carries; the correction is forgotten."""
    correction = correction_for(store, officer_id)
    if correction is None:
        raise CorrectionError(
            _("No correction from the district is waiting for officer {id}.").format(id=officer_id)
        )
    with store.transaction() as session:
        officer = session.get(Officer, officer_id)
        assert officer is not None  # correction_for found it live
        changed: list[str] = []
        if take:
            for item in correction.fields:
                setattr(officer, item.field, item.district)
                changed.append(item.field)
        stamp(session, state_of(session), officer, Action.UPDATE, changed=changed)
        _remember_known(session, officer_id, *correction.version)
        _forget(session, officer_id)
    return correction


def forget_known(session: Session, row_ids: set[str]) -> None:
    """Drop known versions of rows (not needed once the district acknowledged them)."""
    known = dict(get_meta(session, META_KNOWN_VERSIONS, {}) or {})
    if any(known.pop(row_id, None) is not None for row_id in list(row_ids)):
        set_meta(session, META_KNOWN_VERSIONS, known)


CONFLICT_REASON = N_(
    "The district corrected this record, but it was changed here too: compare both values "
    "with: tpsdesk receipt corrections."
)
