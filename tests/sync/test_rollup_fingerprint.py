"""One district fingerprint: the province knows, shows and approves a district by the district
fingerprint of both its keys (what `tpsdesk identity` prints at the district), and a file that
names the same district with another key rides on nothing (sync/rollup.py, sync/district.py)."""

from __future__ import annotations

import base64
import copy
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from tests.sync.test_rollup import (
    TODAY,
    District,
    _close_stores,  # noqa: F401  (the autouse fixture that closes the stores)
    files,
    join,
    make_district,
    make_province,
    merge_all,
    sender_of,
    snapshot,
)

from tpsdesk.store.db import Store
from tpsdesk.store.versioning import get_meta, set_meta
from tpsdesk.sync import district
from tpsdesk.sync.container import (
    assemble,
    canonical_json,
    describe_header,
    encode_key,
    parse_container,
)
from tpsdesk.sync.district_models import DeviceStatus
from tpsdesk.sync.errors import Malformed, OlderRollup
from tpsdesk.sync.fingerprint import fingerprint as key_fingerprint
from tpsdesk.sync.identity import META_DISTRICT_KEYS, district_identity, district_signing_key
from tpsdesk.sync.inbox import InboxStatus, scan, statuses
from tpsdesk.sync.payload import seal_bundle
from tpsdesk.sync.province import ProvinceRefused
from tpsdesk.sync.rollup import receive_rollup

World = tuple[Store, District, District]


@pytest.fixture
def world(tmp_path: Path) -> World:
    province = make_province(tmp_path / "p" / "p.store")
    a = make_district(tmp_path / "a" / "a.store", "35.73", "Kota Malang", officers=2)
    b = make_district(tmp_path / "b" / "b.store", "35.07", "Kabupaten Malang", officers=1)
    join(province, a)
    join(province, b)
    return province, a, b


def fingerprint_of(d: District) -> str:
    identity = district_identity(d.store)
    assert identity is not None
    return identity.fingerprint


def province_key(province: Store) -> bytes:
    identity = district_identity(province)
    assert identity is not None
    return identity.encryption_public


def new_encryption_key(d: District) -> None:
    """The district store's X25519 key replaced, its signing key kept (a forger who holds the
    signing key, or a store whose key was swapped)."""
    with d.store.transaction() as session:
        keys = dict(get_meta(session, META_DISTRICT_KEYS))
        raw = X25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )
        keys["encryption_key"] = base64.b64encode(raw).decode("ascii")
        set_meta(session, META_DISTRICT_KEYS, keys)


def resealed(d: District, province: Store, data: bytes, change: Any) -> bytes:
    """A roll-up file's header changed by `change(header)` and signed again by the district
    (so only the change is wrong, not the signature)."""
    container = parse_container(data)
    header = copy.deepcopy(container.header)
    if change is not None and getattr(change, "raw", False):
        # Past the writer's own checks: a file as a reader may get it.
        change(header)
        return assemble(
            canonical_json(header), container.payload, district_signing_key(d.store).sign
        )
    del header["payload"]
    header["file_id"] = str(uuid.uuid4())
    change(header)
    return seal_bundle(header, None, [], district_signing_key(d.store), province_key(province))


def raw(change: Any) -> Any:
    change.raw = True
    return change


def test_the_province_knows_a_district_by_the_fingerprint_of_identity(
    world: World, tmp_path: Path
) -> None:
    province, a, _b = world
    name, data = files(a, tmp_path / "out")[0]
    outcome = receive_rollup(province, data, file=name, today=TODAY)
    shown = fingerprint_of(a)
    assert outcome.status == "quarantined" and outcome.fingerprint == shown
    device = district.get_device(province, sender_of(a))
    assert device is not None and district.shown_fingerprint(device) == shown
    # `bundle inspect` names the same number.
    described = dict(describe_header(parse_container(data).header))
    assert described["District fingerprint (compared when the province approves it)"] == shown
    # The signing key's own fingerprint (what the province used to show) is not it.
    signing = district_identity(a.store)
    assert signing is not None
    with pytest.raises(district.UnknownDistrict, match="No district with fingerprint"):
        district.approve(province, key_fingerprint(signing.signing_public))
    approved = district.approve(province, shown)
    assert approved.status == DeviceStatus.APPROVED.value and approved.area_code == a.code


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(lambda fp: fp[:17], id="partial"),
        pytest.param(lambda fp: fp[:-1] + ("1" if fp[-1] != "1" else "2"), id="last-digit"),
        pytest.param(lambda fp: "", id="empty"),
    ],
)
def test_a_wrong_or_partial_fingerprint_changes_nothing(
    world: World, tmp_path: Path, typed: Any
) -> None:
    province, a, _b = world
    merge_all(province, files(a, tmp_path / "out"))
    before = snapshot(province)
    wrong = typed(fingerprint_of(a))
    with pytest.raises(district.UnknownDistrict) as caught:
        district.approve(province, wrong)
    assert "tpsdesk identity" in caught.value.message
    with pytest.raises(district.UnknownDistrict):
        district.revoke(province, wrong)
    device = district.get_device(province, sender_of(a))
    assert device is not None and device.status == DeviceStatus.PENDING.value
    assert len(district.quarantined(province, device.device_id)) == 1
    assert snapshot(province) == before


