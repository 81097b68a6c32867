"""Bundles read once and within bounds; a quarantine nobody can fill (issue 8, point 2 and the
bundle flow of point 12; SECURITY.md tests 26 and 27).

Hostile files are made the way a hostile laptop operator would: validly signed (and encrypted
to the district) by an enrolled laptop's own key, with a payload written by hand. Time and
memory are not asserted (they were measured by hand, see docs/formats.md "Limits"); what is
asserted is the refusal, its reason, and that it came before the rows were built.
"""

from __future__ import annotations

import functools
import os
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import select
from tests.sync.test_flow import PASS, add_officer, enrolled_laptop
from tests.sync.test_flow import district_store as make_district

from tpsdesk.cli import main
from tpsdesk.i18n import set_language
from tpsdesk.store import officers
from tpsdesk.store.db import Store
from tpsdesk.store.models import AuditEntry
from tpsdesk.sync import district, payload
from tpsdesk.sync.bundle import (
    ReceiveFailure,
    ReceiveOutcome,
    build_bundle,
    export_bundle,
    merge_released,
    read_bundle_file,
    receive_bundle,
    receive_files,
)
from tpsdesk.sync.container import (
    MAX_ROWS,
    assemble,
    canonical_json,
    encode_key,
    raw_public_key,
)
from tpsdesk.sync.district_models import BundleStatus
from tpsdesk.sync.errors import Malformed, PayloadTooLarge
from tpsdesk.sync.hpke import seal_to
from tpsdesk.sync.identity import signing_key
from tpsdesk.sync.payload import (
    BUNDLE_BOUNDS,
    BUNDLE_INFO_LABEL,
    decode_lines,
    manifest_for,
)
from tpsdesk.sync.setup import build_setup_file, pinned_district

World = tuple[Store, Store, Path]


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language(None)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    hq = make_district(tmp_path / "district" / "d.store")
    laptop = enrolled_laptop(tmp_path / "laptop" / "l.store", build_setup_file(hq, KEL))
    yield hq, laptop, tmp_path
    laptop.close()
    hq.close()


KEL = "35.73.05.1001"


def approve(hq: Store, laptop: Store, tmp: Path, serial: int = 1) -> ReceiveOutcome:
    """The laptop's first real bundle waits, the laptop is approved, the bundle merged."""
    add_officer(laptop, serial)
    first = export_bundle(laptop, tmp / "usb")
    waiting = receive_bundle(hq, read_bundle_file(first.path), file=first.path.name)
    district.approve(hq, waiting.fingerprint)
    [merged] = merge_released(hq, waiting.device_id)
    assert isinstance(merged, ReceiveOutcome) and merged.status == "merged"
    return waiting


def sealed(
    laptop: Store,
    lines: bytes,
    *,
    rows: int,
    size: int | None = None,
    key: Ed25519PrivateKey | None = None,
    ciphertext: bytes | None = None,
) -> bytes:
    """A bundle of this laptop (its header as `build_bundle` writes it, a fresh file id)
    whose payload is the manifest then `lines` as given, claiming `rows` rows and `size`
    unpacked bytes; signed by `key` (default: the laptop's own) and encrypted to the
    district — validly, whatever the lines hold. The header is not checked here."""
    add_officer(laptop, int.from_bytes(os.urandom(2)) % 9000 + 100)  # something to send
    header, _data = build_bundle(laptop)
    key = key or signing_key(laptop)
    assert key is not None
    header = {
        **header,
        "file_id": str(uuid.uuid4()),
        "sender": {**header["sender"], "signing_key": encode_key(raw_public_key(key))},
    }
    plain = canonical_json(manifest_for(header)) + b"\n" + lines
    header["payload"] = {
        **header["payload"],
        "rows": rows,
        "size": len(plain) if size is None else size,
    }
    header_bytes = canonical_json(header)
    district_key = pinned_district(laptop)
    assert district_key is not None
    if ciphertext is None:
        ciphertext = seal_to(
            district_key.encryption_public,
            zlib.compress(plain, 9),
            BUNDLE_INFO_LABEL + header_bytes,
        )
    return assemble(header_bytes, ciphertext, key.sign)


