"""The root `tpsdesk` group: its own options, then every command group added to it.

Only this module (through the package's `__init__`) imports the group modules; they import
`tpsdesk.cli.common` and never the package back.
"""

from __future__ import annotations

from pathlib import Path

import click

from tpsdesk.cli import (
    area,
    bundle,
    database,
    demo,
    district,
    district_files,
    export,
    officers,
    province,
    store_commands,
    sync,
)
from tpsdesk.cli.common import (
    CliState,
    _choose_language,
    _Group,
    kdf_params_from_env,
    option,
)
from tpsdesk.i18n import LANGUAGES, N_


@click.group(
    cls=_Group,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=N_(
        "Register ad-hoc election officers for BPJS Ketenagakerjaan cover, offline. Without a "
        "command, opens the app."
    ),
)
@option(
    "--store",
    "store_arg",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("The store file (default: the user data folder, or $TPSDESK_STORE)."),
)
@option(
    "--lang",
    "language",
    type=click.Choice(LANGUAGES),
    is_eager=True,  # before --help, which prints and exits while options are still parsed
    callback=lambda _ctx, _param, value: _choose_language(value),
    help=N_("Language of messages: id (Indonesian, the default) or en (English)."),
)
@option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("Read the passphrase from this file (else $TPSDESK_PASSPHRASE, else a prompt)."),
)
@click.pass_context
def main(
    ctx: click.Context, store_arg: Path | None, language: str | None, passphrase_file: Path | None
) -> None:
    # The language was chosen first of all (_choose_language): everything is printed in it.
    ctx.obj = CliState(store_arg=store_arg, passphrase_file=passphrase_file, language=language)
    if ctx.invoked_subcommand is None:
        from tpsdesk.ui.app import run_app  # the only path that imports textual

        run_app(ctx.obj.store_path, language, kdf=kdf_params_from_env())


for _command in (
    store_commands.init,
    area.area,
    demo.demo,
    officers.officers,
    store_commands.passphrase,
    store_commands.recover,
    store_commands.backups,
    store_commands.restore_backup,
    sync.identity_command,
    district.district,
    province.province,
    province.rollup,
    sync.enroll,
    bundle.bundle,
    bundle.receipt,
    export.settings,
    export.export,
    database.db_info,
    database.db_roles,
    database.db_connect,
):
    main.add_command(_command)

# The district group's file commands (inbox, receipts, setup-files) live in their own module
# and join the group when it is imported above.
assert district_files.district_inbox.name in district.district.commands
