"""`tpsdesk area`: kecamatan, kelurahan and TPS — import a list, rename or remove a place
(the same service functions as the area screen: store.area_changes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import click

from tpsdesk.cli.common import (
    _open_store,
    _store_option,
    cli_group,
    fail,
    option,
)
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.terminal import printable


@cli_group(help=N_("Kecamatan, kelurahan and TPS."))
def area() -> None:
    pass


@area.command(
    "import",
    help=N_(
        "Import an area list, CSV or XLSX, with the headings Kode Kecamatan, Kecamatan, Kode "
        "Kelurahan/Desa, Kelurahan/Desa, No. TPS, Alamat TPS (or kecamatan_code, "
        "kecamatan_name, kelurahan_code, kelurahan_name, tps_number, tps_address); title rows "
        "above the header and merged cells are understood. Nothing is imported if any line "
        "has a problem."
    ),
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_store_option
@click.pass_context
def area_import(ctx: click.Context, file: Path) -> None:
    from tpsdesk.exchange.area_csv import import_area_csv, read_area_csv

    # An .xls, an .ods or an encrypted workbook is refused by read_area_csv with its reason.
    # Parse before asking for the passphrase: a bad file is reported without unlocking.
    parsed = read_area_csv(file)
    if not parsed.ok:
        _report_area_problems(parsed.problems)
    with _open_store(ctx) as store:
        result, summary = import_area_csv(store, file)
    if summary is None:
        _report_area_problems(result.problems)
    click.echo(
        _(
            "Imported {rows} lines: {kecamatan} new kecamatan, {kelurahan} new kelurahan, "
            "{tps} new TPS, {updated} updated, {unchanged} unchanged."
        ).format(
            rows=len(result.rows),
            kecamatan=summary.new_kecamatan,
            kelurahan=summary.new_kelurahan,
            tps=summary.new_tps,
            updated=summary.updated,
            unchanged=summary.unchanged,
        )
    )


def _report_area_problems(problems: list[Any]) -> NoReturn:
    for problem in problems:
        click.echo(printable(problem.describe()), err=True)
    fail(
        ngettext(
            "Nothing was imported: the file has {n} problem.",
            "Nothing was imported: the file has {n} problems.",
            len(problems),
        ).format(n=len(problems))
    )


def _place_code(raw: str) -> tuple[str, str]:
    """ "kecamatan" or "kelurahan", and the normalised code: told by the code's length."""
    from tpsdesk.domain.area import (
        AreaCodeError,
        normalize_kecamatan_code,
        normalize_kelurahan_code,
    )

    digits = "".join(ch for ch in raw if ch.isdigit())
    try:
        if len(digits) > 6:
            return "kelurahan", normalize_kelurahan_code(raw)
        return "kecamatan", normalize_kecamatan_code(raw)
    except AreaCodeError as error:
        fail(error.message)


@area.command(
    "rename",
    help=N_(
        "Rename a kecamatan (CODE like 35.73.05) or a kelurahan or desa (CODE like "
        "35.73.05.1001); the code stays."
    ),
)
@click.argument("code")
@click.argument("name")
@_store_option
@click.pass_context
def area_rename(ctx: click.Context, code: str, name: str) -> None:
    from tpsdesk.store import area_changes

    level, code = _place_code(code)
    rename = (
        area_changes.rename_kecamatan if level == "kecamatan" else area_changes.rename_kelurahan
    )
    with _open_store(ctx) as store:
        changed = rename(store, code, name)
    if changed:
        click.echo(_("Renamed {code}: {name}.").format(code=code, name=" ".join(name.split())))
    else:
        click.echo(_("{code} already has that name; nothing changed.").format(code=code))


@area.command(
    "remove",
    help=N_(
        "Remove a kecamatan or a kelurahan with its TPS (and a kecamatan's kelurahan), only "
        "when no officer is registered in it. Asks first unless --yes."
    ),
)
@click.argument("code")
@option("--yes", is_flag=True, help=N_("Remove without asking."))
@_store_option
@click.pass_context
def area_remove(ctx: click.Context, code: str, yes: bool) -> None:
    from tpsdesk.cli.store_commands import _confirm
    from tpsdesk.store import area_changes

    level, code = _place_code(code)
    if level == "kecamatan":
        contents_of, remove = area_changes.kecamatan_contents, area_changes.remove_kecamatan
    else:
        contents_of, remove = area_changes.kelurahan_contents, area_changes.remove_kelurahan
    with _open_store(ctx) as store:
        contents = contents_of(store, code)
        if not contents.removable:
            fail(contents.refusal())
        if not yes and not _confirm(printable(contents.what_goes())):
            fail(_("Nothing was removed."))
        removed = remove(store, code)
    click.echo(printable(_("Removed {place}.").format(place=removed.place())))
