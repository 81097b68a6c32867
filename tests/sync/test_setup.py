"""Setup files, district → laptop: build, verify, enroll, update; every refusal of SECURITY.md
(tests 21 and 22, tampering, another district, another laptop, another area) leaves the laptop
unchanged."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from tests.factories import BACKENDS, FAST_KDF, backend_url

from tpsdesk.domain.nik import synthetic_nik
from tpsdesk.domain.officer import OfficerFields
from tpsdesk.domain.problems import Sex
from tpsdesk.i18n import set_language
from tpsdesk.store import areas
from tpsdesk.store.db import NotFound, Store
from tpsdesk.store.models import ChangeLog, Kecamatan, Kelurahan, Tps, utcnow
from tpsdesk.store.officers import add_officer
from tpsdesk.sync.container import (
    ENCODING_JSONL_ZLIB,
    ENCRYPTION_NONE,
    build_container,
    parse_container,
)
from tpsdesk.sync.errors import BadSignature, Malformed, SyncError
from tpsdesk.sync.fingerprint import normalize_fingerprint
from tpsdesk.sync.identity import (
    WrongRole,
    device_identity,
    district_fingerprint,
    district_identity,
    district_signing_key,
    ensure_device_identity,
    set_district_settings,
)
from tpsdesk.sync.payload import decode_rows, encode_lines, manifest_for
from tpsdesk.sync.setup import (
    TARGET_ALL,
    AreaConflict,
    AreaNotInDistrict,
    BadArea,
    BadTarget,
    DataOutsideArea,
    DistrictNotSet,
    FingerprintMismatch,
    FingerprintRequired,
    NotForThisLaptop,
    OlderSetup,
    OtherArea,
    OtherDistrict,
    build_setup_file,
    enroll,
    installed_setup,
    issued_setup_files,
    pinned_district,
    read_setup_file,
)

KDF = FAST_KDF
PASSPHRASE = "kata sandi yang cukup panjang"
KEC = "35.73.05"
KEL_A = "35.73.05.1001"
KEL_B = "35.73.05.1002"
# The u-coordinate 1: a point of order 4 on Curve25519.
LOW_ORDER_KEY = (1).to_bytes(32, "little")


def typo(fp: str) -> str:
    """`fp` with its last digit changed: what a one-digit mishearing looks like."""
    digits = normalize_fingerprint(fp)
    assert digits is not None
    return digits[:-1] + str((int(digits[-1]) + 1) % 10)


@dataclass
class District:
    store: Store
    tps: dict[str, str]

    def setup(self, area: str = KEL_A, **kwargs: Any) -> bytes:
        return build_setup_file(self.store, area, **kwargs)

    @property
    def fingerprint(self) -> str:
        identity = district_identity(self.store)
        assert identity is not None
        return identity.fingerprint


def make_district(
    path: Path, *, name: str = "Kota Malang", code: str = "35.73", database_url: str | None = None
) -> District:
    store, _recovery = Store.create(
        path, PASSPHRASE, role="district", kdf=KDF, database_url=database_url
    )
    set_district_settings(store, name=name, code=code)
    kec, kel_a, kel_b = KEC, KEL_A, KEL_B
    if code != "35.73":
        kec, kel_a, kel_b = f"{code}.05", f"{code}.05.1001", f"{code}.05.1002"
    areas.add_kecamatan(store, kec, "Lowokwaru")
    areas.add_kelurahan(store, kel_a, "Tunggulwulung", kec)
    areas.add_kelurahan(store, kel_b, "Tlogomas", kec)
    tps = {
        "a1": areas.add_tps(store, kel_a, 1, "Jl. Mawar 1").id,
        "a2": areas.add_tps(store, kel_a, 2, "Jl. Melati 2", voters=300).id,
        "b1": areas.add_tps(store, kel_b, 1, "Jl. Kenanga 1").id,
    }
    return District(store, tps)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


@pytest.fixture(params=BACKENDS)
def district(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[District]:
    made = make_district(tmp_path / "district" / "d.store", database_url=backend_url(request))
    yield made
    made.store.close()


@pytest.fixture
def field_path(tmp_path: Path) -> Path:
    return tmp_path / "laptop" / "f.store"


@pytest.fixture
def field(field_path: Path) -> Iterator[Store]:
    store, _recovery = Store.create(field_path, PASSPHRASE, kdf=KDF)
    ensure_device_identity(store)
    yield store
    store.close()


def snapshot(store: Store, path: Path) -> tuple[Any, ...]:
    """What a refused file must not change: the store file and what it holds."""
    return (
        path.read_bytes(),
        pinned_district(store),
        installed_setup(store),
        [(t.id, t.number) for t in areas.list_tps(store)],
        store.get_setting("catalogue"),
    )


def make_fields(post: str = "kpps_anggota") -> OfficerFields:
    return OfficerFields(
        nik=synthetic_nik(
            random.Random(1), region=KEC, birth_date=date(1985, 3, 14), sex=Sex.MALE, serial=7
        ),
        name="BUDI SANTOSO",
        birth_place="MALANG",
        birth_date=date(1985, 3, 14),
        sex=Sex.MALE,
        address="Jl. Mawar 1",
        postcode="65141",
        phone="081234567890",
        email=None,
        mother_name=None,
        marital_status="Y",
        post_code=post,
        duty_start=date(2024, 11, 7),
        duty_end=date(2024, 12, 8),
    )


def resign(
    data: bytes,
    key: Any,
    *,
    rows: Callable[[list[dict[str, Any]]], None] | None = None,
    header: Callable[[dict[str, Any]], None] | None = None,
) -> bytes:
    """A setup file changed by the district itself (validly signed): for content checks."""
    container = parse_container(data)
    new_header = {k: v for k, v in container.header.items() if k != "payload"}
    if header is not None:
        header(new_header)
    _manifest, wire = decode_rows(container.payload, max_size=10**7)
    if rows is not None:
        rows(wire)
    payload, size, count = encode_lines(manifest_for(new_header), wire)
    new_header["payload"] = {
        "encoding": ENCODING_JSONL_ZLIB,
        "encryption": ENCRYPTION_NONE,
        "size": size,
        "rows": count,
    }
    return build_container(new_header, payload, key)


# -- the district side ------------------------------------------------------------------------


def test_setup_file_holds_keys_area_and_catalogue(district: District) -> None:
    data = district.setup(KEL_A)
    content = read_setup_file(data)
    assert (content.district_name, content.district_code) == ("Kota Malang", "35.73")
    assert content.area == KEL_A and content.target == TARGET_ALL and content.version == 1
    assert content.fingerprint == district_fingerprint(
        content.signing_public, content.encryption_public
    )
    tables = [type(row).__name__ for row in content.rows]
    assert tables == ["Kecamatan", "Kelurahan", "Tps", "Tps"]
    assert {row.id for row in content.rows if isinstance(row, Tps)} == {
        district.tps["a1"],
        district.tps["a2"],
    }
    assert content.catalogue == district.store.catalogue.to_dict()
    header = parse_container(data).header
    assert header["kind"] == "setup" and header["version"] == 1
    assert header["district"] == {"code": "35.73", "name": "Kota Malang"}
    # No personal data, nothing encrypted: `bundle inspect` shows it all.
    assert header["payload"]["encryption"] == "none"


def test_versions_increase_and_are_recorded(district: District) -> None:
    versions = [read_setup_file(district.setup()).version for _ in range(3)]
    assert versions == [1, 2, 3]
    kec = read_setup_file(district.setup(KEC))
    assert kec.version == 4
    issued = issued_setup_files(district.store)
    assert [(item.version, item.area) for item in issued] == [
        (1, KEL_A),
        (2, KEL_A),
        (3, KEL_A),
        (4, KEC),
    ]


def test_kecamatan_setup_includes_every_kelurahan_and_tps(district: District) -> None:
    content = read_setup_file(district.setup(KEC))
    assert content.area == KEC
    assert sorted(row.code for row in content.rows if isinstance(row, Kelurahan)) == [
        KEL_A,
        KEL_B,
    ]
    assert {row.id for row in content.rows if isinstance(row, Tps)} == set(district.tps.values())


def test_building_refusals(district: District, field: Store, tmp_path: Path) -> None:
    with pytest.raises(BadArea):
        district.setup("35.73.05.99")
    with pytest.raises(AreaNotInDistrict):
        district.setup("35.07.05.1001")
    with pytest.raises(NotFound):
        district.setup("35.73.05.1009")
    with pytest.raises(BadTarget):
        district.setup(target="12345")
    with pytest.raises(WrongRole):
        build_setup_file(field, KEL_A)
    bare, _recovery = Store.create(tmp_path / "bare.store", PASSPHRASE, role="district", kdf=KDF)
    try:
        with pytest.raises(DistrictNotSet):
            build_setup_file(bare, KEL_A)
    finally:
        bare.close()
    # None of the refusals took a version number.
    assert read_setup_file(district.setup()).version == 1


# -- enrolment ----------------------------------------------------------------------------------


def test_enroll_with_the_right_fingerprint(district: District, field: Store) -> None:
    overridden = district.store.catalogue.with_overrides({"linmas": {"per_unit": 3}})
    district.store.set_setting("catalogue", overridden.to_dict())
    data = district.setup(KEL_A)
    fp = read_setup_file(data).fingerprint
    laptop = device_identity(field)
    assert laptop is not None

    result = enroll(field, data, confirm_fingerprint=fp.replace(" ", "-"))

    assert result.first and result.warnings == ()
    assert result.district_fingerprint == fp
    assert result.laptop_fingerprint == laptop.fingerprint
    assert result.summary.new == 4
    pin = pinned_district(field)
    assert pin is not None and pin.fingerprint == fp
    assert (pin.code, pin.name) == ("35.73", "Kota Malang")
    installed = installed_setup(field)
    assert installed is not None and (installed.version, installed.area) == (1, KEL_A)
    # The district's row ids and versions, on the laptop.
    field_tps = {t.id: t for t in areas.list_tps(field)}
    assert set(field_tps) == {district.tps["a1"], district.tps["a2"]}
    original = areas.get_tps(district.store, district.tps["a2"])
    assert original is not None
    copy = field_tps[district.tps["a2"]]
    assert (copy.version_device, copy.version_counter, copy.voters) == (
        original.version_device,
        original.version_counter,
        300,
    )
    assert [k.code for k in areas.list_kelurahan(field)] == [KEL_A]
    # The district's catalogue is in force on the laptop.
    linmas = field.catalogue.get("linmas")
    assert linmas is not None and linmas.per_unit == 3
    # Rows that came from the district are not sent back in a bundle.
    with field.read() as session:
        assert list(session.exec(select(ChangeLog))) == []


def test_enroll_with_a_prompt(district: District, field: Store) -> None:
    data = district.setup()
    shown: list[str] = []

    def person_types(expected: str) -> bool:
        shown.append(expected)
        return False

    with pytest.raises(FingerprintMismatch):
        enroll(field, data, confirm_fingerprint=person_types)
    assert shown == [district.fingerprint]
    assert pinned_district(field) is None
    assert enroll(field, data, confirm_fingerprint=lambda _fp: True).first


def test_a_one_digit_typo_is_refused_and_nothing_changes(
    district: District, field: Store, field_path: Path
) -> None:
    data = district.setup()
    before = snapshot(field, field_path)
    with pytest.raises(FingerprintMismatch) as caught:
        enroll(field, data, confirm_fingerprint=typo(read_setup_file(data).fingerprint))
    assert "does not match" in caught.value.message
    with pytest.raises(FingerprintRequired):
        enroll(field, data)
    assert snapshot(field, field_path) == before


def test_enroll_needs_a_field_store(district: District) -> None:
    data = district.setup()
    with pytest.raises(WrongRole):
        enroll(district.store, data, confirm_fingerprint=district.fingerprint)


def test_a_newer_setup_file_updates_the_area(district: District, field: Store) -> None:
    enroll(field, district.setup(), confirm_fingerprint=district.fingerprint)
    new = areas.add_tps(district.store, KEL_A, 3, "Jl. Anggrek 3")
    areas.update_tps(district.store, district.tps["a1"], voters=450)
    areas.delete_tps(district.store, district.tps["a2"])

    result = enroll(field, district.setup())  # pinned: no fingerprint needed

    assert not result.first and result.version == 2
    assert (result.summary.new, result.summary.updated) == (1, 2)
    live = {t.id: t for t in areas.list_tps(field)}
    assert set(live) == {district.tps["a1"], new.id}
    assert live[district.tps["a1"]].voters == 450
    installed = installed_setup(field)
    assert installed is not None and installed.version == 2


def test_a_removed_tps_with_officers_here_is_kept_with_a_warning(
    district: District, field: Store
) -> None:
    enroll(field, district.setup(), confirm_fingerprint=district.fingerprint)
    add_officer(field, make_fields(), tps_id=district.tps["a2"])
    areas.delete_tps(district.store, district.tps["a2"])
    result = enroll(field, district.setup())
    assert result.summary.kept_in_use == (f"{KEL_A}/002",)
    assert any("officers are still placed" in w for w in result.warnings)
    assert district.tps["a2"] in {t.id for t in areas.list_tps(field)}


def test_a_local_edit_newer_than_the_district_is_kept(district: District, field: Store) -> None:
    enroll(field, district.setup(), confirm_fingerprint=district.fingerprint)
    areas.update_tps(field, district.tps["a1"], voters=123)  # the laptop's own version
    result = enroll(field, district.setup())
    assert result.summary.kept_local == 1
    kept = areas.get_tps(field, district.tps["a1"])
    assert kept is not None and kept.voters == 123


def test_older_or_same_setup_file_is_refused(
    district: District, field: Store, field_path: Path
) -> None:
    """SECURITY.md test 21: no rollback to an older setup file."""
    first = district.setup()
    second = district.setup()
    enroll(field, second, confirm_fingerprint=district.fingerprint)
    before = snapshot(field, field_path)
    for data in (first, second):
        with pytest.raises(OlderSetup) as caught:
            enroll(field, data, file="old.tpss")
        assert "older than the one installed" in caught.value.message
        assert caught.value.message.startswith("old.tpss: ")
    assert snapshot(field, field_path) == before


def test_another_districts_setup_file_is_refused(
    district: District, field: Store, field_path: Path, tmp_path: Path
) -> None:
    enroll(field, district.setup(), confirm_fingerprint=district.fingerprint)
    other = make_district(tmp_path / "other" / "o.store", name="Kota Batu", code="35.79")
    try:
        foreign = other.setup("35.79.05.1001")
        before = snapshot(field, field_path)
        with pytest.raises(OtherDistrict) as caught:
            enroll(field, foreign, confirm_fingerprint=other.fingerprint)
        message = caught.value.message
        assert "Kota Batu (35.79)" in message and "Kota Malang (35.73)" in message
        assert other.fingerprint in message and district.fingerprint in message
        assert snapshot(field, field_path) == before
    finally:
        other.store.close()


def test_a_file_claiming_the_pinned_key_but_signed_by_another_is_refused(
    district: District, field: Store, tmp_path: Path
) -> None:
    enroll(field, district.setup(), confirm_fingerprint=district.fingerprint)
    other = make_district(tmp_path / "other" / "o.store")
    try:
        genuine = parse_container(district.setup()).header["sender"]["signing_key"].encode()
        data = other.setup()
        claimed = parse_container(data).header["sender"]["signing_key"].encode()
        spliced = data.replace(claimed, genuine)
        with pytest.raises(BadSignature):
            enroll(field, spliced)
    finally:
        other.store.close()


def test_a_setup_file_for_another_laptop_is_refused(
    district: District, field: Store, field_path: Path
) -> None:
    laptop = device_identity(field)
    assert laptop is not None
    someone_else = typo(laptop.fingerprint)
    before = snapshot(field, field_path)
    with pytest.raises(NotForThisLaptop):
        enroll(field, district.setup(target=someone_else), confirm_fingerprint=district.fingerprint)
    assert snapshot(field, field_path) == before
    # Made for this laptop: accepted, at enrolment and later.
    enroll(
        field, district.setup(target=laptop.fingerprint), confirm_fingerprint=district.fingerprint
    )
    with pytest.raises(NotForThisLaptop):
        enroll(field, district.setup(target=someone_else))
    assert enroll(field, district.setup(target=laptop.fingerprint)).version == 4


def test_a_setup_file_for_another_area_is_refused(
    district: District, field: Store, field_path: Path
) -> None:
    enroll(field, district.setup(KEL_A), confirm_fingerprint=district.fingerprint)
    before = snapshot(field, field_path)
    with pytest.raises(OtherArea) as caught:
        enroll(field, district.setup(KEL_B))
    assert KEL_A in caught.value.message and KEL_B in caught.value.message
    assert snapshot(field, field_path) == before


def test_an_expired_setup_file_is_applied_with_a_warning(district: District, field: Store) -> None:
    data = district.setup(valid_days=1)
    result = enroll(
        field,
        data,
        confirm_fingerprint=district.fingerprint,
        now=utcnow() + timedelta(days=2),
    )
    assert len(result.warnings) == 1 and "expired" in result.warnings[0]
    assert installed_setup(field) is not None


def test_a_store_with_typed_data_enrols_and_keeps_it(
    district: District, field: Store, field_path: Path
) -> None:
    # The area and officers were typed before the district's setup file arrived: the file's
    # kecamatan, kelurahan and TPS 1 are matched by code and number and adopted (the district's
    # ids, names and versions), the officers follow their TPS, a TPS only this laptop has stays.
    from tpsdesk.sync.changes import rows_to_send

    areas.add_kecamatan(field, KEC, "Lowokwaru (typed)")
    areas.add_kelurahan(field, KEL_A, "Tunggul wulung", KEC)
    typed_tps1 = areas.add_tps(field, KEL_A, 1, "Jl. Mawar").id
    own_tps7 = areas.add_tps(field, KEL_A, 7, "Balai RW 7").id
    at_tps1 = add_officer(field, make_fields(), tps_id=typed_tps1).id
    at_tps7 = add_officer(field, make_fields(post="kpps_ketua"), tps_id=own_tps7).id

    result = enroll(field, district.setup(), confirm_fingerprint=district.fingerprint)

    assert result.first and result.summary.adopted == 3  # kecamatan, kelurahan, TPS 1
    assert result.summary.new == 1  # TPS 2
    with field.read() as session:
        tps1 = areas.find_tps_row(session, KEL_A, 1)
        assert tps1 is not None and tps1.id == district.tps["a1"] and tps1.address == "Jl. Mawar 1"
        assert session.get(Tps, typed_tps1) is None
        kelurahan = session.exec(select(Kelurahan)).one()
        assert kelurahan.name == "Tunggulwulung"
        assert session.exec(select(Kecamatan)).one().name == "Lowokwaru"
    placed = {o.id: o.tps_id for o in areas_officers(field)}
    assert placed == {at_tps1: district.tps["a1"], at_tps7: own_tps7}
    # What goes to the district: both officers at the district's TPS id or the laptop's own
    # TPS 7, never a typed id the district does not know.
    sent, _low, _high = rows_to_send(field)
    by_table: dict[str, set[str]] = {}
    for row in sent:
        by_table.setdefault(row["table"], set()).add(row["values"]["id"])
    assert by_table["officer"] == {at_tps1, at_tps7}
    assert by_table.get("tps", set()) == {own_tps7}
    assert "kecamatan" not in by_table and "kelurahan" not in by_table


def areas_officers(store: Store) -> list[Any]:
    from tpsdesk.store.models import Officer

    with store.read() as session:
        return list(session.exec(select(Officer)))


def test_a_store_with_data_outside_the_area_is_not_enrolled(
    district: District, field: Store, field_path: Path
) -> None:
    # Typed data the district would refuse (another kelurahan): a clear refusal, no change.
    areas.add_kecamatan(field, KEC, "Lowokwaru")
    areas.add_kelurahan(field, KEL_B, "Tlogomas", KEC)
    areas.add_tps(field, KEL_B, 1, "Jl. Kenanga 1")
    before = snapshot(field, field_path)
    with pytest.raises(DataOutsideArea) as caught:
        enroll(field, district.setup(), confirm_fingerprint=district.fingerprint)
    assert KEL_B in caught.value.message and KEL_A in caught.value.message
    assert snapshot(field, field_path) == before
    with field.read() as session:
        assert len(list(session.exec(select(Kecamatan)))) == 1
    # The same store enrols with the setup file of its own kelurahan.
    result = enroll(field, district.setup(KEL_B), confirm_fingerprint=district.fingerprint)
    assert result.summary.adopted == 3


def test_a_setup_update_still_refuses_a_place_under_another_id(
    district: District, field: Store
) -> None:
    # After the first enrolment nothing is adopted: this store's rows may have been sent.
    enroll(field, district.setup(), confirm_fingerprint=district.fingerprint)
    areas.add_tps(field, KEL_A, 3, "Jl. Baru")
    areas.add_tps(district.store, KEL_A, 3, "Jl. Baru 3")
    with pytest.raises(AreaConflict):
        enroll(field, district.setup(), confirm_fingerprint=district.fingerprint)


def test_flipping_any_byte_is_refused(district: District, field: Store, field_path: Path) -> None:
    data = district.setup()
    before = snapshot(field, field_path)
    positions = sorted({*range(0, len(data), max(1, len(data) // 97)), len(data) - 1, 8, 9, 13})
    for position in positions:
        tampered = bytearray(data)
        tampered[position] ^= 0x01
        with pytest.raises(SyncError):
            enroll(field, bytes(tampered), confirm_fingerprint=district.fingerprint)
    for cut in (0, 1, 8, 20, len(data) // 2, len(data) - 1):
        with pytest.raises(SyncError):
            enroll(field, data[:cut], confirm_fingerprint=district.fingerprint)
    with pytest.raises(SyncError):
        enroll(field, data + b"\x00", confirm_fingerprint=district.fingerprint)
    assert snapshot(field, field_path) == before


def test_a_low_order_x25519_key_is_refused(district: District, field: Store) -> None:
    """SECURITY.md test 22, for the district key a setup file carries."""
    key = district_signing_key(district.store)
    signing = base64.b64decode(parse_container(district.setup()).header["sender"]["signing_key"])

    def low_order(rows: list[dict[str, Any]]) -> None:
        rows[0]["values"]["encryption_key"] = base64.b64encode(LOW_ORDER_KEY).decode()

    def recipient(header: dict[str, Any]) -> None:
        header["recipient"]["fingerprint"] = district_fingerprint(signing, LOW_ORDER_KEY)

    crafted = resign(district.setup(), key, rows=low_order, header=recipient)
    with pytest.raises(Malformed) as caught:
        read_setup_file(crafted)
    assert "low-order" in caught.value.message
    with pytest.raises(Malformed):
        enroll(field, crafted, confirm_fingerprint=lambda _fp: True)
    assert pinned_district(field) is None


def test_content_checks_of_a_validly_signed_file(district: District) -> None:
    key = district_signing_key(district.store)

    def outside_area(rows: list[dict[str, Any]]) -> None:
        rows[-1]["values"]["kelurahan_code"] = KEL_B

    def bad_catalogue(rows: list[dict[str, Any]]) -> None:
        rows[1]["values"] = {"posts": []}

    def foreign_key(rows: list[dict[str, Any]]) -> None:
        rows[0]["values"]["signing_key"] = rows[0]["values"]["encryption_key"]

    def duplicate_id(rows: list[dict[str, Any]]) -> None:
        rows[-1]["values"]["id"] = rows[-2]["values"]["id"]

    for mutate in (outside_area, bad_catalogue, foreign_key, duplicate_id):
        crafted = resign(district.setup(), key, rows=mutate)
        with pytest.raises(Malformed):
            read_setup_file(crafted, file="x.tpss")


_ODD_VALUES: list[Any] = [None, True, 0, -1, 2**40, "", "x", KEC, [], {}, {"a": 1}, "AAAA"]


def _mutate(rng: random.Random, value: Any, depth: int = 0) -> None:
    if isinstance(value, dict) and value:
        key = rng.choice(sorted(value))
        roll = rng.random()
        if roll < 0.15:
            del value[key]
        elif roll < 0.5 or depth > 4:
            value[key] = rng.choice(_ODD_VALUES)
        else:
            _mutate(rng, value[key], depth + 1)
    elif isinstance(value, list) and value:
        index = rng.randrange(len(value))
        roll = rng.random()
        if roll < 0.15:
            del value[index]
        elif roll < 0.3:
            value.insert(index, value[rng.randrange(len(value))])
        elif roll < 0.5:
            value[index] = rng.choice(_ODD_VALUES)
        else:
            _mutate(rng, value[index], depth + 1)


def test_mutated_contents_give_only_clear_refusals(district: District, field: Store) -> None:
    """SECURITY.md test 23 for setup files: validly signed but mutated contents are refused
    with the program's own errors, never a traceback, and the laptop is left as it was."""
    key = district_signing_key(district.store)
    data = district.setup(KEC)
    rng = random.Random(23)
    refused = 0
    for _ in range(150):
        try:
            crafted = resign(data, key, rows=lambda rows: _mutate(rng, rows))
        except (TypeError, ValueError):
            continue  # the mutation has no canonical JSON form: nothing to read
        try:
            read_setup_file(crafted)
        except SyncError:
            refused += 1
            with pytest.raises(SyncError):
                enroll(field, crafted, confirm_fingerprint=lambda _fp: True)
    assert refused > 50
    assert pinned_district(field) is None
