"""District → field setup files: build (district), read and verify, enroll (field).

A setup file is a signed, unencrypted container (no personal data) of kind "setup". Its payload
lines after the manifest are, in this order:

1. `{"table": "district", "seq": 1, "values": {"code", "name", "device_id", "signing_key",
   "encryption_key"}}` — the district's public keys (base64 of the raw 32 bytes); the signing
   key must be the header's sender key, the X25519 key must not be a low-order point;
2. `{"table": "catalogue", "seq": 2, "values": PostCatalogue.to_dict()}` — the posts, with
   their duty periods;
3. the area: `{"table": "kecamatan" | "kelurahan" | "tps", "seq": n, "values": {...}}` with
   every column, sync metadata included, so the laptop keeps the district's row ids and
   versions. Tombstones are included, so a TPS the district removed goes away on the laptop;
4. only when the district has saved pay settings, last: `{"table": "pay", "seq": n, "values":
   PaySettings.to_dict()}` — the honoraria and rates a laptop takes as its election settings'
   proposal while it has never saved its own (store.election).

The header's `version` is a counter of the district store (every setup file it writes gets the
next number); `expires_at` is a warning date, not a refusal; `recipient` is
`{"id": "all", "fingerprint": <district fingerprint>}` or, for one laptop,
`{"id": <laptop fingerprint>, "fingerprint": <laptop fingerprint>}`.

A laptop trusts the first setup file it enrolls with once a person confirms the district
fingerprint (read over the phone); after that only files signed by the pinned key, newer than
the installed one, for all laptops or this one, and for the same area are applied.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, cast

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from tpsdesk.domain.area import (
    TPS_MAX,
    AreaCodeError,
    normalize_kecamatan_code,
    normalize_kelurahan_code,
)
from tpsdesk.domain.pay import PaySettings
from tpsdesk.domain.posts import PostCatalogue
from tpsdesk.i18n import N_, _
from tpsdesk.store.area_scope import SETUP_INSTALLED_META
from tpsdesk.store.areas import find_tps_row, live_kecamatan, live_kelurahan, remember
from tpsdesk.store.db import CATALOGUE_SETTING, Store
from tpsdesk.store.election import propose_district_pay
from tpsdesk.store.models import Kecamatan, Kelurahan, Officer, SyncFields, Tps, utcnow
from tpsdesk.store.pay_settings import PAY_SETTING, load_pay_settings
from tpsdesk.store.versioning import audit, get_meta, set_meta, state_of
from tpsdesk.sync.container import (
    ENCODING_JSONL_ZLIB,
    ENCRYPTION_NONE,
    FORMAT_VERSION,
    MAX_DECOMPRESSED,
    RECIPIENT_ALL,
    Kind,
    build_container,
    encode_key,
    kind_label,
    parse_container,
    verify_container,
)
from tpsdesk.sync.errors import BadSignature, Malformed, SyncError
from tpsdesk.sync.fingerprint import (
    fingerprint,
    fingerprints_match,
    format_fingerprint,
    normalize_fingerprint,
)
from tpsdesk.sync.hpke import x25519_fingerprint, x25519_public_key
from tpsdesk.sync.identity import (
    DeviceIdentity,
    WrongRole,
    device_identity,
    district_fingerprint,
    district_settings,
    district_signing_key,
    ensure_device_identity,
    ensure_district_identity,
)
from tpsdesk.sync.payload import check_manifest, decode_lines, encode_lines, manifest_for

# StoreMeta keys of a district store.
META_SETUP_VERSION = "setup.version"  # int: the last setup file version issued
META_SETUP_ISSUED = "setup.issued"  # {file_id: {"version", "area", "target", "created_at", ...}}
# StoreMeta keys of a field store.
META_DISTRICT_PIN = "setup.district"  # the pinned district: see PinnedDistrict
# The installed setup file (see InstalledSetup); the store layer reads its area too.
META_SETUP_INSTALLED = SETUP_INSTALLED_META

TARGET_ALL = RECIPIENT_ALL
DEFAULT_VALID_DAYS = 120
MAX_VALID_DAYS = 3660
TABLE_DISTRICT = "district"
TABLE_CATALOGUE = "catalogue"
TABLE_PAY = "pay"
AREA_MODELS: dict[str, type[Kecamatan] | type[Kelurahan] | type[Tps]] = {
    "kecamatan": Kecamatan,
    "kelurahan": Kelurahan,
    "tps": Tps,
}
_MAX_NAME = 200
_MAX_ADDRESS = 500
_MAX_VOTERS = 1_000_000
_DISTRICT_FIELDS = frozenset({"code", "name", "device_id", "signing_key", "encryption_key"})

FingerprintCheck = Callable[[str], bool] | str | None


# -- refusals ---------------------------------------------------------------------------------


class SetupRefused(SyncError):
    """A setup file that is refused (or cannot be written); `reason` is a msgid."""

    code: ClassVar[str] = "setup_refused"
    reason: ClassVar[str] = N_("The setup file cannot be used.")

    def __init__(self, *, file: str | None = None, **params: Any) -> None:
        self.params = params
        super().__init__(file=file)

    def problem(self) -> str:
        return _(self.reason).format(**self.params)


class NotASetupFile(SetupRefused):
    code = "not_a_setup_file"
    reason = N_(
        "This is a {kind} file, not a setup file. Check that you picked the file the district "
        "office sent for enrolment."
    )


class OtherDistrict(SetupRefused):
    code = "other_district"
    reason = N_(
        "This setup file is from another district: it is signed by {file_district} "
        "(fingerprint {file_fingerprint}), but this laptop trusts {pinned_district} "
        "(fingerprint {pinned_fingerprint}). Nothing was changed. Ask your district office "
        "for the right file."
    )


class OlderSetup(SetupRefused):
    code = "older_setup"
    reason = N_(
        "This setup file is version {version}, but version {installed} is installed: a setup "
        "file older than the one installed, or the same one again, is not applied. Nothing was "
        "changed."
    )


class NotForThisLaptop(SetupRefused):
    code = "wrong_target"
    reason = N_(
        "This setup file was made for another laptop (fingerprint {target}); this laptop's "
        "fingerprint is {mine}. Nothing was changed. Ask the district office for the file "
        "made for this laptop."
    )


class OtherArea(SetupRefused):
    code = "other_area"
    reason = N_(
        "This setup file is for area {area}, but this laptop is set up for area {installed}. "
        "Nothing was changed. A laptop works for one area: ask the district office for a "
        "setup file of area {installed}, or enrol a new store for the other area."
    )


class FingerprintRequired(SetupRefused):
    code = "fingerprint_required"
    reason = N_(
        "The district fingerprint must be confirmed before this laptop trusts the district. "
        "Call the district office, and give the fingerprint they read to you."
    )


class FingerprintMismatch(SetupRefused):
    code = "fingerprint_mismatch"
    reason = N_(
        "The fingerprint given does not match this setup file's district fingerprint. Nothing "
        "was changed. Call the district office again and compare digit by digit; if it still "
        "differs, do not use this file."
    )


class AreaConflict(SetupRefused):
    code = "area_conflict"
    reason = N_(
        "This laptop already has {what} {place} that did not come from this district's setup "
        "file. Nothing was changed. Enrol with a new, empty store."
    )


class DataOutsideArea(SetupRefused):
    code = "data_outside_area"
    reason = N_(
        "This laptop already holds {places}, outside the area of this setup file ({area}): "
        "the district would refuse them. Nothing was changed. Ask the district office for the "
        "setup file of that area, or enrol with a new, empty store."
    )


class BadTarget(SetupRefused):
    code = "bad_target"
    reason = N_(
        "The target must be all, or a laptop fingerprint of six groups of five digits; got "
        "{target}."
    )


class AreaNotInDistrict(SetupRefused):
    code = "area_not_in_district"
    reason = N_("Area {area} is not in district {district}: check the area code.")


class DistrictNotSet(SetupRefused):
    code = "district_not_set"
    reason = N_(
        "The district's name and code are not set yet: tpsdesk district settings --name NAME "
        "--code CODE."
    )


class BadArea(SetupRefused):
    code = "bad_area"
    reason = N_(
        "{area} is not a kecamatan code (like 35.73.05) or a kelurahan code (like 35.73.05.1001)."
    )


class BadValidity(SetupRefused):
    code = "bad_validity"
    reason = N_("A setup file is valid for 1 to {max} days.")


def _bad(reason: str, **params: Any) -> Malformed:
    return Malformed(reason, **params)


# -- what a setup file holds, and what a laptop keeps -------------------------------------------


@dataclass(frozen=True)
class SetupContent:
    """A verified setup file."""

    file_id: str
    version: int
    created_at: datetime
    expires_at: datetime
    area: str
    target: str  # TARGET_ALL or a laptop fingerprint (grouped digits)
    district_code: str
    district_name: str
    district_device_id: str
    signing_public: bytes
    encryption_public: bytes
    catalogue: dict[str, Any]
    rows: tuple[SyncFields, ...]  # kecamatan, kelurahan and TPS rows, validated
    pay: dict[str, Any] | None = None  # the district's pay settings (PaySettings.to_dict())

    @property
    def fingerprint(self) -> str:
        """The district fingerprint (both keys), as people compare it."""
        return district_fingerprint(self.signing_public, self.encryption_public)

    def expired(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) > self.expires_at


@dataclass(frozen=True)
class PinnedDistrict:
    """The district a field store trusts (StoreMeta META_DISTRICT_PIN)."""

    code: str
    name: str
    device_id: str
    signing_public: bytes
    encryption_public: bytes
    pinned_at: str

    @property
    def fingerprint(self) -> str:
        return district_fingerprint(self.signing_public, self.encryption_public)

    @property
    def encryption_fingerprint(self) -> str:
        """The fingerprint of the X25519 key: a bundle's recipient.fingerprint."""
        return x25519_fingerprint(self.encryption_public)

    def to_meta(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "device_id": self.device_id,
            "signing_key": encode_key(self.signing_public),
            "encryption_key": encode_key(self.encryption_public),
            "fingerprint": self.fingerprint,
            "pinned_at": self.pinned_at,
        }


