"""A district store on a real PostgreSQL reached over TCP with a SCRAM password and TLS
(tests/postgres_tls.py): the right password with the server's certificate verified works; a
wrong password, a certificate from another authority, a host name the certificate does not hold
and a connection in clear are refused with a clear message, leaving nothing behind; the
password is never in the keyring's bytes, in any output, nor in the server's log."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from tests.postgres_tls import TlsDatabase, new_password

from tpsdesk.cli import main
from tpsdesk.store.db import DatabaseUnavailable, Store

from .conftest import PASSPHRASE

# One worker runs them all (`--dist loadgroup` in .ci/run): one start of the TLS server.
pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("postgres_tls")]


def _invoke(runner: CliRunner, *args: str, password: str | None = None) -> Result:
    env = {"TPSDESK_DATABASE_PASSWORD": password} if password is not None else {}
    return runner.invoke(main, ["--lang", "en", *args], env=env)


def _init(runner: CliRunner, url: str, *extra: str, password: str | None = None) -> Result:
    return _invoke(runner, "init", "--district", *extra, "--database", url, password=password)


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (the keyring, its backups, its lock and marker files)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _logins(db: TlsDatabase) -> list[str]:
    """The server log's lines of this test's role logging in to its database."""
    mark = f"connection authorized: user={db.user} database={db.database} "
    return [line for line in db.log_text().splitlines() if mark in line]


def _refused(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert message in result.output, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)  # a refusal, not a crash


def _assert_secret_nowhere(
    db: TlsDatabase, secrets: list[str], outputs: list[Result], folder: Path
) -> None:
    """None of `secrets` in any output, in any file of the store's folder, in the server log."""
    log = db.log_text()
    files = _files(folder)
    for secret in secrets:
        for result in outputs:
            assert secret not in result.output
        for name, content in files.items():
            assert secret.encode() not in content, name
        assert secret not in log


def test_init_over_verified_tls_with_the_right_password(
    runner: CliRunner, store_path: Path, postgres_tls: TlsDatabase
) -> None:
    db = postgres_tls
    # No sslmode in the URL: verify-full, the certificate checked against the given authority.
    url = db.url("localhost", sslrootcert=str(db.tls.ca_file))
    created = _init(runner, url, password=db.password)
    assert created.exit_code == 0, created.output
    assert "Warning" not in created.output
    assert f"Data kept in: database {db.database} on localhost" in created.output
    assert "store_meta" in db.tables()

    with Store.open(store_path, PASSPHRASE) as store:
        assert store.backend == "postgresql"
        assert store.database is not None
        assert store.database.sslmode == "verify-full"

    info = _invoke(runner, "db-info")
    assert info.exit_code == 0, info.output
    assert "Host: localhost" in info.output
    assert f"Port: {db.tls.port}" in info.output
    assert f"User: {db.user}" in info.output
    assert "TLS (sslmode): verify-full" in info.output
    assert "TLS in use: yes (TLSv1." in info.output
    assert "Warning" not in info.output
    logins = _logins(db)
    assert logins
    assert all("SSL enabled (protocol=TLSv1." in line for line in logins)
    _assert_secret_nowhere(db, [db.password], [created, info], store_path.parent)


def test_the_password_in_the_url_is_kept_out_of_every_output(
    runner: CliRunner, store_path: Path, postgres_tls: TlsDatabase
) -> None:
    db = postgres_tls
    url = db.url("127.0.0.1", password=db.password, sslrootcert=str(db.tls.ca_file))
    created = _init(runner, url)
    assert created.exit_code == 0, created.output
    info = _invoke(runner, "db-info")
    assert "TLS in use: yes (TLSv1." in info.output
    _assert_secret_nowhere(db, [db.password], [created, info], store_path.parent)


def test_a_wrong_password_at_init_leaves_nothing_behind(
    runner: CliRunner, store_path: Path, postgres_tls: TlsDatabase
) -> None:
    db = postgres_tls
    wrong = new_password()
    url = db.url("localhost", sslrootcert=str(db.tls.ca_file))
    result = _init(runner, url, password=wrong)
    _refused(
        result,
        f"The database server refused the user or password for database {db.database} "
        "on localhost.",
    )
    assert not store_path.exists()
    assert _files(store_path.parent) == {}
    assert db.tables() == []
    _assert_secret_nowhere(db, [wrong, db.password], [result], store_path.parent)


