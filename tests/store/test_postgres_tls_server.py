"""The TCP/TLS/SCRAM throwaway server of tests/postgres_tls.py: what the TLS tests rely on (a
private server key, SCRAM-hashed passwords, no login over TCP without one, a certificate for
localhost and 127.0.0.1 only, signed by the test authority and not by the other one)."""

from __future__ import annotations

import ipaddress
import os
import stat
from pathlib import Path

import psycopg
import pytest
from cryptography import x509
from tests.postgres import REQUIRE_VARIABLE, unprivileged_user
from tests.postgres_tls import SERVER_CERT, SERVER_KEY, TlsDatabase, TlsServer

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("postgres_tls")]


def _data(tls: TlsServer) -> Path:
    return Path(tls.server.socket_dir) / "data"


def test_the_server_key_is_readable_by_the_server_user_only(
    postgres_tls_server: TlsServer,
) -> None:
    key = _data(postgres_tls_server) / SERVER_KEY
    info = key.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600
    owner = unprivileged_user().pw_uid if os.geteuid() == 0 else os.geteuid()
    assert info.st_uid == owner


def test_the_certificate_names_localhost_and_127_0_0_1_signed_by_the_test_authority(
    postgres_tls_server: TlsServer,
) -> None:
    cert = x509.load_pem_x509_certificate((_data(postgres_tls_server) / SERVER_CERT).read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    authority = x509.load_pem_x509_certificate(postgres_tls_server.ca_file.read_bytes())
    other = x509.load_pem_x509_certificate(postgres_tls_server.other_ca_file.read_bytes())
    cert.verify_directly_issued_by(authority)
    with pytest.raises(ValueError):
        cert.verify_directly_issued_by(other)


def test_passwords_are_scram_and_tcp_needs_one(postgres_tls: TlsDatabase) -> None:
    db = postgres_tls
    with db.tls.server.connect() as connection:
        stored = connection.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (db.user,)
        ).fetchone()
    assert stored is not None
    assert str(stored[0]).startswith("SCRAM-SHA-256$")
    ca = str(db.tls.ca_file)
    for mode in ("verify-full", "disable"):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(db.url("127.0.0.1", sslmode=mode, sslrootcert=ca), connect_timeout=10)
    with psycopg.connect(
        db.url("localhost", password=db.password, sslmode="verify-full", sslrootcert=ca),
        connect_timeout=10,
    ) as connection:
        assert connection.pgconn.ssl_in_use
    with psycopg.connect(
        db.url("127.0.0.1", password=db.password, sslmode="disable"), connect_timeout=10
    ) as connection:
        assert not connection.pgconn.ssl_in_use


NEEDS_TLS_SERVER = """
def test_needs_the_tls_server(postgres_tls):
    assert postgres_tls
"""


def _run_inner(pytester: pytest.Pytester) -> pytest.RunResult:
    pytester.makepyfile(test_inner=NEEDS_TLS_SERVER)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    return pytester.runpytest_inprocess(
        "-p",
        "tests.postgres",
        "-p",
        "tests.postgres_tls",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:textual-snapshot",
        "-rs",
    )


def test_without_postgresql_the_tls_server_skips_saying_where_it_looked(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(REQUIRE_VARIABLE, raising=False)
    monkeypatch.setenv("TPSDESK_PG_BINDIR", "/nonexistent")
    result = _run_inner(pytester)
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*PostgreSQL is not installed: initdb/pg_ctl not found*TPSDESK_PG_BINDIR=/nonexistent*"]
    )


def test_without_postgresql_under_require_postgres_the_tls_tests_fail(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")
    monkeypatch.setenv("TPSDESK_PG_BINDIR", "/nonexistent")
    result = _run_inner(pytester)
    result.assert_outcomes(errors=1)  # the skip happens in the fixture, i.e. at setup
