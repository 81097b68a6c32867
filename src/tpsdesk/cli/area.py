"""`tpsdesk area`: kecamatan, kelurahan and TPS."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import click

from tpsdesk.cli.common import (
    _open_store,
    _store_option,
    cli_group,
    fail,
)
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.terminal import printable


@cli_group(help=N_("Kecamatan, kelurahan and TPS."))
def area() -> None:
    pass


@area.command(
    "import",
    help=N_(
        "Import an area list, CSV or XLSX, with the header kecamatan_code, kecamatan_name, "
        "kelurahan_code, kelurahan_name, tps_number, tps_address. Nothing is imported if any "
        "line has a problem."
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
