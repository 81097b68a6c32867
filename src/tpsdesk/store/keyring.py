"""The keyring of a district store on PostgreSQL: the private keys and the connection.

A PostgreSQL district store keeps its data on the server and, in the encrypted vault file
named by `--store`, a small SQLite image: a `store_meta` table holding the marker
`backend = "postgresql"`, the connection (URL without password, the password), the store id
it belongs to, and the private-key rows (`SECRET_KEYS`). Those never reach the server: the
meta functions of `store/versioning.py` route them here (see `KEYRING_KEY`).

Several clerks' processes open the same keyring at once: each reads it and lets go of the
file lock (`Vault.share`); writing a secret takes the lock, reads the file again (another
process may have written it) and refuses a change to a row another process changed meanwhile.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..i18n import _
from .pg_url import DatabaseTarget
from .vault import KdfParams, RewrapPlan, Vault
from .versioning import SECRET_KEYS

__all__ = ["SECRET_KEYS", "Keyring", "KeyringConflict", "keyring_values"]


META_BACKEND = "backend"
META_DATABASE_URL = "database_url"
META_DATABASE_PASSWORD = "database_password"
META_INSECURE = "database_insecure"
META_STORE_ID = "store_id"
POSTGRESQL = "postgresql"

_SCHEMA = "CREATE TABLE store_meta (key VARCHAR NOT NULL PRIMARY KEY, value VARCHAR NOT NULL)"


class KeyringConflict(Exception):
    """Another process changed a keyring row this one was changing."""


def _image_of(values: Mapping[str, Any]) -> bytes:
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(_SCHEMA)
        conn.executemany(
            "INSERT INTO store_meta (key, value) VALUES (?, ?)",
            [(k, json.dumps(v, sort_keys=True, ensure_ascii=False)) for k, v in values.items()],
        )
        conn.commit()
        return conn.serialize()
    finally:
        conn.close()


def _values_of(image: bytes) -> dict[str, Any]:
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(image)
        rows = conn.execute("SELECT key, value FROM store_meta").fetchall()
        return {str(key): json.loads(value) for key, value in rows}
    finally:
        conn.close()


def keyring_values(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The rows of an opened image if it is a keyring, else None (a whole store: its own
    connection is asked, no second copy of a large image is made)."""
    try:
        row = conn.execute("SELECT value FROM store_meta WHERE key = ?", (META_BACKEND,)).fetchone()
        if row is None or json.loads(row[0]) != POSTGRESQL:
            return None
        rows = conn.execute("SELECT key, value FROM store_meta").fetchall()
    except (sqlite3.DatabaseError, ValueError):
        return None
    return {str(key): json.loads(value) for key, value in rows}


def _file_state(path: Path) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


class Keyring:
    """An open keyring (its vault shared: no lock held between writes)."""

    def __init__(self, vault: Vault, values: dict[str, Any]) -> None:
        self._vault = vault
        self._values = values
        self._seen = _file_state(vault.path)
        self._mutex = threading.RLock()
        vault.share()

    @classmethod
    def create(
        cls,
        path: Path,
        passphrase: str,
        target: DatabaseTarget,
        store_id: str,
        kdf: KdfParams | None = None,
    ) -> tuple[Keyring, str]:
        values: dict[str, Any] = {
            META_BACKEND: POSTGRESQL,
            META_DATABASE_URL: target.url,
            META_DATABASE_PASSWORD: target.password,
            META_INSECURE: target.insecure,
            META_STORE_ID: store_id,
        }
        image = _image_of(values)
        if kdf is None:
            vault, recovery = Vault.create(path, passphrase, image)
        else:
            vault, recovery = Vault.create(path, passphrase, image, kdf=kdf)
        return cls(vault, values), recovery

    @property
    def path(self) -> Path:
        return self._vault.path

    @property
    def vault(self) -> Vault:
        return self._vault

    @property
    def store_id(self) -> str:
        return str(self._values.get(META_STORE_ID, ""))

    @property
    def target(self) -> DatabaseTarget:
        return DatabaseTarget(
            url=str(self._values[META_DATABASE_URL]),
            password=str(self._values.get(META_DATABASE_PASSWORD, "")),
            insecure=bool(self._values.get(META_INSECURE, False)),
        )

    def _refresh(self) -> None:
        """Read the file again if another process wrote it since this one last did."""
        state = _file_state(self._vault.path)
        if state is not None and state != self._seen:
            with self._vault.exclusive() as image:
                self._values = _values_of(image)
                self._seen = _file_state(self._vault.path)

    def get(self, key: str, default: Any = None) -> Any:
        with self._mutex:
            self._refresh()
            return self._values.get(key, default)

    def write(self, changes: Mapping[str, tuple[Any, Any]]) -> None:
        """Write `changes` ({key: (value seen before, new value)}) to the file.

        Refused (`KeyringConflict`, nothing written) when the file now holds, for one of
        these keys, another value than the one this process saw: another clerk's process
        changed it meanwhile (two processes creating the district keys at once).
        """
        if not changes:
            return
        with self._mutex, self._vault.exclusive() as image:
            current = _values_of(image)
            for key, (before, _after) in changes.items():
                if current.get(key) != before:
                    self._values = current
                    self._seen = _file_state(self._vault.path)
                    raise KeyringConflict(key)
            for key, (_before, after) in changes.items():
                current[key] = after
            self._vault.save(_image_of(current))
            self._values = current
            self._seen = _file_state(self._vault.path)

    def change_passphrase(self, new_passphrase: str, *, remove_unreadable: bool) -> list[Path]:
        with self._mutex, self._vault.exclusive() as image:
            left = self._vault.change_passphrase(
                new_passphrase, image, remove_unreadable=remove_unreadable
            )
            self._values = _values_of(image)
            self._seen = _file_state(self._vault.path)
            return left

    def rewrap_plan(self) -> RewrapPlan:
        return self._vault.rewrap_plan()

    def close(self) -> None:
        self._vault.close()


def conflict_message() -> str:
    return _(
        "Another clerk changed the district's keys at the same moment; nothing was saved. "
        "Try again."
    )
