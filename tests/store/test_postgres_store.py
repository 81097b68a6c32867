"""A district store on PostgreSQL: the keyring file, the data on the server, refusals."""

from __future__ import annotations

import base64
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from tests.factories import FAST_KDF, PASSPHRASE

from tpsdesk.store.db import DatabaseUnavailable, IncompatibleStore, Store, StoreError
from tpsdesk.store.keyring import SECRET_KEYS, keyring_values
from tpsdesk.store.models import AuditEntry, ChangeLog, Kecamatan
from tpsdesk.store.pg_url import DatabaseUrlError, parse_database_url
from tpsdesk.store.vault import Vault, WrongPassphrase
from tpsdesk.store.versioning import RowChange, get_meta, stamp_rows
from tpsdesk.sync.identity import (
    district_encryption_key,
    district_signing_key,
    ensure_device_identity,
)


def _new(path: Path, url: str) -> Store:
    store, _recovery = Store.create(
        path, PASSPHRASE, role="district", operator="Bu Sri", kdf=FAST_KDF, database_url=url
    )
    return store


def _raw(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.mark.postgres
def test_create_and_open_a_postgres_store(tmp_path: Path, postgres_url: str) -> None:
    keyring = tmp_path / "district.tpsdesk"
    store = _new(keyring, postgres_url)
    assert store.backend == "postgresql"
    assert store.role == "district"
    identity = ensure_device_identity(store)
    store.set_setting("district_name", "Kota Malang")
    device_id, store_id = store.device_id, store.store_id
    store.close()
    # Two clerks' processes open the same keyring at once: no lock held between writes.
    one = Store.open(keyring, PASSPHRASE)
    two = Store.open(keyring, PASSPHRASE)
    try:
        for opened in (one, two):
            assert opened.backend == "postgresql"
            assert (opened.device_id, opened.store_id) == (device_id, store_id)
            assert opened.get_setting("district_name") == "Kota Malang"
            assert ensure_device_identity(opened).fingerprint == identity.fingerprint
    finally:
        one.close()
        two.close()


@pytest.mark.postgres
def test_no_private_key_reaches_the_server(tmp_path: Path, postgres_url: str) -> None:
    store = _new(tmp_path / "district.tpsdesk", postgres_url)
    try:
        signing = district_signing_key(store).private_bytes_raw()
        encryption = district_encryption_key(store).private_bytes_raw()
        with store.read() as session:
            assert get_meta(session, "district_keys") is not None
    finally:
        store.close()
    needles = [
        needle
        for key in (signing, encryption)
        for needle in (key.hex(), base64.b64encode(key).decode("ascii"))
    ]
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            keys = set(connection.execute(text("SELECT key FROM store_meta")).scalars())
            assert not keys & SECRET_KEYS
            found = 0
            for table in inspect(connection).get_table_names():
                for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                    found += 1
                    dump = repr(tuple(row))
                    assert not any(needle in dump for needle in needles), table
            assert found > 0
    finally:
        engine.dispose()
    # The keyring holds them, and the password-less connection.
    vault, image = Vault.open(tmp_path / "district.tpsdesk", PASSPHRASE)
    vault.close()
    conn = sqlite3.connect(":memory:")
    conn.deserialize(image)
    values = keyring_values(conn)
    conn.close()
    assert values is not None
    assert "district_keys" in values
    assert ":@" not in values["database_url"]


@pytest.mark.postgres
def test_a_database_holding_another_store_is_refused(tmp_path: Path, postgres_url: str) -> None:
    _new(tmp_path / "one.tpsdesk", postgres_url).close()
    with pytest.raises(StoreError, match="already holds another tpsdesk store"):
        _new(tmp_path / "two.tpsdesk", postgres_url)
    assert not (tmp_path / "two.tpsdesk").exists()  # nothing half-made


@pytest.mark.postgres
def test_a_keyring_for_another_database_is_refused(tmp_path: Path, postgres_url: str) -> None:
    keyring = tmp_path / "district.tpsdesk"
    _new(keyring, postgres_url).close()
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE store_meta SET value = :v WHERE key = 'store_id'"), {"v": '"other"'}
            )
    finally:
        engine.dispose()
    with pytest.raises(IncompatibleStore, match="another tpsdesk store"):
        Store.open(keyring, PASSPHRASE)


def test_a_field_store_stays_sqlite(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="Only a district or province store"):
        Store.create(
            tmp_path / "f.tpsdesk",
            PASSPHRASE,
            role="field",
            kdf=FAST_KDF,
            database_url="postgresql://u@/db",
        )
    assert not (tmp_path / "f.tpsdesk").exists()


