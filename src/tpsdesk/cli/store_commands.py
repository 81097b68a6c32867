"""The store itself: init, passphrase change, recover, backups, restore-backup."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from tpsdesk.cli.common import (
    DATABASE_URL_ENV,
    NEW_PASSPHRASE_ENV,
    PASSPHRASE_ENV,
    _echo_json,
    _new_passphrase,
    _open_store,
    _passphrase,
    _read_secret_file,
    _recovery_options,
    _role_label,
    _state,
    _store_option,
    cli_command,
    cli_group,
    database_target,
    fail,
    kdf_params_from_env,
    option,
    warn_database,
)
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.terminal import printable

if TYPE_CHECKING:
    from tpsdesk.store.db import Store


@cli_command(help=N_("Create a store and print its one-time recovery key."))
@option("--district", is_flag=True, help=N_("Create a district store instead of a field store."))
@option(
    "--province",
    is_flag=True,
    help=N_("Create a province store (it merges its districts' roll-up files)."),
)
@option("--operator", default="", help=N_("Who works on this store (shown in the audit trail)."))
@option(
    "--database",
    "database_url",
    help=N_(
        "District or province store only: keep the data in this PostgreSQL database "
        "(postgresql://user@host/database, or $TPSDESK_DATABASE_URL); the store file then "
        "holds the keys and the connection."
    ),
)
@option(
    "--insecure-database",
    is_flag=True,
    help=N_("Allow a database server reached without TLS (a trusted network only)."),
)
@_store_option
@click.pass_context
def init(
    ctx: click.Context,
    district: bool,
    province: bool,
    operator: str,
    database_url: str | None,
    insecure_database: bool,
) -> None:
    from tpsdesk.store.db import Store
    from tpsdesk.store.vault import StoreExists
    from tpsdesk.sync.identity import ensure_device_identity

    path = _state(ctx).store_path
    if district and province:
        fail(_("Give --district or --province, not both."))
    if os.path.lexists(path):
        raise StoreExists(path)
    target = None
    office = district or province
    if office and not database_url:
        # The environment names the office's database; a field laptop's init ignores it.
        database_url = os.environ.get(DATABASE_URL_ENV) or None
    if database_url:
        if not office:
            fail(
                _(
                    "Only a district or province store can keep its data in PostgreSQL; "
                    "a field laptop's store stays in its encrypted file."
                )
            )
        target = database_target(database_url, insecure=insecure_database)
        warn_database(target)
    passphrase = _new_passphrase(ctx, from_file=None, env=PASSPHRASE_ENV, allow_current=True)
    role = "province" if province else "district" if district else "field"
    store, recovery_key = Store.create(
        path,
        passphrase,
        role=role,
        operator=operator,
        kdf=kdf_params_from_env(),
        database_url=target,
    )
    try:
        identity = ensure_device_identity(store)
        if target is not None:
            from tpsdesk.sync.district_models import ensure_district_tables

            # Every table and index now, by the role that owns the schema: clerks' roles
            # then never need to create anything.
            ensure_district_tables(store)
    finally:
        store.close()
    click.echo(_("Store created: {path}").format(path=str(path)))
    click.echo(_("Role: {role}").format(role=_role_label(role)))
    if target is not None:
        click.echo(_("Data kept in: {where}").format(where=target.where))
    if role == "province":  # the number its districts compare when they join it
        line = _("Province fingerprint (the one read over the phone): {fingerprint}")
    elif role == "district":  # the one district fingerprint (tpsdesk identity prints it too)
        line = _("District fingerprint (the one read over the phone): {fingerprint}")
    else:
        line = _("Device fingerprint: {fingerprint}")
    click.echo(line.format(fingerprint=identity.fingerprint))
    rule = "=" * 64
    click.echo()
    click.echo(rule)
    click.echo(_("RECOVERY KEY (shown only this once):"))
    click.echo()
    click.echo(f"    {recovery_key}")
    click.echo()
    click.echo(_("Write it down now and keep it somewhere safe, away from this laptop."))
    click.echo(_("It resets the passphrase if it is forgotten: `tpsdesk recover`."))
    click.echo(_("Anyone holding it can open the store."))
    click.echo(rule)
    if province:
        click.echo(_("Next: tpsdesk province settings --name NAME --code CODE."))


@cli_group(help=N_("The store's passphrase."))
def passphrase() -> None:
    pass


@passphrase.command(
    "change",
    help=N_(
        "Change the passphrase. The new one is typed twice, or read from --new-passphrase-file "
        "or $TPSDESK_NEW_PASSPHRASE."
    ),
)
@option(
    "--new-passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Read the new passphrase from this file."),
)
@option(
    "--yes",
    is_flag=True,
    help=N_("Remove damaged backups that cannot be re-wrapped without asking."),
)
@_store_option
@click.pass_context
def passphrase_change(ctx: click.Context, new_passphrase_file: Path | None, yes: bool) -> None:
    with _open_store(ctx) as store:
        # Every backup and kept-aside file holds the data key under the current passphrase;
        # a damaged one cannot be re-wrapped, so it must go, or the old passphrase would
        # still open the store's data through it.
        unreadable = store.rewrap_plan().unreadable
        if unreadable:
            _list_damaged(
                ngettext(
                    "{n} file of this store is damaged and cannot be re-wrapped with the new "
                    "passphrase; it would still open with the current one:",
                    "{n} files of this store are damaged and cannot be re-wrapped with the new "
                    "passphrase; they would still open with the current one:",
                    len(unreadable),
                ),
                unreadable,
            )
            if not yes and not _confirm(_("Remove them and change the passphrase?")):
                fail(_("The passphrase was not changed; nothing was removed."))
        new = _new_passphrase(
            ctx, from_file=new_passphrase_file, env=NEW_PASSPHRASE_ENV, allow_current=False
        )
        left = store.change_passphrase(new, remove_unreadable=bool(unreadable))
    click.echo(_("Passphrase changed."))
    if left:
        _warn_left(left)


def _list_damaged(heading: str, paths: Sequence[Path]) -> None:
    """On stderr: `heading` (a translated text with {n}) and the damaged files, escaped."""
    click.echo(heading.format(n=len(paths)), err=True)
    for path in paths:
        click.echo(f"  {printable(str(path))}", err=True)


def _confirm(question: str) -> bool:
    """A yes/no question on stderr; no answer (end of input) is no."""
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:
        click.echo(err=True)  # end the prompt's line
        return False


def _tidy_after_recovery(store: Store, yes: bool) -> list[Path]:
    """After a new passphrase was set with the recovery key: the damaged backups and
    kept-aside files could not be re-wrapped and still open with the forgotten passphrase.
    Removed after a confirmation (or --yes); returns those left."""
    unreadable = list(store.rewrap_plan().unreadable)
    if not unreadable:
        return []
    _list_damaged(
        ngettext(
            "{n} file of this store is damaged and could not be re-wrapped; it still opens "
            "with the old passphrase:",
            "{n} files of this store are damaged and could not be re-wrapped; they still open "
            "with the old passphrase:",
            len(unreadable),
        ),
        unreadable,
    )
    if yes or _confirm(_("Remove them?")):
        return store.remove_unreadable()
    return unreadable


def _warn_left(left: list[Path]) -> NoReturn:
    lines = [_("These files of the store still open with the old passphrase; delete them:")]
    lines.extend(f"  {path}" for path in left)  # printed through printable_lines
    fail("\n".join(lines))


@cli_command(
    help=N_("Set a new passphrase with the recovery key written down when the store was created.")
)
@_recovery_options
@_store_option
@click.pass_context
def recover(
    ctx: click.Context, recovery_key_file: Path | None, new_passphrase_file: Path | None, yes: bool
) -> None:
    from tpsdesk.store.db import Store
    from tpsdesk.store.vault import StoreMissing

    path = _state(ctx).store_path
    if not path.exists():
        raise StoreMissing(path)
    if recovery_key_file is not None:
        key = _read_secret_file(recovery_key_file)
    else:
        key = click.prompt(_("Recovery key"), hide_input=True, err=True)
    new = _new_passphrase(
        ctx, from_file=new_passphrase_file, env=NEW_PASSPHRASE_ENV, allow_current=False
    )
    store = Store.open_with_recovery(path, key, new)
    try:
        left = _tidy_after_recovery(store, yes)
    finally:
        store.close()
    click.echo(_("The passphrase was reset. Use the new passphrase from now on."))
    if left:
        _warn_left(left)


def _backup_list(path: Path) -> list[Path]:
    from tpsdesk.store.vault import backup_paths

    return [p for p in backup_paths(path) if p.exists()]


@cli_command(help=N_("List the store's backups, newest first."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def backups(ctx: click.Context, as_json: bool) -> None:
    path = _state(ctx).store_path
    found = _backup_list(path)
    rows = []
    for index, backup in enumerate(found, 1):
        stat = backup.stat()
        saved = datetime.fromtimestamp(stat.st_mtime, UTC).astimezone()
        rows.append(
            {"number": index, "path": str(backup), "saved": saved.isoformat(timespec="seconds")}
        )
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo(_("No backups of {path}.").format(path=str(path)))
    else:
        for row in rows:
            click.echo(f"{row['number']}  {row['saved']}  {row['path']}")
        click.echo(_("Restore one with: tpsdesk restore-backup NUMBER"))
    _list_kept_aside(path)


def _list_kept_aside(path: Path) -> None:
    from tpsdesk.store.vault import aside_paths

    kept = aside_paths(path)
    if kept:
        click.echo(_("Damaged files kept aside by a restore (delete them when no longer needed):"))
        for aside in kept:
            click.echo(f"  {printable(str(aside))}")


@cli_command(
    "restore-backup",
    help=N_(
        "Put a backup (its number from `tpsdesk backups`, or its path) in place of the store. "
        "It must be a backup of this store and open with its passphrase (or, with "
        "--recovery-key, its recovery key). The replaced file is kept beside it."
    ),
)
@click.argument("backup")
@option(
    "--recovery-key",
    "use_recovery",
    is_flag=True,
    help=N_("Forgot the passphrase: use the recovery key, then set a new passphrase."),
)
@_recovery_options
@_store_option
@click.pass_context
def restore_backup(
    ctx: click.Context,
    backup: str,
    use_recovery: bool,
    recovery_key_file: Path | None,
    new_passphrase_file: Path | None,
    yes: bool,
) -> None:
    from tpsdesk.store.db import Store

    path = _state(ctx).store_path
    found = _backup_list(path)
    if backup.isdigit() and 1 <= int(backup) <= len(found):
        source = found[int(backup) - 1]
    else:
        source = Path(backup)
        if not source.is_file():
            fail(_("No backup {backup}: see `tpsdesk backups`.").format(backup=backup))
    if use_recovery or recovery_key_file is not None:
        if recovery_key_file is not None:
            key = _read_secret_file(recovery_key_file)
        else:
            key = click.prompt(_("Recovery key"), hide_input=True, err=True)
        new = _new_passphrase(
            ctx, from_file=new_passphrase_file, env=NEW_PASSPHRASE_ENV, allow_current=False
        )
        store = Store.restore_backup_with_recovery(path, source, key, new)
        try:
            # The damaged file just kept aside still holds the forgotten passphrase's wrap.
            left = _tidy_after_recovery(store, yes)
        finally:
            store.close()
    else:
        # Asked every time: the backup must open with this store's passphrase.
        Store.restore_backup(path, source, _passphrase(ctx)).close()
        left = []
    click.echo(_("Restored {backup} as the store {path}.").format(backup=str(source), path=path))
    if left:
        _warn_left(left)