@dataclass(frozen=True)
class InstalledSetup:
    """The setup file a field store runs on (StoreMeta META_SETUP_INSTALLED)."""

    file_id: str
    version: int
    area: str
    target: str
    created_at: str
    expires_at: str
    installed_at: str


@dataclass(frozen=True)
class AreaLoadSummary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_local: int = 0  # rows this laptop changed after the district's version
    kept_in_use: tuple[str, ...] = ()  # TPS the district removed that still have officers here
    # Rows typed here before the first enrolment that the district's file matched by code
    # (kecamatan, kelurahan) or kelurahan and number (TPS): they took the district's id.
    adopted: int = 0


@dataclass(frozen=True)
class EnrollResult:
    first: bool
    district_name: str
    district_code: str
    district_fingerprint: str
    area: str
    version: int
    expires_at: datetime
    laptop_fingerprint: str
    summary: AreaLoadSummary
    warnings: tuple[str, ...] = field(default=())  # translated, for the person to read


@dataclass(frozen=True)
class IssuedSetup:
    """A setup file the district wrote (StoreMeta META_SETUP_ISSUED)."""

    file_id: str
    version: int
    area: str
    target: str
    created_at: str
    expires_at: str


def _decode_key(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def pinned_district(store: Store) -> PinnedDistrict | None:
    """The district this field store trusts, or None before enrolment."""
    with store.read() as session:
        value = get_meta(session, META_DISTRICT_PIN)
    if not isinstance(value, dict):
        return None
    signing = _decode_key(value.get("signing_key"))
    encryption = _decode_key(value.get("encryption_key"))
    if signing is None or encryption is None:
        return None
    return PinnedDistrict(
        code=str(value.get("code", "")),
        name=str(value.get("name", "")),
        device_id=str(value.get("device_id", "")),
        signing_public=signing,
        encryption_public=encryption,
        pinned_at=str(value.get("pinned_at", "")),
    )


def installed_setup(store: Store) -> InstalledSetup | None:
    """The setup file this field store was last set up with, or None."""
    with store.read() as session:
        value = get_meta(session, META_SETUP_INSTALLED)
    if not isinstance(value, dict):
        return None
    return InstalledSetup(
        file_id=str(value.get("file_id", "")),
        version=int(value.get("version", 0)),
        area=str(value.get("area", "")),
        target=str(value.get("target", TARGET_ALL)),
        created_at=str(value.get("created_at", "")),
        expires_at=str(value.get("expires_at", "")),
        installed_at=str(value.get("installed_at", "")),
    )


def issued_setup_files(store: Store) -> list[IssuedSetup]:
    """Every setup file this district store wrote, oldest first."""
    with store.read() as session:
        value = get_meta(session, META_SETUP_ISSUED, {})
    issued = [
        IssuedSetup(
            file_id=file_id,
            version=int(entry["version"]),
            area=str(entry["area"]),
            target=str(entry["target"]),
            created_at=str(entry["created_at"]),
            expires_at=str(entry["expires_at"]),
        )
        for file_id, entry in (value or {}).items()
    ]
    return sorted(issued, key=lambda item: item.version)


# -- areas --------------------------------------------------------------------------------------


def normalize_area(raw: str) -> tuple[str, str]:
    """(code, "kelurahan" | "kecamatan") of an area code; BadArea otherwise."""
    for normalize, kind in (
        (normalize_kelurahan_code, "kelurahan"),
        (normalize_kecamatan_code, "kecamatan"),
    ):
        try:
            return normalize(raw), kind
        except AreaCodeError:
            continue
    raise BadArea(area=raw.strip()[:40])


def _wire(table: str, seq: int, row: SyncFields) -> dict[str, Any]:
    values = row.model_dump(mode="json")
    values["updated_at"] = row.updated_at.isoformat()
    return {"table": table, "seq": seq, "values": values}


def _district_area_rows(session: Session, area: str, kind: str) -> list[SyncFields]:
    """The kecamatan, kelurahan and TPS rows of an area (tombstones of its TPS included)."""
    if kind == "kelurahan":
        kelurahan = live_kelurahan(session, area)
        kecamatan = live_kecamatan(session, kelurahan.kecamatan_code)
        kel_rows = [kelurahan]
    else:
        kecamatan = live_kecamatan(session, area)
        query = select(Kelurahan).where(Kelurahan.kecamatan_code == area)
        kel_rows = list(session.exec(query.order_by(col(Kelurahan.code))))
    codes = [row.code for row in kel_rows]
    tps_query = (
        select(Tps)
        .where(col(Tps.kelurahan_code).in_(codes))
        .order_by(col(Tps.kelurahan_code), col(Tps.number), col(Tps.id))
    )
    return [kecamatan, *kel_rows, *session.exec(tps_query)]


def one_tps_per_number(rows: list[SyncFields]) -> tuple[list[SyncFields], list[str]]:
    """(the rows with one live TPS per number and kelurahan, the ids of the TPS left out).

    Two laptops of one kelurahan may each add a TPS with the same number: the district keeps
    both and opens a duplicate-TPS finding, and a laptop would refuse a setup file holding
    both. Until the clerk resolves it, the TPS with the smallest id stands for the number."""
    kept: list[SyncFields] = []
    left_out: list[str] = []
    taken: set[tuple[str, int]] = set()
    for row in sorted(rows, key=lambda r: r.id if isinstance(r, Tps) else ""):
        if isinstance(row, Tps) and not row.deleted:
            place = (row.kelurahan_code, row.number)
            if place in taken:
                left_out.append(row.id)
                continue
            taken.add(place)
    left = set(left_out)
    kept = [row for row in rows if row.id not in left]
    return kept, sorted(left_out)


def left_out_tps(store: Store, file_id: str) -> list[str]:
    """Ids of the TPS an issued setup file left out (see `one_tps_per_number`)."""
    with store.read() as session:
        entry = (get_meta(session, META_SETUP_ISSUED, {}) or {}).get(file_id, {})
    return [str(i) for i in entry.get("left_out", [])]


def _table_of(row: SyncFields) -> str:
    return str(type(row).__tablename__)


# -- district: writing ---------------------------------------------------------------------------


def record_issued_setup(
    store: Store,
    action: str,
    area: str,
    target: str,
    created: datetime,
    expires: datetime,
    *,
    audit_target: bool = True,
    **extra: Any,
) -> tuple[str, int]:
    """Number a setup file this office issues and record it in `setup.issued` (what it
    trusts later: the area it gave, never what a file claims), audited as `action`;
    returns (file id, version). Shared by the laptop and the district setup files."""
    file_id = str(uuid.uuid4())
    with store.transaction() as session:
        version = int(get_meta(session, META_SETUP_VERSION, 0)) + 1
        set_meta(session, META_SETUP_VERSION, version)
        issued = dict(get_meta(session, META_SETUP_ISSUED, {}) or {})
        issued[file_id] = {
            "version": version,
            "area": area,
            "target": target,
            "created_at": created.isoformat(),
            "expires_at": expires.isoformat(),
            **extra,
        }
        set_meta(session, META_SETUP_ISSUED, issued)
        note = f"{area} v{version} {target}" if audit_target else f"{area} v{version}"
        audit(session, state_of(session), action, table_name="store_meta", row_id=file_id,
              note=note)  # fmt: skip
    return file_id, version


def build_setup_file(
    store: Store,
    area_code: str,
    *,
    target: str = TARGET_ALL,
    valid_days: int = DEFAULT_VALID_DAYS,
    now: datetime | None = None,
) -> bytes:
    """A signed setup file for a kelurahan or kecamatan of this district.

    `target` is "all" or one laptop's fingerprint. Takes the next setup version (the district
    store is saved). Raises WrongRole, SetupRefused or NotFound (an unknown area).
    """
    if store.role != "district":
        raise WrongRole(_("Setup files are written by a district store; this is a field store."))
    settings = district_settings(store)
    if settings is None:
        raise DistrictNotSet()
    area, kind = normalize_area(area_code)
    if not area.startswith(settings.code + "."):
        raise AreaNotInDistrict(area=area, district=settings.code)
    if target.strip().lower() == TARGET_ALL:
        target_fp = TARGET_ALL
    else:
        digits = normalize_fingerprint(target)
        if digits is None:
            raise BadTarget(target=target.strip()[:60])
        target_fp = format_fingerprint(digits)
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise BadValidity(max=MAX_VALID_DAYS)
    identity = ensure_district_identity(store)
    key = district_signing_key(store)
    created = (now or utcnow()).replace(microsecond=0)
    expires = created + timedelta(days=valid_days)

    with store.read() as session:
        held, left_out = one_tps_per_number(_district_area_rows(session, area, kind))
        area_rows = [_wire(_table_of(row), seq, row) for seq, row in enumerate(held, start=3)]
    district_row = {
        "table": TABLE_DISTRICT,
        "seq": 1,
        "values": {
            "code": settings.code,
            "name": settings.name,
            "device_id": identity.device_id,
            "signing_key": encode_key(identity.signing_public),
            "encryption_key": encode_key(identity.encryption_public),
        },
    }
    catalogue_row = {"table": TABLE_CATALOGUE, "seq": 2, "values": store.catalogue.to_dict()}
    pay_rows = []
    if store.get_setting(PAY_SETTING) is not None:
        pay = load_pay_settings(store).to_dict()
        pay_rows.append({"table": TABLE_PAY, "seq": 3 + len(area_rows), "values": pay})

    extra: dict[str, Any] = {"left_out": left_out} if left_out else {}
    file_id, version = record_issued_setup(
        store, "setup_file", area, target_fp, created, expires, **extra
    )
    header: dict[str, Any] = {
        "kind": Kind.SETUP.value,
        "format": FORMAT_VERSION,
        "file_id": file_id,
        "created_at": created.isoformat(),
        "sender": {
            "id": identity.device_id,
            "role": "district",
            "signing_key": encode_key(identity.signing_public),
        },
        "recipient": {
            "id": target_fp,
            "fingerprint": identity.fingerprint if target_fp == TARGET_ALL else target_fp,
        },
        "district": {"code": settings.code, "name": settings.name},
        "area": area,
        "version": version,
        "expires_at": expires.isoformat(),
    }
    payload, size, count = encode_lines(
        manifest_for(header), [district_row, catalogue_row, *area_rows, *pay_rows]
    )
    header["payload"] = {
        "encoding": ENCODING_JSONL_ZLIB,
        "encryption": ENCRYPTION_NONE,
        "size": size,
        "rows": count,
    }
    return build_container(header, payload, key)


# -- reading and verifying ----------------------------------------------------------------------


def _text(value: Any, what: str, *, max_len: int = _MAX_NAME, empty: bool = False) -> str:
    if not isinstance(value, str) or len(value) > max_len or (not value and not empty):
        raise _bad(N_("setup field {field} is missing or invalid"), field=what)
    return value


def _int(value: Any, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(N_("setup field {field} is missing or invalid"), field=what)
    return value


def _opt_int(value: Any, what: str, low: int, high: int) -> int | None:
    return None if value is None else _int(value, what, low, high)


def _parse_row(wire: Any, seq: int) -> SyncFields:
    """One area row of a setup file as a model instance, every value checked."""
    where = f"row {seq}"
    if not isinstance(wire, dict) or set(wire) != {"table", "seq", "values"}:
        raise _bad(N_("setup field {field} is missing or invalid"), field=where)
    model = AREA_MODELS.get(wire["table"]) if isinstance(wire["table"], str) else None
    values = wire["values"]
    if model is None or wire["seq"] != seq or not isinstance(values, dict):
        raise _bad(N_("setup field {field} is missing or invalid"), field=where)
    if set(values) != set(model.model_fields):
        raise _bad(N_("setup field {field} is missing or invalid"), field=where + ".values")
    row_id = values["id"]
    try:
        if not isinstance(row_id, str) or str(uuid.UUID(row_id)) != row_id:
            raise ValueError(row_id)
        updated_at = datetime.fromisoformat(_text(values["updated_at"], "updated_at"))
    except ValueError as exc:
        raise _bad(N_("setup field {field} is missing or invalid"), field=where) from exc
    if updated_at.utcoffset() != timedelta(0):
        raise _bad(N_("setup field {field} is missing or invalid"), field=where + ".updated_at")
    base_device = values["base_device"]
    base_counter = _opt_int(values["base_counter"], where + ".base_counter", 1, 2**53 - 1)
    if (base_device is None) != (base_counter is None):
        raise _bad(N_("setup field {field} is missing or invalid"), field=where + ".base")
    common: dict[str, Any] = {
        "id": row_id,
        "version_device": _text(values["version_device"], where + ".version_device", max_len=64),
        "version_counter": _int(values["version_counter"], where + ".version_counter", 1, 2**53),
        "base_device": None
        if base_device is None
        else _text(base_device, where + ".base_device", max_len=64),
        "base_counter": base_counter,
        "updated_at": updated_at,
        "updated_by": _text(values["updated_by"], where + ".updated_by", empty=True),
    }
    if not isinstance(values["deleted"], bool):
        raise _bad(N_("setup field {field} is missing or invalid"), field=where + ".deleted")
    common["deleted"] = values["deleted"]
    try:
        if model is Tps:
            kel = _text(values["kelurahan_code"], where + ".kelurahan_code", max_len=32)
            if normalize_kelurahan_code(kel) != kel:
                raise ValueError(kel)
            return Tps(
                **common,
                kelurahan_code=kel,
                number=_int(values["number"], where + ".number", 1, TPS_MAX),
                address=_text(
                    values["address"], where + ".address", max_len=_MAX_ADDRESS, empty=True
                ),
                voters=_opt_int(values["voters"], where + ".voters", 0, _MAX_VOTERS),
            )
        code = _text(values["code"], where + ".code", max_len=32)
        name = _text(values["name"], where + ".name")
        if model is Kecamatan:
            if normalize_kecamatan_code(code) != code:
                raise ValueError(code)
            return Kecamatan(**common, code=code, name=name)
        kec = _text(values["kecamatan_code"], where + ".kecamatan_code", max_len=32)
        if normalize_kelurahan_code(code) != code or normalize_kecamatan_code(kec) != kec:
            raise ValueError(code)
        return Kelurahan(**common, code=code, name=name, kecamatan_code=kec)
    except (AreaCodeError, ValueError) as exc:
        if isinstance(exc, Malformed):
            raise
        raise _bad(N_("setup field {field} is missing or invalid"), field=where) from exc


def _check_scope(rows: Sequence[SyncFields], area: str, kind: str) -> None:
    """Every row inside the area, the area itself present, no id or place named twice."""
    ids: set[str] = set()
    kecamatan = [row for row in rows if isinstance(row, Kecamatan)]
    kelurahan = [row for row in rows if isinstance(row, Kelurahan)]
    tps = [row for row in rows if isinstance(row, Tps)]
    for row in rows:
        if row.id in ids:
            raise _bad(N_("setup field {field} is missing or invalid"), field="id " + row.id)
        ids.add(row.id)
    if len(kecamatan) != 1 or kecamatan[0].deleted:
        raise _bad(N_("setup field {field} is missing or invalid"), field="kecamatan")
    kec_code = kecamatan[0].code
    kel_codes = [row.code for row in kelurahan]
    if len(set(kel_codes)) != len(kel_codes):
        raise _bad(N_("setup field {field} is missing or invalid"), field="kelurahan")
    if kind == "kelurahan":
        if kel_codes != [area] or kelurahan[0].deleted or kelurahan[0].kecamatan_code != kec_code:
            raise _bad(N_("setup field {field} is missing or invalid"), field="area")
    elif kec_code != area or any(row.kecamatan_code != area for row in kelurahan):
        raise _bad(N_("setup field {field} is missing or invalid"), field="area")
    live_places: set[tuple[str, int]] = set()
    for row in tps:
        if row.kelurahan_code not in kel_codes:
            raise _bad(N_("setup field {field} is missing or invalid"), field="tps")
        if not row.deleted:
            place = (row.kelurahan_code, row.number)
            if place in live_places:
                raise _bad(N_("setup field {field} is missing or invalid"), field="tps")
            live_places.add(place)


def _parse_district(wire: Any, header: dict[str, Any], sender_key: bytes) -> dict[str, Any]:
    if (
        not isinstance(wire, dict)
        or set(wire) != {"table", "seq", "values"}
        or wire["table"] != TABLE_DISTRICT
        or wire["seq"] != 1
        or not isinstance(wire["values"], dict)
        or set(wire["values"]) != _DISTRICT_FIELDS
    ):
        raise _bad(N_("setup field {field} is missing or invalid"), field=TABLE_DISTRICT)
    values = wire["values"]
    signing = _decode_key(values["signing_key"])
    encryption = _decode_key(values["encryption_key"])
    if signing is None or signing != sender_key:
        raise _bad(N_("setup field {field} is missing or invalid"), field="district.signing_key")
    if encryption is None:
        raise _bad(N_("setup field {field} is missing or invalid"), field="district.encryption_key")
    x25519_public_key(encryption)  # Malformed for a low-order point
    if values["code"] != header["district"]["code"] or values["name"] != header["district"]["name"]:
        raise _bad(N_("setup field {field} is missing or invalid"), field="district")
    if values["device_id"] != header["sender"]["id"]:
        raise _bad(N_("setup field {field} is missing or invalid"), field="district.device_id")
    return {
        "code": _text(values["code"], "district.code", max_len=32),
        "name": _text(values["name"], "district.name"),
        "device_id": values["device_id"],
        "signing": signing,
        "encryption": encryption,
    }


def _parse_catalogue(wire: Any) -> dict[str, Any]:
    if (
        not isinstance(wire, dict)
        or set(wire) != {"table", "seq", "values"}
        or wire["table"] != TABLE_CATALOGUE
        or wire["seq"] != 2
        or not isinstance(wire["values"], dict)
    ):
        raise _bad(N_("setup field {field} is missing or invalid"), field=TABLE_CATALOGUE)
    try:
        PostCatalogue.from_dict(wire["values"])
    except ValueError as exc:
        raise _bad(N_("setup field {field} is missing or invalid"), field=TABLE_CATALOGUE) from exc
    return cast("dict[str, Any]", wire["values"])


def _is_pay(wire: Any) -> bool:
    return isinstance(wire, dict) and wire.get("table") == TABLE_PAY


def _parse_pay(wire: Any, seq: int) -> dict[str, Any]:
    if (
        not isinstance(wire, dict)
        or set(wire) != {"table", "seq", "values"}
        or wire["seq"] != seq
        or not isinstance(wire["values"], dict)
    ):
        raise _bad(N_("setup field {field} is missing or invalid"), field=TABLE_PAY)
    try:
        return PaySettings.from_dict(wire["values"]).to_dict()
    except ValueError as exc:
        raise _bad(N_("setup field {field} is missing or invalid"), field=TABLE_PAY) from exc


def _district_label(name: str, code: str) -> str:
    return f"{name} ({code})"


def read_setup_file(
    data: bytes, *, pinned: PinnedDistrict | bytes | None = None, file: str | None = None
) -> SetupContent:
    """Parse and verify a setup file.

    Without `pinned` (first enrolment) the signature is checked with the key the header names;
    with it, the file must be signed by the pinned key (OtherDistrict names both districts
    otherwise). Every refusal is a SyncError, named after `file` when given.
    """
    try:
        container = parse_container(data)
        if container.kind is not Kind.SETUP:
            raise NotASetupFile(kind=kind_label(container.kind))
        header = container.header
        pinned_key = pinned.signing_public if isinstance(pinned, PinnedDistrict) else pinned
        if pinned_key is not None and container.sender_key != pinned_key:
            other = read_setup_file(data)  # signed by its own key at least? then name it
            if isinstance(pinned, PinnedDistrict):
                pinned_label = _district_label(pinned.name, pinned.code)
                pinned_fp = pinned.fingerprint
            else:
                pinned_label, pinned_fp = "?", fingerprint(pinned_key)
            raise OtherDistrict(
                file_district=_district_label(other.district_name, other.district_code),
                file_fingerprint=other.fingerprint,
                pinned_district=pinned_label,
                pinned_fingerprint=pinned_fp,
            )
        verify_container(container, container.sender_key)
        claimed = int(header["payload"]["size"])
        manifest, wire_rows, size = decode_lines(
            container.payload, max_size=min(claimed, MAX_DECOMPRESSED)
        )
        if size != claimed or len(wire_rows) != header["payload"]["rows"]:
            raise _bad(N_("setup field {field} is missing or invalid"), field="payload")
        check_manifest(manifest, header, Kind.SETUP)
        if len(wire_rows) < 3:
            raise _bad(N_("setup field {field} is missing or invalid"), field="payload.rows")
        district = _parse_district(wire_rows[0], header, container.sender_key)
        catalogue = _parse_catalogue(wire_rows[1])
        area, kind = normalize_area(str(header["area"]))
        if area != header["area"] or not area.startswith(district["code"] + "."):
            raise _bad(N_("setup field {field} is missing or invalid"), field="area")
        body = list(wire_rows[2:])
        pay = _parse_pay(body.pop(), 3 + len(body)) if _is_pay(body[-1]) else None
        rows = tuple(_parse_row(wire, seq) for seq, wire in enumerate(body, start=3))
        _check_scope(rows, area, kind)
        recipient = header["recipient"]
        if recipient["id"] == TARGET_ALL:
            target = TARGET_ALL
            expected = district_fingerprint(district["signing"], district["encryption"])
            if recipient["fingerprint"] != expected:
                raise _bad(N_("setup field {field} is missing or invalid"), field="recipient")
        else:
            target = recipient["fingerprint"]
            if recipient["id"] != target:
                raise _bad(N_("setup field {field} is missing or invalid"), field="recipient")
        return SetupContent(
            file_id=container.file_id,
            version=int(header["version"]),
            created_at=datetime.fromisoformat(header["created_at"]),
            expires_at=datetime.fromisoformat(header["expires_at"]),
            area=area,
            target=target,
            district_code=district["code"],
            district_name=district["name"],
            district_device_id=district["device_id"],
            signing_public=district["signing"],
            encryption_public=district["encryption"],
            catalogue=catalogue,
            rows=rows,
            pay=pay,
        )
    except SyncError as exc:
        if file is not None and exc.file is None:
            exc.with_file(file)
        raise


# -- field: loading the area ------------------------------------------------------------------


def _same_version(a: SyncFields, b: SyncFields) -> bool:
    return (a.version_device, a.version_counter) == (b.version_device, b.version_counter)


def _local_is_newer(local: SyncFields, incoming: SyncFields) -> bool:
    """The laptop's row already descends from the incoming version."""
    if (local.base_device, local.base_counter) == (
        incoming.version_device,
        incoming.version_counter,
    ):
        return True
    return (
        local.version_device == incoming.version_device
        and local.version_counter > incoming.version_counter
    )


def _live_officers_at(session: Session, tps_id: str) -> int:
    query = (
        select(func.count())
        .select_from(Officer)
        .where(Officer.tps_id == tps_id, col(Officer.deleted).is_(False))
    )
    return int(session.exec(query).one())


def _place(row: SyncFields) -> str:
    if isinstance(row, Tps):
        return f"{row.kelurahan_code}/{row.label}"
    return str(getattr(row, "code", row.id))


def _what(row: SyncFields) -> str:
    return {"kecamatan": _("kecamatan"), "kelurahan": _("kelurahan"), "tps": _("TPS")}[
        _table_of(row)
    ]


def load_area_rows(
    session: Session, rows: Sequence[SyncFields], *, adopt_area: str | None = None
) -> AreaLoadSummary:
    """Insert or update area rows with the ids and versions they carry, stamping nothing.

    Runs inside the caller's write transaction. A row the laptop has not got is inserted as
    it is; one it has with another version takes the incoming values and version, unless the
    laptop's row already descends from it; a TPS the district removed that still has live
    officers here stays (named in the summary). No change-log entries: these rows came from
    the district, so they are not sent back.

    A place (code, or kelurahan and TPS number) that the laptop has under another id is an
    AreaConflict, except at the first enrolment (`adopt_area`: the setup file's area): what
    was typed before is then kept, never stranded. Data outside that area is refused first
    (DataOutsideArea: the district would refuse it); each local row the file matches is
    adopted: it takes the district's id, values and version, and the officers at an adopted
    TPS point to the district's id. Nothing was ever sent from this store before its first
    enrolment, so no other store knows the old ids.
    """
    if adopt_area is not None:
        outside = _outside_area(session, adopt_area)
        if outside:
            raise DataOutsideArea(places=", ".join(outside), area=adopt_area)
    new = updated = unchanged = kept_local = adopted = 0
    kept_in_use: list[str] = []
    fresh: list[SyncFields] = []
    # Known rows first: a TPS removed and added again arrives as a tombstone of the old id
    # and a new id for the same number; the tombstone must land before the newcomer.
    for incoming in rows:
        model = type(incoming)
        local = session.get(model, incoming.id)
        if local is None:
            fresh.append(incoming)
            continue
        if _same_version(local, incoming):
            unchanged += 1
            continue
        if _local_is_newer(local, incoming):
            kept_local += 1
            continue
        if (
            isinstance(local, Tps)
            and incoming.deleted
            and not local.deleted
            and _live_officers_at(session, local.id)
        ):
            kept_in_use.append(_place(local))
            continue
        for name in model.model_fields:
            if name != "id":
                setattr(local, name, getattr(incoming, name))
        session.add(local)
        remember(session, cast("Kecamatan | Kelurahan | Tps", local))
        updated += 1
    session.flush()
    for incoming in fresh:
        other: SyncFields | None
        if isinstance(incoming, Tps):
            other = (
                None
                if incoming.deleted
                else find_tps_row(session, incoming.kelurahan_code, incoming.number)
            )
        elif isinstance(incoming, Kecamatan):
            other = session.exec(
                select(Kecamatan).where(col(Kecamatan.code) == incoming.code)
            ).first()
        else:
            assert isinstance(incoming, Kelurahan)
            other = session.exec(
                select(Kelurahan).where(col(Kelurahan.code) == incoming.code)
            ).first()
        if other is not None and other.id != incoming.id:
            if adopt_area is None:
                raise AreaConflict(what=_what(incoming), place=_place(incoming))
            remember(session, _adopt(session, other, incoming))
            adopted += 1
            continue
        session.add(incoming)
        session.flush()
        remember(session, incoming)
        new += 1
    return AreaLoadSummary(
        new=new,
        updated=updated,
        unchanged=unchanged,
        kept_local=kept_local,
        kept_in_use=tuple(kept_in_use),
        adopted=adopted,
    )


def _adopt(
    session: Session, local: SyncFields, incoming: SyncFields
) -> Kecamatan | Kelurahan | Tps:
    """The local row becomes the district's: its id, values and version. Officers at a TPS
    follow it to the new id (their foreign key is checked at commit)."""
    model = type(local)
    old_id = local.id
    session.expunge(local)
    if isinstance(local, Tps):
        session.execute(
            update(Officer).where(col(Officer.tps_id) == old_id).values(tps_id=incoming.id)
        )
    values = {name: getattr(incoming, name) for name in model.model_fields}
    session.execute(update(model).where(col(model.id) == old_id).values(**values))
    session.flush()
    found = session.get(model, incoming.id)
    assert found is not None
    return cast("Kecamatan | Kelurahan | Tps", found)


def _inside(code: str | None, area: str) -> bool:
    return code is not None and (code == area or code.startswith(area + "."))


def _outside_area(session: Session, area: str) -> list[str]:
    """The live places and officers' places this store holds outside `area` (a kelurahan or
    kecamatan code), named by code, at most ten; the kecamatan of a kelurahan area is inside."""
    places: set[str] = set()
    for kecamatan in session.exec(select(Kecamatan).where(col(Kecamatan.deleted).is_(False))):
        if not (_inside(kecamatan.code, area) or area.startswith(kecamatan.code + ".")):
            places.add(kecamatan.code)
    for kelurahan in session.exec(select(Kelurahan).where(col(Kelurahan.deleted).is_(False))):
        if not _inside(kelurahan.code, area):
            places.add(kelurahan.code)
    for tps in session.exec(select(Tps).where(col(Tps.deleted).is_(False))):
        if not _inside(tps.kelurahan_code, area):
            places.add(_place(tps))
    officer_places = select(Officer.kelurahan_code, Officer.kecamatan_code).where(
        col(Officer.deleted).is_(False)
    )
    for kelurahan_code, kecamatan_code in session.exec(officer_places.distinct()):
        where = kelurahan_code or kecamatan_code
        if not _inside(where, area):
            places.add(_("officers of {place}").format(place=where))
    return sorted(places)[:10]


# -- field: enrolment -------------------------------------------------------------------------


def _confirmed(check: FingerprintCheck, expected: str) -> bool:
    if check is None:
        raise FingerprintRequired()
    if isinstance(check, str):
        return fingerprints_match(expected, check)
    return bool(check(expected))


def _install(
    store: Store, content: SetupContent, pin: PinnedDistrict | None, moment: datetime
) -> tuple[AreaLoadSummary, DeviceIdentity]:
    """Load the area, pin the district, record the setup file, create the laptop identity:
    one transaction."""
    with store.transaction() as session:
        # First enrolment: what was typed before is adopted where the file matches it.
        summary = load_area_rows(
            session, content.rows, adopt_area=content.area if pin is None else None
        )
        pinned = PinnedDistrict(
            code=content.district_code,
            name=content.district_name,
            device_id=content.district_device_id,
            signing_public=content.signing_public,
            encryption_public=content.encryption_public,
            pinned_at=pin.pinned_at if pin is not None else moment.isoformat(),
        )
        set_meta(session, META_DISTRICT_PIN, pinned.to_meta())
        set_meta(
            session,
            META_SETUP_INSTALLED,
            {
                "file_id": content.file_id,
                "version": content.version,
                "area": content.area,
                "target": content.target,
                "created_at": content.created_at.isoformat(),
                "expires_at": content.expires_at.isoformat(),
                "installed_at": moment.isoformat(),
            },
        )
        store.set_setting(CATALOGUE_SETTING, content.catalogue)
        if content.pay is not None:
            propose_district_pay(store, content.pay)
        audit(
            session,
            state_of(session),
            "setup_install" if pin is not None else "enroll",
            table_name="store_meta",
            row_id=content.file_id,
            note=f"{content.district_code} {content.area} v{content.version}",
        )
        laptop = ensure_device_identity(store)
    return summary, laptop


def enroll(
    store: Store,
    data: bytes,
    *,
    confirm_fingerprint: FingerprintCheck = None,
    file: str | None = None,
    now: datetime | None = None,
) -> EnrollResult:
    """Apply a setup file to a field store: pin the district at the first one, load the area.

    First time: the person confirms the district fingerprint (`confirm_fingerprint`: the
    fingerprint as typed, or a function given the file's fingerprint that answers whether the
    person confirmed it; a one-digit typo never matches). Then the district's keys, code and
    name are pinned, the area and post catalogue loaded, and the laptop identity created.
    Later files must come from the pinned district, be newer, be for all laptops or this one,
    and be for the same area. An expired file is applied with a warning. All or nothing.
    """
    if store.role != "field":
        raise WrongRole(
            _(
                "Enrolment is for a field store (a laptop); this is a district store. The "
                "district writes setup files with: tpsdesk district setup-file AREA."
            )
        )
    try:
        pin = pinned_district(store)
        installed = installed_setup(store)
        content = read_setup_file(data, pinned=pin)
        me = device_identity(store)
        if content.target != TARGET_ALL and (
            me is None or not fingerprints_match(content.target, me.fingerprint)
        ):
            raise NotForThisLaptop(
                target=content.target, mine=me.fingerprint if me is not None else "—"
            )
        if pin is None:
            if not _confirmed(confirm_fingerprint, content.fingerprint):
                raise FingerprintMismatch()
        else:
            if isinstance(confirm_fingerprint, str) and not fingerprints_match(
                content.fingerprint, confirm_fingerprint
            ):
                raise FingerprintMismatch()
            if installed is not None and content.version <= installed.version:
                raise OlderSetup(version=content.version, installed=installed.version)
            if installed is not None and content.area != installed.area:
                raise OtherArea(area=content.area, installed=installed.area)
        moment = now or utcnow()
        warnings: list[str] = []
        if content.expired(moment):
            warnings.append(
                _(
                    "This setup file expired on {date}. It was applied, but ask the district "
                    "office for a current one."
                ).format(date=content.expires_at.date().isoformat())
            )
        try:
            summary, laptop = _install(store, content, pin, moment)
        except IntegrityError as exc:  # a code the laptop holds under another id, after all
            raise AreaConflict(what=_("area"), place=content.area) from exc
    except SyncError as exc:
        if file is not None and exc.file is None:
            exc.with_file(file)
        raise
    if summary.kept_in_use:
        warnings.append(
            _(
                "The district removed these TPS, but officers are still placed at them on this "
                "laptop, so they were kept: {places}. Move the officers, then delete the TPS."
            ).format(places=", ".join(summary.kept_in_use))
        )
    return EnrollResult(
        first=pin is None,
        district_name=content.district_name,
        district_code=content.district_code,
        district_fingerprint=content.fingerprint,
        area=content.area,
        version=content.version,
        expires_at=content.expires_at,
        laptop_fingerprint=laptop.fingerprint,
        summary=summary,
        warnings=tuple(warnings),
    )


__all__ = [
    "AREA_MODELS",
    "DEFAULT_VALID_DAYS",
    "META_DISTRICT_PIN",
    "META_SETUP_INSTALLED",
    "META_SETUP_ISSUED",
    "META_SETUP_VERSION",
    "TARGET_ALL",
    "AreaConflict",
    "AreaLoadSummary",
    "BadSignature",
    "DataOutsideArea",
    "EnrollResult",
    "InstalledSetup",
    "IssuedSetup",
    "NotForThisLaptop",
    "OlderSetup",
    "OtherArea",
    "OtherDistrict",
    "PinnedDistrict",
    "SetupContent",
    "SetupRefused",
    "build_setup_file",
    "enroll",
    "installed_setup",
    "issued_setup_files",
    "load_area_rows",
    "normalize_area",
    "pinned_district",
    "read_setup_file",
]
