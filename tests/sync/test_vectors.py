"""The stored test vectors (tests/sync/vectors, docs/formats.md "Test vectors"): the valid files
open, and every failure file is refused with the error class its index names."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from tpsdesk.sync import errors
from tpsdesk.sync.payload import open_bundle, open_receipt, open_signed

VECTORS = Path(__file__).resolve().parent / "vectors"
KEYS: dict[str, Any] = json.loads((VECTORS / "keys.json").read_text(encoding="utf-8"))
INDEX: dict[str, Any] = json.loads((VECTORS / "index.json").read_text(encoding="utf-8"))


def _make_vectors() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_vectors", VECTORS / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read(name: str, reader: str) -> tuple[Any, dict[str, Any], list[dict[str, Any]]]:
    data = (VECTORS / name).read_bytes()
    district, laptop = KEYS["district"], KEYS["laptop"]
    if reader == "setup":
        return open_signed(
            data, trusted_key=bytes.fromhex(district["ed25519_public"]), kind="setup", file=name
        )
    if reader == "receipt":
        laptop_key = X25519PrivateKey.from_private_bytes(bytes.fromhex(laptop["x25519_private"]))
        return open_receipt(
            data,
            trusted_key=bytes.fromhex(district["ed25519_public"]),
            keys={laptop["id"]: laptop_key},
            file=name,
        )
    private = X25519PrivateKey.from_private_bytes(bytes.fromhex(district["x25519_private"]))
    if reader == "bundle":
        return open_bundle(
            data,
            expected_recipient_fingerprint=district["x25519_fingerprint"],
            district_private_x25519=private,
            trusted_sender_key=bytes.fromhex(laptop["ed25519_public"]),
            file=name,
        )
    assert reader == "bundle_any_sender"
    approved = {
        bytes.fromhex(laptop["ed25519_public"]),
        bytes.fromhex(KEYS["other_laptop"]["ed25519_public"]),
    }
    return open_bundle(
        data,
        expected_recipient_fingerprint=district["x25519_fingerprint"],
        district_private_x25519=private,
        trusted_sender_key=None,
        is_sender_allowed=lambda _sender, key: key in approved,
        file=name,
    )


def test_index_covers_every_failure_mode() -> None:
    names = {entry["file"].rsplit(".", 1)[0] for entry in INDEX["vectors"]}
    required = {
        "setup", "bundle", "bad_magic", "bad_version", "truncated", "extended",
        "header_not_canonical", "duplicate_key", "float", "header_too_large", "bad_signature",
        "flipped_payload_byte", "wrong_recipient", "manifest_mismatch", "bomb", "low_order_key",
        "receipt_v1", "receipt_v2", "receipt_other_laptop_key", "receipt_v2_in_clear",
        "receipt_swapped_payload", "low_order_receipt_key",
    }  # fmt: skip
    assert required <= names
    for entry in INDEX["vectors"]:
        assert (VECTORS / entry["file"]).is_file()
        assert entry["reader"] in INDEX["readers"]


@pytest.mark.parametrize(
    "entry", [e for e in INDEX["vectors"] if e["expect"] == "ok"], ids=lambda e: e["file"]
)
def test_valid_vector_opens(entry: dict[str, str]) -> None:
    container, manifest, rows = read(entry["file"], entry["reader"])
    assert manifest["file_id"] == container.header["file_id"]
    assert len(rows) == container.header["payload"]["rows"] > 0


@pytest.mark.parametrize(
    "entry", [e for e in INDEX["vectors"] if e["expect"] != "ok"], ids=lambda e: e["file"]
)
def test_failure_vector_is_refused_with_its_error(entry: dict[str, str]) -> None:
    expected = getattr(errors, entry["expect"])
    with pytest.raises(errors.SyncError) as caught:
        read(entry["file"], entry["reader"])
    assert type(caught.value) is expected, caught.value.message
    assert caught.value.file == entry["file"]
    assert entry["file"] in caught.value.message


def test_setup_vector_is_rebuilt_byte_for_byte() -> None:
    """Everything in a setup file is deterministic: the writer must not have drifted."""
    assert _make_vectors().build_setup() == (VECTORS / "setup.tpss").read_bytes()


def test_setup_vector_contents() -> None:
    _container, manifest, rows = read("setup.tpss", "setup")
    assert manifest["recipient"]["id"] == "all"
    assert [row["table"] for row in rows] == ["kelurahan", "tps", "tps"]


def test_keys_file_matches_the_generator() -> None:
    assert _make_vectors().keys_json() == KEYS


def test_receipt_v1_vector_is_rebuilt_byte_for_byte() -> None:
    assert _make_vectors().build_receipt_v1() == (VECTORS / "receipt_v1.tpsr").read_bytes()


def test_receipt_v2_vector_carries_values_only_encrypted() -> None:
    """SECURITY test 34: the KPJ number and the clerk's corrected value are inside the
    encrypted payload of a format 2 receipt, never in its clear bytes."""
    made = _make_vectors()
    data = (VECTORS / "receipt_v2.tpsr").read_bytes()
    container, _manifest, entries = read("receipt_v2.tpsr", "receipt")
    assert container.header["format"] == 2
    assert container.header["payload"]["encryption"].startswith("hpke")
    said = json.dumps(entries)
    assert made.KPJ in said and made.CORRECTED_NAME in said
    assert made.KPJ.encode() not in data and made.CORRECTED_NAME.encode() not in data


def test_receipt_v1_vector_has_no_personal_data() -> None:
    made = _make_vectors()
    container, _manifest, entries = read("receipt_v1.tpsr", "receipt")
    assert container.header["format"] == 1
    said = json.dumps(entries)
    assert made.KPJ not in said and made.CORRECTED_NAME not in said
    assert '"fields": ["name"]' in said and "bpjs_number" not in said
