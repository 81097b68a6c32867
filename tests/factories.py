"""What many test files share, in one place: the fast key derivation, the passphrase, the
area codes and a store maker. Import it as `from tests.factories import FAST_KDF, ...`."""

from __future__ import annotations

from pathlib import Path

from tpsdesk.store.db import Store
from tpsdesk.store.vault import KdfParams

# Argon2id at its smallest (8 KiB per lane): tests open stores, they do not measure the KDF.
FAST_KDF = KdfParams(iterations=1, memory_kib=8, lanes=1)
PASSPHRASE = "kata sandi yang cukup panjang"
KEC = "35.73.05"
KEL_A = "35.73.05.1001"
KEL_B = "35.73.05.1002"


def new_store(
    path: Path,
    *,
    passphrase: str = PASSPHRASE,
    role: str = "field",
    operator: str = "",
) -> Store:
    """A new, open store at `path` with the fast KDF (the recovery key is dropped)."""
    store, _recovery = Store.create(path, passphrase, role=role, operator=operator, kdf=FAST_KDF)
    return store