def test_another_encryption_key_does_not_ride_on_the_approval(world: World, tmp_path: Path) -> None:
    province, a, _b = world
    merge_all(province, files(a, tmp_path / "first"))
    district.approve(province, fingerprint_of(a))
    device = district.get_device(province, sender_of(a))
    assert device is not None
    held = (device.fingerprint, device.encryption_key, device.status)
    before = snapshot(province)
    new_encryption_key(a)  # same sender id and signing key, another encryption key
    assert sender_of(a) == device.device_id
    name, data = files(a, tmp_path / "second")[0]
    with pytest.raises(district.DistrictKeyMismatch) as caught:
        receive_rollup(province, data, file=name, today=TODAY)
    message = caught.value.message
    assert name in message and "district" in message and "encryption key" in message
    after = district.get_device(province, sender_of(a))
    assert after is not None and (after.fingerprint, after.encryption_key, after.status) == held
    assert snapshot(province) == before


def test_another_encryption_key_is_refused_while_the_district_waits(
    world: World, tmp_path: Path
) -> None:
    province, a, _b = world
    merge_all(province, files(a, tmp_path / "first"))
    new_encryption_key(a)
    name, data = files(a, tmp_path / "second")[0]
    with pytest.raises(district.DistrictKeyMismatch):
        receive_rollup(province, data, file=name, today=TODAY)
    device = district.get_device(province, sender_of(a))
    assert device is not None
    assert len(district.quarantined(province, device.device_id)) == 1  # only the first


def test_a_roll_up_of_an_older_tpsdesk_is_refused(world: World, tmp_path: Path) -> None:
    province, a, _b = world
    _name, data = files(a, tmp_path / "out")[0]
    older = resealed(a, province, data, raw(lambda h: h["sender"].pop("encryption_key")))
    with pytest.raises(OlderRollup) as caught:
        receive_rollup(province, older, file="old.tpsu", today=TODAY)
    assert "older tpsdesk" in caught.value.message and "export" in caught.value.message
    assert district.list_devices(province) == []


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("AAAA", id="short"),
        pytest.param(encode_key(b"\x01" * 32)[:-2] + "F=", id="not-canonical"),
        pytest.param(base64.b64encode(b"\x02" * 33).decode(), id="33-bytes"),
        pytest.param(encode_key(bytes(32)), id="low-order"),
    ],
)
def test_a_bad_district_encryption_key_in_the_header_is_refused(
    world: World, tmp_path: Path, bad: str
) -> None:
    province, a, _b = world
    _name, data = files(a, tmp_path / "out")[0]

    def spoil(header: dict[str, Any]) -> None:
        header["sender"]["encryption_key"] = bad

    with pytest.raises(ValueError, match=r"sender\.encryption_key"):
        resealed(a, province, data, spoil)  # the writer checks its own header
    spoilt = resealed(a, province, data, raw(spoil))
    with pytest.raises(Malformed, match=r"sender\.encryption_key"):
        receive_rollup(province, spoilt, file="bad.tpsu", today=TODAY)
    assert district.list_devices(province) == []


