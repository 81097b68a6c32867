"""The PostgreSQL engine of a district store, and its connection errors as clear messages."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine

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


def connection_message(target: DatabaseTarget, exc: BaseException) -> str:
    """What went wrong connecting to `target`, naming host and database, never the password.

    The server's own text is not shown (it may quote the connection string); it is only
    matched to tell the usual causes apart.
    """
    detail = str(getattr(exc, "orig", exc) or exc).lower()
    where = target.where
    if "password" in detail or "authentication" in detail:
        return _("The database server refused the user or password for {where}.").format(
            where=where
        )
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
