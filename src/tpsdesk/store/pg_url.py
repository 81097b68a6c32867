"""The PostgreSQL connection of a district store: its URL checked, secure by default.

TLS is required for every host but a local unix socket: `sslmode=verify-full` unless the URL
says otherwise. A weaker mode that still encrypts (`require`, `verify-ca`) is accepted with a
warning; one that may send everything in clear (`disable`, `allow`, `prefer`) to a TCP host is
refused unless the person said `--insecure-database` (then a warning). The password is kept
apart from the URL: it is never shown and is stored only in the encrypted keyring.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ..i18n import _

DRIVER = "postgresql+psycopg"
SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
ENCRYPTING_MODES = ("require", "verify-ca", "verify-full")
CLEAR_MODES = ("disable", "allow", "prefer")
SSLMODES = (*CLEAR_MODES, *ENCRYPTING_MODES)


class DatabaseUrlError(ValueError):
    """A refused database URL; `.message` is translated and never holds the password."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class DatabaseTarget:
    """Where a district store's data lives. `url` never holds the password."""

    url: str  # postgresql+psycopg://user@host:port/db?sslmode=… (no password)
    password: str = field(repr=False)  # never in a repr, a log line or a traceback
    insecure: bool = False  # the person allowed a TCP host without TLS

    @property
    def _parsed(self) -> URL:
        return make_url(self.url)

    @property
    def host(self) -> str:
        """The TCP host, or the unix socket directory (`host=` query), or "" (default socket)."""
        parsed = self._parsed
        if parsed.host:
            return parsed.host
        value = parsed.query.get("host", "")
        return value if isinstance(value, str) else value[0]

    @property
    def port(self) -> int | None:
        return self._parsed.port

    @property
    def database(self) -> str:
        return self._parsed.database or ""

    @property
    def user(self) -> str:
        return self._parsed.username or ""

    @property
    def unix_socket(self) -> bool:
        host = self.host
        return not host or host.startswith("/")

    @property
    def sslmode(self) -> str:
        """The TLS mode the connection uses (the URL's, else verify-full on TCP)."""
        value = self._parsed.query.get("sslmode")
        if isinstance(value, tuple):
            value = value[0]
        if value:
            return value
        return "disable" if self.unix_socket else "verify-full"

    @property
    def where(self) -> str:
        """Host and database for messages (never the password)."""
        return _("database {database} on {host}").format(
            database=self.database or "?", host=self.host or _("the local socket")
        )

    def engine_url(self) -> URL:
        """The URL SQLAlchemy connects with (password included; never print it)."""
        url = self._parsed.set(password=self.password or None)
        if not self.unix_socket and "sslmode" not in url.query:
            url = url.update_query_dict({"sslmode": "verify-full"})
        return url

    def warnings(self) -> list[str]:
        """What to tell the person at init and at each open: a connection weaker than TLS
        with the server's name verified."""
        if self.unix_socket:
            return []
        mode = self.sslmode
        if mode in CLEAR_MODES:
            return [
                _(
                    "Warning: the connection to {where} is not encrypted (sslmode={mode}): "
                    "personal data crosses the network in clear."
                ).format(where=self.where, mode=mode)
            ]
        if mode != "verify-full":
            return [
                _(
                    "Warning: the connection to {where} does not verify the server's name "
                    "(sslmode={mode}); use sslmode=verify-full."
                ).format(where=self.where, mode=mode)
            ]
        return []


def parse_database_url(
    raw: str, *, password: str | None = None, insecure: bool = False
) -> DatabaseTarget:
    """Check a database URL given by a person and split off its password.

    `password` (a prompt or the environment) is used when the URL holds none. Raises
    `DatabaseUrlError` for something that is not a PostgreSQL URL, an unknown sslmode, or a
    TCP host without TLS (unless `insecure`).
    """
    try:
        parsed = make_url(raw.strip())
    except (ArgumentError, ValueError):
        raise DatabaseUrlError(
            _("The database URL is not valid; it looks like postgresql://user@host/database.")
        ) from None
    if parsed.drivername not in SCHEMES:
        raise DatabaseUrlError(
            _("Only PostgreSQL databases are supported (postgresql://user@host/database).")
        )
    if not parsed.database:
        raise DatabaseUrlError(_("The database URL names no database."))
    secret = parsed.password if parsed.password is not None else (password or "")
    # URL.set() ignores None: _replace clears the password for good.
    clean = parsed.set(drivername=DRIVER)._replace(password=None)
    target = DatabaseTarget(
        url=clean.render_as_string(hide_password=False), password=str(secret), insecure=insecure
    )
    mode = clean.query.get("sslmode")
    if isinstance(mode, tuple):
        mode = mode[0]
    if mode is not None and mode not in SSLMODES:
        raise DatabaseUrlError(_("Unknown sslmode {mode}; use verify-full.").format(mode=mode))
    if not target.unix_socket and target.sslmode in CLEAR_MODES and not insecure:
        raise DatabaseUrlError(
            _(
                "Refused: {where} would be reached without TLS (sslmode={mode}). Use "
                "sslmode=verify-full, or --insecure-database if this network is trusted."
            ).format(where=target.where, mode=target.sslmode)
        )
    return target
