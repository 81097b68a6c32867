"""`tpsdesk settings` and `tpsdesk export`: pay settings, duty periods, templates, exports."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from tpsdesk.cli.common import (
    _echo_json,
    _open_store,
    _store_option,
    cli_group,
    fail,
    option,
)
from tpsdesk.i18n import N_, _

# -- tpsdesk settings ---------------------------------------------------------------------


@cli_group(
    help=N_("District settings printed on every export: pay, duty periods, BPJS template."),
)
def settings() -> None:
    pass


def _show_pay(pay: Any, names: dict[str, str], as_json: bool) -> None:
    if as_json:
        _echo_json(pay.to_dict())
        return
    lines = pay.describe(names)
    width = max(len(label) for label, _value in lines)
    for label, value in lines:
        click.echo(f"{label.ljust(width)}  {value}")


@settings.command(
    "pay",
    help=N_(
        "Show the pay settings, or change them with the options: the wage basis (UMP, UMK, "
        "the post's honorarium or a fixed amount), the JKK and JKM rates and the rounding."
    ),
)
@option(
    "--basis",
    type=click.Choice(["ump", "umk", "honorarium", "amount"]),
    help=N_("What the contribution is a percentage of."),
)
@option("--amount", help=N_("The UMP, UMK or fixed amount in rupiah, e.g. 2165244.30."))
@option("--label", help=N_('What the amount is, e.g. "UMP Jawa Timur 2024".'))
@option(
    "--honorarium",
    "honoraria",
    multiple=True,
    metavar="POST=RP",
    help=N_("A post's monthly honorarium, e.g. kpps_ketua=900000; POST= removes it. Repeatable."),
)
@option("--jkk", help=N_("JKK rate in percent (default 0.24)."))
@option("--jkm", help=N_("JKM rate in percent (default 0.30)."))
@option(
    "--rounding",
    type=click.Choice(["rupiah", "up_100", "up_1000"]),
    help=N_(
        "Rounding of one officer's monthly contribution: to the nearest rupiah, or up to "
        "Rp100 or Rp1,000."
    ),
)
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def settings_pay(
    ctx: click.Context,
    basis: str | None,
    amount: str | None,
    label: str | None,
    honoraria: tuple[str, ...],
    jkk: str | None,
    jkm: str | None,
    rounding: str | None,
    as_json: bool,
) -> None:
    from tpsdesk.domain.pay import Rounding, WageBasis, parse_decimal
    from tpsdesk.store.pay_settings import load_pay_settings, save_pay_settings

    with _open_store(ctx) as store:
        pay = load_pay_settings(store)
        changes: dict[str, Any] = {}
        if basis is not None:
            changes["basis"] = WageBasis(basis)
        if amount is not None:
            changes["amount"] = _number(amount, "--amount", grouping=True)
        if label is not None:
            changes["label"] = label.strip()
        if jkk is not None:
            changes["jkk_percent"] = _number(jkk, "--jkk", grouping=False)
        if jkm is not None:
            changes["jkm_percent"] = _number(jkm, "--jkm", grouping=False)
        if rounding is not None:
            changes["rounding"] = Rounding(rounding)
        changed = bool(changes) or bool(honoraria)
        new = replace(pay, **changes)
        for item in honoraria:
            code, sep, value = item.partition("=")
            code = code.strip()
            if not sep or not code:
                fail(_("--honorarium takes POST=RP, e.g. kpps_ketua=900000."))
            if store.catalogue.get(code) is None:
                fail(_("There is no post {post} in the catalogue.").format(post=code))
            parsed = parse_decimal(value, grouping=True) if value.strip() else None
            if value.strip() and parsed is None:
                fail(_("{option}: {value} is not a number.").format(option=code, value=value))
            try:
                new = new.with_honorarium(code, parsed)
            except ValueError as exc:
                fail(str(exc))
        if changed:
            try:
                new = type(new).from_dict(new.to_dict())  # every rule checked, once
            except ValueError as exc:
                fail(str(exc))
            save_pay_settings(store, new)
        names = {post.code: post.name for post in store.catalogue.posts}
    if changed and not as_json:
        click.echo(_("Pay settings saved."))
    _show_pay(new, names, as_json)
    if new.basis is not WageBasis.HONORARIUM and new.amount is None:
        click.echo(_("No amount is set for this wage basis yet: set it with --amount."), err=True)


def _number(raw: str, name: str, *, grouping: bool) -> Any:
    from tpsdesk.domain.pay import parse_decimal

    value = parse_decimal(raw, grouping=grouping)
    if value is None:
        fail(_("{option}: {value} is not a number.").format(option=name, value=raw))
    return value


@settings.command(
    "duty",
    help=N_(
        "Set a post's duty period (dates dd-mm-yyyy), used for officers without their own. "
        'Write "-" to clear a date.'
    ),
)
@click.argument("post")
@click.argument("start")
@click.argument("end")
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def settings_duty(ctx: click.Context, post: str, start: str, end: str, as_json: bool) -> None:
    from tpsdesk.domain.dates import format_date, parse_date
    from tpsdesk.store.pay_settings import set_duty_period

    def read(raw: str, what: str) -> Any:
        if raw.strip() == "-":
            return None
        value = parse_date(raw)
        if value is None:
            fail(
                _("{what}: {value} is not a date; write dd-mm-yyyy, e.g. 07-11-2024.").format(
                    what=what, value=raw
                )
            )
        return value

    start_date = read(start, "START")
    end_date = read(end, "END")
    with _open_store(ctx) as store:
        catalogue = set_duty_period(store, post, start_date, end_date)
    chosen = catalogue.get(post)
    assert chosen is not None
    if as_json:
        _warn_period_over(chosen.duty_end)
        _echo_json(
            {
                "post": chosen.code,
                "duty_start": chosen.duty_start.isoformat() if chosen.duty_start else None,
                "duty_end": chosen.duty_end.isoformat() if chosen.duty_end else None,
            }
        )
        return
    click.echo(
        _("Duty period of {post}: {start} – {end}").format(
            post=chosen.name,
            start=format_date(chosen.duty_start) if chosen.duty_start else _("not set"),
            end=format_date(chosen.duty_end) if chosen.duty_end else _("not set"),
        )
    )
    _warn_period_over(chosen.duty_end)


def _warn_period_over(end: Any) -> None:
    """The screen's warning (domain.election): kept, but said, when the period is over."""
    from datetime import date

    from tpsdesk.domain.dates import format_date
    from tpsdesk.domain.election import period_over

    today = date.today()
    if period_over(end, today):
        click.echo(
            _(
                "This duty period ended before today ({today}): officers added now would be "
                "counted for a past election."
            ).format(today=format_date(today)),
            err=True,
        )


