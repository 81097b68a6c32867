"""Enrolment and district settings: identity, enroll, district settings/setup-file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tpsdesk.cli.common import (
    _echo_json,
    _open_store,
    _read_travelling_file,
    _role_label,
    _store_option,
    _sync_refusals,
    _write_new_file,
    cli_command,
    fail,
    option,
)
from tpsdesk.cli.district import district
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.terminal import printable

if TYPE_CHECKING:
    from tpsdesk.sync.setup import EnrollResult


def _district_fingerprint_line(fingerprint: str) -> str:
    return _("District fingerprint (the one read over the phone): {fingerprint}").format(
        fingerprint=fingerprint
    )


# -- tpsdesk identity ---------------------------------------------------------------------------


@cli_command("identity", help=N_("Show this store's role, device id and fingerprint."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def identity_command(ctx: click.Context, as_json: bool) -> None:
    from tpsdesk.sync.identity import district_settings, ensure_device_identity
    from tpsdesk.sync.setup import installed_setup, pinned_district

    with _open_store(ctx) as store:
        me = ensure_device_identity(store)
        own = district_settings(store)
        pinned = pinned_district(store)
        installed = installed_setup(store)
    data: dict[str, Any] = me.to_json()
    if own is not None:
        data.update({"district_name": own.name, "district_code": own.code})
    if pinned is not None:
        data.update(
            {
                "district_name": pinned.name,
                "district_code": pinned.code,
                "district_fingerprint": pinned.fingerprint,
            }
        )
    if installed is not None:
        data.update({"area": installed.area, "setup_version": installed.version})
    if as_json:
        _echo_json(data)
        return
    click.echo(_("Role: {role}").format(role=_role_label(me.role)))
    click.echo(_("Device id: {device_id}").format(device_id=me.device_id))
    # One number is "the district fingerprint" everywhere (identity, setup-file, inspect,
    # enrol): the one read over the phone. Any other key fingerprint says it is not that one.
    if me.role == "province":  # what its districts compare when they join it
        click.echo(
            _("Province fingerprint (the one read over the phone): {fingerprint}").format(
                fingerprint=me.fingerprint
            )
        )
    elif me.encryption_fingerprint is not None:
        click.echo(_district_fingerprint_line(me.fingerprint))
        click.echo(
            _(
                "Encryption key alone (a technical check, not the fingerprint read over the "
                "phone): {fingerprint}"
            ).format(fingerprint=me.encryption_fingerprint)
        )
    else:
        click.echo(
            _(
                "This laptop's fingerprint (read it to the district office when it approves "
                "this laptop): {fingerprint}"
            ).format(fingerprint=me.fingerprint)
        )
    if own is not None:
        text = (
            _("Province: {name} ({code})")
            if me.role == "province"
            else _("District: {name} ({code})")
        )
        click.echo(printable(text.format(name=own.name, code=own.code)))
    if pinned is not None:
        click.echo(
            _("Trusted district: {name} ({code})").format(
                name=printable(pinned.name), code=pinned.code
            )
        )
        click.echo(_district_fingerprint_line(pinned.fingerprint))
    if installed is not None:
        click.echo(
            _("Area: {area} (setup file version {version})").format(
                area=installed.area, version=installed.version
            )
        )


# -- tpsdesk district ... ----------------------------------------------------------------------


@district.command(
    "settings",
    help=N_(
        "Set the district's name and kabupaten/kota code (e.g. 35.73); without options, show them."
    ),
)
@option("--name", help=N_("The district's name, e.g. Kota Malang."))
@option("--code", help=N_("The kabupaten/kota code, e.g. 35.73."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def district_settings_command(
    ctx: click.Context, name: str | None, code: str | None, as_json: bool
) -> None:
    from tpsdesk.sync.identity import (
        WrongRole,
        district_settings,
        set_district_settings,
    )

    with _open_store(ctx) as store:
        if store.role != "district":
            raise WrongRole(
                _("District settings belong to a district store; this is a field store.")
            )
        if name is not None or code is not None:
            set_district_settings(store, name=name, code=code)
        settings = district_settings(store)
        current_name = store.get_setting("district_name")
        current_code = store.get_setting("district_code")
    if as_json:
        _echo_json({"name": current_name, "code": current_code})
        return
    click.echo(_("District name: {name}").format(name=current_name or "—"))
    click.echo(_("District code: {code}").format(code=current_code or "—"))
    if settings is None:
        click.echo(
            _("Set both before writing setup files: tpsdesk district settings --name N --code C"),
            err=True,
        )


@district.command(
    "setup-file",
    help=N_(
        "Write a signed setup file for a kelurahan or kecamatan code (a kecamatan includes all "
        "its kelurahan and TPS), for every laptop or for one."
    ),
)
@click.argument("area_code", metavar="AREA")
@option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help=N_("The file to write (or a folder: the file is named after the area and version)."),
)
@option(
    "--target",
    default="all",
    show_default=True,
    help=N_("all, or the fingerprint of the one laptop that may use the file."),
)
@option(
    "--valid-days",
    type=click.IntRange(1, 3660),
    default=120,
    show_default=True,
    help=N_("Days until laptops warn that the setup file has expired."),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def district_setup_file(
    ctx: click.Context, area_code: str, out: Path, target: str, valid_days: int, as_json: bool
) -> None:
    from tpsdesk.domain.dates import format_date
    from tpsdesk.sync.container import parse_container, suggested_file_name
    from tpsdesk.sync.setup import build_setup_file, read_setup_file

    if not out.is_dir() and os.path.lexists(out):
        fail(_("{file} already exists: choose another name.").format(file=str(out)))
    with _open_store(ctx) as store, _sync_refusals():
        data = build_setup_file(store, area_code, target=target, valid_days=valid_days)
        left_out, findings = _left_out(store, parse_container(data).file_id)
    with _sync_refusals():
        content = read_setup_file(data)  # what a laptop will see; never fails on our own file
        path = out / suggested_file_name(parse_container(data).header) if out.is_dir() else out
    _write_new_file(path, data)
    if as_json:
        _echo_json(
            {
                "path": str(path),
                "file_id": content.file_id,
                "area": content.area,
                "version": content.version,
                "target": content.target,
                "expires_at": content.expires_at.isoformat(),
                "district_code": content.district_code,
                "district_name": content.district_name,
                "district_fingerprint": content.fingerprint,
                "tps": sum(1 for row in content.rows if type(row).__tablename__ == "tps"),
            }
        )
        return
    click.echo(_("Setup file written: {path}").format(path=str(path)))
    click.echo(
        _("Area {area}, version {version}, for {target}, expires {date}.").format(
            area=content.area,
            version=content.version,
            target=_("all laptops") if content.target == "all" else content.target,
            date=format_date(content.expires_at.date()),
        )
    )
    click.echo(_district_fingerprint_line(content.fingerprint))
    click.echo(_("Read it to the laptop's user by phone when the laptop enrols."))
    if left_out:
        click.echo(
            ngettext(
                "{n} TPS was left out: another TPS has its number in its kelurahan. Resolve the "
                "finding(s) {findings} (tpsdesk district findings), then write the file again.",
                "{n} TPS were left out: other TPS have their numbers in their kelurahan. Resolve "
                "the finding(s) {findings} (tpsdesk district findings), then write the file again.",
                len(left_out),
            ).format(n=len(left_out), findings=", ".join(findings) or "-")
        )


def _left_out(store: Any, file_id: str) -> tuple[list[str], list[str]]:
    """TPS a setup file left out (two TPS with one number) and the findings naming them."""
    from tpsdesk.sync import district as repo
    from tpsdesk.sync.district_models import FindingKind, FindingStatus
    from tpsdesk.sync.setup import left_out_tps

    left_out = left_out_tps(store, file_id)
    if not left_out:
        return [], []
    found = repo.list_findings(store, status=FindingStatus.OPEN, kind=FindingKind.DUPLICATE_TPS)
    names = [f.id[:12] for f in found if set(repo.finding_rows(f)) & set(left_out)]
    return left_out, names


# -- tpsdesk enroll ------------------------------------------------------------------------------


def _prompt_fingerprint(district: str) -> Callable[[str], bool]:
    """Ask for the fingerprint the district office reads over the phone; compare it."""
    from tpsdesk.sync.fingerprint import fingerprints_match

    def confirm(expected: str) -> bool:
        click.echo(
            _(
                "Call the district office ({district}) and ask them to read the district "
                "fingerprint to you (the one `tpsdesk identity` shows them as read over the "
                "phone). Type it here (spaces do not matter)."
            ).format(district=district),
            err=True,
        )
        typed = click.prompt(_("District fingerprint"), err=True)
        return fingerprints_match(expected, typed)

    return confirm


def _enroll_json(result: EnrollResult) -> dict[str, Any]:
    return {
        "first": result.first,
        "district_name": result.district_name,
        "district_code": result.district_code,
        "district_fingerprint": result.district_fingerprint,
        "area": result.area,
        "version": result.version,
        "expires_at": result.expires_at.isoformat(),
        "laptop_fingerprint": result.laptop_fingerprint,
        "new": result.summary.new,
        "updated": result.summary.updated,
        "unchanged": result.summary.unchanged,
        "kept_local": result.summary.kept_local,
        "kept_in_use": list(result.summary.kept_in_use),
        "adopted": result.summary.adopted,
        "warnings": list(result.warnings),
    }


@cli_command(
    help=N_(
        "Field laptop: trust a district's setup file and load its area. The first time, the "
        "district fingerprint must be confirmed: with --fingerprint, or typed at the prompt as "
        "the district office reads it over the phone. A newer setup file from the same district "
        "updates the area."
    )
)
@click.argument("setup_file", type=click.Path(dir_okay=False, path_type=Path))
@option(
    "--fingerprint",
    help=N_("The district fingerprint as the district office read it to you."),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def enroll(ctx: click.Context, setup_file: Path, fingerprint: str | None, as_json: bool) -> None:
    from tpsdesk.sync.setup import enroll as enroll_store
    from tpsdesk.sync.setup import read_setup_file

    data = _read_travelling_file(setup_file)
    # Checked before asking for the passphrase: a damaged file is refused without unlocking.
    with _sync_refusals():
        preview = read_setup_file(data, file=str(setup_file))
    district = printable(f"{preview.district_name} ({preview.district_code})")  # from a file
    if not as_json:
        click.echo(
            _("Setup file from district {district}, area {area}, version {version}.").format(
                district=district, area=preview.area, version=preview.version
            )
        )
    check: Any = fingerprint if fingerprint is not None else _prompt_fingerprint(district)
    with _open_store(ctx) as store, _sync_refusals():
        result = enroll_store(store, data, confirm_fingerprint=check, file=str(setup_file))
    for warning in result.warnings:
        click.echo(printable(_("Warning: {warning}").format(warning=warning)), err=True)
    if as_json:
        _echo_json(_enroll_json(result))
        return
    if result.first:
        click.echo(_("District {district} is now trusted.").format(district=district))
    else:
        click.echo(_("Setup file version {version} installed.").format(version=result.version))
    click.echo(_district_fingerprint_line(result.district_fingerprint))
    summary = result.summary
    click.echo(
        ngettext(
            "Area {area}: {n} new row, {updated} updated, {unchanged} unchanged.",
            "Area {area}: {n} new rows, {updated} updated, {unchanged} unchanged.",
            summary.new,
        ).format(
            area=result.area, n=summary.new, updated=summary.updated, unchanged=summary.unchanged
        )
    )
    if summary.adopted:
        click.echo(
            ngettext(
                "{n} place typed on this laptop before was matched to the district's by its "
                "code; its officers are kept there.",
                "{n} places typed on this laptop before were matched to the district's by "
                "their codes; their officers are kept there.",
                summary.adopted,
            ).format(n=summary.adopted)
        )
    click.echo(
        _("This laptop's fingerprint (read it back to the district office): {fingerprint}").format(
            fingerprint=result.laptop_fingerprint
        )
    )
