"""`tpsdesk district`: the district office's merge, devices, findings, receipts, participants."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from tpsdesk.cli.bundle import _device_status
from tpsdesk.cli.common import (
    CliFailure,
    _echo_json,
    _Group,
    _open_store,
    _read_travelling_file,
    _store_option,
    _sync_refusals,
    _write_new_file,
    cli_group,
    fail,
    option,
)
from tpsdesk.cli.officers import _problem_json
from tpsdesk.i18n import N_, _, format_number, ngettext
from tpsdesk.terminal import printable


@cli_group(help=N_("District office: settings, setup files."))
def district() -> None:
    pass


@district.command(
    "merge",
    help=N_(
        "Merge bundle files, or every bundle in a folder; bundles of laptops not yet approved "
        "wait. Receipts, setup files and other files are skipped."
    ),
)
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def district_merge(ctx: click.Context, files: tuple[Path, ...], as_json: bool) -> None:
    from tpsdesk.sync.bundle import ReceiveFailure, receive_files

    def reader(file: Path) -> Any:
        return lambda: _read_travelling_file(file)

    candidates, skipped = _bundle_files(files)
    if not as_json:
        for name, reason in skipped:
            click.echo(
                _("{file}: not a bundle ({reason}); skipped.").format(file=name, reason=reason)
            )
        if not candidates:
            click.echo(_("No bundle to merge."))
    # The district store is written once, after every file (a save per bundle would rewrite
    # the whole image each time); outcomes are reported only once that save is done. A crash
    # before it loses nothing that cannot be merged again from the same files.
    shown = [0]  # width of the progress line on the terminal

    def progress(done: int, total: int, name: str) -> None:
        # On a terminal only: a clerk merging a hundred files sees it move. Carriage returns
        # and spaces, no escape codes: old Windows consoles would print those as they are.
        line = _("Merging {done}/{total}: {file}").format(
            done=done + 1, total=total, file=printable(name)
        )
        click.echo("\r" + line.ljust(shown[0]), err=True, nl=False)
        shown[0] = len(line)

    show = len(candidates) > 1 and sys.stderr.isatty() and not as_json
    outcomes: list[Any] = []
    if candidates:
        with _open_store(ctx) as store, store.saving_once():
            outcomes = receive_files(
                store,
                [(file.name, reader(file)) for file in candidates],
                refusals=(CliFailure,),
                progress=progress if show else None,
            )
    if show:
        click.echo("\r" + " " * shown[0] + "\r", err=True, nl=False)
    refused = False
    results: list[dict[str, Any]] = [
        {"file": name, "status": "skipped", "reason": reason} for name, reason in skipped
    ]
    for outcome in outcomes:
        if isinstance(outcome, ReceiveFailure):
            refused = True
            results.append({"file": outcome.file, "status": "refused", "reason": outcome.message})
            if not as_json:
                click.echo(printable(outcome.message), err=True)
            continue
        results.append(outcome.to_json())
        # A bundle merged with rows refused is partly rejected: exit status 1 (README).
        partly = outcome.report is not None and bool(outcome.report.rejected)
        refused = refused or outcome.status == "refused" or partly
        if not as_json:
            _print_outcome(outcome)
    if as_json:
        _echo_json(results)
    if refused:
        ctx.exit(1)


def _bundle_files(paths: tuple[Path, ...]) -> tuple[list[Path], list[tuple[str, str]]]:
    """`sync.inbox.bundle_files`, a folder that cannot be read refused like any refusal."""
    from tpsdesk.sync.inbox import bundle_files

    with _sync_refusals():
        return bundle_files(paths)


def _print_outcome(outcome: Any) -> None:
    name = printable(outcome.file)
    if outcome.status in ("quarantined", "already_quarantined"):
        click.echo(
            _(
                "{file}: from a laptop not approved yet (fingerprint {fingerprint}); it waits. "
                "Call the laptop's user, compare the fingerprint, then: "
                "tpsdesk district devices approve FINGERPRINT"
            ).format(file=name, fingerprint=outcome.fingerprint)
        )
        return
    report = outcome.report
    if report is None:
        return
    if report.replay:
        click.echo(_("{file}: merged before; nothing changed.").format(file=name))
    elif report.merged:
        click.echo(
            _(
                "{file}: merged — {accepted} accepted, {unchanged} unchanged, "
                "conflicts: {conflicts}, duplicate findings: {duplicates}."
            ).format(
                file=name,
                accepted=len(report.accepted),
                unchanged=len(report.unchanged),
                conflicts=len(report.conflicts),
                duplicates=len(report.duplicates),
            )
        )
        if report.rejected:
            n = report.refused_rows
            click.echo(
                ngettext(
                    "  {n} row was refused and not merged; the laptop is told with its next "
                    "receipt:",
                    "  {n} rows were refused and not merged; the laptop is told with its next "
                    "receipt:",
                    n,
                ).format(n=n)
            )
        _print_rejections(report, err=False)
    else:
        click.echo(_("{file}: refused as a whole; nothing was merged.").format(file=name), err=True)
        if report.reason == "rollback":
            click.echo(printable("  " + report.summary().splitlines()[0]), err=True)
        _print_rejections(report, err=True)
    for low, high in report.gaps:
        click.echo(
            _(
                "  Missing from this laptop: changes {low}–{high} (a bundle that never arrived)."
            ).format(low=low, high=high)
        )


_SHOWN_REJECTIONS = 20


def _print_rejections(report: Any, *, err: bool) -> None:
    for rejection in report.rejected[:_SHOWN_REJECTIONS]:
        where = (
            _("row {n}").format(n=rejection.index + 1) if rejection.index >= 0 else _("the bundle")
        )
        for problem in rejection.problems:
            click.echo(printable(f"  {where}: {problem.message}"), err=err)
    more = report.refused_rows - _SHOWN_REJECTIONS
    if more > 0:
        click.echo(
            ngettext(
                "  … and {n} more refused row (--json lists what the report keeps).",
                "  … and {n} more refused rows (--json lists what the report keeps).",
                more,
            ).format(n=format_number(more)),
            err=err,
        )


@district.group(
    "devices",
    cls=_Group,
    invoke_without_command=True,
    help=N_("Field laptops: list them; approve, dismiss or revoke one by its fingerprint."),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def district_devices(ctx: click.Context, as_json: bool) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from tpsdesk.sync.laptops_view import laptop_rows

    with _open_store(ctx) as store, _sync_refusals():
        laptops = laptop_rows(store, by_status=False)  # a few queries, not a few per laptop
        rows: list[dict[str, Any]] = [
            {
                "device_id": d.device_id,
                "fingerprint": d.fingerprint_groups,
                "status": d.status,
                "status_label": _device_status(d.status),
                "area": d.area.code,
                "label": d.label,
                "claimed_area": d.claimed.code,
                "waiting": d.waiting,
                "missing": [list(g) for g in d.gaps],
            }
            for d in laptops
        ]
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo(_("No laptop has sent a bundle yet."))
    for row in rows:
        click.echo(
            _(
                "{fingerprint}  {status}  area issued {area}  claimed {claimed}  waiting {waiting}"
            ).format(
                fingerprint=printable(row["fingerprint"]),
                status=f"{printable(row['status_label']):12}",
                area=printable(row["area"] or "-"),
                claimed=printable(row["claimed_area"] or "-"),
                waiting=row["waiting"],
            )
            + (f"  {printable(row['label'])}" if row["label"] else "")  # from a bundle header
        )
        if row["claimed_area"] and row["claimed_area"] != row["area"]:
            click.echo(
                "    "
                + _(
                    "its bundles claim another area than the setup file issued to it: they are "
                    "refused"
                )
            )
        for low, high in row["missing"]:
            click.echo("    " + _("missing changes {low}–{high}").format(low=low, high=high))


@district_devices.command(
    "approve",
    help=N_("Approve a laptop (after comparing its fingerprint by phone) and merge what waited."),
)
@click.argument("fingerprint")
@option(
    "--area",
    help=N_(
        "The area it may send, one of the areas setup files were issued for (default: the area "
        "of the setup file issued to it)."
    ),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def district_devices_approve(
    ctx: click.Context, fingerprint: str, area: str | None, as_json: bool
) -> None:
    from tpsdesk.store.areas import live_kecamatan, live_kelurahan
    from tpsdesk.sync import district as repo
    from tpsdesk.sync.bundle import ReceiveFailure, merge_released
    from tpsdesk.sync.identity import district_settings
    from tpsdesk.sync.setup import AreaNotInDistrict, normalize_area

    with _open_store(ctx) as store, _sync_refusals():
        if area is not None:
            # A mistyped area would approve the laptop for rows it can never send.
            area, kind = normalize_area(area)
            settings = district_settings(store)
            if settings is not None and not area.startswith(settings.code + "."):
                raise AreaNotInDistrict(area=area, district=settings.code)
            with store.read() as session:  # NotFound: refused like any store refusal
                (live_kelurahan if kind == "kelurahan" else live_kecamatan)(session, area)
        device = repo.approve(store, fingerprint, area=area)
        with store.saving_once():
            outcomes = merge_released(store, device.device_id)
    # A waiting file that fails is skipped with its reason; the others are merged.
    failed = [o for o in outcomes if isinstance(o, ReceiveFailure)]
    merged = [o for o in outcomes if not isinstance(o, ReceiveFailure)]
    if as_json:
        _echo_json(
            {
                "device_id": device.device_id,
                "area": device.area_code,
                "claimed_area": device.claimed_area,
                "merged": [o.to_json() for o in merged],
                "failed": [{"file": o.file, "code": o.code, "reason": o.message} for o in failed],
            }
        )
    else:
        click.echo(
            _(
                "Approved: laptop {fingerprint}, area {area} (its bundles claimed {claimed})."
            ).format(
                fingerprint=printable(fingerprint),
                area=printable(device.area_code),
                claimed=printable(device.claimed_area or "-"),
            )
        )
        for outcome in merged:
            _print_outcome(outcome)
        for failure in failed:
            click.echo(printable(failure.message), err=True)
    if failed or any(o.status == "refused" for o in merged):
        ctx.exit(1)


@district_devices.command(
    "dismiss",
    help=N_("Dismiss a laptop waiting for approval: it and its waiting bundles are removed."),
)
@click.argument("fingerprint")
@_store_option
@click.pass_context
def district_devices_dismiss(ctx: click.Context, fingerprint: str) -> None:
    from tpsdesk.sync import district as repo

    with _open_store(ctx) as store, _sync_refusals():
        removed = repo.dismiss(store, fingerprint)
    click.echo(
        ngettext(
            "Dismissed: laptop {fingerprint} and its {n} waiting bundle.",
            "Dismissed: laptop {fingerprint} and its {n} waiting bundles.",
            removed,
        ).format(fingerprint=fingerprint, n=removed)
    )


@district_devices.command(
    "revoke", help=N_("Revoke a lost or stolen laptop: its later bundles are refused.")
)
@click.argument("fingerprint")
@_store_option
@click.pass_context
def district_devices_revoke(ctx: click.Context, fingerprint: str) -> None:
    from tpsdesk.sync import district as repo

    with _open_store(ctx) as store, _sync_refusals():
        repo.revoke(store, fingerprint)
    click.echo(
        _("Revoked: laptop {fingerprint}. Its bundles are refused from now on.").format(
            fingerprint=printable(fingerprint)
        )
    )


@district.group(
    "findings",
    cls=_Group,
    invoke_without_command=True,
    help=N_("Duplicates and conflicts to review; resolve one with `findings resolve`."),
)
@option("--all", "show_all", is_flag=True, help=N_("Also list resolved findings."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def district_findings(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from tpsdesk.sync import district as repo
    from tpsdesk.sync import finding_view as view
    from tpsdesk.sync.district_models import FindingStatus

    with _open_store(ctx) as store, _sync_refusals():
        findings = repo.list_findings(store, status=None if show_all else FindingStatus.OPEN)
        rows = [
            {
                "id": f.id,
                "kind": f.kind,
                "status": f.status,
                "rows": repo.finding_rows(f),
                "details": json.loads(f.details or "{}"),
                "resolution": json.loads(f.resolution) if f.resolution else None,
                "people": view.people(store, repo.finding_rows(f))
                if f.table_name == "officer"
                else [],
                "versions": view.conflict_versions(store, f),
            }
            for f in findings
        ]
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo(_("No findings to review."))
    for row in rows:
        click.echo(
            printable(
                "  ".join(
                    (
                        row["id"][:12],
                        view.kind_label(row["kind"]),
                        f"[{_finding_status(row['status'])}]",
                    )
                )
            )
        )
        for person in row["people"]:
            # An old store may hold CR or ESC in a name: printed raw, it rewrote the columns.
            click.echo(
                printable(
                    f"    {person['id']}  {person['nik']}  {person['name']}  {person['where']}"
                )
            )
        for version in row["versions"]:
            click.echo(
                "    "
                + _("version {number} ({version}): {values}").format(
                    number=version["number"],
                    version=version["version"],
                    values=view.version_values(version),
                )
            )
        for line in view.finding_lines(row["kind"], row["details"]):
            click.echo("    " + printable(line))
    if any(row["status"] == "open" for row in rows):
        click.echo(
            _(
                "To decide: tpsdesk district findings resolve ID --keep OFFICER_ID (a duplicate) "
                "or --keep NUMBER (a version of a conflict); or --keep-both; add --set "
                "FIELD=VALUE to correct the kept record. The start of an id is enough."
            )
        )


def _finding_status(status: str) -> str:
    labels = {"open": N_("open"), "resolved": N_("resolved")}
    return _(labels[status]) if status in labels else status


@district_findings.command("resolve", help=N_("Resolve a finding: keep one, keep both, or edit."))
@click.argument("finding_id")
@option(
    "--keep",
    help=N_(
        "What to keep: an officer id (duplicates), or the number of a version as "
        "`district findings` lists it, or DEVICE:COUNTER (conflicts). The start of an id is "
        "enough."
    ),
)
@option("--keep-both", is_flag=True, help=N_("Keep every record as it is."))
@option(
    "--set",
    "edits",
    multiple=True,
    metavar="FIELD=VALUE",
    help=N_("Edit a field of the kept record."),
)
@option("--note", default="", help=N_("Why (kept with the decision)."))
@_store_option
@click.pass_context
def district_findings_resolve(
    ctx: click.Context,
    finding_id: str,
    keep: str | None,
    keep_both: bool,
    edits: tuple[str, ...],
    note: str,
) -> None:
    from tpsdesk.sync import district as repo
    from tpsdesk.sync import finding_view as view

    if keep_both and (keep or edits):
        fail(_("Choose --keep-both, or --keep (with --set to edit), not both."))
    values: dict[str, str] | None = None
    if edits:
        values = {}
        for edit in edits:
            name, sep, value = edit.partition("=")
            if not sep:
                fail(_("Write each edit as FIELD=VALUE: {edit}").format(edit=edit))
            values[name.strip()] = value
    decision = (
        repo.Decision.KEEP_BOTH
        if keep_both
        else repo.Decision.EDIT
        if values
        else repo.Decision.KEEP_ONE
    )
    if decision != repo.Decision.KEEP_BOTH and keep is None and not values:
        fail(_("Say what to keep: --keep ID, or --keep-both."))
    with _open_store(ctx) as store, _sync_refusals():
        finding = _finding_by_prefix(repo.list_findings(store), finding_id)
        if keep is not None:
            keep = view.kept(store, finding, keep)
        repo.resolve_finding(store, finding.id, decision, keep=keep, values=values, note=note)
    click.echo(_("Resolved. The decision goes to the laptop with its next receipt."))


def _finding_by_prefix(findings: list[Any], prefix: str) -> Any:
    from tpsdesk.sync.finding_view import by_prefix

    matches = by_prefix(prefix, [f.id for f in findings])
    if not matches:
        fail(
            _("No finding starts with {prefix}: see `tpsdesk district findings`.").format(
                prefix=prefix
            )
        )
    if len(matches) > 1:
        fail(
            _(
                "More than one finding starts with {prefix}: {candidates}. Type more of its id."
            ).format(prefix=prefix, candidates=", ".join(m[:12] for m in matches))
        )
    return next(f for f in findings if f.id == matches[0])


@district.command("receipt", help=N_("Write the signed receipt for one laptop."))
@click.argument("device")
@option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help=N_("The file to write (or a folder: the file is named after the area and version)."),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def district_receipt(ctx: click.Context, device: str, out: Path, as_json: bool) -> None:
    from tpsdesk.sync.container import suggested_file_name
    from tpsdesk.sync.receipt import build_receipt

    # Checked before a receipt number is used up: a refused --out changes nothing.
    if not out.is_dir() and os.path.lexists(out):
        fail(_("{file} already exists: choose another name.").format(file=str(out)))
    with _open_store(ctx) as store, _sync_refusals():
        header, data = build_receipt(store, device)
    out_file = out / suggested_file_name(header) if out.is_dir() else out
    _write_new_file(out_file, data)
    encrypted = header["payload"]["encryption"] != "none"
    if as_json:
        _echo_json(
            {
                "written": str(out_file),
                "version": header["version"],
                "acknowledged_seq": header["for_seq_to"],
                "encrypted": encrypted,
            }
        )
        return
    if not encrypted:
        click.echo(
            _(
                "This laptop has not told the district its receipt key yet (it runs an older "
                "tpsdesk, or no bundle of it was merged since): the receipt is not encrypted, "
                "so it carries no BPJS numbers and no corrected values, only which fields "
                "were corrected."
            )
        )
    click.echo(
        _("Wrote {file}: receipt number {version}, every change up to {seq} acknowledged.").format(
            file=str(out_file), version=header["version"], seq=header["for_seq_to"]
        )
    )


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
