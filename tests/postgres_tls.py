"""A second throwaway PostgreSQL for the tests, reached over TCP with passwords and TLS: a pytest
plugin (registered in tests/conftest.py beside tests.postgres).

`postgres_tls_server` (session, started only by the tests that ask for it) listens on 127.0.0.1
(and 127.0.0.2 where the machine has it) at a free port, hashes passwords with SCRAM-SHA-256
and lets logins in only with one: `hostssl` and `host` lines for 127.0.0.1/32 with
`scram-sha-256`, so TLS and clear TCP can both be tried; its own unix socket trusts the
superuser (setup only). TLS is on with a throwaway certificate authority and a server
certificate for `localhost` and 127.0.0.1 (nothing else), made here with `cryptography`; a
second authority that signed nothing is there to be the wrong one. It logs every statement and
connection, so a test can read the log for what must never be in it.

`postgres_tls` (function) gives a test a login role with a random password and an empty
database it owns, dropped afterwards. The rules of tests/postgres.py apply: run as the
`postgres` user when root, skip with the reason without PostgreSQL, no skip under
TPSDESK_REQUIRE_POSTGRES=1, stopped at the end of the session.
"""

from __future__ import annotations

import datetime
import ipaddress
import itertools
import os
import pwd
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from tests.postgres import (
    PostgresServer,
    drop_database,
    find_binaries,
    not_installed_reason,
    start_server,
)

LISTEN = "127.0.0.1"
OTHER_LOOPBACK = "127.0.0.2"  # on the loopback too (Linux), but not in the certificate
CERT_NAMES = ("localhost",)
CERT_ADDRESSES = ("127.0.0.1",)
CA_FILE = "ca.crt"
OTHER_CA_FILE = "other-ca.crt"
SERVER_CERT = "server.crt"
SERVER_KEY = "server.key"
PASSWORD_CHARS = 24
HBA = (
    "# tpsdesk tests: the superuser on the socket for setup; TCP only with a SCRAM password\n"
    "local all all trust\n"
    f"hostssl all all {LISTEN}/32 scram-sha-256\n"
    f"host all all {LISTEN}/32 scram-sha-256\n"
)


@dataclass(frozen=True)
class TlsServer:
    """The running server, the address it listens on and its authorities' certificates."""

    server: PostgresServer
    port: int
    ca_file: Path  # signed the server's certificate
    other_ca_file: Path  # signed nothing the server holds
    other_loopback: bool  # the server also listens on OTHER_LOOPBACK

    @property
    def log_file(self) -> Path:
        return self.server.log_file


@dataclass(frozen=True)
class TlsDatabase:
    """A test's own login role (password `password`) and the empty database it owns."""

    tls: TlsServer
    database: str
    user: str
    password: str = field(repr=False)

    def url(
        self,
        host: str = "localhost",
        *,
        password: str | None = None,
        **query: str,
    ) -> str:
        """postgresql://user[:password]@host:port/database?query (password only if given)."""
        secret = "" if password is None else ":" + quote(password, safe="")
        tail = f"?{urlencode(query, safe='/')}" if query else ""
        return f"postgresql://{self.user}{secret}@{host}:{self.tls.port}/{self.database}{tail}"

    def set_password(self, password: str) -> None:
        """ALTER ROLE … PASSWORD, kept out of the server log (log_statement off for it)."""
        _set_password(self.tls.server, self.user, password)

    def tables(self) -> list[str]:
        with self.tls.server.connect(self.database) as connection:
            rows = connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        return sorted(str(row[0]) for row in rows)

    def log_text(self) -> str:
        return self.tls.log_file.read_text(encoding="utf-8", errors="replace")


# --- certificates ------------------------------------------------------------------------------


def _pem_certificate(cert: object) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    assert isinstance(cert, x509.Certificate)
    return cert.public_bytes(Encoding.PEM)


def _authority(name: str) -> tuple[object, object]:
    """A self-signed certificate authority: (certificate, private key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_certificates(folder: Path) -> tuple[Path, Path, bytes, bytes]:
    """Two authorities' certificates written in `folder` (CA_FILE, OTHER_CA_FILE) and the
    server's certificate and key (PEM bytes) signed by the first, for CERT_NAMES and
    CERT_ADDRESSES."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_cert, ca_key = _authority("tpsdesk tests CA")
    other_cert, _other_key = _authority("tpsdesk tests other CA")
    assert isinstance(ca_cert, x509.Certificate)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in CERT_NAMES]
    names += [x509.IPAddress(ipaddress.ip_address(address)) for address in CERT_ADDRESSES]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CERT_NAMES[0])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, other_ca_file = folder / CA_FILE, folder / OTHER_CA_FILE
    ca_file.write_bytes(_pem_certificate(ca_cert))
    other_ca_file.write_bytes(_pem_certificate(other_cert))
    key_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return ca_file, other_ca_file, cert.public_bytes(Encoding.PEM), key_pem


