"""Store: the encrypted vault, an in-memory SQLite copy of it, and transactions that save.

The database lives only in memory (`sqlite3.connect(":memory:")`, temp_store=MEMORY); the
vault holds its serialized image, sealed. Every committed transaction is saved before
`transaction()` returns. All access goes through one re-entrant lock: StaticPool shares a
single connection, and the UI calls in from worker threads.

A district store may keep its data in PostgreSQL instead (`create(..., database_url=…)`): the
vault file is then its keyring (store/keyring.py: private keys and the connection), every
transaction commits on the server, `save()` has nothing to write (docs/postgres.md).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import sqlite3
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, col, select

from ..domain.names import name_key
from ..domain.posts import DEFAULT_CATALOGUE, PostCatalogue
from ..i18n import _
from .backend import connection_message, denied_message, postgres_engine
from .keyring import (
    META_DATABASE_PASSWORD,
    META_DATABASE_URL,
    META_INSECURE,
    Keyring,
    KeyringConflict,
    conflict_message,
    keyring_values,
)
from .models import DeviceHistory, new_id, utcnow
from .pg_url import DatabaseTarget, DatabaseUrlError, parse_database_url
from .schema import HEAD, SCHEMA_VERSION, current_revision, upgrade_schema
from .vault import KdfParams, RewrapPlan, Vault
from .versioning import (
    KEYRING_CHANGES,
    KEYRING_KEY,
    META_DEVICE_COUNTER,
    META_DEVICE_ID,
    META_DEVICE_SEQ,
    STATE_KEY,
    StoreState,
    audit,
    get_meta,
    set_meta,
    state_of,
)

log = logging.getLogger(__name__)

ROLES = ("field", "district", "province")
# Roles of an office store: district tables, office keys (a province is a district one level up).
OFFICE_ROLES = ("district", "province")
BACKENDS = ("sqlite", "postgresql")

# StoreMeta keys (besides the device keys in versioning).
META_SCHEMA_VERSION = "schema_version"
META_STORE_ID = "store_id"
META_ROLE = "role"
META_LOCATION = "location"
META_OPERATOR = "operator"
META_CREATED_AT = "created_at"
SETTING_PREFIX = "setting."
CATALOGUE_SETTING = "catalogue"


class StoreError(Exception):
    """A refusal of the store layer; `.message` is translated and safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransactionOpen(StoreError):
    """Saving (or closing) while a transaction is open: it would capture uncommitted rows."""


class NotFound(StoreError):
    """The row asked for does not exist (or is deleted)."""


class Conflict(StoreError):
    """The change would break a rule of the store (a duplicate code, a TPS still in use…)."""


class IncompatibleStore(StoreError):
    """The store was written by a newer tpsdesk, or is not a tpsdesk database."""


class DatabaseUnavailable(StoreError):
    """The district's PostgreSQL database cannot be reached or refused the connection."""


@contextmanager
def _connecting(target: DatabaseTarget, *, stored: bool = False) -> Iterator[None]:
    """A failure to connect to `target` as `DatabaseUnavailable`, naming host and database
    (`stored`: the keyring's own connection, see `connection_message`)."""
    try:
        yield
    except OperationalError as exc:
        raise DatabaseUnavailable(connection_message(target, exc, stored=stored)) from None
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise DatabaseUnavailable(connection_message(target, exc, stored=stored)) from None
        if (denied := denied_message(target, exc)) is not None:
            raise DatabaseUnavailable(denied) from None
        raise


# Taken while a PostgreSQL store is created in a database, so two keyrings made at once for
# the same database cannot both install a store there.
_CREATE_LOCK = 0x7470_7364_6573_6B01


def new_device_id() -> str:
    return uuid.uuid4().hex


@lru_cache(maxsize=1)
def _machine_id() -> str:
    for candidate in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            text = Path(candidate).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text:
            return text
    if sys.platform == "win32":
        try:
            import winreg

            with winreg.OpenKey(
                winreg.HKEY_LOCAL_MACHINE, r"SOFTWARE\Microsoft\Cryptography"
            ) as key:
                return str(winreg.QueryValueEx(key, "MachineGuid")[0])
        except OSError:
            return ""
    return ""


