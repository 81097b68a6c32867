"""The PostgreSQL engine of a district store, and its connection errors as clear messages."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, create_engine, text

from ..i18n import _
from .pg_url import DatabaseTarget

# A statement or a lock wait longer than these is a stuck server or a forgotten transaction,
# not work: the clerk gets a message instead of a frozen desk. A big merge stays well below.
STATEMENT_TIMEOUT_MS = 300_000
LOCK_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_S = 10


def postgres_engine(target: DatabaseTarget) -> Engine:
    """An engine for `target`: psycopg 3, connections checked before use, sane timeouts."""
    options = f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS}"
    return create_engine(
        target.engine_url(),
        pool_pre_ping=True,
        pool_size=2,
        max_overflow=2,
        connect_args={
            "options": options,
            "connect_timeout": CONNECT_TIMEOUT_S,
            "application_name": "tpsdesk",
        },
    )


def connection_message(target: DatabaseTarget, exc: BaseException, *, stored: bool = False) -> str:
    """What went wrong connecting to `target`, naming host and database, never the password.

    The server's own text is not shown (it may quote the connection string); it is only
    matched to tell the usual causes apart. `stored`: the connection is the one a keyring
    holds (opening a store), so a refused password says how to store the new one.
    """
    detail = str(getattr(exc, "orig", exc) or exc).lower()
    where = target.where
    # libpq's own words for the TLS failures (checked first: the others may quote a user name).
    if "does not match host name" in detail:
        return _(
            "Refused: the certificate of the database server at {host} is not made out for "
            "that name (sslmode=verify-full). Connect by a host name the certificate holds."
        ).format(host=target.host)
    if "root certificate file" in detail:
        return _(
            "No certificate authority to check {where} with: give its certificate as "
            "sslrootcert=PATH in the database URL (or put it in ~/.postgresql/root.crt)."
        ).format(where=where)
    if "certificate verify failed" in detail:
        return _(
            "Refused: the certificate of {where} was not signed by the certificate authority "
            "given (sslrootcert); it may not be your district's server."
        ).format(where=where)
    if "server does not support ssl" in detail:
        return _(
            "Refused: {where} offers no TLS, and this connection requires it (sslmode={mode})."
        ).format(where=where, mode=target.sslmode)
    if "password" in detail or "authentication" in detail:
        refused = _("The database server refused the user or password for {where}.").format(
            where=where
        )
        if stored:
            refused += " " + _(
                "If the password was changed on the server, store the new one in this keyring: "
                "tpsdesk db-connect --database URL."
            )
        return refused
    if "does not exist" in detail and "database" in detail:
        return _("The database {database} does not exist on {host}.").format(
            database=target.database, host=target.host or _("the local socket")
        )
    if "ssl" in detail or "certificate" in detail or "tls" in detail:
        return _(
            "The secure (TLS) connection to {where} failed: check the server certificate and "
            "the sslmode."
        ).format(where=where)
    if "role" in detail and "does not exist" in detail:
        return _("The database server refused the user or password for {where}.").format(
            where=where
        )
    return _("Cannot reach {where}: is the database server running?").format(where=where)


INSUFFICIENT_PRIVILEGE = "42501"  # SQLSTATE of "permission denied"


def denied_message(target: DatabaseTarget, exc: BaseException) -> str | None:
    """The message for a statement the server refused to `target`'s role (permission denied),
    or None for another error."""
    if getattr(getattr(exc, "orig", exc), "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
        return None
    return _(
        "The database user {user} may not do this in {where} (permission denied): the store "
        "is created and upgraded by the database's owner role; clerks need the rights that "
        "tpsdesk db-roles grants."
    ).format(user=target.user or "-", where=target.where)


def tls_version(connection: Connection) -> str | None:
    """The TLS protocol (e.g. "TLSv1.3") this connection to PostgreSQL runs over, as the server
    sees it, or None when it is not encrypted (a unix socket, sslmode=disable)."""
    row = connection.execute(
        text("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    ).first()
    if row is None or not row[0]:
        return None
    return str(row[1] or "TLS")
