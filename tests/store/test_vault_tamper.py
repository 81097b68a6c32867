"""SECURITY.md store tests 1 and 2: flipped bits, truncation and appended bytes never open."""

from __future__ import annotations

import json
import struct
from collections import Counter
from pathlib import Path

import pytest
from tests.factories import FAST_KDF

from tpsdesk.store.vault import (
    DamagedStore,
    NotAStore,
    Vault,
    VaultError,
)

FAST = FAST_KDF
PASS = "kopi susu pagi hari"


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    """A small store with three backups: the main file holds b"v4 …", backups v3, v2, v1."""
    path = tmp_path / "tpsdesk.store"
    vault, _ = Vault.create(path, PASS, b"v0 " + bytes(range(64)), kdf=FAST)
    for n in (1, 2, 3, 4):
        vault.save(b"v%d " % n + bytes(range(64)))
    vault.close()
    return path


def backups_of(path: Path) -> list[Path]:
    return [path.with_name(f"{path.name}.bak{i}") for i in (1, 2, 3)]


def open_image(path: Path) -> bytes:
    vault, image = Vault.open(path, PASS)
    vault.close()
    return image


def refuse(path: Path, data: bytes) -> VaultError:
    path.write_bytes(data)
    try:
        vault, _image = Vault.open(path, PASS)
    except VaultError as error:
        assert error.message
        return error
    vault.close()
    raise AssertionError("a modified store_file opened")


def boundaries(data: bytes) -> list[int]:
    (header_len,) = struct.unpack(">I", data[9:13])
    payload = 13 + header_len
    return [0, 8, 9, 13, payload, payload + 16, len(data) - 16, len(data)]


@pytest.mark.slow
def test_every_single_bit_flip_is_refused(store_file: Path) -> None:
    original = store_file.read_bytes()
    backup_bytes = [p.read_bytes() for p in backups_of(store_file)]
    kinds: Counter[str] = Counter()
    for position in range(len(original)):
        for bit in range(8):
            mutated = bytearray(original)
            mutated[position] ^= 1 << bit
            error = refuse(store_file, bytes(mutated))
            kinds[type(error).__name__] += 1
            if isinstance(error, DamagedStore):
                assert error.backup == backups_of(store_file)[0]
    assert sum(kinds.values()) == 8 * len(original)
    assert kinds["DamagedStore"] > kinds["WrongPassphrase"] > 0
    # backups are untouched and still open
    assert [p.read_bytes() for p in backups_of(store_file)] == backup_bytes
    assert [open_image(p)[:2] for p in backups_of(store_file)] == [b"v3", b"v2", b"v1"]
    assert not [p for p in store_file.parent.iterdir() if ".tmp-" in p.name]
    store_file.write_bytes(original)
    assert open_image(store_file)[:2] == b"v4"


def test_bit_flips_in_a_larger_body(tmp_path: Path) -> None:
    path = tmp_path / "tpsdesk.store"
    vault, _ = Vault.create(path, PASS, bytes(range(256)) * 1024, kdf=FAST)  # 256 KiB
    vault.close()
    original = path.read_bytes()
    step = max(1, len(original) // 300)
    for position in [*range(0, len(original), step), len(original) - 1]:
        mutated = bytearray(original)
        mutated[position] ^= 0x80 >> (position % 8)
        refuse(path, bytes(mutated))


def test_truncation_at_every_offset(store_file: Path) -> None:
    original = store_file.read_bytes()
    for length in range(len(original)):
        error = refuse(store_file, original[:length])
        if length == 0:
            assert isinstance(error, NotAStore)
        else:
            assert isinstance(error, DamagedStore), length
            assert error.backup == backups_of(store_file)[0]


def test_truncation_at_boundaries_of_a_large_store(tmp_path: Path) -> None:
    path = tmp_path / "tpsdesk.store"
    vault, _ = Vault.create(path, PASS, b"x" * (2 * 1024 * 1024 + 7), kdf=FAST)
    vault.close()
    original = path.read_bytes()
    cuts = set()
    for boundary in boundaries(original):
        cuts.update({boundary - 1, boundary, boundary + 1})
    cuts.update(range(64 * 1024, len(original), 64 * 1024))  # "chunk" sized steps
    for cut in sorted(c for c in cuts if 0 < c < len(original)):
        assert isinstance(refuse(path, original[:cut]), DamagedStore), cut


@pytest.mark.parametrize(
    "extra", [b"\0", b"x" * 16, bytes(4096), b"TPSDSTOR", "copy-of-itself"], ids=str
)
def test_appended_bytes_are_refused(store_file: Path, extra: bytes | str) -> None:
    original = store_file.read_bytes()
    tail = original if extra == "copy-of-itself" else extra
    assert isinstance(tail, bytes)
    error = refuse(store_file, original + tail)
    assert isinstance(error, DamagedStore)


def test_header_length_field_lies(store_file: Path) -> None:
    original = store_file.read_bytes()
    (header_len,) = struct.unpack(">I", original[9:13])
    for fake in (0, 1, header_len - 1, header_len + 1, 16 * 1024, 16 * 1024 + 1, 2**32 - 1):
        data = original[:9] + struct.pack(">I", fake) + original[13:]
        assert isinstance(refuse(store_file, data), DamagedStore), fake


def test_payloads_swapped_between_generations(store_file: Path) -> None:
    """Header of one save with the body of another: the header is bound as associated data."""
    current = store_file.read_bytes()
    older = backups_of(store_file)[0].read_bytes()
    (h1,) = struct.unpack(">I", current[9:13])
    (h2,) = struct.unpack(">I", older[9:13])
    swapped = current[: 13 + h1] + older[13 + h2 :]
    assert isinstance(refuse(store_file, swapped), DamagedStore)


def test_generation_rewritten_is_refused(store_file: Path) -> None:
    original = store_file.read_bytes()
    (length,) = struct.unpack(">I", original[9:13])
    header = json.loads(original[13 : 13 + length])
    header["generation"] += 100
    raw = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    data = original[:9] + struct.pack(">I", len(raw)) + raw + original[13 + length :]
    assert isinstance(refuse(store_file, data), DamagedStore)