@pytest.mark.postgres
def test_unreachable_database_is_a_clear_message(tmp_path: Path, postgres_url: str) -> None:
    missing = postgres_url.rsplit("/", 1)[0] + "/no_such_db_" + tmp_path.name[-6:]
    missing = missing + ("?" + postgres_url.split("?", 1)[1] if "?" in postgres_url else "")
    with pytest.raises(DatabaseUnavailable) as caught:
        _new(tmp_path / "k.tpsdesk", missing)
    assert "no_such_db_" in caught.value.message
    assert not (tmp_path / "k.tpsdesk").exists()


@pytest.mark.postgres
def test_counters_are_safe_with_two_writers(tmp_path: Path, postgres_url: str) -> None:
    """Two processes' worth of stores stamping at once never take the same version."""
    keyring = tmp_path / "district.tpsdesk"
    _new(keyring, postgres_url).close()
    stores = [Store.open(keyring, PASSPHRASE) for _ in range(2)]
    errors: list[BaseException] = []

    def work(store: Store, prefix: str) -> None:
        try:
            for n in range(10):
                with store.transaction() as session:
                    code = f"35.73.{prefix}{n}"
                    stamp_rows(
                        session,
                        Kecamatan,
                        [RowChange(_create(), {"code": code, "name": "K"})],
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(store, p))
        for store, p in zip(stores, ("1", "2"), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors
        with stores[0].read() as session:
            counters = sorted(session.exec(_select_counters()).all())
            seqs = sorted(session.exec(_select_seqs()).all())
        assert counters == list(range(1, 21))
        assert seqs == list(range(1, 21))
    finally:
        for store in stores:
            store.close()


def _create():  # type: ignore[no-untyped-def]
    from tpsdesk.store.models import Action

    return Action.CREATE


def _select_counters():  # type: ignore[no-untyped-def]
    from sqlmodel import select

    return select(Kecamatan.version_counter)


def _select_seqs():  # type: ignore[no-untyped-def]
    from sqlmodel import select

    return select(ChangeLog.seq)


@pytest.mark.postgres
def test_passphrase_change_rewraps_the_keyring(tmp_path: Path, postgres_url: str) -> None:
    keyring = tmp_path / "district.tpsdesk"
    store = _new(keyring, postgres_url)
    try:
        ensure_device_identity(store)
        store.change_passphrase("another long enough passphrase here")
    finally:
        store.close()
    with pytest.raises(WrongPassphrase):
        Store.open(keyring, PASSPHRASE)
    reopened = Store.open(keyring, "another long enough passphrase here")
    try:
        assert reopened.backend == "postgresql"
        with reopened.read() as session:
            assert session.exec(_audits()).first() is not None
    finally:
        reopened.close()


def _audits():  # type: ignore[no-untyped-def]
    from sqlmodel import select

    return select(AuditEntry)


# -- the URL ---------------------------------------------------------------------------------


def test_tls_is_required_for_a_tcp_host() -> None:
    target = parse_database_url("postgresql://clerk:s3cret@db.example.org/tpsdesk")
    assert target.sslmode == "verify-full"
    assert target.password == "s3cret"
    assert "s3cret" not in target.url
    assert target.warnings() == []
    assert target.engine_url().query["sslmode"] == "verify-full"
    for mode in ("disable", "allow", "prefer"):
        with pytest.raises(DatabaseUrlError, match="without TLS"):
            parse_database_url(f"postgresql://clerk@db.example.org/tpsdesk?sslmode={mode}")
        allowed = parse_database_url(
            f"postgresql://clerk@db.example.org/tpsdesk?sslmode={mode}", insecure=True
        )
        assert "not encrypted" in allowed.warnings()[0]
    weaker = parse_database_url("postgresql://clerk@db.example.org/tpsdesk?sslmode=require")
    assert "does not verify" in weaker.warnings()[0]


def test_a_unix_socket_needs_no_tls() -> None:
    target = parse_database_url("postgresql://clerk@/tpsdesk?host=/var/run/postgresql")
    assert target.unix_socket
    assert target.warnings() == []
    assert "sslmode" not in target.engine_url().query


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "Only PostgreSQL"),
        ("postgresql://u@h", "names no database"),
        ("not a url", "not valid"),
        ("postgresql://u@h/db?sslmode=sometimes", "Unknown sslmode"),
    ],
)
def test_bad_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(DatabaseUrlError, match=message):
        parse_database_url(url)


def test_the_password_is_never_in_a_repr() -> None:
    target = parse_database_url("postgresql://clerk:s3cret@db.example.org/tpsdesk")
    assert "s3cret" not in repr(target)
    assert "s3cret" not in target.where