def test_a_password_changed_on_the_server_refuses_the_open_until_db_connect(
    runner: CliRunner, store_path: Path, postgres_tls: TlsDatabase
) -> None:
    db = postgres_tls
    url = db.url("localhost", sslrootcert=str(db.tls.ca_file))
    created = _init(runner, url, password=db.password)
    assert created.exit_code == 0, created.output
    before = _files(store_path.parent)
    changed = new_password()
    db.set_password(changed)

    info = _invoke(runner, "db-info")
    _refused(info, f"refused the user or password for database {db.database} on localhost.")
    assert "tpsdesk db-connect --database URL" in info.output  # how to store the new one
    with pytest.raises(DatabaseUnavailable, match="refused the user or password"):
        Store.open(store_path, PASSPHRASE)
    assert _files(store_path.parent) == before

    # db-connect with a password that is still wrong: refused, the keyring unchanged.
    still_wrong = new_password()
    refused = _invoke(runner, "db-connect", "--database", url, password=still_wrong)
    _refused(refused, f"refused the user or password for database {db.database} on localhost.")
    assert _files(store_path.parent) == before

    # The new password, stored with db-connect (which does not need the old one to work).
    connected = _invoke(runner, "db-connect", "--database", url, password=changed)
    assert connected.exit_code == 0, connected.output
    assert f"This keyring now connects to database {db.database} on localhost" in (connected.output)
    reopened = _invoke(runner, "db-info")
    assert reopened.exit_code == 0, reopened.output
    assert "TLS in use: yes (TLSv1." in reopened.output
    _assert_secret_nowhere(
        db,
        [db.password, changed, still_wrong],
        [created, info, refused, connected, reopened],
        store_path.parent,
    )


def test_db_connect_refuses_a_database_without_this_store(
    runner: CliRunner, store_path: Path, postgres_tls: TlsDatabase
) -> None:
    db = postgres_tls
    url = db.url("localhost", sslrootcert=str(db.tls.ca_file))
    assert _init(runner, url, password=db.password).exit_code == 0
    before = _files(store_path.parent)
    elsewhere = url.replace(f"/{db.database}?", "/postgres?")
    result = _invoke(runner, "db-connect", "--database", elsewhere, password=db.password)
    _refused(result, "database postgres on localhost holds no tpsdesk store.")
    assert _files(store_path.parent) == before


def test_a_certificate_from_another_authority_is_refused(
    runner: CliRunner, store_path: Path, postgres_tls: TlsDatabase
) -> None:
    db = postgres_tls
    url = db.url("localhost", sslmode="verify-full", sslrootcert=str(db.tls.other_ca_file))
    result = _init(runner, url, password=db.password)
    _refused(
        result,
        f"Refused: the certificate of database {db.database} on localhost was not signed by the "
        "certificate authority given (sslrootcert)",
    )
    assert not store_path.exists()
    assert db.tables() == []
    _assert_secret_nowhere(db, [db.password], [result], store_path.parent)


@pytest.mark.parametrize(
    ("host", "query"),
    [
        # An address of the loopback the certificate does not hold (it holds 127.0.0.1).
        ("127.0.0.2", {}),
        # A name the certificate does not hold, reaching the server by its address.
        ("db.kota.invalid", {"hostaddr": "127.0.0.1"}),
    ],
    ids=["address", "name"],
)
def test_a_host_the_certificate_does_not_name_is_refused(
    runner: CliRunner,
    store_path: Path,
    postgres_tls: TlsDatabase,
    host: str,
    query: dict[str, str],
) -> None:
    db = postgres_tls
    if host == "127.0.0.2" and not db.tls.other_loopback:
        pytest.skip("this machine has no 127.0.0.2 on its loopback")
    url = db.url(host, sslmode="verify-full", sslrootcert=str(db.tls.ca_file), **query)
    result = _init(runner, url, password=db.password)
    _refused(
        result,
        f"Refused: the certificate of the database server at {host} is not made out for that "
        "name (sslmode=verify-full).",
    )
    assert not store_path.exists()
    assert db.tables() == []
    assert _logins(db) == []  # never got as far as logging in
    _assert_secret_nowhere(db, [db.password], [result], store_path.parent)


