"""The province and its districts: the province's settings, the setup file a province issues
for one kab/kota, and the district side that installs it (pins the province's keys).

This mirrors the laptop ↔ district pair one level up (docs/sync-design.md, "The province
roll-up"): a province store is a district store with the role "province" (the same tables and
office keys, `sync.identity`); it issues a signed setup file for a kab/kota; the district that
installs it pins the province's keys after a person compared the province fingerprint; the
district's roll-up files (`sync.rollup`) are then encrypted to the pinned key, and the province
approves the district by its key fingerprint as a district approves a laptop. The issued setup
files are recorded where a district records its own (`setup.META_SETUP_ISSUED`), so approval
gives the district the kab/kota the province issued, never what its files claim.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tpsdesk.i18n import N_, _
from tpsdesk.store.db import Store
from tpsdesk.store.models import utcnow
from tpsdesk.store.versioning import audit, get_meta, set_meta, state_of
from tpsdesk.sync.container import (
    FORMAT_VERSION,
    RECIPIENT_ALL,
    Kind,
    encode_key,
    kind_label,
    parse_container,
)
from tpsdesk.sync.errors import Malformed, SyncError
from tpsdesk.sync.fingerprint import check_typed, fingerprints_match, split_groups, typed_digits
from tpsdesk.sync.hpke import x25519_public_key
from tpsdesk.sync.identity import (
    MAX_DISTRICT_NAME,
    SETTING_DISTRICT_CODE,
    SETTING_DISTRICT_NAME,
    district_fingerprint,
    district_settings,
    district_signing_key,
    ensure_district_identity,
    normalize_district_code,
)
from tpsdesk.sync.payload import open_signed, seal_signed
from tpsdesk.sync.row_checks import within
from tpsdesk.sync.setup import (
    DEFAULT_VALID_DAYS,
    MAX_VALID_DAYS,
    META_SETUP_ISSUED,
    record_issued_setup,
)

ROLE = "province"
TABLE_PROVINCE = "province"
META_PROVINCE_PIN = "rollup.province"  # district: the pinned province, see PinnedProvince
_PROVINCE_CODE = re.compile(r"(?a)\d{2}")
_PROVINCE_FIELDS = frozenset(
    {"code", "name", "device_id", "signing_key", "encryption_key", "district_name"}
)


# -- refusals --------------------------------------------------------------------------------


class ProvinceRefused(SyncError):
    """A province setup file or a province step that cannot be done; says what and why."""

    code = "province_refused"

    def __init__(self, text: str, **kwargs: Any) -> None:
        self.text = text  # already translated
        super().__init__(**kwargs)

    def problem(self) -> str:
        return self.text


def _refuse(text: str) -> ProvinceRefused:
    return ProvinceRefused(text)


def require_province(store: Store) -> None:
    if store.role != ROLE:
        raise _refuse(
            _(
                "This is not a province store; create one with: tpsdesk --store FILE init "
                "--province."
            )
        )


def _require_district_role(store: Store) -> None:
    if store.role != "district":
        raise _refuse(
            _(
                "Only a district store takes a province setup file and writes roll-up files; "
                "this store is not one."
            )
        )


# -- province settings ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvinceSettings:
    name: str
    code: str  # two digits, e.g. "35" (Jawa Timur)


def normalize_province_code(raw: str) -> str:
    text = "".join(raw.split()).rstrip(".") if isinstance(raw, str) else ""
    if not _PROVINCE_CODE.fullmatch(text) or int(text) < 11:
        raise _refuse(_("A province code is two digits, for example 35 (Jawa Timur)."))
    return text


def set_province_settings(
    store: Store, *, name: str | None = None, code: str | None = None
) -> None:
    """The province's name and/or code, in one transaction (kept where a district keeps its
    own, so the exports and the desk show them)."""
    require_province(store)
    clean_name = None if name is None else " ".join(name.split())
    if clean_name is not None and not 0 < len(clean_name) <= MAX_DISTRICT_NAME:
        raise _refuse(
            _("The province name must be 1 to {n} characters.").format(n=MAX_DISTRICT_NAME)
        )
    clean_code = None if code is None else normalize_province_code(code)
    with store.transaction():
        if clean_name is not None:
            store.set_setting(SETTING_DISTRICT_NAME, clean_name)
        if clean_code is not None:
            store.set_setting(SETTING_DISTRICT_CODE, clean_code)


def province_settings(store: Store) -> ProvinceSettings | None:
    if store.role != ROLE:
        return None
    settings = district_settings(store)
    return None if settings is None else ProvinceSettings(settings.name, settings.code)


def kabkota_names(store: Store) -> dict[str, str]:
    """{kab/kota code: name} of the setup files a province store issued (the latest name of
    each); {} on any other store."""
    if store.role != ROLE:
        return {}
    with store.read() as session:
        issued = get_meta(session, META_SETUP_ISSUED, {}) or {}
    entries = sorted(
        (e for e in issued.values() if isinstance(e, dict)),
        key=lambda e: int(e.get("version", 0)),
    )
    return {str(e.get("area", "")): str(e.get("name", "")) for e in entries if e.get("name")}


@dataclass(frozen=True)
class IssuedKabkota:
    """The latest setup file a province issued for one kab/kota."""

    code: str
    name: str
    version: int
    created_at: str  # ISO UTC


def issued_kabkota(store: Store) -> list[IssuedKabkota]:
    """The kab/kota this province issued setup files for, by code, each with its latest issue
    (the province's kab/kota list: what the desk re-issues from)."""
    require_province(store)
    with store.read() as session:
        issued = get_meta(session, META_SETUP_ISSUED, {}) or {}
    latest: dict[str, IssuedKabkota] = {}
    for entry in issued.values():
        if not isinstance(entry, dict) or not entry.get("name"):
            continue
        try:
            version = int(entry.get("version", 0))
        except (TypeError, ValueError):
            continue
        code = str(entry.get("area", ""))
        if code and (code not in latest or latest[code].version < version):
            created = str(entry.get("created_at", ""))
            latest[code] = IssuedKabkota(code, str(entry["name"]), version, created)
    return [latest[code] for code in sorted(latest)]


# -- the province issues a setup file for a district ------------------------------------------


@dataclass(frozen=True)
class IssuedDistrictSetup:
    file_id: str
    area: str  # the kab/kota code
    district_name: str
    version: int
    data: bytes
    fingerprint: str  # the province fingerprint (both keys), read over the phone


def build_district_setup(
    store: Store,
    area_code: str,
    district_name: str,
    *,
    valid_days: int = DEFAULT_VALID_DAYS,
    now: datetime | None = None,
) -> IssuedDistrictSetup:
    """A signed setup file for one kab/kota of this province; the issue is recorded (the
    area a district is approved for comes from it). Refuses a code outside the province."""
    settings, area, name = check_district_setup(store, area_code, district_name)
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise _refuse(_("A setup file is valid for 1 to {max} days.").format(max=MAX_VALID_DAYS))
    identity = ensure_district_identity(store)
    created = (now or utcnow()).replace(microsecond=0)
    expires = created + timedelta(days=valid_days)
    file_id, version = record_issued_setup(
        store, "province_setup_file", area, RECIPIENT_ALL, created, expires,
        audit_target=False, name=name,
    )  # fmt: skip
    return _sealed(store, settings, identity, area, name, file_id, version, created, expires)


def check_district_setup(
    store: Store, area_code: str, district_name: str
) -> tuple[ProvinceSettings, str, str]:
    """The province's settings, the kab/kota code (normalised) and name (spaces collapsed) a
    setup file would be issued for; `ProvinceRefused` saying what is wrong."""
    require_province(store)
    settings = province_settings(store)
    if settings is None:
        raise _refuse(
            _(
                "Set the province's name and code first: tpsdesk province settings --name "
                "NAME --code CODE."
            )
        )
    try:
        area = normalize_district_code(area_code)
    except ValueError as exc:
        raise _refuse(str(exc)) from None
    if not within(area, settings.code):
        raise _refuse(
            _("The kab/kota {area} does not lie in this province ({code}).").format(
                area=area, code=settings.code
            )
        )
    name = " ".join(district_name.split())
    if not 0 < len(name) <= MAX_DISTRICT_NAME:
        raise _refuse(
            _("The kab/kota name must be 1 to {n} characters.").format(n=MAX_DISTRICT_NAME)
        )
    return settings, area, name


def _sealed(
    store: Store,
    settings: ProvinceSettings,
    identity: Any,
    area: str,
    name: str,
    file_id: str,
    version: int,
    created: datetime,
    expires: datetime,
) -> IssuedDistrictSetup:
    key = district_signing_key(store)
    header: dict[str, Any] = {
        "kind": Kind.SETUP.value,
        "format": FORMAT_VERSION,
        "file_id": file_id,
        "created_at": created.isoformat(),
        "sender": {
            "id": identity.device_id,
            "role": ROLE,
            "signing_key": encode_key(identity.signing_public),
        },
        "recipient": {"id": RECIPIENT_ALL, "fingerprint": identity.fingerprint},
        "district": {"code": settings.code, "name": settings.name},
        "area": area,
        "version": version,
        "expires_at": expires.isoformat(),
    }
    row = {
        "table": TABLE_PROVINCE,
        "seq": 1,
        "values": {
            "code": settings.code,
            "name": settings.name,
            "device_id": identity.device_id,
            "signing_key": encode_key(identity.signing_public),
            "encryption_key": encode_key(identity.encryption_public),
            "district_name": name,
        },
    }
    data = seal_signed(header, None, [row], key)
    return IssuedDistrictSetup(file_id, area, name, version, data, identity.fingerprint)


def district_setup_file_name(issued: IssuedDistrictSetup) -> str:
    """ "3507_province_setup_v3.tpss": the kab/kota's digits and the version."""
    return f"{issued.area.replace('.', '')}_province_setup_v{issued.version}.tpss"


def write_district_setup(
    store: Store, area_code: str, district_name: str, folder: Path
) -> tuple[IssuedDistrictSetup, Path]:
    """`build_district_setup` written into `folder` (made if missing); `Unwritable` when it
    cannot be (the issue stays recorded: the next file gets the next version)."""
    from tpsdesk import durable
    from tpsdesk.i18n import os_error_text
    from tpsdesk.sync.bundle import Unwritable

    issued = build_district_setup(store, area_code, district_name)
    path = folder / district_setup_file_name(issued)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        durable.write_atomic(path, issued.data)
    except OSError as error:
        raise Unwritable(path, os_error_text(error)) from None
    return issued, path


# -- the district installs it -------------------------------------------------------------------


@dataclass(frozen=True)
class PinnedProvince:
    code: str
    name: str
    device_id: str
    signing_public: bytes
    encryption_public: bytes
    area: str  # this district's kab/kota, as the province issued it
    setup_id: str  # the setup file installed (roll-up headers name it)
    version: int
    installed_at: str

    @property
    def fingerprint(self) -> str:
        return district_fingerprint(self.signing_public, self.encryption_public)

    def to_meta(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "device_id": self.device_id,
            "signing_key": encode_key(self.signing_public),
            "encryption_key": encode_key(self.encryption_public),
            "area": self.area,
            "setup_id": self.setup_id,
            "version": self.version,
            "installed_at": self.installed_at,
        }


def pinned_province(store: Store) -> PinnedProvince | None:
    """The province this district store sends its roll-up files to, if it installed one."""
    with store.read() as session:
        value = get_meta(session, META_PROVINCE_PIN)
    if not isinstance(value, dict):
        return None
    try:
        return PinnedProvince(
            code=str(value["code"]),
            name=str(value["name"]),
            device_id=str(value["device_id"]),
            signing_public=base64.b64decode(value["signing_key"]),
            encryption_public=base64.b64decode(value["encryption_key"]),
            area=str(value["area"]),
            setup_id=str(value["setup_id"]),
            version=int(value["version"]),
            installed_at=str(value["installed_at"]),
        )
    except (KeyError, ValueError, TypeError):
        return None


def _bad(field: str) -> Malformed:
    return Malformed(N_("setup field {field} is missing or invalid"), field=field)


def _key(value: Any, field: str) -> bytes:
    try:
        raw = base64.b64decode(str(value), validate=True)
    except ValueError:
        raise _bad(field) from None
    if len(raw) != 32 or encode_key(raw) != value:
        raise _bad(field)
    return raw


def install_province_setup(
    store: Store, data: bytes, *, fingerprint: str | None, now: datetime | None = None
) -> PinnedProvince:
    """Install a province's setup file on this district store (all or nothing).

    The first time, `fingerprint` (the province fingerprint as typed after a phone call) must
    match the file's; later files must come from the pinned province and be newer. The file's
    kab/kota must be this district's own code (its settings), and lie in the province."""
    _require_district_role(store)
    settings = district_settings(store)
    if settings is None:
        raise _refuse(
            _(
                "Set this district's name and code first: tpsdesk district settings --name "
                "NAME --code CODE."
            )
        )
    container = parse_container(data)
    header = container.header
    if container.kind is not Kind.SETUP or header["sender"]["role"] != ROLE:
        raise Malformed(
            N_("the file is a {kind}, not a {expected}"),
            kind=kind_label(container.kind),
            expected=_("province setup file"),
        )
    _container, _manifest, rows = open_signed(data, trusted_key=container.sender_key)
    if len(rows) != 1 or not isinstance(rows[0], dict) or rows[0].get("table") != TABLE_PROVINCE:
        raise _bad(TABLE_PROVINCE)
    values = rows[0].get("values")
    if not isinstance(values, dict) or set(values) != _PROVINCE_FIELDS:
        raise _bad(TABLE_PROVINCE)
    signing = _key(values["signing_key"], "province.signing_key")
    encryption = _key(values["encryption_key"], "province.encryption_key")
    x25519_public_key(encryption)  # Malformed for a low-order point
    if signing != container.sender_key:
        raise _bad("province.signing_key")
    if (values["code"], values["name"]) != (header["district"]["code"], header["district"]["name"]):
        raise _bad("province")
    if values["device_id"] != header["sender"]["id"]:
        raise _bad("province.device_id")
    if not isinstance(values["district_name"], str) or not values["district_name"]:
        raise _bad("province.district_name")
    printed = district_fingerprint(signing, encryption)
    if not fingerprints_match(header["recipient"]["fingerprint"], printed):
        raise _bad("recipient.fingerprint")
    pin = pinned_province(store)
    if pin is None:
        if fingerprint is None:
            raise _refuse(
                _(
                    "Phone the province office, compare its fingerprint and give it with "
                    "--fingerprint: the first province setup file is installed only then."
                )
            )
        if not fingerprints_match(printed, fingerprint):
            # Which group differs, never the file's own fingerprint: shown, it could be copied
            # instead of compared with what the province office reads out.
            typed = check_typed(printed, split_groups(typed_digits(fingerprint)))
            if typed.first_wrong is None:
                raise _refuse(
                    _(
                        "The fingerprint typed is incomplete. Nothing was installed; call the "
                        "province office and give all its groups of digits."
                    )
                )
            raise _refuse(
                _(
                    "The fingerprint typed does not match this file's province fingerprint: "
                    "group {group} differs. Nothing was installed; call the province office "
                    "again and compare digit by digit; if it still differs, do not use this "
                    "file."
                ).format(group=typed.first_wrong)
            )
    else:
        if pin.signing_public != signing:
            raise _refuse(
                _(
                    "This setup file comes from another province than the one this district "
                    "sends to ({name}). Nothing was installed."
                ).format(name=pin.name)
            )
        if int(header["version"]) <= pin.version:
            raise _refuse(
                _(
                    "This province setup file (version {version}) is not newer than the one "
                    "installed (version {installed}). Nothing was installed."
                ).format(version=header["version"], installed=pin.version)
            )
    area = str(header["area"])
    code = str(values["code"])
    if area != settings.code:
        raise _refuse(
            _(
                "This setup file is for kab/kota {area}, but this district store is "
                "{code}. Nothing was installed; ask the province for the file of {code}."
            ).format(area=area, code=settings.code)
        )
    if not within(area, code):
        raise _refuse(
            _("The kab/kota {area} does not lie in this province ({code}).").format(
                area=area, code=code
            )
        )
    pinned = PinnedProvince(
        code=code,
        name=str(values["name"]),
        device_id=str(values["device_id"]),
        signing_public=signing,
        encryption_public=encryption,
        area=area,
        setup_id=container.file_id,
        version=int(header["version"]),
        installed_at=(now or utcnow()).isoformat(),
    )
    with store.transaction() as session:
        set_meta(session, META_PROVINCE_PIN, pinned.to_meta())
        audit(session, state_of(session), "province_setup_install", table_name="store_meta",
              row_id=container.file_id, note=f"{code} {area} v{pinned.version}")  # fmt: skip
    return pinned


__all__ = [
    "META_PROVINCE_PIN",
    "ROLE",
    "IssuedDistrictSetup",
    "IssuedKabkota",
    "PinnedProvince",
    "ProvinceRefused",
    "ProvinceSettings",
    "build_district_setup",
    "check_district_setup",
    "district_setup_file_name",
    "install_province_setup",
    "issued_kabkota",
    "kabkota_names",
    "normalize_province_code",
    "pinned_province",
    "province_settings",
    "require_province",
    "set_province_settings",
    "write_district_setup",
]