@pytest.mark.parametrize(
    ("server_says", "message"),
    [
        ('FATAL:  password authentication failed for user "clerk"', "refused the user or password"),
        ('FATAL:  database "tps" does not exist', "does not exist on db.example.org"),
        ("SSL error: certificate verify failed", "not signed by the certificate authority"),
        (
            'server certificate for "localhost" does not match host name "db.example.org"',
            "server at db.example.org is not made out for that name",
        ),
        (
            'root certificate file "/home/x/.postgresql/root.crt" does not exist',
            "No certificate authority to check database tps on db.example.org",
        ),
        ("server does not support SSL, but SSL was required", "offers no TLS"),
        ("SSL SYSCALL error: EOF detected", "secure (TLS) connection"),
        ("server closed the connection unexpectedly", "Cannot reach"),
    ],
)
def test_connection_failures_are_told_apart(server_says: str, message: str) -> None:
    from tpsdesk.store.backend import connection_message

    target = parse_database_url("postgresql://clerk:s3cret@db.example.org/tps")
    told = connection_message(target, RuntimeError(server_says))
    assert message in told
    assert "s3cret" not in told
    assert "db-connect" not in told


def test_a_stored_password_refused_says_how_to_store_the_new_one() -> None:
    from tpsdesk.store.backend import connection_message

    target = parse_database_url("postgresql://clerk:s3cret@db.example.org/tps")
    refused = RuntimeError('FATAL:  password authentication failed for user "clerk"')
    told = connection_message(target, refused, stored=True)
    assert "refused the user or password for database tps on db.example.org" in told
    assert "tpsdesk db-connect --database URL" in told
    unreachable = connection_message(target, RuntimeError("timeout expired"), stored=True)
    assert "db-connect" not in unreachable


@pytest.mark.postgres
def test_keys_made_by_one_clerk_are_seen_by_another(tmp_path: Path, postgres_url: str) -> None:
    keyring = tmp_path / "district.tpsdesk"
    _new(keyring, postgres_url).close()
    one = Store.open(keyring, PASSPHRASE)
    two = Store.open(keyring, PASSPHRASE)
    try:
        made = ensure_device_identity(one)  # writes the keyring file
        assert ensure_device_identity(two).fingerprint == made.fingerprint
    finally:
        one.close()
        two.close()


@pytest.mark.postgres
def test_a_secret_changed_meanwhile_is_a_conflict(tmp_path: Path, postgres_url: str) -> None:
    from tpsdesk.store.keyring import KeyringConflict

    keyring = tmp_path / "district.tpsdesk"
    _new(keyring, postgres_url).close()
    one = Store.open(keyring, PASSPHRASE)
    two = Store.open(keyring, PASSPHRASE)
    try:
        ring_one, ring_two = one._keyring, two._keyring
        assert ring_one is not None and ring_two is not None
        ring_one.write({"district_keys": (None, {"signing_key": "one"})})
        # Two saw no keys before: its write would replace one's.
        with pytest.raises(KeyringConflict):
            ring_two.write({"district_keys": (None, {"signing_key": "two"})})
        assert ring_two.get("district_keys") == {"signing_key": "one"}
    finally:
        one.close()
        two.close()


def test_a_bad_url_given_to_the_store_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="without TLS"):
        Store.create(
            tmp_path / "k.tpsdesk",
            PASSPHRASE,
            role="district",
            kdf=FAST_KDF,
            database_url="postgresql://clerk@db.example.org/tps?sslmode=disable",
        )
    assert not (tmp_path / "k.tpsdesk").exists()


@pytest.mark.postgres
def test_a_clerk_opening_while_another_opens_waits_for_it(
    tmp_path: Path, postgres_url: str
) -> None:
    """The keyring's lock is held only while a process opens it (or writes a secret): another
    clerk's process opening it then waits, instead of hearing the store is open elsewhere."""
    from tpsdesk.store.lock import StoreLock
    from tpsdesk.store.vault import StoreLocked, shared_marker

    path = tmp_path / "district.tpsdesk"
    _new(path, postgres_url).close()
    assert shared_marker(path).exists()
    opening = StoreLock(path)
    opening.acquire()  # a clerk's process in the middle of opening it
    threading.Timer(0.5, opening.release).start()
    with Store.open(path, PASSPHRASE) as store:
        assert store.backend == "postgresql"
    # A store that is not shared has no marker: a second opener is refused at once.
    field, _key = Store.create(tmp_path / "field.tpsdesk", PASSPHRASE, kdf=FAST_KDF)
    try:
        assert not shared_marker(tmp_path / "field.tpsdesk").exists()
        with pytest.raises(StoreLocked):
            Store.open(tmp_path / "field.tpsdesk", PASSPHRASE)
    finally:
        field.close()
