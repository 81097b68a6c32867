"""`tpsdesk province` (the province office: settings, setup files for its districts, the
districts that send roll-ups) and `tpsdesk rollup` (a district joins its province and writes
roll-up files; the province merges them). Service functions: sync/province.py, sync/rollup.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tpsdesk.cli.common import (
    CliFailure,
    _echo_json,
    _open_store,
    _read_travelling_file,
    _store_option,
    _sync_refusals,
    _write_new_file,
    cli_group,
    fail,
    option,
)
from tpsdesk.cli.district import _print_rejections
from tpsdesk.i18n import N_, _, os_error_text
from tpsdesk.terminal import printable

# -- province -----------------------------------------------------------------------------------


@cli_group(help=N_("Province office: settings, setup files for districts, the districts."))
def province() -> None:
    pass


@province.command("settings", help=N_("Show or set the province's name and code (e.g. 35)."))
@option("--name", help=N_("The province's name, e.g. Jawa Timur."))
@option("--code", help=N_("The province code, two digits, e.g. 35."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def province_settings_command(
    ctx: click.Context, name: str | None, code: str | None, as_json: bool
) -> None:
    from tpsdesk.sync.province import province_settings, set_province_settings

    with _open_store(ctx) as store, _sync_refusals():
        if name is not None or code is not None:
            set_province_settings(store, name=name, code=code)
        else:
            from tpsdesk.sync.province import require_province

            require_province(store)
        settings = province_settings(store)
    if as_json:
        _echo_json({"name": settings.name, "code": settings.code} if settings else {"name": None})
        return
    if settings is None:
        click.echo(_("Not set yet: tpsdesk province settings --name NAME --code CODE."))
        return
    click.echo(
        _("Province: {name} ({code})").format(
            name=printable(settings.name), code=printable(settings.code)
        )
    )


@province.command(
    "setup-file",
    help=N_(
        "Write the setup file of one kab/kota of the province (its code, e.g. 35.07), for its "
        "district store: tpsdesk rollup join FILE."
    ),
)
@click.argument("kabkota", metavar="CODE")
@option("--name", required=True, help=N_("The kab/kota's name, e.g. Kabupaten Malang."))
@option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help=N_("The folder to write it into."),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def province_setup_file(
    ctx: click.Context, kabkota: str, name: str, out: Path, as_json: bool
) -> None:
    from tpsdesk.sync.province import build_district_setup, district_setup_file_name

    with _open_store(ctx) as store, _sync_refusals():
        issued = build_district_setup(store, kabkota, name)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(
            _("Could not make the folder {folder}: {reason}").format(
                folder=str(out), reason=os_error_text(exc)
            )
        )
    path = out / district_setup_file_name(issued)
    _write_new_file(path, issued.data)
    if as_json:
        _echo_json(
            {
                "file": str(path),
                "area": issued.area,
                "version": issued.version,
                "fingerprint": issued.fingerprint,
            }
        )
        return
    click.echo(_("Written: {file}").format(file=str(path)))
    click.echo(
        _(
            "Province fingerprint: {fingerprint}. The district compares it by phone before "
            "installing the file."
        ).format(fingerprint=issued.fingerprint)
    )


@province.command("districts", help=N_("The districts that sent roll-up files, by fingerprint."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def province_districts(ctx: click.Context, as_json: bool) -> None:
    from tpsdesk.cli.bundle import _device_status
    from tpsdesk.sync import district as repo
    from tpsdesk.sync.fingerprint import format_fingerprint
    from tpsdesk.sync.province import require_province

    with _open_store(ctx) as store, _sync_refusals():
        require_province(store)
        devices = repo.list_devices(store)
        waiting = {d.device_id: len(repo.quarantined(store, d.device_id)) for d in devices}
    rows: list[dict[str, Any]] = [
        {
            "district": d.device_id,
            "fingerprint": format_fingerprint(d.fingerprint),
            "status": d.status,
            "kabkota": d.area_code,
            "claimed": d.claimed_area,
            "waiting": waiting[d.device_id],
        }
        for d in devices
    ]
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo(_("No district has sent a roll-up file yet."))
    for row in rows:
        click.echo(
            _("{fingerprint}  {status}  kab/kota {kabkota}  waiting {waiting}").format(
                fingerprint=row["fingerprint"],
                status=f"{_device_status(row['status']):12}",
                kabkota=printable(row["kabkota"] or row["claimed"] or "-"),
                waiting=row["waiting"],
            )
        )


@province.command(
    "approve",
    help=N_(
        "Approve a district (after comparing its fingerprint by phone) and merge its roll-up "
        "files that waited."
    ),
)
@click.argument("fingerprint")
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def province_approve(ctx: click.Context, fingerprint: str, as_json: bool) -> None:
    from tpsdesk.sync import district as repo
    from tpsdesk.sync.bundle import ReceiveFailure
    from tpsdesk.sync.province import require_province
    from tpsdesk.sync.rollup import merge_waiting

    with _open_store(ctx) as store, _sync_refusals():
        require_province(store)
        device = repo.approve(store, fingerprint)
        with store.saving_once():
            outcomes = merge_waiting(store, device.device_id)
    if as_json:
        _echo_json(
            {
                "district": device.device_id,
                "kabkota": device.area_code,
                "merged": [o.to_json() for o in outcomes if not isinstance(o, ReceiveFailure)],
                "failed": [
                    {"file": o.file, "code": o.code, "reason": o.message}
                    for o in outcomes
                    if isinstance(o, ReceiveFailure)
                ],
            }
        )
    else:
        click.echo(
            _("Approved: district {fingerprint}, kab/kota {kabkota}.").format(
                fingerprint=printable(fingerprint), kabkota=printable(device.area_code)
            )
        )
    if _report(outcomes, quiet=as_json):
        ctx.exit(1)


@province.command(
    "revoke", help=N_("Revoke a district's key (lost or stolen): its roll-up files are refused.")
)
@click.argument("fingerprint")
@_store_option
@click.pass_context
def province_revoke(ctx: click.Context, fingerprint: str) -> None:
    from tpsdesk.sync import district as repo
    from tpsdesk.sync.province import require_province

    with _open_store(ctx) as store, _sync_refusals():
        require_province(store)
        repo.revoke(store, fingerprint)
    click.echo(
        _("Revoked: district {fingerprint}. Its roll-up files are refused from now on.").format(
            fingerprint=printable(fingerprint)
        )
    )


@province.command(
    "coverage",
    help=N_(
        "Posts filled against needed, officers waiting for a fix and enrolled, per kab/kota, "
        "with the day each last rolled up (per kecamatan: tpsdesk district coverage)."
    ),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def province_coverage(ctx: click.Context, as_json: bool) -> None:
    from tpsdesk.domain.dates import format_date
    from tpsdesk.sync.rollup import coverage_by_kabkota

    with _open_store(ctx) as store, _sync_refusals():
        rows = coverage_by_kabkota(store)
    if as_json:
        _echo_json(
            [
                {
                    "code": r.code,
                    "name": r.name,
                    "needed": r.needed,
                    "filled": r.filled,
                    "waiting_fix": r.waiting,
                    "enrolled": r.enrolled,
                    "last_rollup": r.last_rollup.isoformat() if r.last_rollup else None,
                }
                for r in rows
            ]
        )
        return
    if not rows:
        click.echo(_("No district has rolled up yet."))
    for r in rows:
        sent = r.last_rollup.astimezone().date() if r.last_rollup else None
        click.echo(
            _(
                "{code} {name}: posts filled {filled} of {needed}, waiting for a fix "
                "{waiting}, enrolled {enrolled}"
            ).format(
                code=r.code,
                name=printable(r.name),
                filled=r.filled,
                needed=r.needed,
                waiting=r.waiting,
                enrolled=r.enrolled,
            )
            + " · "
            + (
                _("last roll-up {date}").format(date=format_date(sent))
                if sent
                else _("never rolled up")
            )
        )


# -- roll-up ------------------------------------------------------------------------------------


@cli_group(help=N_("Roll-up files: a district sends what it accepted to its province."))
def rollup() -> None:
    pass


@rollup.command(
    "join",
    help=N_(
        "Install the province's setup file on this district store (the first time, after "
        "comparing the province fingerprint by phone)."
    ),
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@option("--fingerprint", help=N_("The province fingerprint, as read over the phone."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def rollup_join(ctx: click.Context, file: Path, fingerprint: str | None, as_json: bool) -> None:
    from tpsdesk.sync.errors import SyncError
    from tpsdesk.sync.identity import ensure_district_identity
    from tpsdesk.sync.province import install_province_setup

    data = _read_travelling_file(file)
    with _open_store(ctx) as store, _sync_refusals():
        try:
            pinned = install_province_setup(store, data, fingerprint=fingerprint)
        except SyncError as exc:
            raise exc.with_file(exc.file or file.name) from None
        own = ensure_district_identity(store).fingerprint
    if as_json:
        _echo_json(
            {
                "province": pinned.name,
                "code": pinned.code,
                "kabkota": pinned.area,
                "version": pinned.version,
                "fingerprint": pinned.fingerprint,
                "district_fingerprint": own,
            }
        )
        return
    click.echo(
        _("Installed: roll-up files of {kabkota} go to {name} ({code}), version {version}.").format(
            kabkota=pinned.area,
            name=printable(pinned.name),
            code=pinned.code,
            version=pinned.version,
        )
    )
    click.echo(_read_to_province(own))


@rollup.command(
    "export",
    help=N_(
        "Write this district's roll-up files (every row it shows in its kab/kota, or with "
        "--changed what changed since the last one) into a folder, for the province."
    ),
)
@option(
    "--to",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=N_("The folder to write into."),
)
@option(
    "--changed",
    is_flag=True,
    help=N_(
        "Only what changed since the last roll-up written (the province names a lost file as "
        "missing); a whole roll-up now and then sends everything again."
    ),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def rollup_export(ctx: click.Context, out: Path, changed: bool, as_json: bool) -> None:
    from tpsdesk.sync.identity import district_identity
    from tpsdesk.sync.rollup import export_rollup

    with _open_store(ctx) as store, _sync_refusals():
        result = export_rollup(store, out, changed=changed)
        identity = district_identity(store)
    # The district fingerprint of `tpsdesk identity` (both keys): the province lists and
    # approves the district by it.
    shown = identity.fingerprint if identity is not None else ""
    if as_json:
        _echo_json(
            {
                "files": [str(p) for p in result.paths],
                "seq_from": result.seq_from,
                "seq_to": result.seq_to,
                "rows": result.rows,
                "counts": result.counts,
                "whole": result.whole,
                "fingerprint": shown,
            }
        )
        return
    for path in result.paths:
        click.echo(_("Written: {file}").format(file=str(path)))
    click.echo(
        (
            _(
                "{rows} rows: {kecamatan} kecamatan, {kelurahan} kelurahan, {tps} TPS, "
                "{officers} officers (a whole roll-up)."
            )
            if result.whole
            else _(
                "{rows} rows: {kecamatan} kecamatan, {kelurahan} kelurahan, {tps} TPS, "
                "{officers} officers (what changed since the last roll-up)."
            )
        ).format(
            rows=result.rows,
            kecamatan=result.counts.get("kecamatan", 0),
            kelurahan=result.counts.get("kelurahan", 0),
            tps=result.counts.get("tps", 0),
            officers=result.counts.get("officer", 0),
        )
    )
    click.echo(_read_to_province(shown))


def _read_to_province(fingerprint: str) -> str:
    return _(
        "Read this district's fingerprint to the province office over the phone (the district "
        "fingerprint of tpsdesk identity); the province approves the district by it: "
        "{fingerprint}."
    ).format(fingerprint=fingerprint)


@rollup.command(
    "merge",
    help=N_(
        "Merge districts' roll-up files, or every roll-up file in a folder, into this province "
        "store; files of districts not approved yet wait."
    ),
)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def rollup_merge(ctx: click.Context, files: tuple[Path, ...], as_json: bool) -> None:
    from tpsdesk.sync.container import Kind
    from tpsdesk.sync.inbox import bundle_files
    from tpsdesk.sync.province import require_province
    from tpsdesk.sync.rollup import receive_rollups

    with _sync_refusals():
        candidates, skipped = bundle_files(files, kind=Kind.ROLLUP)
    if not as_json:
        for name, reason in skipped:
            click.echo(
                _("{file}: not a roll-up file ({reason}); skipped.").format(
                    file=name, reason=reason
                )
            )
    outcomes: list[Any] = []
    with _open_store(ctx) as store, _sync_refusals():
        require_province(store)
        with store.saving_once():
            outcomes = receive_rollups(
                store, [(f.name, _reader(f)) for f in candidates], refusals=(CliFailure,)
            )
    if as_json:
        from tpsdesk.sync.bundle import ReceiveFailure

        _echo_json(
            [{"file": n, "status": "skipped", "reason": r} for n, r in skipped]
            + [
                {"file": o.file, "status": "refused", "reason": o.message}
                if isinstance(o, ReceiveFailure)
                else o.to_json()
                for o in outcomes
            ]
        )
    if _report(outcomes, quiet=as_json):
        ctx.exit(1)


def _reader(path: Path) -> Any:
    return lambda: _read_travelling_file(path)


def _report(outcomes: list[Any], *, quiet: bool) -> bool:
    """Print each outcome (unless `quiet`); whether any file or row was refused."""
    from tpsdesk.sync.bundle import ReceiveFailure

    refused = False
    for outcome in outcomes:
        if isinstance(outcome, ReceiveFailure):
            refused = True
            if not quiet:
                click.echo(printable(outcome.message), err=True)
            continue
        report = outcome.report
        refused = refused or outcome.status == "refused" or bool(report and report.rejected)
        if quiet:
            continue
        name = printable(outcome.file)
        if report is None:
            click.echo(
                _(
                    "{file}: from a district not approved yet (fingerprint {fingerprint}); it "
                    "waits. Call the district office, compare the fingerprint, then: tpsdesk "
                    "province approve FINGERPRINT"
                ).format(file=name, fingerprint=outcome.fingerprint)
            )
        elif report.replay:
            click.echo(_("{file}: merged before; nothing changed.").format(file=name))
        elif report.merged:
            click.echo(
                _(
                    "{file}: merged — {accepted} accepted, {unchanged} unchanged, conflicts: "
                    "{conflicts}, duplicate findings: {duplicates}, rows refused: {refused}."
                ).format(
                    file=name,
                    accepted=len(report.accepted),
                    unchanged=len(report.unchanged) + len(report.ignored),
                    conflicts=len(report.conflicts),
                    duplicates=len(report.duplicates),
                    refused=report.refused_rows,
                )
            )
            _print_rejections(report, err=False)
        else:
            click.echo(
                _("{file}: refused as a whole; nothing was merged.").format(file=name), err=True
            )
            _print_rejections(report, err=True)
    return refused