@settings.command(
    "template",
    help=N_(
        "Show the BPJS column template exports use, keep FILE as the store's template, or "
        "go back to the built-in one with --default."
    ),
)
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@option("--default", "use_default", is_flag=True, help=N_("Use the built-in template again."))
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def settings_template(
    ctx: click.Context, file: Path | None, use_default: bool, as_json: bool
) -> None:
    from tpsdesk.exchange.bpjs_export import (
        load_template,
        save_template_setting,
        source_label,
        store_template,
    )

    if file is not None and use_default:
        fail(_("Give a FILE or --default, not both."))
    template = load_template(file) if file is not None else None  # checked before unlocking
    with _open_store(ctx) as store:
        if template is not None or use_default:
            save_template_setting(store, template)
            if not as_json:
                click.echo(_("BPJS template saved."))
        current = store_template(store)
    if as_json:
        _echo_json(current.to_dict())
        return
    click.echo(
        _("Sheet {sheet}, at most {rows} rows a file ({origin}):").format(
            sheet=current.sheet, rows=current.max_rows, origin=current.origin
        )
    )
    for column in current.columns:
        what = (source_label(column.source) if column.source else f'"{column.constant}"') + (
            " *" if column.required else ""
        )
        click.echo(f"  {column.heading:<24} {what}")
    click.echo(_("* required: an officer with it empty is left out."))


@settings.command(
    "mother-name",
    help=N_(
        "Show whether the officer form asks for the mother's maiden name (NAMA_IBU_KANDUNG), "
        "or set it: on, off, or auto (asked when the BPJS template has the column)."
    ),
)
@click.argument("value", required=False, type=click.Choice(["on", "off", "auto"]))
@_store_option
@click.pass_context
def settings_mother_name(ctx: click.Context, value: str | None) -> None:
    from tpsdesk.exchange.mother_name import (
        mother_name_asked,
        mother_name_choice,
        set_mother_name_asked,
    )

    with _open_store(ctx) as store:
        if value is not None:
            set_mother_name_asked(store, {"on": True, "off": False}.get(value))
        asked = mother_name_asked(store)
        following = mother_name_choice(store) is None
    if asked:
        line = _("The officer form asks for the mother's maiden name.")
    else:
        line = _("The officer form does not ask for the mother's maiden name.")
    if following:
        line += " " + _("(auto: as the BPJS template has the column or not)")
    click.echo(line)


# -- tpsdesk export -----------------------------------------------------------------------


@cli_group(
    "export",
    help=N_(
        "Write the BPJS enrolment sheet, the contribution budget or the completion report. "
        "Exports are the only files tpsdesk writes personal data to in plain text."
    ),
)
def export() -> None:
    pass


