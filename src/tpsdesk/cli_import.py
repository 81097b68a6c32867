"""Spreadsheet import commands of the `tpsdesk` command line: `officers import`, and
`district participants` (BPJS participant numbers).

Registered on `tpsdesk.cli.main` when `tpsdesk.cli` is imported. Exit status: 0 when every row
was valid (and, without --dry-run, imported); 1 when the file was refused or any row was invalid
(the valid rows are still imported without --dry-run; the invalid ones are listed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tpsdesk.cli import _echo_json, _open_store, _store_option, fail, officers, option
from tpsdesk.cli_sync import district
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.terminal import printable


def _column_json(column: Any) -> dict[str, Any]:
    return {"letter": column.letter, "heading": column.heading, "field": column.field}


def _problem_json(problem: Any) -> dict[str, Any]:
    return {
        "row": problem.row,
        "column": problem.column.letter if problem.column is not None else None,
        "heading": problem.column.heading if problem.column is not None else None,
        "field": problem.field,
        "code": problem.code,
        "severity": str(problem.severity),
        "message": problem.message,
    }


def _print_report(preview: Any) -> None:
    from tpsdesk.exchange.officer_sheet import TARGET_LABELS, describe_counts

    sheet = preview.sheet
    if sheet.sheet_name:
        click.echo(
            _("{file}, sheet {sheet}: header on row {row}").format(
                file=printable(sheet.path.name),
                sheet=f"“{printable(sheet.sheet_name)}”",  # names and headings come from files
                row=sheet.header_row,
            )
        )
    else:
        click.echo(
            _("{file}: header on line {row}").format(
                file=printable(sheet.path.name), row=sheet.header_row
            )
        )
    click.echo(_("Columns:"))
    for column in sheet.columns:
        if column.field is None:
            target = _("(ignored)") + (f" — {column.note}" if column.note else "")
        else:
            target = f"{_(TARGET_LABELS[column.field])} [{column.field}]"
        click.echo(printable(f"  {column.letter:>3}  {column.heading} → {target}"))
    if sheet.missing:
        click.echo(
            _("No column for: {fields}").format(
                fields=", ".join(_(TARGET_LABELS[name]) for name in sheet.missing)
            )
        )
    click.echo(_("Rows: {counts}").format(counts=describe_counts(preview.plan.counts)))
    invalid = preview.plan.invalid_rows
    if invalid:
        click.echo(_("Invalid rows (not imported):"))
        for row in invalid:
            for problem in row.errors:
                click.echo(printable(f"  {problem.describe()}"))
    warned = [p for row in preview.plan.rows if row.status != "invalid" for p in row.warnings]
    if warned:
        click.echo(_("Warnings (the rows are imported):"))
        for problem in warned:
            click.echo(printable(f"  {problem.describe()}"))


@officers.command(
    "import",
    help=N_(
        "Import officers from an XLSX or CSV file: shows what would be new, updated, unchanged "
        "or invalid (every invalid row with its row, column and reason), then imports the valid "
        "rows in one step unless --dry-run is given. A row whose NIK is already in the store "
        "updates that officer. Exit status 1 if any row is invalid (the valid rows are still "
        "imported)."
    ),
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@option("--dry-run", is_flag=True, help=N_("Only show what would be imported; write nothing."))
@option("--sheet", help=N_("The sheet to read (default: the first sheet with values)."))
@option(
    "--kelurahan",
    help=N_("Kelurahan code for rows that name none (default: the store's only kelurahan)."),
)
@option(
    "--map",
    "maps",
    multiple=True,
    metavar="HEADING=FIELD",
    help=N_(
        'Read the column with this heading as this field (e.g. "No. Identitas=nik"; '
        "FIELD - ignores the column). Repeatable."
    ),
)
@option(
    "--save-mapping",
    is_flag=True,
    help=N_("Keep the --map corrections in the store for the next imports (even with --dry-run)."),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def officers_import(
    ctx: click.Context,
    file: Path,
    dry_run: bool,
    sheet: str | None,
    kelurahan: str | None,
    maps: tuple[str, ...],
    save_mapping: bool,
    as_json: bool,
) -> None:
    from tpsdesk.exchange import officer_sheet
    from tpsdesk.store.officer_import import RowStatus

    overrides = [officer_sheet.parse_map_option(text) for text in maps]
    # Refuse a file no mapping can fix before asking for the passphrase.
    officer_sheet.check_officer_file(file, sheet=sheet)
    written = False
    with _open_store(ctx) as store:
        preview = officer_sheet.preview_officer_import(
            store, file, sheet=sheet, overrides=overrides, default_kelurahan=kelurahan
        )
        if not dry_run and preview.plan.to_write:
            officer_sheet.apply_officer_import(store, preview)
            written = True
        if save_mapping and overrides:
            officer_sheet.save_mapping(store, preview.mapping)
    counts = preview.plan.counts
    if as_json:
        _echo_json(
            {
                "file": str(file),
                "sheet": preview.sheet.sheet_name or None,
                "header_row": preview.sheet.header_row,
                "columns": [_column_json(c) for c in preview.sheet.columns],
                "missing": preview.sheet.missing,
                "counts": {
                    "new": counts.new,
                    "updated": counts.updated,
                    "unchanged": counts.unchanged,
                    "invalid": counts.invalid,
                },
                "invalid": [
                    _problem_json(p) for row in preview.plan.invalid_rows for p in row.errors
                ],
                "warnings": [
                    _problem_json(p)
                    for row in preview.plan.rows
                    if row.status is not RowStatus.INVALID
                    for p in row.warnings
                ],
                "dry_run": dry_run,
                "written": written,
            }
        )
    else:
        _print_report(preview)
        if dry_run:
            click.echo(_("Dry run: nothing was written."))
        elif written:
            click.echo(
                _("Imported: {new} new, {updated} updated.").format(
                    new=counts.new, updated=counts.updated
                )
            )
        else:
            click.echo(_("Nothing was written: no row is new or changed."))
    if counts.invalid:
        fail(
            ngettext(
                "{n} row is invalid and was not imported.",
                "{n} rows are invalid and were not imported.",
                counts.invalid,
            ).format(n=counts.invalid)
        )


# -- BPJS participant numbers ------------------------------------------------------------------


@district.command(
    "participants",
    help=N_(
        "Record BPJS participant numbers (KPJ) from the file BPJS sends back (a NIK column and "
        "a KPJ column; CSV, XLSX, XLS or ODS). Matched officers become enrolled, and the next "
        "receipt tells their laptop. Nothing is written with --dry-run or if the file cannot "
        "be read; rows that cannot be used are listed."
    ),
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@option("--dry-run", is_flag=True, help=N_("Show what would be recorded; write nothing."))
@option("--sheet", help=N_("The sheet to read (default: the first with values)."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def district_participants(
    ctx: click.Context, file: Path, dry_run: bool, sheet: str | None, as_json: bool
) -> None:
    from tpsdesk.exchange.participant_numbers import (
        plan_participant_numbers,
        read_participant_numbers,
        record_participant_numbers,
    )

    # Read before asking for the passphrase: a bad file is reported without unlocking.
    rows = read_participant_numbers(file, sheet=sheet)
    with _open_store(ctx) as store:
        plan = plan_participant_numbers(store, file, rows)
        recorded = 0 if dry_run else record_participant_numbers(store, plan)
    if as_json:
        _echo_json(
            {
                "file": str(file),
                "rows": len(rows),
                "to_record": len(plan.to_record),
                "recorded": recorded,
                "replaced": plan.replaced,
                "unchanged": plan.unchanged,
                "problems": [_problem_json(p) for p in plan.problems],
                "dry_run": dry_run,
            }
        )
    else:
        click.echo(
            _(
                "{file}: {rows} rows — {record} to record (of which {replaced} replace an "
                "earlier number), {unchanged} unchanged, {bad} cannot be used."
            ).format(
                file=printable(file.name),
                rows=len(rows),
                record=len(plan.to_record),
                replaced=plan.replaced,
                unchanged=plan.unchanged,
                bad=len({p.row for p in plan.problems}),
            )
        )
        for problem in plan.problems:
            click.echo(printable("  " + problem.describe()), err=True)
        if dry_run:
            click.echo(_("Dry run: nothing was written."))
        elif recorded:
            click.echo(
                ngettext(
                    "{n} officer is now enrolled; the next receipt tells the laptop.",
                    "{n} officers are now enrolled; the next receipts tell their laptops.",
                    recorded,
                ).format(n=recorded)
            )
    if plan.problems:
        ctx.exit(1)