def test_a_laptops_bundle_at_the_province_is_refused_clearly(world: World, tmp_path: Path) -> None:
    province, a, _b = world
    _name, data = files(a, tmp_path / "out")[0]

    def as_bundle(header: dict[str, Any]) -> None:
        header["kind"] = "bundle"
        header["sender"] = {
            "id": "a" * 32,
            "role": "field",
            "signing_key": header["sender"]["signing_key"],
        }
        header.pop("setup")

    bundle = resealed(a, province, data, as_bundle)
    with pytest.raises(ProvinceRefused) as caught:
        receive_rollup(province, bundle, file="laptop.tpsb", today=TODAY)
    assert "laptop's bundle" in caught.value.message and "district office" in caught.value.message
    assert district.list_devices(province) == []
    # The inbox says so before anything is merged.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "laptop.tpsb").write_bytes(bundle)
    (inbox / "3573_rollup_1-1.tpsu").write_bytes(data)
    rows = {row.entry.name: row for row in statuses(province, scan(inbox))}
    assert rows["laptop.tpsb"].status is InboxStatus.WRONG_KIND
    assert rows["3573_rollup_1-1.tpsu"].status is InboxStatus.NEW
    assert rows["3573_rollup_1-1.tpsu"].fingerprint == fingerprint_of(a)


def test_the_quarantine_caps_speak_of_districts(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    province, a, _b = world
    monkeypatch.setattr(district, "QUARANTINE_FILES_PER_KEY", 1)
    merge_all(province, files(a, tmp_path / "first"))
    name, data = files(a, tmp_path / "second")[0]
    with pytest.raises(district.QuarantineFull) as caught:
        receive_rollup(province, data, file=name, today=TODAY)
    message = caught.value.message
    assert fingerprint_of(a) in message and "district" in message
    assert "laptop" not in message
    device = district.get_device(province, sender_of(a))
    assert device is not None and len(district.quarantined(province, device.device_id)) == 1


def test_one_district_fingerprint_on_a_postgresql_province(
    tmp_path: Path, postgres_url: str
) -> None:
    """The same on a province whose data is in PostgreSQL: the district is kept, shown and
    approved by its district fingerprint; another encryption key is refused."""
    from tests.sync.conftest import make_store

    from tpsdesk.sync.district_models import ensure_district_tables
    from tpsdesk.sync.identity import ensure_district_identity
    from tpsdesk.sync.province import set_province_settings

    province = make_store(tmp_path / "p" / "p.keyring", "province", database_url=postgres_url)
    a = make_district(tmp_path / "a" / "a.store", "35.73", "Kota Malang", officers=1)
    try:
        ensure_district_tables(province)
        ensure_district_identity(province)
        set_province_settings(province, name="Jawa Timur", code="35")
        join(province, a)
        name, data = files(a, tmp_path / "first")[0]
        outcome = receive_rollup(province, data, file=name, today=TODAY)
        assert outcome.status == "quarantined" and outcome.fingerprint == fingerprint_of(a)
        with pytest.raises(district.UnknownDistrict):
            district.approve(province, fingerprint_of(a)[:23])
        approved = district.approve(province, fingerprint_of(a))
        assert approved.area_code == "35.73"
        new_encryption_key(a)
        name, data = files(a, tmp_path / "second")[0]
        with pytest.raises(district.DistrictKeyMismatch):
            receive_rollup(province, data, file=name, today=TODAY)
    finally:
        a.store.close()
        province.close()


def test_a_district_whose_setup_file_the_province_lost_is_not_approved(
    world: World, tmp_path: Path
) -> None:
    """The province's record of the setup file it issued is gone (a store put back from an
    older copy): the kab/kota is never taken from the roll-up file, and the refusal speaks of
    districts and of what to do."""
    from tpsdesk.sync.setup import META_SETUP_ISSUED

    province, a, _b = world
    with province.transaction() as session:
        issued = dict(get_meta(session, META_SETUP_ISSUED, {}) or {})
        kept = {k: v for k, v in issued.items() if v.get("area") != a.code}
        assert len(kept) < len(issued)
        set_meta(session, META_SETUP_ISSUED, kept)
    name, data = files(a, tmp_path / "out")[0]
    assert receive_rollup(province, data, file=name, today=TODAY).status == "quarantined"
    before = snapshot(province)
    with pytest.raises(district.AreaNotIssued) as refused:
        district.approve(province, fingerprint_of(a))
    text = refused.value.message
    assert "issued no setup file for the kab/kota this district claims (35.73)" in text
    assert "laptop" not in text.lower()
    assert snapshot(province) == before