def _out_option(func: Any) -> Any:
    return option(
        "--out",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help=N_("The file to write; its extension (.xlsx or .csv) chooses the format."),
    )(func)


def _force_option(func: Any) -> Any:
    return option("--force", is_flag=True, help=N_("Replace files that already exist."))(func)


def _echo_written(files: tuple[Path, ...]) -> None:
    from tpsdesk.exchange.xlsx_writer import written_lines

    for line in written_lines(files):
        click.echo(line)


def _privacy_note() -> None:
    from tpsdesk.exchange.xlsx_writer import privacy_note

    click.echo(privacy_note())


@export.command(
    "bpjs",
    help=N_(
        "The BPJS Ketenagakerjaan collective enrolment sheet (data_tk_baru), at most 10,000 "
        "officers a file (more give F-1, F-2, …). Officers that cannot be enrolled yet are "
        "left out and listed with the reason."
    ),
)
@_out_option
@option(
    "--template",
    "template_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=N_("A BPJS column template (JSON) instead of the store's or the built-in one."),
)
@_force_option
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def export_bpjs_command(
    ctx: click.Context, out: Path, template_file: Path | None, force: bool, as_json: bool
) -> None:
    from tpsdesk.exchange.bpjs_export import bpjs_summary, export_bpjs, load_template
    from tpsdesk.exchange.xlsx_writer import CSV, XLSX, export_failures, output_kind

    output_kind(out, (XLSX, CSV))  # before unlocking: a typo costs no passphrase
    template = load_template(template_file) if template_file is not None else None
    with _open_store(ctx) as store, export_failures(out):
        result = export_bpjs(store, out, template=template, force=force)
    by_kind = result.excluded_by_kind()
    if as_json:
        _echo_json(
            {
                "files": [str(path.resolve()) for path in result.files],
                "data_files": [str(path.resolve()) for path in result.data_files],
                "exported": result.exported,
                "excluded": len(result.excluded),
                "excluded_by_reason": dict(by_kind),
                "missing_mother_name": (
                    None if result.mother_heading is None else len(result.missing_mother)
                ),
            }
        )
        return
    _echo_written(result.files)
    done, left_out = bpjs_summary(result, out)
    for line in done:
        click.echo(line)
    for line in left_out:
        click.echo(line, err=True)
    _privacy_note()


@export.command(
    "budget",
    help=N_(
        "The contribution budget (.xlsx): officers × months × (JKK + JKM) × wage basis, per "
        "kecamatan, kelurahan, post and month, with the settings used."
    ),
)
@_out_option
@_force_option
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def export_budget_command(ctx: click.Context, out: Path, force: bool, as_json: bool) -> None:
    from tpsdesk.exchange.budget_export import budget_summary, export_budget
    from tpsdesk.exchange.xlsx_writer import XLSX, export_failures, output_kind

    output_kind(out, (XLSX,))
    with _open_store(ctx) as store, export_failures(out):
        result = export_budget(store, out, force=force)
    budget = result.budget
    reasons = Counter(item.message for item in budget.not_counted)
    if as_json:
        _echo_json(
            {
                "files": [str(path.resolve()) for path in result.files],
                "officers_counted": budget.officers_counted,
                "officer_months": budget.total.officer_months,
                "total": str(budget.total.amount),
                "not_counted": len(budget.not_counted),
                "not_counted_by_reason": dict(reasons),
            }
        )
        return
    _echo_written(result.files)
    totals, left_out = budget_summary(budget)
    for line in totals:
        click.echo(line)
    for line in left_out:
        click.echo(line, err=True)
    _privacy_note()


@export.command(
    "completion",
    help=N_(
        "Posts filled against posts needed per TPS, kelurahan and kecamatan (.xlsx, or .csv "
        "with F-units.csv beside it)."
    ),
)
@_out_option
@_force_option
@option("--json", "as_json", is_flag=True, help=N_("Print JSON."))
@_store_option
@click.pass_context
def export_completion_command(ctx: click.Context, out: Path, force: bool, as_json: bool) -> None:
    from tpsdesk.exchange.completion_export import completion_summary, export_completion
    from tpsdesk.exchange.xlsx_writer import CSV, XLSX, export_failures, output_kind

    output_kind(out, (XLSX, CSV))
    with _open_store(ctx) as store, export_failures(out):
        result = export_completion(store, out, force=force)
    if as_json:
        _echo_json(
            {
                "files": [str(path.resolve()) for path in result.files],
                "tps": result.tps,
                "tps_complete": result.tps_complete,
                "units": result.units,
                "units_complete": result.units_complete,
            }
        )
        return
    _echo_written(result.files)
    click.echo(completion_summary(result))
