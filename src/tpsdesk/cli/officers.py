"""`tpsdesk officers`: list and import officers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tpsdesk.cli.common import (
    LIST_PAGE,
    _echo_json,
    _open_store,
    _store_option,
    cli_group,
    fail,
    option,
)
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.terminal import json_safe, printable

if TYPE_CHECKING:
    from tpsdesk.store.db import Store
    from tpsdesk.store.officers import OfficerHit


@cli_group(help=N_("Officers."))
def officers() -> None:
    pass


def _tps_ref(hit: OfficerHit) -> str | None:
    if hit.tps_number is None or hit.kelurahan_code is None:
        return None
    return f"{hit.kelurahan_code}/{hit.tps_number:03d}"


def _hit_json(hit: OfficerHit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "nik": hit.nik,
        "name": hit.name,
        "birth_date": hit.birth_date.isoformat(),
        "sex": hit.sex,
        "post": hit.post_code,
        "post_name": hit.post_name,
        "tps": _tps_ref(hit),
        "tps_id": hit.tps_id,
        "tps_number": hit.tps_number,
        "kelurahan_code": hit.kelurahan_code,
        "kecamatan_code": hit.kecamatan_code,
        "status": hit.status,
    }


def _pages(store: Store, tps: str | None) -> Iterator[list[OfficerHit]]:
    from tpsdesk.store.officers import list_officers

    offset = 0
    while True:
        page = list_officers(store, tps, limit=LIST_PAGE, offset=offset)
        if not page:
            return
        yield page
        offset += len(page)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@officers.command(
    "list",
    help=N_("List the officers (with --json, as a JSON array); they include NIKs and names."),
)
@option(
    "--tps",
    help=N_("Only this TPS: kelurahan code and number, e.g. 35.73.05.1001/7, or its id."),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON instead of a table."))
@_store_option
@click.pass_context
def officers_list(ctx: click.Context, tps: str | None, as_json: bool) -> None:
    with _open_store(ctx) as store:
        pages = _pages(store, tps)
        if as_json:
            # One object per line, streamed page by page: 100k officers never sit in one list.
            click.echo("[")
            previous: str | None = None
            for page in pages:
                for hit in page:
                    if previous is not None:
                        click.echo(previous + ",")
                    previous = json_safe(json.dumps(_hit_json(hit), ensure_ascii=False))
            if previous is not None:
                click.echo(previous)
            click.echo("]")
            return
        from tpsdesk.domain.dates import format_date
        from tpsdesk.store.officers import status_label

        header = (
            _("NIK"),
            _("Name"),
            _("Born"),
            _("Sex"),
            _("Post"),
            _("TPS"),
            _("Status"),
        )
        least = (16, 28, 10, 3, 22, 18, 9)
        widths = tuple(max(w, len(h)) for h, w in zip(header, least, strict=True))
        click.echo("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
        count = 0
        for page in pages:
            for hit in page:
                count += 1
                where = _tps_ref(hit) or hit.kelurahan_code or hit.kecamatan_code
                cells = (
                    printable(hit.nik),
                    _cut(printable(hit.name), widths[1]),  # an old store may hold ESC or CR
                    format_date(hit.birth_date),
                    printable(hit.sex),
                    _cut(printable(hit.post_name), widths[4]),
                    printable(where or ""),
                    printable(status_label(hit.status)),
                )
                click.echo(
                    "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
                )
        click.echo(ngettext("{n} officer", "{n} officers", count).format(n=count))


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
    updated = preview.plan.updated_rows
    if updated:
        # The fields only: their values are personal data, shown in the app's preview.
        click.echo(_("Updated rows (the fields that change):"))
        for row in updated:
            fields = ", ".join(change.label for change in row.changes)
            click.echo("  " + _("Row {row}: {fields}").format(row=row.row, fields=fields))
    removed = preview.plan.removed_rows
    if removed:
        click.echo(
            _("Removed by the district as duplicates (skipped; --add-removed adds them again):")
        )
        click.echo("  " + _("Rows {rows}").format(rows=", ".join(str(r.row) for r in removed)))
    invalid = preview.plan.invalid_rows
    if invalid:
        click.echo(_("Invalid rows (not imported):"))
        for row in invalid:
            for problem in row.errors:
                click.echo(printable(f"  {problem.describe()}"))
    warned = [
        p
        for row in preview.plan.rows
        if row.status not in ("invalid", "removed")
        for p in row.warnings
    ]
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
@option(
    "--add-removed",
    is_flag=True,
    help=N_(
        "Also add the rows whose NIK the district removed as a duplicate (skipped otherwise): "
        "the district will review them again."
    ),
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
    add_removed: bool,
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
        if add_removed:
            preview.plan = preview.plan.adding_removed()
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
                    "removed": counts.removed,
                },
                # Field names only: values are personal data.
                "updated": [
                    {"row": row.row, "fields": [change.field for change in row.changes]}
                    for row in preview.plan.updated_rows
                ],
                "removed_by_district": [row.row for row in preview.plan.removed_rows],
                "invalid": [
                    _problem_json(p) for row in preview.plan.invalid_rows for p in row.errors
                ],
                "warnings": [
                    _problem_json(p)
                    for row in preview.plan.rows
                    if row.status not in (RowStatus.INVALID, RowStatus.REMOVED)
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
            click.echo(officer_sheet.describe_imported(counts))
            click.echo(officer_sheet.describe_left(counts))
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
