"""What many test files share, in one place: the fast key derivation, the passphrase, the
area codes and a store maker. Import it as `from tests.factories import FAST_KDF, ...`."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    database_url: str | None = None,
) -> Store:
    """A new, open store at `path` with the fast KDF (the recovery key is dropped); a district
    store on PostgreSQL with `database_url` (an empty database)."""
    store, _recovery = Store.create(
        path, passphrase, role=role, operator=operator, kdf=FAST_KDF, database_url=database_url
    )
    return store


# Parameters of a fixture building a district store on either backend: the PostgreSQL one
# needs the `postgres_url` fixture (skipped without a server, never under CI).
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def backend_url(request: pytest.FixtureRequest) -> str | None:
    """The database URL for the backend a fixture parametrized by BACKENDS runs on."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return None


def store_snapshot(store: Store) -> object:
    """Everything a store holds, to compare before and after: the SQLite image, or on
    PostgreSQL every row of every table, sorted."""
    if store.backend == "sqlite":
        return store._conn.serialize()  # type: ignore[union-attr]
    from sqlalchemy import inspect, text

    dump = {}
    with store.read() as session:
        connection = session.connection()
        for table in sorted(inspect(connection).get_table_names()):
            rows = connection.execute(text(f'SELECT * FROM "{table}"'))
            dump[table] = sorted(repr(tuple(row)) for row in rows)
    return dump