@pytest.fixture
def parsed_lines(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the payload lines `json.loads` was run on (a list holding one counter)."""
    count = [0]
    original = payload._parse_line

    def counting(line: bytes, **kwargs: Any) -> dict[str, Any]:
        count[0] += 1
        return original(line, **kwargs)

    monkeypatch.setattr(payload, "_parse_line", counting)
    return count


def refused_while_reading(hq: Store, data: bytes) -> PayloadTooLarge:
    with pytest.raises(PayloadTooLarge) as caught:
        receive_bundle(hq, data, file="hostile.tpsb")
    assert "hostile.tpsb" in caught.value.message
    assert "protect this computer" in caught.value.message
    return caught.value


# -- 1. bounded before work --------------------------------------------------------------------


def test_a_claim_of_a_million_rows_is_refused_before_anything_is_opened(
    world: World, parsed_lines: list[int]
) -> None:
    hq, laptop, tmp = world
    approve(hq, laptop, tmp)
    parsed_lines[0] = 0
    # 4 KB of zlib that unpacks to a million `{}` rows, and says so in its header.
    data = sealed(laptop, b"{}\n" * 1_000_000, rows=1_000_000)
    assert len(data) < 8_000
    with pytest.raises(Malformed) as caught:
        receive_bundle(hq, data, file="bomb.tpsb")
    assert caught.value.reason_text() == "header field payload.rows is missing or invalid"
    assert parsed_lines == [0]
    assert officers.count_officers(hq) == 1


def test_a_million_rows_under_a_smaller_claim_stop_at_the_claim(
    world: World, parsed_lines: list[int]
) -> None:
    hq, laptop, tmp = world
    approve(hq, laptop, tmp)
    parsed_lines[0] = 0
    data = sealed(laptop, b"{}\n" * 1_000_000, rows=1000, size=3_000_000)
    error = refused_while_reading(hq, data)
    assert (error.what, error.limit) == ("number of rows", 1000)
    assert parsed_lines[0] <= 1001 + 1  # the manifest and the claimed rows, no more


def test_rows_beyond_the_cap_cannot_be_claimed() -> None:
    assert MAX_ROWS == 100_000  # a kecamatan of ~50,000 officers, twice over


def test_wide_rows_are_refused_before_they_are_parsed(
    world: World, parsed_lines: list[int]
) -> None:
    hq, laptop, tmp = world
    approve(hq, laptop, tmp)
    parsed_lines[0] = 0
    # Rows of 10,000 empty objects each: 65 KB of zlib once meant 1.6 GB of dicts.
    row = b'{"a":[' + b"{}," * 9_999 + b"{}]}\n"
    lines = row * 50
    data = sealed(laptop, lines, rows=50)
    error = refused_while_reading(hq, data)
    assert (error.what, error.limit) == ("JSON objects and arrays in one line", 64)
    assert parsed_lines == [1]  # the manifest only


def test_deep_rows_are_refused_before_they_are_parsed(
    world: World, parsed_lines: list[int]
) -> None:
    hq, laptop, tmp = world
    approve(hq, laptop, tmp)
    parsed_lines[0] = 0
    deep = b'{"a":' * 7 + b"1" + b"}" * 7 + b"\n"  # 7 levels: canonical, but no row is that deep
    error = refused_while_reading(hq, sealed(laptop, deep, rows=1))
    assert (error.what, error.limit) == ("nesting depth", BUNDLE_BOUNDS.max_depth)
    assert parsed_lines == [1]


def test_a_line_too_long_is_refused(world: World, parsed_lines: list[int]) -> None:
    hq, laptop, tmp = world
    approve(hq, laptop, tmp)
    parsed_lines[0] = 0
    long_row = b'{"a":"' + b"x" * (BUNDLE_BOUNDS.max_line) + b'"}\n'
    error = refused_while_reading(hq, sealed(laptop, long_row, rows=1))
    assert (error.what, error.limit) == ("line length", 64 * 1024)
    assert parsed_lines == [1]


def test_rows_or_bytes_over_the_header_claim_are_refused(
    world: World, parsed_lines: list[int]
) -> None:
    hq, laptop, tmp = world
    approve(hq, laptop, tmp)
    parsed_lines[0] = 0
    five = b'{"seq":1}\n' * 5
    error = refused_while_reading(hq, sealed(laptop, five, rows=3))
    assert (error.what, error.limit) == ("number of rows", 3)
    assert parsed_lines[0] <= 1 + 3 + 1
    error = refused_while_reading(hq, sealed(laptop, five, rows=5, size=60))
    assert error.what == "unpacked size"


def _decode(lines: bytes, **bounds: int) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    from dataclasses import replace

    data = zlib.compress(b'{"m":1}\n' + lines)
    return decode_lines(data, max_size=10**7, bounds=replace(BUNDLE_BOUNDS, **bounds))


def test_objects_and_arrays_are_counted_in_all() -> None:
    rows = b'{"a":{"b":[1]}}\n' * 60  # 3 each
    assert len(_decode(rows, max_containers=1 + 180)[1]) == 60
    with pytest.raises(PayloadTooLarge) as caught:
        _decode(rows, max_containers=1 + 179)
    assert caught.value.what == "JSON objects and arrays in all"


def test_brackets_inside_texts_neither_count_nor_hide_depth() -> None:
    text = b'{"address":"[[[[{{{{ Jl. Mawar ]]]]}}}}","values":{"id":"x"}}\n'
    assert _decode(text * 3, max_line_containers=4)[1][0]["values"] == {"id": "x"}
    # Closing brackets inside a text make the quick look think the row is shallow: the
    # parsed row is measured too.
    hidden = b'{"a":"]]]]]]","b":{"c":{"d":{"e":{"f":{"g":1}}}}}}\n'
    with pytest.raises(PayloadTooLarge) as caught:
        _decode(hidden)
    assert caught.value.what == "nesting depth"
    # A text that never ends costs one pass, and is refused as unreadable JSON.
    with pytest.raises(Malformed):
        _decode(b'{"a":"' + b'\\"' * 20_000 + b"[{" * 10 + b"\n")


# -- 2. quarantine capped ----------------------------------------------------------------------


def _held(hq: Store) -> int:
    return len(district.quarantined(hq))


def test_quarantine_is_capped_per_laptop_key(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    hq, laptop, _tmp = world
    monkeypatch.setattr(district, "QUARANTINE_FILES_PER_KEY", 2)
    files = [sealed(laptop, b"", rows=0) for _ in range(3)]
    assert [receive_bundle(hq, f, file="w.tpsb").status for f in files[:2]] == ["quarantined"] * 2
    with pytest.raises(district.QuarantineFull) as caught:
        receive_bundle(hq, files[2], file="third.tpsb")
    message = caught.value.message
    assert "third.tpsb" in message and "2 files" in message and "dismiss" in message
    assert caught.value.fingerprint in message
    assert _held(hq) == 2
    # Bytes count too.
    monkeypatch.setattr(district, "QUARANTINE_FILES_PER_KEY", 20)
    monkeypatch.setattr(district, "QUARANTINE_BYTES_PER_KEY", 2 * len(files[0]) + 10)
    with pytest.raises(district.QuarantineFull):
        receive_bundle(hq, files[2], file="third.tpsb")
    assert _held(hq) == 2


KEYS = [bytes([n]) * 32 for n in range(1, 8)]


def _wait(hq: Store, device: str, key: bytes, data: bytes = b"raw") -> bool:
    return district.quarantine(
        hq,
        file_id=str(uuid.uuid4()),
        device_id=device,
        seq_from=1,
        seq_to=1,
        area=KEL,
        data=data,
        signing_key=key,
    )


def test_quarantine_is_capped_in_all(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    hq, _laptop, _tmp = world
    monkeypatch.setattr(district, "QUARANTINE_FILES", 3)
    for n in range(3):
        assert _wait(hq, f"d{n}", KEYS[n])
    with pytest.raises(district.QuarantineFull) as caught:
        _wait(hq, "d3", KEYS[3])
    assert "3 files" in caught.value.message and not caught.value.fingerprint
    # Nothing of the refused file was kept, not even its laptop.
    assert district.get_device(hq, "d3") is None and _held(hq) == 3
    monkeypatch.setattr(district, "QUARANTINE_FILES", 500)
    monkeypatch.setattr(district, "QUARANTINE_BYTES", 10)
    with pytest.raises(district.QuarantineFull):
        _wait(hq, "d0", KEYS[0], b"more than ten bytes")


def test_pending_laptops_are_capped(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    hq, _laptop, _tmp = world
    monkeypatch.setattr(district, "MAX_PENDING", 2)
    assert _wait(hq, "d0", KEYS[0]) and _wait(hq, "d1", KEYS[1])
    with pytest.raises(district.TooManyPending) as caught:
        _wait(hq, "d2", KEYS[2])
    assert "2 laptops already wait" in caught.value.message
    assert district.get_device(hq, "d2") is None and _held(hq) == 2
    with pytest.raises(district.TooManyPending):
        district.register_pending(hq, device_id="d2", signing_key=KEYS[2], area=KEL)
    assert _wait(hq, "d1", KEYS[1])  # a laptop already waiting may still send
    district.dismiss(hq, district.key_fingerprint(KEYS[0]))
    assert _wait(hq, "d2", KEYS[2])  # room again


# -- 3. a known device id under another key ---------------------------------------------------


def test_a_forged_file_under_a_waiting_laptops_id_is_refused_and_it_stays_approvable(
    world: World,
) -> None:
    hq, laptop, tmp = world
    add_officer(laptop, 1)
    real = export_bundle(laptop, tmp / "usb")
    waiting = receive_bundle(hq, read_bundle_file(real.path), file=real.path.name)
    assert waiting.status == "quarantined"
    # Someone holding only the setup file writes a bundle naming the same device id.
    forged = sealed(laptop, b"", rows=0, key=Ed25519PrivateKey.generate())
    with pytest.raises(district.DeviceKeyMismatch) as caught:
        receive_bundle(hq, forged, file="forged.tpsb")
    assert "forged.tpsb" in caught.value.message
    assert [e.device_id for e in district.quarantined(hq)] == [waiting.device_id]
    district.approve(hq, waiting.fingerprint)
    [merged] = merge_released(hq, waiting.device_id)
    assert isinstance(merged, ReceiveOutcome) and merged.status == "merged"
    assert officers.count_officers(hq) == 1
    # Once approved, the same forgery is refused the same way, before any decryption.
    with pytest.raises(district.DeviceKeyMismatch):
        receive_bundle(hq, forged, file="forged.tpsb")


# -- 4. approval skips a failing waiting file; dismiss ----------------------------------------


def test_approval_merges_what_waited_and_skips_a_damaged_file_with_a_report(
    world: World,
) -> None:
    hq, laptop, tmp = world
    add_officer(laptop, 1)
    first = export_bundle(laptop, tmp / "usb")
    waiting = receive_bundle(hq, read_bundle_file(first.path), file=first.path.name)
    # Validly signed by the laptop's key, but its payload opens to nothing.
    damaged = sealed(laptop, b"", rows=0, ciphertext=os.urandom(200))
    assert receive_bundle(hq, damaged, file="damaged.tpsb").status == "quarantined"
    wide = sealed(laptop, b'{"a":[' + b"{}," * 99 + b"{}]}\n", rows=1)
    assert receive_bundle(hq, wide, file="wide.tpsb").status == "quarantined"
    add_officer(laptop, 2)
    later = export_bundle(laptop, tmp / "usb")
    assert receive_bundle(hq, read_bundle_file(later.path), file="l.tpsb").status == "quarantined"

    district.approve(hq, waiting.fingerprint)
    outcomes = merge_released(hq, waiting.device_id)
    failed = [o for o in outcomes if isinstance(o, ReceiveFailure)]
    merged = [o for o in outcomes if isinstance(o, ReceiveOutcome)]
    assert sorted(f.code for f in failed) == ["decryption_failed", "payload_too_large"]
    assert all(f.message.startswith("waiting bundle ") for f in failed)
    assert [o.status for o in merged] == ["merged", "merged"]
    assert officers.count_officers(hq) >= 2
    # The damaged files are recorded as refused and no longer wait: approving again (or
    # the next approval) does not trip over them.
    assert district.quarantined(hq) == []
    assert merge_released(hq, waiting.device_id) == []
    records = [
        district.bundle_record(hq, district_file) for district_file in _file_ids(damaged, wide)
    ]
    assert [r.status for r in records if r is not None] == [BundleStatus.REFUSED.value] * 2


def _file_ids(*files: bytes) -> list[str]:
    from tpsdesk.sync.container import parse_container

    return [parse_container(f).file_id for f in files]


def _audit_actions(store: Store) -> list[str]:
    with store.read() as session:
        return [e.action for e in session.exec(select(AuditEntry))]


def test_a_waiting_laptop_can_be_dismissed_and_no_other(world: World) -> None:
    hq, laptop, tmp = world
    files = [sealed(laptop, b"", rows=0) for _ in range(2)]
    outcome = next(iter(receive_bundle(hq, f, file="w.tpsb") for f in files))
    receive_bundle(hq, files[1], file="w.tpsb")
    assert _held(hq) == 2
    assert district.dismiss(hq, outcome.fingerprint) == 2
    assert district.list_devices(hq) == [] and _held(hq) == 0
    assert "device_dismiss" in _audit_actions(hq)
    for f in files:  # their file ids are forgotten too: the laptop may send them again
        assert district.bundle_record(hq, _file_ids(f)[0]) is None
    with pytest.raises(district.UnknownDevice):
        district.dismiss(hq, outcome.fingerprint)
    approved = approve(hq, laptop, tmp, serial=2)
    with pytest.raises(district.NotDismissable) as caught:
        district.dismiss(hq, approved.fingerprint)
    assert "revoke it" in caught.value.message
    district.revoke(hq, approved.fingerprint)
    with pytest.raises(district.NotDismissable, match="is revoked"):
        district.dismiss(hq, approved.fingerprint)


def test_dismiss_and_a_skipped_file_on_the_command_line(world: World) -> None:
    hq, laptop, tmp = world
    add_officer(laptop, 1)
    first = export_bundle(laptop, tmp / "usb")
    waiting = receive_bundle(hq, read_bundle_file(first.path), file=first.path.name)
    damaged = sealed(laptop, b"", rows=0, ciphertext=os.urandom(200))
    receive_bundle(hq, damaged, file="damaged.tpsb")
    path = hq.path
    hq.close()
    runner = CliRunner(env={"TPSDESK_PASSPHRASE": PASS, "TPSDESK_LANG": None,
                            "TPSDESK_CONFIG_DIR": str(tmp / "config")})  # fmt: skip

    def run(*args: str) -> Any:
        return runner.invoke(main, ["--lang", "en", "--store", str(path), *args])

    listed = run("district", "devices", "dismiss", "11111 22222 33333 44444 55555 66666")
    assert listed.exit_code == 1 and "Traceback" not in listed.output
    approved = run("district", "devices", "approve", waiting.fingerprint)
    assert approved.exit_code == 1, approved.output  # one waiting file failed
    assert "1 accepted" in approved.stdout
    assert "waiting bundle" in approved.stderr and "cannot be decrypted" in approved.stderr
    refused = run("district", "devices", "dismiss", waiting.fingerprint)
    assert refused.exit_code == 1 and "only a waiting laptop" in refused.stderr


def test_dismiss_on_the_command_line(world: World) -> None:
    hq, laptop, tmp = world
    fingerprint = receive_bundle(hq, sealed(laptop, b"", rows=0), file="w.tpsb").fingerprint
    path = hq.path
    hq.close()
    runner = CliRunner(env={"TPSDESK_PASSPHRASE": PASS, "TPSDESK_LANG": None,
                            "TPSDESK_CONFIG_DIR": str(tmp / "config")})  # fmt: skip
    result = runner.invoke(
        main, ["--lang", "en", "--store", str(path), "district", "devices", "dismiss", fingerprint]
    )
    assert result.exit_code == 0, result.output
    assert f"Dismissed: laptop {fingerprint} and its 1 waiting bundle." in result.stdout
    reopened = Store.open(path, PASS)
    try:
        assert district.list_devices(reopened) == []
    finally:
        reopened.close()


# -- 5. one reading per file -------------------------------------------------------------------


def test_a_file_is_parsed_verified_and_decrypted_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tpsdesk.sync import bundle as bundle_module
    from tpsdesk.sync import container as container_module

    hq, laptop, tmp = world
    approve(hq, laptop, tmp)
    add_officer(laptop, 2)
    data = read_bundle_file(export_bundle(laptop, tmp / "usb").path)
    calls: dict[str, int] = {}

    def counted(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls[name] = calls.get(name, 0) + 1
            return function(*args, **kwargs)

        return wrapper

    for module in (bundle_module, payload, container_module):
        for name in ("parse_container", "verify_container", "decrypt_bundle", "open_from"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, counted(name, getattr(module, name)))
    outcome = receive_bundle(hq, data, file="b.tpsb")
    assert outcome.status == "merged"
    assert calls == {
        "parse_container": 1,
        "verify_container": 1,
        "decrypt_bundle": 1,
        "open_from": 1,
    }


def test_prefetched_files_are_not_verified_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tpsdesk.sync import bundle as bundle_module
    from tpsdesk.sync import prefetch as prefetch_module

    hq, laptop, tmp = world
    approve(hq, laptop, tmp)
    paths = []
    for serial in range(2, 6):
        add_officer(laptop, serial)
        paths.append(export_bundle(laptop, tmp / "usb").path)
    verified = [0]
    original = bundle_module.verify_container

    def counting(*args: Any, **kwargs: Any) -> None:
        verified[0] += 1
        original(*args, **kwargs)

    # Files are opened ahead by bundle.py's own steps (the prefetcher has none of its own).
    assert not hasattr(prefetch_module, "verify_container")
    monkeypatch.setattr(bundle_module, "verify_container", counting)
    handed: list[bool] = []
    receive = bundle_module.receive_bundle

    def spy(*args: Any, prefetched: Any = None, **kwargs: Any) -> Any:
        handed.append(prefetched is not None and prefetched.container is not None)
        return receive(*args, prefetched=prefetched, **kwargs)

    monkeypatch.setattr(bundle_module, "receive_bundle", spy)
    outcomes = receive_files(
        hq, [(p.name, functools.partial(read_bundle_file, p)) for p in paths], prefetch=True
    )
    assert [getattr(o, "status", o) for o in outcomes] == ["merged"] * 4
    assert handed == [False, True, True, True]  # the first file is read at its turn
    assert verified == [4]
    assert officers.count_officers(hq) == 5
