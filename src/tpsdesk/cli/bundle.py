"""`tpsdesk bundle` and `tpsdesk receipt`: the field side of sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from tpsdesk.cli.common import (
    _echo_json,
    _open_store,
    _read_travelling_file,
    _store_option,
    _sync_refusals,
    cli_group,
    fail,
    option,
)
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.terminal import printable

# -- field ----------------------------------------------------------------------------------


@cli_group(help=N_("Sync bundles: write one for the district, or look inside one."))
def bundle() -> None:
    pass


@bundle.command(
    "export",
    help=N_(
        "Write every change the district has not acknowledged into one encrypted, signed "
        "bundle file."
    ),
)
@option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    help=N_("The folder to write into (a USB stick, for example)."),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def bundle_export(ctx: click.Context, out_dir: Path, as_json: bool) -> None:
    from tpsdesk.sync.bundle import NothingToSend
    from tpsdesk.sync.laptop_status import send_bundle

    with _open_store(ctx) as store, _sync_refusals():
        try:
            result = send_bundle(store, out_dir)
        except NothingToSend as nothing:
            if as_json:
                _echo_json({"written": None, "reason": nothing.code})
            else:
                click.echo(nothing.message)
            return
    if as_json:
        _echo_json(
            {
                "written": str(result.path),
                "seq_from": result.seq_from,
                "seq_to": result.seq_to,
                "rows": result.rows,
                "counts": result.counts,
                "size": result.size,
            }
        )
        return
    click.echo(
        _("Wrote {file} ({size} KB): changes {low}–{high}, {rows} rows.").format(
            file=str(result.path),
            size=max(1, result.size // 1024),
            low=result.seq_from,
            high=result.seq_to,
            rows=result.rows,
        )
    )
    click.echo(_("Take it to the district office on a USB stick or send it by e-mail."))


@bundle.command("inspect", help=N_("Show a tpsdesk file's header; no key is needed."))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
def bundle_inspect(file: Path, as_json: bool) -> None:
    from tpsdesk.sync.container import describe_header, parse_container

    data = _read_travelling_file(file)
    with _sync_refusals():
        try:
            container = parse_container(data)
        except Exception as error:
            from tpsdesk.sync.errors import SyncError

            if isinstance(error, SyncError):
                raise error.with_file(file.name) from None
            raise
    if as_json:
        _echo_json(container.header)
        return
    setup_fp = _setup_fingerprint(data) if container.header["kind"] == "setup" else None
    rows = describe_header(container.header, district_fingerprint=setup_fp)
    width = max(len(label) for label, _value in rows)
    for label, value in rows:
        click.echo(printable(f"{label.ljust(width)}  {value}"))  # header text from a file
    click.echo(_("The signature was not checked: that needs the sender's trusted key."))


def _setup_fingerprint(data: bytes) -> str | None:
    """The district fingerprint a setup file carries (its payload is not encrypted), so that
    `bundle inspect` shows the number read over the phone; None for other files or when the
    file does not check out (the header alone is still shown)."""
    from tpsdesk.sync.errors import SyncError
    from tpsdesk.sync.setup import read_setup_file

    try:
        return read_setup_file(data).fingerprint
    except SyncError:
        return None


@cli_group(help=N_("Receipts from the district."))
def receipt() -> None:
    pass


@receipt.command("import", help=N_("Import the district's receipt: statuses and what to fix."))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def receipt_import(ctx: click.Context, file: Path, as_json: bool) -> None:
    from tpsdesk.sync.receipt import import_receipt

    data = _read_travelling_file(file)
    with _open_store(ctx) as store, _sync_refusals():
        summary = import_receipt(store, data, file=file.name)
        to_fix = _needing_fixes(store)
    if as_json:
        _echo_json({**summary.to_json(), "needs_fix": to_fix})
        return
    if summary.new_device_id is not None:
        # What the district acknowledged belongs to the store's other timeline: the paragraph
        # below says what happened, and everything goes again under the new identity.
        click.echo(_("Receipt number {version} imported.").format(version=summary.version))
    else:
        click.echo(
            _(
                "Receipt number {version} imported: the district holds every change up to {seq}."
            ).format(version=summary.version, seq=summary.acknowledged_seq)
        )
    for status, count in sorted(summary.statuses.items()):
        click.echo(
            "  "
            + ngettext("{status}: {count} officer", "{status}: {count} officers", count).format(
                status=printable(_status(status)), count=count
            )
        )
    for low, high in summary.gaps:
        click.echo(
            _("The district is missing changes {low}–{high}: export a bundle again.").format(
                low=low, high=high
            )
        )
    if summary.kept_local:
        click.echo(
            ngettext(
                "{count} record was changed here after the district's version; it goes with "
                "the next bundle.",
                "{count} records were changed here after the district's version; they go with "
                "the next bundle.",
                summary.kept_local,
            ).format(count=summary.kept_local)
        )
    if summary.corrected:
        click.echo(
            ngettext(
                "{count} record took the district's correction.",
                "{count} records took the district's correction.",
                summary.corrected,
            ).format(count=summary.corrected)
        )
    if summary.conflicts:
        click.echo(
            ngettext(
                "{count} correction of the district meets a change made here; compare both "
                "values with: tpsdesk receipt corrections",
                "{count} corrections of the district meet a change made here; compare both "
                "values with: tpsdesk receipt corrections",
                summary.conflicts,
            ).format(count=summary.conflicts)
        )
    if summary.new_device_id is not None:
        click.echo(
            _(
                "The district holds changes of this laptop that this store never made: the "
                "store was put back to an older copy. This laptop now has a new identity, so "
                "nothing it sends can clash; nothing typed here is lost. Ask the district "
                "office to approve it: fingerprint {fingerprint}."
            ).format(fingerprint=summary.new_fingerprint)
        )
    for place, reason in summary.refused_places:
        click.echo(
            _("The district refused {place}: {reason}").format(
                place=_shown(place), reason=_shown(reason)
            )
        )
    if to_fix:
        click.echo(_("To fix:"))
    for officer in to_fix:
        click.echo(printable(f"  {officer['name']} ({officer['post_name']}): {officer['reason']}"))


@receipt.command(
    "corrections",
    help=N_(
        "List the district's corrections that meet a change made here, with both values; "
        "take the district's values or keep this laptop's."
    ),
)
@option("--take", "take", metavar="ID", help=N_("Take the district's values for this officer."))
@option("--keep", "keep", metavar="ID", help=N_("Keep this laptop's values for this officer."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def receipt_corrections(
    ctx: click.Context, take: str | None, keep: str | None, as_json: bool
) -> None:
    from tpsdesk.sync.corrections import list_corrections, resolve_correction
    from tpsdesk.sync.receipt import field_label

    if take is not None and keep is not None:
        fail(_("Choose one: --take or --keep."))
    with _open_store(ctx) as store:
        pending = list_corrections(store)
        ref = take if take is not None else keep
        if ref is not None:
            matches = [c for c in pending if c.officer_id.startswith(ref.strip().lower())]
            if len(matches) != 1:
                fail(
                    _("No single waiting correction has an officer id starting with {ref}.")
                    .format(ref=ref)
                )  # fmt: skip
            resolve_correction(store, matches[0].officer_id, take=take is not None)
            click.echo(
                _("The district's values were taken; they go with the next bundle.")
                if take is not None
                else _("This laptop's values were kept; they go with the next bundle.")
            )
            return
        names = _officer_names(store, [c.officer_id for c in pending])
    if as_json:
        _echo_json(
            [
                {
                    "id": c.officer_id,
                    "fields": [
                        {"field": f.field, "mine": _shown(f.mine), "district": _shown(f.district)}
                        for f in c.fields
                    ],
                }
                for c in pending
            ]
        )
        return
    if not pending:
        click.echo(_("No correction from the district is waiting."))
        return
    for correction in pending:
        click.echo(f"{correction.officer_id[:8]}  {names.get(correction.officer_id, '')}")
        for item in correction.fields:
            click.echo(
                "  "
                + _("{field}: here {mine} | district {district}").format(
                    field=field_label(item.field),
                    mine=_shown(item.mine),
                    district=_shown(item.district),
                )
            )
    click.echo(
        _(
            "Take the district's values: tpsdesk receipt corrections --take ID; keep this "
            "laptop's: --keep ID."
        )
    )


def _shown(value: Any) -> str:
    """A value for the terminal: dates as ISO text, nothing as "—", control characters
    escaped (what is printed must not rewrite the terminal)."""
    if value is None or value == "":
        return "—"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _officer_names(store: Any, ids: list[str]) -> dict[str, str]:
    from tpsdesk.store.models import Officer

    with store.read() as session:
        found = (session.get(Officer, officer_id) for officer_id in ids)
        return {o.id: _shown(o.name) for o in found if o is not None}


def _needing_fixes(store: Any) -> list[dict[str, Any]]:
    """The officers the district asks to fix, with its reasons (shown to the person who
    imported the receipt; never logged)."""
    from tpsdesk.sync.laptop_status import needing_fixes

    return [
        {
            "id": officer.id,
            "name": officer.name,
            "post": officer.post_code,
            "post_name": officer.post_name,
            "deleted": False,
            "reason": officer.reason,
        }
        for officer in needing_fixes(store)
    ]


def _device_status(status: str) -> str:
    labels = {"pending": N_("waiting"), "approved": N_("approved"), "revoked": N_("revoked")}
    return _(labels.get(status, status))


def _status(status: str) -> str:
    from tpsdesk.store.officers import status_label

    return status_label(status)


# -- district -------------------------------------------------------------------------------
