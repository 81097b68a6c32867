"""`tpsdesk district inbox | receipts | setup-files`: what the desk's Inbox and Files out tabs
do, for scripts (the same service functions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tpsdesk.cli.common import _echo_json, _open_store, _store_option, _sync_refusals, fail, option
from tpsdesk.cli.district import district
from tpsdesk.i18n import N_, _, os_error_text
from tpsdesk.terminal import printable


@district.command(
    "inbox",
    help=N_(
        "List the files of a folder or drive as the desk's inbox does, from their headers: "
        "laptop, area, change numbers and status (new, merged before, waiting approval, "
        "refused and why). Nothing is merged."
    ),
)
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def district_inbox(ctx: click.Context, folder: Path, as_json: bool) -> None:
    from tpsdesk.sync import inbox

    # The folder is read before the passphrase is asked: a wrong path costs nothing.
    entries = inbox.scan(folder)
    with _open_store(ctx) as store, _sync_refusals():
        rows = inbox.statuses(store, entries)
    if as_json:
        _echo_json(
            [
                {
                    "file": row.entry.name,
                    "kind": row.entry.kind.value,
                    "status": row.status.value,
                    "status_label": inbox.status_label(row.status),
                    "reason": row.reason,
                    "laptop": row.laptop,
                    "fingerprint": row.fingerprint,
                    "area": row.area,
                    "kelurahan": row.kelurahan,
                    "kecamatan": row.kecamatan,
                    "seq_from": row.entry.seq_from,
                    "seq_to": row.entry.seq_to,
                    "size": row.entry.size,
                }
                for row in rows
            ]
        )
        return
    if not rows:
        click.echo(_("No file in {folder}.").format(folder=printable(str(folder))))
    for row in rows:
        changes = (
            f"{row.entry.seq_from}–{row.entry.seq_to}" if row.entry.seq_to else "-"
        )  # a bundle's change numbers
        line = "  ".join(
            [
                f"{printable(inbox.status_label(row.status)):18}",
                printable(row.entry.name),
                printable(row.laptop or "-"),
                printable(row.area or "-"),
                changes,
            ]
        )
        click.echo(line)
        if row.reason:
            click.echo("    " + printable(row.reason))


@district.command(
    "receipts",
    help=N_(
        "Write a receipt for every laptop with news since its last receipt into a folder "
        "(the desk's Files out, R); laptops without news, revoked or waiting ones are listed "
        "as skipped."
    ),
)
@option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=N_("The folder (or drive) to write the receipts to."),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def district_receipts(ctx: click.Context, out: Path, as_json: bool) -> None:
    from tpsdesk.sync.fingerprint import format_fingerprint
    from tpsdesk.sync.outbox import STANDING_LABELS, write_receipts

    _require_folder(out)
    with _open_store(ctx) as store, _sync_refusals():
        batch = write_receipts(store, out)
    if as_json:
        _echo_json(
            {
                "written": [
                    {
                        "device_id": r.device_id,
                        "file": str(r.path),
                        "version": r.version,
                        "tells": r.tells.describe() if r.tells else "",
                    }
                    for r in batch.written
                ],
                "refused": [{"device_id": r.device_id, "reason": r.problem} for r in batch.refused],
                "skipped": [
                    {"device_id": n.device_id, "standing": n.standing.value} for n in batch.skipped
                ],
            }
        )
    else:
        for result in batch.written:
            assert result.path is not None
            click.echo(
                _("Wrote {file} for laptop {fingerprint}: {tells}.").format(
                    file=printable(str(result.path)),
                    fingerprint=format_fingerprint(result.fingerprint),
                    tells=result.tells.describe() if result.tells else "",
                )
            )
        for result in batch.refused:
            click.echo(
                _("Laptop {fingerprint}: not written — {reason}").format(
                    fingerprint=format_fingerprint(result.fingerprint) or result.device_id[:12],
                    reason=printable(result.problem),
                ),
                err=True,
            )
        for news in batch.skipped:
            click.echo(
                _("Laptop {fingerprint}: skipped ({why}).").format(
                    fingerprint=format_fingerprint(news.fingerprint),
                    why=_(STANDING_LABELS[news.standing]),
                )
            )
        if not batch.results:
            click.echo(_("No laptop has news since its last receipt."))
    if batch.refused:
        ctx.exit(1)


@district.command(
    "setup-files",
    help=N_(
        "Write setup files for several areas into a folder (the desk's Files out, S): the "
        "areas named, or --every kelurahan or kecamatan with a TPS; with a sheet of the "
        "district fingerprint to print beside them."
    ),
)
@click.argument("areas", nargs=-1, metavar="[AREA]...")
@option(
    "--every",
    type=click.Choice(["kelurahan", "kecamatan"]),
    help=N_("Every kelurahan, or every kecamatan, of the district that has a TPS."),
)
@option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=N_("The folder (or drive) to write the setup files to."),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def district_setup_files(
    ctx: click.Context, areas: tuple[str, ...], every: str | None, out: Path, as_json: bool
) -> None:
    from tpsdesk.sync.outbox import (
        ALL_KECAMATAN,
        ALL_KELURAHAN,
        setup_targets,
        write_setup_files,
    )

    if bool(areas) == bool(every):
        fail(_("Name the areas, or give --every kelurahan or --every kecamatan (not both)."))
    _require_folder(out)
    with _open_store(ctx) as store, _sync_refusals():
        targets: list[str] = list(areas)
        if every is not None:
            targets = setup_targets(store, ALL_KELURAHAN if every == "kelurahan" else ALL_KECAMATAN)
        batch = write_setup_files(store, targets, out)
    if as_json:
        _echo_json(
            {
                "district": batch.district,
                "fingerprint": batch.fingerprint,
                "sheet": str(batch.sheet) if batch.sheet else None,
                "written": [
                    {"area": f.area, "file": str(f.path), "version": f.version, "tps": f.tps}
                    for f in batch.written
                ],
                "refused": [{"area": f.area, "reason": f.problem} for f in batch.refused],
            }
        )
    else:
        click.echo(
            _("District fingerprint (read it over the phone): {fingerprint}").format(
                fingerprint=batch.fingerprint
            )
        )
        for written in batch.written:
            click.echo(
                _("Wrote {file}: {area} {name}, {tps} TPS.").format(
                    file=printable(str(written.path)),
                    area=written.area,
                    name=printable(written.area_name),
                    tps=written.tps,
                )
            )
        for refused in batch.refused:
            click.echo(
                _("{area}: not written — {reason}").format(
                    area=printable(refused.area), reason=printable(refused.problem)
                ),
                err=True,
            )
        if batch.sheet is not None:
            click.echo(
                _("The fingerprint sheet to print: {file}").format(file=printable(str(batch.sheet)))
            )
    if batch.refused or not targets:
        ctx.exit(1)


def _require_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(
            _("Could not make the folder {folder}: {reason}").format(
                folder=str(folder), reason=os_error_text(exc)
            )
        )
    if not folder.is_dir():
        fail(_("{folder} is not a folder.").format(folder=str(folder)))


@district.command(
    "coverage",
    help=N_(
        "Posts filled against needed, officers waiting for a fix and officers enrolled (KPJ), "
        "per kecamatan and kelurahan (the desk's Coverage), with the day each kelurahan last "
        "sent; --not-sent-since lists the kelurahan that never sent or not since that day."
    ),
)
@option(
    "--not-sent-since",
    "since",
    metavar="DD-MM-YYYY",
    help=N_("Only the kelurahan that never sent, or sent nothing since this day."),
)
@option("--never-sent", is_flag=True, help=N_("Only the kelurahan that never sent."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def district_coverage(
    ctx: click.Context, since: str | None, never_sent: bool, as_json: bool
) -> None:
    from tpsdesk.domain.dates import format_date, parse_date
    from tpsdesk.sync.coverage import not_sent_since, read_coverage

    day = None
    if since is not None:
        day = parse_date(since)
        if day is None:
            fail(_("{value} is not a date: write it as DD-MM-YYYY.").format(value=since))
    filtered = never_sent or day is not None
    with _open_store(ctx) as store, _sync_refusals():
        coverage = read_coverage(store)
    lines: list[dict[str, Any]] = []
    for kecamatan in coverage.kecamatan:
        kelurahan = coverage.kelurahan.get(kecamatan.code, [])
        if filtered:
            kelurahan = [k for k in kelurahan if not_sent_since(k, None if never_sent else day)]
            if not kelurahan:
                continue
        for row in [kecamatan, *kelurahan]:
            sent = row.last_sent.astimezone().date() if row.last_sent else None
            lines.append(
                {
                    "level": row.unit.value,
                    "code": row.code,
                    "name": row.name,
                    "needed": row.needed,
                    "filled": row.filled,
                    "waiting_fix": row.waiting,
                    "enrolled": row.enrolled,
                    "last_sent": sent.isoformat() if sent else None,
                    "_sent": format_date(sent) if sent else "",
                }
            )
    if as_json:
        _echo_json([{k: v for k, v in line.items() if not k.startswith("_")} for line in lines])
        return
    if not coverage.has_area():
        click.echo(_("No area yet: import the district's area list first (`tpsdesk area import`)."))
        return
    for shown in lines:
        indent = "" if shown["level"] == "kecamatan" else "  "
        click.echo(
            indent
            + _(
                "{code} {name}: posts filled {filled} of {needed}, waiting for a fix "
                "{waiting}, enrolled {enrolled}"
            ).format(
                code=shown["code"],
                name=printable(shown["name"]),
                filled=shown["filled"],
                needed=shown["needed"],
                waiting=shown["waiting_fix"],
                enrolled=shown["enrolled"],
            )
            + (
                ""
                if shown["level"] == "kecamatan"
                else " · "
                + (
                    _("last sent {date}").format(date=shown["_sent"])
                    if shown["_sent"]
                    else _("never sent")
                )
            )
        )