def location_fingerprint(path: Path) -> str:
    """A hash of where the store file is: its absolute path, the host name, the machine id.

    When it changes, the file was copied or moved; the copy must not go on counting with
    the original's device id.
    """
    parts = (os.path.normcase(str(Path(path).resolve())), socket.gethostname(), _machine_id())
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _date_text(value: date) -> str:
    return value.isoformat()


def _datetime_text(value: datetime) -> str:
    return value.isoformat(" ")


# Dates and datetimes that reach sqlite3 as they are (the bulk inserts and updates of an
# import or a merge pass some without SQLAlchemy's conversion) are stored as text by these
# explicit adapters: the same text as Python's default adapters, deprecated since 3.12, wrote.
# The connection has no detect_types, so no converters: SQLAlchemy parses the text it reads.
sqlite3.register_adapter(date, _date_text)
sqlite3.register_adapter(datetime, _datetime_text)


def _new_connection() -> sqlite3.Connection:
    # Never isolation_level=None: SQLAlchemy's rollback would silently stop working.
    return sqlite3.connect(":memory:", check_same_thread=False)


# SQL name of `domain.names.name_key`. A district store from before schema revision 0003 has
# an index on it (ix_officer_name_key), which SQLite must be able to compute until that
# revision, run when the store opens, drops the index; nothing else calls it.
NAME_KEY_FUNCTION = "tpsdesk_name_key"


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA foreign_keys=ON")
    conn.create_function(NAME_KEY_FUNCTION, 1, name_key, deterministic=True)
    # Large sorts would otherwise spill plaintext into temp files.
    conn.execute("PRAGMA temp_store=MEMORY")
    if conn.execute("PRAGMA temp_store").fetchone()[0] != 2:
        raise IncompatibleStore(_("This SQLite cannot keep temporary data in memory."))


def _engine_for(conn: sqlite3.Connection) -> Engine:
    return create_engine("sqlite://", creator=lambda: conn, poolclass=StaticPool)


