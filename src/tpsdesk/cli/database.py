"""The district store's PostgreSQL database: where it is (db-info), the roles to make for it
(db-roles), and pointing a keyring at another connection (db-connect)."""

from __future__ import annotations

import click

from tpsdesk.cli.common import (
    DATABASE_URL_ENV,
    _open_store,
    _passphrase,
    _state,
    _store_option,
    cli_command,
    database_target,
    fail,
    option,
    warn_database,
)
from tpsdesk.i18n import N_, _
from tpsdesk.terminal import printable


@cli_command("db-info", help=N_("Where this store keeps its data (never shows the password)."))
@_store_option
@click.pass_context
def db_info(ctx: click.Context) -> None:
    from tpsdesk.store.backend import tls_version

    with _open_store(ctx) as store:
        target = store.database
        click.echo(_("Backend: {backend}").format(backend=store.backend))
        if target is None:
            click.echo(_("File: {path}").format(path=printable(str(store.path))))
            return
        click.echo(_("Host: {host}").format(host=printable(target.host or _("the local socket"))))
        if target.port is not None:
            click.echo(_("Port: {port}").format(port=target.port))
        click.echo(_("Database: {database}").format(database=printable(target.database)))
        click.echo(_("User: {user}").format(user=printable(target.user or "-")))
        click.echo(_("TLS (sslmode): {mode}").format(mode=target.sslmode))
        with store.read() as session:
            version = tls_version(session.connection())
        if version is None:
            click.echo(_("TLS in use: no (not encrypted)"))
        else:
            click.echo(_("TLS in use: yes ({version})").format(version=version))
        click.echo(_("Keyring: {path}").format(path=printable(str(store.path))))


@cli_command(
    "db-roles",
    help=N_(
        "Print the SQL that makes a district database with least-privilege roles: an owner "
        "that creates the tables, a clerk that may only read and write rows."
    ),
)
@option("--database", "database", default="tpsdesk", help=N_("Name of the database."))
@option("--owner", default="tpsdesk_owner", help=N_("Role that owns the tables."))
@option("--clerk", default="tpsdesk_clerk", help=N_("Role the desk's computers connect as."))
def db_roles(database: str, owner: str, clerk: str) -> None:
    from tpsdesk.store.pg_roles import roles_sql

    try:
        click.echo(roles_sql(database, owner, clerk), nl=False)
    except ValueError as exc:
        fail(str(exc))


@cli_command(
    "db-connect",
    help=N_(
        "Point this keyring at another connection to the same district database (the clerk's "
        "role, another host name or password); checked before it is saved."
    ),
)
@option(
    "--database",
    "database_url",
    envvar=DATABASE_URL_ENV,
    required=True,
    help=N_("postgresql://user@host/database (or $TPSDESK_DATABASE_URL)."),
)
@option(
    "--insecure-database",
    is_flag=True,
    help=N_("Allow a database server reached without TLS (a trusted network only)."),
)
@_store_option
@click.pass_context
def db_connect(ctx: click.Context, database_url: str, insecure_database: bool) -> None:
    from tpsdesk.store.db import Store
    from tpsdesk.store.vault import StoreMissing

    path = _state(ctx).store_path
    if not path.exists():
        raise StoreMissing(path)
    target = database_target(database_url, insecure=insecure_database)
    warn_database(target)
    # The keyring's own connection is not tried: it may be what no longer works (the role's
    # password changed on the server). The new one must reach the same store.
    Store.reconnect(path, _passphrase(ctx), target)
    click.echo(
        _("This keyring now connects to {where} as {user}.").format(
            where=target.where, user=target.user or "-"
        )
    )