def _write_private(path: Path, content: bytes, user: pwd.struct_passwd | None) -> None:
    """A file only the server's user reads (0600, owned by it): PostgreSQL refuses a key
    others can read."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.chmod(path, 0o600)
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)


# --- the server --------------------------------------------------------------------------------


def _free_port(addresses: tuple[str, ...]) -> int:
    """A TCP port free on every one of `addresses` right now."""
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((addresses[0], 0))
            port = int(probe.getsockname()[1])
        if all(_can_bind(address, port) for address in addresses):
            return port
    raise RuntimeError(f"no TCP port free on {', '.join(addresses)}")


def _can_bind(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def start_tls_server() -> TlsServer:
    """Start the TCP/TLS/SCRAM server (see the module's text); skips without PostgreSQL."""
    binaries, looked = find_binaries()
    if binaries is None:
        pytest.skip(not_installed_reason(looked))
    other_loopback = _can_bind(OTHER_LOOPBACK, 0)
    addresses = (LISTEN, OTHER_LOOPBACK) if other_loopback else (LISTEN,)
    files: dict[str, Path] = {}

    def prepare(root: Path, user: pwd.struct_passwd | None) -> None:
        ca_file, other_ca_file, cert_pem, key_pem = make_certificates(root)
        files.update(ca=ca_file, other=other_ca_file)
        _write_private(root / "data" / SERVER_CERT, cert_pem, user)
        _write_private(root / "data" / SERVER_KEY, key_pem, user)

    last_error: RuntimeError | None = None
    for _attempt in range(3):  # another process may take the free port before the server
        port = _free_port(addresses)
        settings = {
            "listen_addresses": "'{}'".format(",".join(addresses)),
            "port": str(port),
            "password_encryption": "'scram-sha-256'",
            "ssl": "on",
            "ssl_cert_file": f"'{SERVER_CERT}'",
            "ssl_key_file": f"'{SERVER_KEY}'",
            "ssl_min_protocol_version": "'TLSv1.2'",
            "log_statement": "'all'",
            "log_connections": "on",
            "log_disconnections": "on",
            "max_connections": "40",
        }
        try:
            server = start_server(binaries, settings=settings, hba=HBA, prepare=prepare)
        except RuntimeError as exc:
            last_error = exc
            continue
        return TlsServer(server, port, files["ca"], files["other"], other_loopback)
    assert last_error is not None
    raise last_error


@pytest.fixture(scope="session")
def postgres_tls_server() -> Iterator[TlsServer]:
    """The TCP/TLS/SCRAM throwaway server of this session (this xdist worker)."""
    tls = start_tls_server()
    try:
        yield tls
    finally:
        tls.server.stop()


_numbers = itertools.count(1)


def _set_password(server: PostgresServer, user: str, password: str) -> None:
    from psycopg import sql

    with server.connect() as connection:
        # The statement holds the password: this session logs no statement.
        connection.execute("SET log_statement = 'none'")
        connection.execute(
            sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
                sql.Identifier(user), sql.Literal(password)
            )
        )


def new_password() -> str:
    return secrets.token_urlsafe(PASSWORD_CHARS)


@pytest.fixture
def postgres_tls(postgres_tls_server: TlsServer) -> Iterator[TlsDatabase]:
    """A login role with a random password and an empty database it owns, on the TLS server;
    both dropped after the test."""
    from psycopg import sql

    number = next(_numbers)
    user, database = f"tls_clerk_{number}", f"tls_db_{number}"
    password = new_password()
    server = postgres_tls_server.server
    with server.connect() as connection:
        connection.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(user)))
    _set_password(server, user, password)
    with server.connect() as connection:
        connection.execute(
            sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(database), sql.Identifier(user)
            )
        )
    try:
        yield TlsDatabase(postgres_tls_server, database, user, password)
    finally:
        drop_database(server, database)
        with server.connect() as connection:
            connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(user)))