class Store:
    """One open store. Create it with `create()`, `open()` or `open_with_recovery()`."""

    path: Path

    def __init__(
        self,
        path: Path,
        vault: Vault,
        conn: sqlite3.Connection | None,
        engine: Engine | None = None,
        keyring: Keyring | None = None,
    ) -> None:
        self.path = path
        self._vault = vault
        self._conn = conn
        self._keyring = keyring
        if engine is None:
            assert conn is not None
            engine = _engine_for(conn)
        self._engine = engine
        self._lock = threading.RLock()
        self._session: Session | None = None
        self._depth = 0
        self._doomed = False
        self._closed = False
        self._catalogue: PostCatalogue | None = None
        self.unsaved = False
        self._batch_depth = 0
        self._role = ""
        self._device_id = ""
        self._store_id = ""
        self._operator = ""

    # -- opening and closing ------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        passphrase: str,
        *,
        role: str = "field",
        operator: str = "",
        kdf: KdfParams | None = None,
        database_url: str | DatabaseTarget | None = None,
    ) -> tuple[Store, str]:
        """Create a new store file; returns the open store and the one-time recovery key.

        With `database_url`, a district store on PostgreSQL: the file at `path` is its
        keyring (private keys, connection) and the data goes to that (empty) database.
        """
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        path = Path(path)
        if database_url is not None:
            if role not in OFFICE_ROLES:
                raise StoreError(
                    _(
                        "Only a district or province store can keep its data in PostgreSQL; "
                        "a field laptop's store stays in its encrypted file."
                    )
                )
            try:
                target = (
                    database_url
                    if isinstance(database_url, DatabaseTarget)
                    else parse_database_url(database_url)
                )
            except DatabaseUrlError as exc:
                raise StoreError(exc.message) from None
            return cls._create_postgres(path, passphrase, target, role, operator, kdf)
        conn = _new_connection()
        try:
            _configure(conn)
            engine = _engine_for(conn)
            with engine.begin() as connection:
                upgrade_schema(connection)
            device_id = new_device_id()
            with Session(engine) as session:
                for key, value in (
                    (META_SCHEMA_VERSION, SCHEMA_VERSION),
                    (META_STORE_ID, new_id()),
                    (META_ROLE, role),
                    (META_DEVICE_ID, device_id),
                    (META_DEVICE_COUNTER, 0),
                    (META_DEVICE_SEQ, 0),
                    (META_LOCATION, location_fingerprint(path)),
                    (META_OPERATOR, operator),
                    (META_CREATED_AT, utcnow().isoformat()),
                ):
                    set_meta(session, key, value)
                session.add(DeviceHistory(device_id=device_id))
                audit(session, StoreState(device_id, operator), "store_create", note=role)
                session.commit()
            image = conn.serialize()
            if kdf is None:
                vault, recovery_key = Vault.create(path, passphrase, image)
            else:
                vault, recovery_key = Vault.create(path, passphrase, image, kdf=kdf)
        except BaseException:
            conn.close()
            raise
        store = cls(path, vault, conn, engine)
        store._load_meta()
        return store, recovery_key

    @classmethod
    def open(cls, path: str | os.PathLike[str], passphrase: str) -> Store:
        """Open an existing store. A copy opened in a new place gets a new device id."""
        vault, image = Vault.open(Path(path), passphrase)
        return cls._from_image(Path(path), vault, image, new_device_reason=None)

    @classmethod
    def open_with_recovery(
        cls, path: str | os.PathLike[str], recovery_key: str, new_passphrase: str
    ) -> Store:
        """Open with the recovery key and set a new passphrase; the store gets a new device id."""
        vault, image = Vault.open_with_recovery(Path(path), recovery_key)
        store = cls._from_image(Path(path), vault, image, new_device_reason="recovery")
        return store._with_new_passphrase(new_passphrase)

    @classmethod
    def restore_backup(
        cls, path: str | os.PathLike[str], backup: str | os.PathLike[str], passphrase: str
    ) -> Store:
        """Put `backup` back in place of the store file and open it under a new device id.

        The backup's device counters were used again after it was taken; going on with them
        would give two different changes the same version.
        """
        Vault.restore_backup(Path(path), Path(backup), passphrase)
        vault, image = Vault.open(Path(path), passphrase)
        return cls._from_image(Path(path), vault, image, new_device_reason="restored")

    @classmethod
    def restore_backup_with_recovery(
        cls,
        path: str | os.PathLike[str],
        backup: str | os.PathLike[str],
        recovery_key: str,
        new_passphrase: str,
    ) -> Store:
        """`restore_backup` for someone who forgot the passphrase: the backup must open with
        this store's recovery key; a new passphrase is set at once."""
        Vault.restore_backup(Path(path), Path(backup), recovery=recovery_key)
        vault, image = Vault.open_with_recovery(Path(path), recovery_key)
        store = cls._from_image(Path(path), vault, image, new_device_reason="restored")
        return store._with_new_passphrase(new_passphrase)

    def _with_new_passphrase(self, new_passphrase: str) -> Store:
        """This store (opened with the recovery key) under `new_passphrase`; closed if that
        fails, so the lock is not left held."""
        try:
            self.change_passphrase(new_passphrase)
        except BaseException:
            self.close()
            raise
        return self

    @classmethod
    def _from_image(
        cls, path: Path, vault: Vault, image: bytes, *, new_device_reason: str | None
    ) -> Store:
        conn = _new_connection()
        try:
            try:
                conn.deserialize(image)
                _configure(conn)
            except sqlite3.DatabaseError as exc:
                raise IncompatibleStore(
                    _("The store's contents are not a tpsdesk database.")
                ) from exc
            values = keyring_values(conn)
            if values is not None:
                conn.close()
                # A keyring restored or recovered keeps the device id: it lives on the server.
                return cls._open_postgres(path, vault, values)
            store = cls(path, vault, conn)
            store._prepare(new_device_reason)
        except BaseException:
            conn.close()
            vault.close()
            raise
        return store

    # -- PostgreSQL --------------------------------------------------------------------------

    @classmethod
    def _create_postgres(
        cls,
        path: Path,
        passphrase: str,
        target: DatabaseTarget,
        role: str,
        operator: str,
        kdf: KdfParams | None,
    ) -> tuple[Store, str]:
        store_id = new_id()
        engine = postgres_engine(target)
        try:
            with _connecting(target), engine.connect():
                pass  # reachable before any file is written
            keyring, recovery_key = Keyring.create(path, passphrase, target, store_id, kdf)
        except BaseException:
            engine.dispose()
            raise
        try:
            with _connecting(target), Session(engine) as session:
                connection = session.connection()
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATE_LOCK}
                )
                if inspect(connection).has_table("store_meta"):
                    other = get_meta(session, META_STORE_ID)
                    if other is not None:
                        raise StoreError(
                            _(
                                "{where} already holds another tpsdesk store; a new district "
                                "store needs an empty database."
                            ).format(where=target.where)
                        )
                upgrade_schema(connection)
                device_id = new_device_id()
                for key, value in (
                    (META_SCHEMA_VERSION, SCHEMA_VERSION),
                    (META_STORE_ID, store_id),
                    (META_ROLE, role),
                    (META_DEVICE_ID, device_id),
                    (META_DEVICE_COUNTER, 0),
                    (META_DEVICE_SEQ, 0),
                    (META_OPERATOR, operator),
                    (META_CREATED_AT, utcnow().isoformat()),
                ):
                    set_meta(session, key, value)
                session.add(DeviceHistory(device_id=device_id))
                audit(session, StoreState(device_id, operator), "store_create", note=role)
                session.commit()
        except BaseException:
            engine.dispose()
            keyring.close()
            _remove_keyring(path)
            raise
        store = cls(path, keyring.vault, None, engine, keyring)
        store._load_meta()
        return store, recovery_key

    @classmethod
    def _open_postgres(cls, path: Path, vault: Vault, values: dict[str, Any]) -> Store:
        keyring = Keyring(vault, values)
        target = keyring.target
        engine = postgres_engine(target)
        try:
            with _connecting(target, stored=True), Session(engine) as session:
                connection = session.connection()
                if not inspect(connection).has_table("store_meta"):
                    raise IncompatibleStore(
                        _("{where} holds no tpsdesk store.").format(where=target.where)
                    )
                if get_meta(session, META_STORE_ID) != keyring.store_id:
                    raise IncompatibleStore(
                        _("{where} holds another tpsdesk store than this keyring's.").format(
                            where=target.where
                        )
                    )
                version = get_meta(session, META_SCHEMA_VERSION)
                if not isinstance(version, int) or version > SCHEMA_VERSION:
                    raise IncompatibleStore(
                        _(
                            "This store was written by a newer version of tpsdesk. "
                            "Update tpsdesk first."
                        )
                    )
                if current_revision(connection) != HEAD:
                    # Alembic revisions (the owner role's right: a clerk role cannot migrate).
                    upgrade_schema(connection)
                session.commit()
            store = cls(path, vault, None, engine, keyring)
            with _connecting(target):
                store._load_meta()
        except BaseException:
            engine.dispose()
            keyring.close()
            raise
        return store

    @property
    def backend(self) -> str:
        """Where the data lives: "sqlite" (the encrypted file) or "postgresql"."""
        return "sqlite" if self._keyring is None else "postgresql"

    @property
    def database(self) -> DatabaseTarget | None:
        """The PostgreSQL connection of a district store (password inside: never show it)."""
        return None if self._keyring is None else self._keyring.target

    def set_database(self, target: DatabaseTarget) -> None:
        """Point this keyring at another connection to the same store: another role (the
        clerk's rather than the owner's), host name or password. Checked first: the new
        connection must reach this very store."""
        with self._lock:
            self._check_open()
            if self._keyring is None:
                raise StoreError(_("This store keeps its data in its own file, not in PostgreSQL."))
            if self._session is not None:
                raise TransactionOpen(_("The store cannot be saved while a change is still open."))
            engine = postgres_engine(target)
            try:
                _point_keyring(self._keyring, engine, target, self._store_id)
            except BaseException:
                engine.dispose()
                raise
            previous, self._engine = self._engine, engine
            previous.dispose()

    @classmethod
    def reconnect(
        cls, path: str | os.PathLike[str], passphrase: str, target: DatabaseTarget
    ) -> None:
        """`set_database` without opening the store: the connection the keyring holds is not
        tried (it may be what no longer works: the role's password changed on the server).
        Checked first: `target` must reach this keyring's store; else nothing is written."""
        vault, image = Vault.open(Path(path), passphrase)
        conn = _new_connection()
        try:
            try:
                conn.deserialize(image)
            except sqlite3.DatabaseError as exc:
                raise IncompatibleStore(
                    _("The store's contents are not a tpsdesk database.")
                ) from exc
            values = keyring_values(conn)
        except BaseException:
            vault.close()
            raise
        finally:
            conn.close()
        if values is None:
            vault.close()
            raise StoreError(_("This store keeps its data in its own file, not in PostgreSQL."))
        keyring = Keyring(vault, values)
        engine = postgres_engine(target)
        try:
            _point_keyring(keyring, engine, target, keyring.store_id)
        finally:
            engine.dispose()
            keyring.close()

    def _bind_keyring(self, session: Session) -> None:
        if self._keyring is not None:
            session.info[KEYRING_KEY] = self._keyring

    def _write_keyring(self, session: Session) -> None:
        """Write the secrets this transaction changed to the keyring, before the database
        commits (an unused key left in the keyring by a failed commit is harmless)."""
        changes = session.info.pop(KEYRING_CHANGES, None)
        if self._keyring is None or not changes:
            return
        try:
            self._keyring.write(changes)
        except KeyringConflict:
            raise StoreError(conflict_message()) from None

    def _prepare(self, new_device_reason: str | None) -> None:
        """Migrate an older schema and start a new device id if needed; save if anything changed."""
        changed = migrated = False
        with Session(self._engine) as session:
            try:
                version = get_meta(session, META_SCHEMA_VERSION)
            except Exception as exc:  # no store_meta table, broken JSON
                raise IncompatibleStore(
                    _("The store's contents are not a tpsdesk database.")
                ) from exc
            if not isinstance(version, int) or version < 1:
                raise IncompatibleStore(_("The store's contents are not a tpsdesk database."))
            if version > SCHEMA_VERSION:
                raise IncompatibleStore(
                    _("This store was written by a newer version of tpsdesk. Update tpsdesk first.")
                )
            connection = session.connection()
            if current_revision(connection) != HEAD:
                # Alembic revisions in this transaction; store_meta.schema_version follows.
                upgrade_schema(connection)
                session.expire_all()  # the meta rows read above may have changed
                changed = migrated = True
            reason = new_device_reason
            if reason is None and get_meta(session, META_LOCATION) != location_fingerprint(
                self.path
            ):
                reason = "moved"
            if reason is not None:
                self._start_new_device(session, reason)
                changed = True
            session.commit()
        if migrated and self._conn is not None:
            # A migration that dropped indexes leaves free pages, which the image would carry
            # into every save. VACUUM runs in memory (temp_store=MEMORY) with no transaction open.
            self._conn.execute("VACUUM")
        self._load_meta()
        if changed:
            self.save()

    def start_new_device(self, reason: str) -> str:
        """Give this store a new device id now (saved); returns it. For a laptop whose store
        was put back to an older copy in place (a receipt acknowledged more than it sent):
        what it writes from now on cannot reuse the old id's version numbers."""
        with self.transaction() as session:
            self._start_new_device(session, reason)
        self._load_meta()
        return self.device_id

    def _start_new_device(self, session: Session, reason: str) -> None:
        old_id = get_meta(session, META_DEVICE_ID)
        history = session.get(DeviceHistory, old_id) or DeviceHistory(device_id=old_id)
        history.ended_at = utcnow()
        history.end_reason = reason
        history.last_counter = get_meta(session, META_DEVICE_COUNTER, 0)
        session.add(history)
        device_id = new_device_id()
        set_meta(session, META_DEVICE_ID, device_id)
        set_meta(session, META_DEVICE_COUNTER, 0)
        set_meta(session, META_DEVICE_SEQ, 0)
        set_meta(session, META_LOCATION, location_fingerprint(self.path))
        session.add(DeviceHistory(device_id=device_id))
        operator = get_meta(session, META_OPERATOR, "")
        audit(session, StoreState(device_id, operator), "new_device", note=reason)
        log.info("store got a new device id (%s)", reason)

    def _load_meta(self) -> None:
        with Session(self._engine) as session:
            self._role = get_meta(session, META_ROLE, "field")
            self._device_id = get_meta(session, META_DEVICE_ID)
            self._store_id = get_meta(session, META_STORE_ID)
            self._operator = get_meta(session, META_OPERATOR, "")

    def close(self) -> None:
        """Close the database and the vault (which releases the lock). Idempotent."""
        with self._lock:
            if self._closed:
                return
            if self._session is not None:
                raise TransactionOpen(_("The store cannot be closed while a change is open."))
            self._closed = True
            try:
                self._engine.dispose()
                if self._conn is not None:
                    self._conn.close()
            finally:
                self._vault.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(_("The store is closed."))

    # -- sessions ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self, actor: str | None = None) -> Iterator[Session]:
        """A write session: commit, then save the image; on an exception, roll back, no save.

        A transaction opened inside another one (same thread) joins it; the outer one commits
        and saves, and a failure inside makes the whole of it roll back.
        """
        with self._lock:
            self._check_open()
            if self._session is not None:
                self._depth += 1
                try:
                    yield self._session
                except BaseException:
                    self._doomed = True
                    raise
                finally:
                    self._depth -= 1
                return
            session = Session(self._engine, expire_on_commit=False)
            who = self._operator if actor is None else actor
            session.info[STATE_KEY] = StoreState(self._device_id, who)
            self._bind_keyring(session)
            self._session = session
            self._doomed = False
            try:
                try:
                    yield session
                    if self._doomed:
                        raise StoreError(_("The change was cancelled because a step of it failed."))
                    self._write_keyring(session)
                    session.commit()
                except BaseException:
                    session.rollback()
                    self._catalogue = None
                    raise
            finally:
                session.close()
                self._session = None
            if self._keyring is not None:
                return  # PostgreSQL committed it; the keyring was written with its secrets
            if self._batch_depth:
                self.unsaved = True
            else:
                self.save()

    @contextmanager
    def saving_once(self) -> Iterator[None]:
        """Each transaction inside still commits on its own, but the file is written once, on
        leaving (also when leaving with an error, for what did commit).

        For batch work whose every step can be redone from its inputs (merging bundle files):
        a save per step would rewrite the whole image each time. Whoever uses it reports the
        steps as done only after leaving the block.
        """
        with self._lock:
            self._check_open()
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1
                if not self._batch_depth and self.unsaved:
                    self.save()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session under the store's lock; whatever it changes is discarded."""
        with self._lock:
            self._check_open()
            if self._session is not None:
                # Inside a transaction: read through it, to see its own changes.
                yield self._session
                return
            session = Session(self._engine, autoflush=False)
            self._bind_keyring(session)
            try:
                yield session
            finally:
                # close() without rollback(): loaded objects stay readable after the block.
                session.close()

    def save(self) -> None:
        """Seal and write the current image. Refused while a transaction is open.

        On PostgreSQL nothing to do: the server committed every transaction."""
        with self._lock:
            self._check_open()
            if self._conn is None:
                if self._session is not None:
                    raise TransactionOpen(
                        _("The store cannot be saved while a change is still open.")
                    )
                self.unsaved = False
                return
            if self._session is not None or self._conn.in_transaction:
                raise TransactionOpen(_("The store cannot be saved while a change is still open."))
            image = self._conn.serialize()
            self.unsaved = True
            self._vault.save(image)
            self.unsaved = False

    def check_passphrase(self, passphrase: str) -> bool:
        """Whether `passphrase` is the current one; runs the key derivation (slow on purpose)."""
        with self._lock:
            self._check_open()
            return self._vault.check_passphrase(passphrase)

    def rewrap_plan(self) -> RewrapPlan:
        """The backups and kept-aside files a passphrase change re-wraps, and those it cannot
        (damaged): ask before `change_passphrase(..., remove_unreadable=True)`."""
        with self._lock:
            self._check_open()
            return self._vault.rewrap_plan()

    def remove_unreadable(self) -> list[Path]:
        """Remove the damaged backups and kept-aside files (after a confirmation); returns
        those that could not be removed."""
        with self._lock:
            self._check_open()
            return self._vault.remove_unreadable()

    def change_passphrase(
        self, new_passphrase: str, *, remove_unreadable: bool = False
    ) -> list[Path]:
        """Set a new passphrase for the store and its other files (see `Vault`); returns the
        files left under an older passphrase."""
        with self._lock:
            self._check_open()
            if self._keyring is not None:
                if self._session is not None:
                    raise TransactionOpen(
                        _("The store cannot be saved while a change is still open.")
                    )
                return self._keyring.change_passphrase(
                    new_passphrase, remove_unreadable=remove_unreadable
                )
            assert self._conn is not None
            if self._session is not None or self._conn.in_transaction:
                raise TransactionOpen(_("The store cannot be saved while a change is still open."))
            return self._vault.change_passphrase(
                new_passphrase, self._conn.serialize(), remove_unreadable=remove_unreadable
            )

    def backups(self) -> list[Path]:
        return self._vault.backups()

    # -- identity and settings ------------------------------------------------------------

    @property
    def role(self) -> str:
        return self._role

    @property
    def device_id(self) -> str:
        return self._device_id

    @property
    def store_id(self) -> str:
        return self._store_id

    @property
    def operator(self) -> str:
        return self._operator

    def set_operator(self, operator: str) -> None:
        """The label written as `updated_by` and in the audit trail from now on."""
        with self.transaction() as session:
            set_meta(session, META_OPERATOR, operator)
            audit(session, state_of(session), "operator", table_name="store_meta")
        self._operator = operator

    def device_history(self) -> list[DeviceHistory]:
        """Every device id this store has had, oldest first (the current one last)."""
        with self.read() as session:
            query = select(DeviceHistory).order_by(col(DeviceHistory.started_at))
            return list(session.exec(query))

    def get_setting(self, key: str, default: Any = None) -> Any:
        with self.read() as session:
            return get_meta(session, SETTING_PREFIX + key, default)

    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON-able setting (inside the caller's transaction, or its own)."""
        with self.transaction() as session:
            set_meta(session, SETTING_PREFIX + key, value)
            audit(session, state_of(session), "setting", table_name="store_meta", row_id=key)
            if key == CATALOGUE_SETTING:
                self._catalogue = None

    @property
    def catalogue(self) -> PostCatalogue:
        """The post catalogue: the district's override if the store has one, else the default."""
        with self._lock:
            if self._catalogue is None:
                # Cached; dropped when the setting changes and when a transaction rolls back.
                data = self.get_setting(CATALOGUE_SETTING)
                self._catalogue = (
                    DEFAULT_CATALOGUE if data is None else PostCatalogue.from_dict(data)
                )
            return self._catalogue


def _point_keyring(keyring: Keyring, engine: Engine, target: DatabaseTarget, store_id: str) -> None:
    """Write `target` into `keyring` once `engine` (connecting to it) reached store `store_id`."""
    with _connecting(target), Session(engine) as session:
        if not inspect(session.connection()).has_table("store_meta"):
            raise IncompatibleStore(_("{where} holds no tpsdesk store.").format(where=target.where))
        if get_meta(session, META_STORE_ID) != store_id:
            raise IncompatibleStore(
                _("{where} holds another tpsdesk store than this keyring's.").format(
                    where=target.where
                )
            )
    old = keyring.target
    try:
        keyring.write(
            {
                META_DATABASE_URL: (old.url, target.url),
                META_DATABASE_PASSWORD: (old.password, target.password),
                META_INSECURE: (old.insecure, target.insecure),
            }
        )
    except KeyringConflict:
        raise StoreError(conflict_message()) from None


def _remove_keyring(path: Path) -> None:
    """Remove a keyring file made for a database that then refused the store, with its backups,
    its shared marker and its lock file (closed: no process holds it)."""
    from .lock import lock_path_for
    from .vault import backup_paths, shared_marker

    for other in (path, *backup_paths(path), shared_marker(path), lock_path_for(path)):
        with suppress(OSError):
            other.unlink()
