"""The vault on real files: create, open, save, recovery, passphrase change, backups, limits."""

from __future__ import annotations

import base64
import json
import os
import struct
from pathlib import Path

import pytest
from tests.factories import FAST_KDF

from tpsdesk import durable
from tpsdesk.store import vault as vault_module
from tpsdesk.store.vault import (
    DamagedStore,
    KdfParams,
    NotAStore,
    PassphraseRequired,
    SaveFailed,
    StoreExists,
    StoreLocked,
    StoreMissing,
    UnsafeParameters,
    UnsupportedVersion,
    Vault,
    VaultError,
    WrongPassphrase,
    WrongRecoveryKey,
    normalize_recovery_key,
)

FAST = FAST_KDF
PASS = "kopi susu pagi hari"
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def make_store(folder: Path, image: bytes = b"first", saves: int = 0) -> tuple[Path, str]:
    path = folder / "tpsdesk.store"
    vault, recovery = Vault.create(path, PASS, image, kdf=FAST)
    for n in range(saves):
        vault.save(b"save %d" % (n + 1))
    vault.close()
    return path, recovery


def read_image(path: Path, passphrase: str = PASS) -> bytes:
    vault, image = Vault.open(path, passphrase)
    vault.close()
    return image


def split(data: bytes) -> tuple[dict, bytes]:
    (length,) = struct.unpack(">I", data[9:13])
    return json.loads(data[13 : 13 + length]), data[13 + length :]


def join(header: dict, payload: bytes, *, version: int = 2) -> bytes:
    raw = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    return b"TPSDSTOR" + struct.pack(">BI", version, len(raw)) + raw + payload


def listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# ---------------------------------------------------------------- round trips


def test_create_open_save_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "tpsdesk.store"  # the data folder may not exist yet
    vault, recovery = Vault.create(path, PASS, b"image one", kdf=FAST)
    assert vault.generation == 0
    vault.save(b"image two")
    assert vault.generation == 1
    vault.close()
    vault, image = Vault.open(path, PASS)
    assert image == b"image two"
    assert vault.generation == 1
    vault.close()
    assert len(recovery) == 39 and recovery.count("-") == 7


def test_default_kdf_parameters(tmp_path: Path) -> None:
    path = tmp_path / "tpsdesk.store"
    vault, _recovery = Vault.create(path, PASS, b"defaults")
    vault.close()
    header, _payload = split(path.read_bytes())
    assert header["kdf"]["name"] == "argon2id"
    assert (header["kdf"]["iterations"], header["kdf"]["memory_kib"], header["kdf"]["lanes"]) == (
        3,
        65536,
        4,
    )
    assert read_image(path) == b"defaults"


def test_empty_image_and_large_image(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path, b"")
    assert read_image(path) == b""
    big = os.urandom(3 * 1024 * 1024)
    vault, _ = Vault.open(path, PASS)
    vault.save(big)
    vault.close()
    assert read_image(path) == big


def test_plaintext_never_on_disk(tmp_path: Path) -> None:
    secret = b"NIK 3273010101900001 Siti Aminah"
    path, _ = make_store(tmp_path, secret * 50, saves=0)
    vault, _ = Vault.open(path, PASS)
    vault.save(secret * 60)
    vault.close()
    for name, data in listing(tmp_path).items():
        assert b"3273010101900001" not in data, name
        assert b"Siti" not in data, name