def test_no_certificate_authority_to_check_with(
    runner: CliRunner, store_path: Path, tmp_path: Path, postgres_tls: TlsDatabase
) -> None:
    db = postgres_tls
    url = db.url("localhost", sslrootcert=str(tmp_path / "nowhere" / "root.crt"))
    result = _init(runner, url, password=db.password)
    _refused(result, f"No certificate authority to check database {db.database} on localhost")
    assert not store_path.exists()
    assert db.tables() == []


def test_clear_tcp_is_refused_unless_insecure_database_then_warned_at_every_open(
    runner: CliRunner, store_path: Path, postgres_tls: TlsDatabase
) -> None:
    db = postgres_tls
    url = db.url("127.0.0.1", sslmode="disable")
    refused = _init(runner, url, password=db.password)
    _refused(
        refused,
        f"Refused: database {db.database} on 127.0.0.1 would be reached without TLS "
        "(sslmode=disable).",
    )
    assert not store_path.exists()
    assert _logins(db) == []  # not even tried

    warning = (
        f"Warning: the connection to database {db.database} on 127.0.0.1 is not encrypted "
        "(sslmode=disable)"
    )
    created = _init(runner, url, "--insecure-database", password=db.password)
    assert created.exit_code == 0, created.output
    assert warning in created.output
    assert "store_meta" in db.tables()
    opens = [_invoke(runner, "db-info") for _ in range(2)]
    for opened in opens:
        assert opened.exit_code == 0, opened.output
        assert warning in opened.output
        assert "TLS in use: no (not encrypted)" in opened.output
    # The server saw this role log in, never over TLS (the `host` line, not `hostssl`).
    logins = _logins(db)
    assert logins
    assert not any("SSL enabled" in line for line in logins)
    _assert_secret_nowhere(db, [db.password], [refused, created, *opens], store_path.parent)


def test_a_password_with_url_characters_works_from_the_environment_and_the_url(
    runner: CliRunner, store_path: Path, tmp_path: Path, postgres_tls: TlsDatabase
) -> None:
    db = postgres_tls
    password = "p@ss:w/rd%&?#' \"é" + new_password()
    db.set_password(password)
    url = db.url("localhost", sslrootcert=str(db.tls.ca_file))
    created = _init(runner, url, password=password)
    assert created.exit_code == 0, created.output
    # The same password written into the URL (percent-encoded), for a second keyring.
    other = tmp_path / "other" / "keyring.store"
    in_url = db.url("localhost", password=password, sslrootcert=str(db.tls.ca_file))
    connected = _invoke(runner, "--store", str(other), "init", "--district", "--database", in_url)
    # The database already holds the first keyring's store: refused, but past the login.
    _refused(connected, "already holds another tpsdesk store")
    assert not other.exists()
    info = _invoke(runner, "db-info")
    assert "TLS in use: yes (TLSv1." in info.output
    _assert_secret_nowhere(db, [password], [created, connected, info], store_path.parent)
    assert _files(other.parent) == {}  # the keyring made before the refusal, removed


def test_a_role_that_may_not_create_tables_is_refused_and_leaves_nothing(
    runner: CliRunner, store_path: Path, postgres_tls: TlsDatabase
) -> None:
    db = postgres_tls
    # The role logs in to a database it does not own: no CREATE on its schema public.
    url = db.url("localhost", sslrootcert=str(db.tls.ca_file)).replace(
        f"/{db.database}?", "/postgres?"
    )
    result = _init(runner, url, password=db.password)
    _refused(
        result,
        f"The database user {db.user} may not do this in database postgres on localhost "
        "(permission denied)",
    )
    assert not store_path.exists()
    assert _files(store_path.parent) == {}
    with db.tls.server.connect() as connection:
        tables = connection.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
    assert tables == (0,)