def test_header_layout(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    data = path.read_bytes()
    assert data[:8] == b"TPSDSTOR" and data[8] == 2
    header, payload = split(data)
    (length,) = struct.unpack(">I", data[9:13])
    assert (
        data[13 : 13 + length] == json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    )
    assert set(header) == {"generation", "kdf", "keys", "payload", "store_id"}
    assert header["payload"]["aead"] == "aes-256-gcm"
    assert len(base64.b64decode(header["kdf"]["salt"])) == 16
    assert len(base64.b64decode(header["keys"]["passphrase"]["ct"])) == 48
    assert len(payload) == len(b"first") + 16


# ---------------------------------------------------------------- test 9


def test_identical_saves_differ(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path, b"same")
    first = path.read_bytes()
    vault, image = Vault.open(path, PASS)
    vault.save(image)
    vault.close()
    second = path.read_bytes()
    assert first != second
    h1, p1 = split(first)
    h2, p2 = split(second)
    assert h1["payload"]["salt"] != h2["payload"]["salt"]
    assert h1["payload"]["nonce"] != h2["payload"]["nonce"]
    assert p1 != p2
    assert h2["generation"] == h1["generation"] + 1
    assert h1["store_id"] == h2["store_id"] and h1["keys"] == h2["keys"]


# ---------------------------------------------------------------- test 3


def test_wrong_passphrase_changes_nothing(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path, saves=2)
    before = listing(tmp_path)
    stat = path.stat()
    with pytest.raises(WrongPassphrase) as caught:
        Vault.open(path, PASS + "x")
    assert type(caught.value) is WrongPassphrase
    assert listing(tmp_path) == before
    assert path.stat().st_mtime_ns == stat.st_mtime_ns
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    assert read_image(path) == b"save 2"  # and the lock was released


def test_wrong_passphrase_and_altered_wrap_look_the_same(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    with pytest.raises(WrongPassphrase) as wrong:
        Vault.open(path, "not it at all")
    header, payload = split(path.read_bytes())
    ct = bytearray(base64.b64decode(header["keys"]["passphrase"]["ct"]))
    ct[0] ^= 1
    header["keys"]["passphrase"]["ct"] = base64.b64encode(bytes(ct)).decode()
    path.write_bytes(join(header, payload))
    with pytest.raises(WrongPassphrase) as altered:
        Vault.open(path, PASS)
    assert wrong.value.message == altered.value.message
    assert type(wrong.value) is type(altered.value)


def test_passphrase_is_unicode_normalised(tmp_path: Path) -> None:
    path = tmp_path / "tpsdesk.store"
    vault, _ = Vault.create(path, "Jalan Cempaka Putih caf\u00e9", b"x", kdf=FAST)
    vault.close()
    vault, image = Vault.open(path, "Jalan Cempaka Putih cafe\u0301")  # NFD spelling
    vault.close()
    assert image == b"x"


# ---------------------------------------------------------------- test 4


def craft(path: Path, **kdf: int) -> None:
    header, payload = split(path.read_bytes())
    header["kdf"].update(kdf)
    path.write_bytes(join(header, payload))


@pytest.mark.parametrize(
    "kdf",
    [
        {"memory_kib": 64 * 1024 * 1024},  # 64 GiB
        {"iterations": 10**9},
        {"lanes": 1000},
        {"memory_kib": 1024 * 1024 + 1},
        {"iterations": 17},
        {"iterations": 0},
        {"lanes": 2, "memory_kib": 8},  # below Argon2's 8 KiB per lane
    ],
)
def test_unsafe_kdf_parameters_refused_before_deriving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kdf: dict[str, int]
) -> None:
    path, _ = make_store(tmp_path)
    craft(path, **kdf)

    def no_derivation(*args: object, **kwargs: object) -> None:
        raise AssertionError("derived a key from unbounded parameters")

    monkeypatch.setattr(vault_module, "Argon2id", no_derivation)
    with pytest.raises(UnsafeParameters):
        Vault.open(path, PASS)
    assert_lock_released(path)


def assert_lock_released(path: Path) -> None:
    """A second attempt meets the same refusal, not StoreLocked."""
    with pytest.raises(UnsafeParameters):
        Vault.open(path, PASS)


@pytest.mark.parametrize("salt_len", [8, 15, 65, 200])
def test_kdf_salt_length_bounded(tmp_path: Path, salt_len: int) -> None:
    path, _ = make_store(tmp_path)
    header, payload = split(path.read_bytes())
    header["kdf"]["salt"] = base64.b64encode(b"s" * salt_len).decode()
    path.write_bytes(join(header, payload))
    with pytest.raises(UnsafeParameters):
        Vault.open(path, PASS)


def test_create_refuses_unsafe_parameters(tmp_path: Path) -> None:
    with pytest.raises(UnsafeParameters):
        Vault.create(tmp_path / "s", PASS, b"", kdf=KdfParams(memory_kib=2 * 1024 * 1024))
    with pytest.raises(UnsafeParameters):
        Vault.create(tmp_path / "s", PASS, b"", kdf=KdfParams(iterations=100))
    assert not (tmp_path / "s").exists()


# ---------------------------------------------------------------- strict header


def rewrite_raw_header(path: Path, raw: bytes) -> None:
    data = path.read_bytes()
    (length,) = struct.unpack(">I", data[9:13])
    path.write_bytes(data[:9] + struct.pack(">I", len(raw)) + raw + data[13 + length :])


def canonical(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda raw, h: json.dumps(h, sort_keys=True).encode(), "not canonical"),
        (
            lambda raw, h: json.dumps(dict(reversed(h.items())), separators=(",", ":")).encode(),
            "not canonical",
        ),
        (lambda raw, h: raw.replace(b'"generation":0', b'"generation":00'), "JSON"),
        (lambda raw, h: raw.replace(b'"argon2id"', b'"\\u0061rgon2id"'), "not canonical"),
        (lambda raw, h: raw[:-1] + b',"generation":5}', "duplicate key"),
        (lambda raw, h: raw.replace(b'"generation":0', b'"generation":0.0'), "float"),
        (lambda raw, h: raw.replace(b'"generation":0', b'"generation":1e0'), "float"),
        (lambda raw, h: raw.replace(b'"generation":0', b'"generation":NaN'), "float"),
        (lambda raw, h: raw.replace(b'"generation":0', b'"generation":true'), "bad integer"),
        (lambda raw, h: raw.replace(b'"generation":0', b'"generation":-1'), "bad integer"),
        (lambda raw, h: canonical({**h, "extra": 1}), "unexpected fields"),
        (lambda raw, h: canonical({k: v for k, v in h.items() if k != "store_id"}), "unexpected"),
        (lambda raw, h: raw.replace(b'"argon2id"', b'"scrypt"'), "unknown KDF"),
        (lambda raw, h: raw.replace(b'"aes-256-gcm"', b'"chacha20-poly1305"'), "unknown AEAD"),
        (lambda raw, h: raw.replace(b'"store_id":"', b'"store_id":"AA'), "base64"),
        (lambda raw, h: raw + b" ", "not canonical"),
        (lambda raw, h: b"\xef\xbb\xbf" + raw, "not JSON"),
        (lambda raw, h: b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (lambda raw, h: b"{" * 5000 + b"}" * 5000, "nested too deeply"),
        (lambda raw, h: b'["' + b"[" * 5000 + b'"]', "unexpected fields"),  # text, not nesting
        (lambda raw, h: b"{" + b" " * (17 * 1024) + b"}", "header length"),
    ],
)
def test_header_must_be_strict_canonical_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mutate, reason: str
) -> None:
    path, _ = make_store(tmp_path)
    data = path.read_bytes()
    (length,) = struct.unpack(">I", data[9:13])
    raw = data[13 : 13 + length]
    rewrite_raw_header(path, mutate(raw, json.loads(raw)))

    def no_derivation(*args: object, **kwargs: object) -> None:
        raise AssertionError("a malformed header reached key derivation")

    monkeypatch.setattr(vault_module, "Argon2id", no_derivation)
    with pytest.raises(DamagedStore) as caught:
        Vault.open(path, PASS)
    assert reason in caught.value.reason


def test_non_canonical_base64_refused(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    header, payload = split(path.read_bytes())
    nonce = header["payload"]["nonce"]  # 12 bytes: 16 chars, no padding
    header["payload"]["nonce"] = nonce[:-1] + ("B" if nonce[-1] == "A" else "A")
    header["store_id"] = header["store_id"].replace("=", "") + "=="  # bad padding
    path.write_bytes(join(header, payload))
    with pytest.raises(DamagedStore):
        Vault.open(path, PASS)


def test_newer_format_version(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    header, payload = split(path.read_bytes())
    path.write_bytes(join(header, payload, version=3))
    with pytest.raises(UnsupportedVersion):
        Vault.open(path, PASS)
    path.write_bytes(join(header, payload, version=0))
    with pytest.raises(DamagedStore):
        Vault.open(path, PASS)


def _as_version_1(path: Path, image: bytes) -> None:
    """Rewrite the store at `path` as format version 1 wrote it: ChaCha20-Poly1305 payload."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    vault, _ = Vault.open(path, PASS)
    data_key = vault._data_key
    vault.close()
    assert data_key is not None
    header, _payload = split(path.read_bytes())
    header["payload"]["aead"] = "chacha20-poly1305"
    salt = base64.b64decode(header["payload"]["salt"])
    nonce = base64.b64decode(header["payload"]["nonce"])
    store_id = base64.b64decode(header["store_id"])
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=salt,
        info=b"tpsdesk-store-v1 payload-key\n" + store_id,
    ).derive(data_key)
    prefix = join(header, b"", version=1)
    path.write_bytes(prefix + ChaCha20Poly1305(key).encrypt(nonce, image, prefix))


def test_version_1_files_still_open_and_are_saved_as_version_2(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    _as_version_1(path, b"written by version 1")
    vault, image = Vault.open(path, PASS)
    assert image == b"written by version 1"
    vault.save(b"now version 2")
    vault.close()
    assert path.read_bytes()[8] == 2
    assert read_image(path) == b"now version 2"
    # the version 1 file went to the backups, and still opens from there
    backup = tmp_path / "tpsdesk.store.bak1"
    assert backup.read_bytes()[8] == 1
    assert read_image(backup) == b"written by version 1"


def test_version_1_with_version_2_aead_refused(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    _as_version_1(path, b"v1")
    header, payload = split(path.read_bytes())
    header["payload"]["aead"] = "aes-256-gcm"
    path.write_bytes(join(header, payload, version=1))
    with pytest.raises(DamagedStore) as caught:
        Vault.open(path, PASS)
    assert "unknown AEAD" in caught.value.reason


# ---------------------------------------------------------------- not a store


def test_random_file_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(4096))
    with pytest.raises(NotAStore) as caught:
        Vault.open(path, PASS)
    assert "photo.jpg" in caught.value.message


def test_empty_file_is_not_a_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.store"
    path.write_bytes(b"")
    with pytest.raises(NotAStore):
        Vault.open(path, PASS)


def test_directory_is_not_a_store(tmp_path: Path) -> None:
    with pytest.raises(NotAStore):
        Vault.open(tmp_path, PASS)
    with pytest.raises(NotAStore):
        Vault.open_with_recovery(tmp_path, "A" * 32)


def test_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreMissing) as caught:
        Vault.open(tmp_path / "nowhere.store", PASS)
    assert "nowhere.store" in caught.value.message
    assert not (tmp_path / "nowhere.store.lock").exists()


def test_create_refuses_existing_file(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    before = path.read_bytes()
    with pytest.raises(StoreExists):
        Vault.create(path, PASS, b"other", kdf=FAST)
    other = tmp_path / "notes.txt"
    other.write_text("keep me")
    with pytest.raises(StoreExists):
        Vault.create(other, PASS, b"other", kdf=FAST)
    with pytest.raises(StoreExists):
        Vault.create(tmp_path, PASS, b"other", kdf=FAST)
    assert path.read_bytes() == before and other.read_text() == "keep me"


def test_empty_passphrase_refused(tmp_path: Path) -> None:
    with pytest.raises(PassphraseRequired):
        Vault.create(tmp_path / "s.store", "", b"x", kdf=FAST)
    assert not (tmp_path / "s.store").exists()
    path, _ = make_store(tmp_path)
    vault, image = Vault.open(path, PASS)
    with pytest.raises(PassphraseRequired):
        vault.change_passphrase("", image)
    vault.close()
    assert read_image(path) == image


# ---------------------------------------------------------------- recovery key


def test_recovery_key_format(tmp_path: Path) -> None:
    _path, recovery = make_store(tmp_path)
    groups = recovery.split("-")
    assert len(groups) == 8 and all(len(g) == 4 for g in groups)
    assert set(recovery.replace("-", "")) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert normalize_recovery_key(recovery) == recovery


def test_normalize_recovery_key_tolerates_typing() -> None:
    key = "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567"
    assert normalize_recovery_key(key.lower()) == key
    assert normalize_recovery_key(key.replace("-", "")) == key
    assert normalize_recovery_key(" " + key.replace("-", " ").lower() + "\n") == key
    assert normalize_recovery_key(key.replace("O", "0").replace("I", "1").replace("B", "8")) == key
    for bad in ["", "ABCD", key + "A", key[:-1] + "9", key[:-1] + "!"]:
        with pytest.raises(WrongRecoveryKey):
            normalize_recovery_key(bad)


def test_open_with_recovery_then_reset(tmp_path: Path) -> None:
    path, recovery = make_store(tmp_path, b"officers", saves=1)
    typed = recovery.lower().replace("-", " ").replace("o", "0").replace("i", "1")
    vault, image = Vault.open_with_recovery(path, typed)
    assert image == b"save 1"
    vault.change_passphrase("a brand new passphrase", image)
    vault.close()
    with pytest.raises(WrongPassphrase):
        Vault.open(path, PASS)
    assert read_image(path, "a brand new passphrase") == b"save 1"
    vault, image = Vault.open_with_recovery(path, recovery)  # the recovery key still works
    vault.close()
    assert image == b"save 1"


def test_save_after_recovery_keeps_passphrase_wrap(tmp_path: Path) -> None:
    path, recovery = make_store(tmp_path)
    vault, _ = Vault.open_with_recovery(path, recovery)
    vault.save(b"saved while recovered")
    vault.close()
    assert read_image(path) == b"saved while recovered"


def test_wrong_recovery_key(tmp_path: Path) -> None:
    path, recovery = make_store(tmp_path)
    other = "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH"
    assert other != recovery
    with pytest.raises(WrongRecoveryKey) as caught:
        Vault.open_with_recovery(path, other)
    assert isinstance(caught.value, WrongPassphrase)
    with pytest.raises(WrongRecoveryKey):
        Vault.open_with_recovery(path, "my passphrase")
    assert read_image(path) == b"first"


def test_recovery_key_of_another_store_fails(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    path_a, _ = make_store(tmp_path / "a")
    _path_b, recovery_b = make_store(tmp_path / "b")
    with pytest.raises(WrongRecoveryKey):
        Vault.open_with_recovery(path_a, recovery_b)


# ---------------------------------------------------------------- change passphrase


def test_change_passphrase(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path, saves=3)
    data_before = path.read_bytes()
    vault, image = Vault.open(path, PASS)
    vault.change_passphrase("pohon mangga di halaman", image + b" more")
    vault.close()
    with pytest.raises(WrongPassphrase):
        Vault.open(path, PASS)
    assert read_image(path, "pohon mangga di halaman") == b"save 3 more"
    old_header, _ = split(data_before)
    new_header, _ = split(path.read_bytes())
    assert old_header["kdf"]["salt"] != new_header["kdf"]["salt"]
    assert old_header["keys"]["recovery"] == new_header["keys"]["recovery"]  # re-wrap only
    # the backups no longer open with the old passphrase either
    for backup in [p for p in tmp_path.iterdir() if ".bak" in p.name and p.suffix != ".lock"]:
        with pytest.raises(WrongPassphrase):
            Vault.open(backup, PASS)
        vault, _ = Vault.open(backup, "pohon mangga di halaman")
        vault.close()


def test_check_passphrase_follows_a_change(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    vault, image = Vault.open(path, PASS)
    try:
        assert vault.check_passphrase(PASS)
        assert not vault.check_passphrase(PASS + " ")
        assert not vault.check_passphrase("")
        vault.change_passphrase("pohon mangga di halaman", image)
        assert vault.check_passphrase("pohon mangga di halaman")
        assert not vault.check_passphrase(PASS)
    finally:
        vault.close()


# ---------------------------------------------------------------- backups


def test_backups_rotate_and_keep_three(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path, b"v0")
    vault, _ = Vault.open(path, PASS)
    assert vault.backups() == []
    for n in range(1, 6):
        vault.save(b"v%d" % n)
    backups = vault.backups()
    vault.close()
    assert [p.name for p in backups] == [
        "tpsdesk.store.bak1",
        "tpsdesk.store.bak2",
        "tpsdesk.store.bak3",
    ]
    assert [read_image(p) for p in backups] == [b"v4", b"v3", b"v2"]
    assert read_image(path) == b"v5"


def test_backups_fall_back_to_copies_without_hard_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = make_store(tmp_path, b"v0")

    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    vault, _ = Vault.open(path, PASS)
    vault.save(b"v1")
    vault.save(b"v2")
    vault.close()
    assert [
        read_image(p) for p in (tmp_path / "tpsdesk.store.bak1", tmp_path / "tpsdesk.store.bak2")
    ] == [
        b"v1",
        b"v0",
    ]
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_damaged_store_names_newest_backup_and_restore(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path, saves=3)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x40
    path.write_bytes(data)
    with pytest.raises(DamagedStore) as caught:
        Vault.open(path, PASS)
    backup = caught.value.backup
    assert backup == tmp_path / "tpsdesk.store.bak1"
    assert str(backup) in caught.value.message
    Vault.restore_backup(path, backup, PASS)
    assert read_image(path) == b"save 2"
    aside = [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == bytes(data)
    assert aside[0].name.startswith("tpsdesk.store.damaged-") and aside[0].name.endswith("Z")
    assert read_image(backup) == b"save 2"  # the backup itself is untouched


def test_restore_backup_needs_the_passphrase(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path, saves=2)
    before = listing(tmp_path)
    with pytest.raises(WrongPassphrase):
        Vault.restore_backup(path, tmp_path / "tpsdesk.store.bak1", "guess")
    assert listing(tmp_path) == before


def test_restore_backup_refused_while_open(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path, saves=2)
    vault, _ = Vault.open(path, PASS)
    with pytest.raises(StoreLocked):
        Vault.restore_backup(path, tmp_path / "tpsdesk.store.bak1", PASS)
    vault.close()


def test_restore_backup_when_main_file_is_gone(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path, saves=1)
    path.unlink()
    Vault.restore_backup(path, tmp_path / "tpsdesk.store.bak1", PASS)
    assert read_image(path) == b"first"


def test_damaged_store_without_backups(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(DamagedStore) as caught:
        Vault.open(path, PASS)
    assert caught.value.backup is None
    assert caught.value.message


# ---------------------------------------------------------------- files and modes


@posix_only
def test_files_are_private(tmp_path: Path) -> None:
    os.umask(0o022)
    path, _ = make_store(tmp_path, saves=2)
    for p in [path, *tmp_path.glob("*.bak*")]:
        if p.suffix != ".lock":
            assert p.stat().st_mode & 0o777 == 0o600, p


@posix_only
def test_open_tightens_a_loose_mode(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    path.chmod(0o644)
    read_image(path)
    assert path.stat().st_mode & 0o777 == 0o600


def test_stray_temp_files_of_this_store_are_removed(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    stray = tmp_path / "tpsdesk.store.tmp-0123456789abcdef"
    stray.write_bytes(b"ciphertext left by a crash")
    unrelated = [
        tmp_path / "other.store.tmp-0123456789abcdef",
        tmp_path / "tpsdesk.store.tmp-notours",
        tmp_path / "tpsdesk.store.bak1.keep",
    ]
    for p in unrelated:
        p.write_bytes(b"keep")
    read_image(path)
    assert not stray.exists()
    assert all(p.exists() for p in unrelated)


def test_replace_retries_while_a_file_is_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = make_store(tmp_path)
    monkeypatch.setattr(durable, "_TRANSIENT_REPLACE_ERRORS", (PermissionError,))
    monkeypatch.setattr(durable, "_REPLACE_DELAYS", (0.001, 0.001, 0.001))
    real_replace = os.replace
    failures = {"left": 2}

    def held(src: object, dst: object) -> None:
        if str(dst) == str(path) and failures["left"]:
            failures["left"] -= 1
            raise PermissionError(13, "The process cannot access the file")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", held)
    vault, _ = Vault.open(path, PASS)
    vault.save(b"after antivirus")
    assert failures["left"] == 0
    failures["left"] = 10  # held for longer than the retries last
    with pytest.raises(SaveFailed):
        vault.save(b"never saved")
    vault.close()
    monkeypatch.setattr(os, "replace", real_replace)
    assert read_image(path) == b"after antivirus"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


@pytest.mark.parametrize("damage", ["header", "payload", "tag", "extra byte", "short"])
def test_read_back_catches_a_file_that_differs_from_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    path, _ = make_store(tmp_path, b"kept")
    real_write_sealed = vault_module._write_sealed

    def write_then_damage(target: Path, *args: object) -> None:
        real_write_sealed(target, *args)  # type: ignore[arg-type]
        data = bytearray(target.read_bytes())
        if damage == "header":
            data[20] ^= 0x01
        elif damage == "payload":
            data[-100] ^= 0x80
        elif damage == "tag":
            data[-1] ^= 0x01
        elif damage == "extra byte":
            data += b"\0"
        else:
            del data[-1]
        target.write_bytes(bytes(data))

    monkeypatch.setattr(vault_module, "_write_sealed", write_then_damage)
    vault, _ = Vault.open(path, PASS)
    with pytest.raises(SaveFailed):
        vault.save(b"x" * 5000)
    assert vault.generation == 0
    monkeypatch.setattr(vault_module, "_write_sealed", real_write_sealed)
    vault.close()
    assert read_image(path) == b"kept"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name or ".bak" in p.name]


def test_save_failure_is_reported_and_vault_stays_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = make_store(tmp_path)
    vault, _ = Vault.open(path, PASS)
    real_write = os.write

    def disk_full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(SaveFailed) as caught:
        vault.save(b"lost")
    assert "no space left on the disk" in caught.value.message  # i18n.os_error_text
    monkeypatch.setattr(os, "write", real_write)
    assert vault.generation == 0
    vault.save(b"kept")
    assert vault.generation == 1
    vault.close()
    assert read_image(path) == b"kept"
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_closed_vault_refuses_to_save(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    vault, _ = Vault.open(path, PASS)
    vault.close()
    vault.close()  # idempotent
    assert vault.closed
    with pytest.raises(RuntimeError):
        vault.save(b"x")


def test_context_manager_closes(tmp_path: Path) -> None:
    path, _ = make_store(tmp_path)
    vault, _ = Vault.open(path, PASS)
    with vault:
        pass
    read_image(path)


@pytest.mark.parametrize(
    "error",
    [
        WrongPassphrase(),
        WrongRecoveryKey(),
        DamagedStore(None),
        DamagedStore(Path("x.bak1")),
        NotAStore(Path("x")),
        UnsupportedVersion(),
        StoreLocked(),
        UnsafeParameters(),
        StoreExists(Path("x")),
        StoreMissing(Path("x")),
        PassphraseRequired(),
        SaveFailed(OSError(28, "No space left on device")),
    ],
)
def test_every_error_has_a_message(error: VaultError) -> None:
    assert isinstance(error, VaultError)
    assert error.message and str(error) == error.message


def test_large_image_round_trips(tmp_path: Path) -> None:
    """Ten chunks of streamed sealing and read-back; how long a save takes is measured by
    benchmarks/run.py (save one edit at 10k and 100k officers), not here."""
    image = os.urandom(10 * 1024 * 1024)
    path, _ = make_store(tmp_path, image)
    vault, opened = Vault.open(path, PASS)
    vault.save(image[::-1])
    vault.close()
    assert opened == image
    _again, reopened = Vault.open(path, PASS)
    _again.close()
    assert reopened == image[::-1]
