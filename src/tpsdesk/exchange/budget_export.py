"""The contribution budget workbook: JKK + JKM per kecamatan, kelurahan, post and month.

Money is written as real numbers with a rupiah format (finance sums them); the settings used
and the officers not counted are sheets of the same workbook. The arithmetic is
`domain.budget.compute_budget`; this module reads the store and writes the file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlmodel import col

from tpsdesk.domain.budget import Budget, BudgetOfficer, Total, compute_budget
from tpsdesk.domain.pay import PaySettings, format_rupiah
from tpsdesk.domain.posts import PostCatalogue
from tpsdesk.exchange.xlsx_writer import (
    XLSX,
    AtomicFiles,
    ExportError,
    Progress,
    new_workbook,
    output_kind,
    refuse_existing,
    rupiah_format,
    save_workbook,
    settings_lines,
)
from tpsdesk.i18n import _, ngettext
from tpsdesk.store.db import Store
from tpsdesk.store.models import Kecamatan, Kelurahan, Officer, Tps
from tpsdesk.store.pay_settings import load_pay_settings


@dataclass(frozen=True)
class BudgetExportResult:
    files: tuple[Path, ...]
    budget: Budget


@dataclass(frozen=True)
class _Names:
    kecamatan: dict[str, str]
    kelurahan: dict[str, str]
    catalogue: PostCatalogue
    # A province store's kab/kota names (the setup files it issued); {} elsewhere.
    kabkota: dict[str, str] = field(default_factory=dict)

    def post(self, code: str) -> str:
        post = self.catalogue.get(code)
        return post.name if post is not None else code


def budget_officers(store: Store) -> Iterator[BudgetOfficer]:
    """Every live officer as the budget sees it (streamed). `ref` is the name and place, for
    the "not counted" sheet."""
    kelurahan_code = func.coalesce(col(Officer.kelurahan_code), col(Tps.kelurahan_code))
    query = (
        sa_select(
            col(Officer.kecamatan_code),
            kelurahan_code,
            col(Officer.post_code),
            col(Officer.duty_start),
            col(Officer.duty_end),
            col(Officer.name),
            col(Tps.number),
        )
        .select_from(Officer)
        .outerjoin(Tps, col(Tps.id) == col(Officer.tps_id))
        .where(col(Officer.deleted).is_(False))
    )
    with store.read() as session:
        for kecamatan, kelurahan, post, start, end, name, number in session.connection().execute(
            query
        ):
            ref = name if number is None else f"{name} (TPS {number:03d})"
            yield BudgetOfficer(kecamatan, kelurahan or "", post, start, end, ref)


def _names(store: Store) -> _Names:
    with store.read() as session:
        kecamatan = session.execute(sa_select(col(Kecamatan.code), col(Kecamatan.name)))
        kecamatan_names = {str(code): str(name) for code, name in kecamatan}
        kelurahan = session.execute(sa_select(col(Kelurahan.code), col(Kelurahan.name)))
        kelurahan_names = {str(code): str(name) for code, name in kelurahan}
    from tpsdesk.sync.province import kabkota_names

    return _Names(kecamatan_names, kelurahan_names, store.catalogue, kabkota_names(store))


def by_kabkota(by_kecamatan: dict[str, Total]) -> dict[str, Total]:
    """Totals per kab/kota (the "PP.KK" start of the kecamatan codes)."""
    out: dict[str, Total] = {}
    for code, total in by_kecamatan.items():
        key = code[:5]
        before = out.get(key, Total(0, Decimal(0)))
        out[key] = Total(before.officer_months + total.officer_months, before.amount + total.amount)
    return out


def export_budget(
    store: Store,
    out: Path,
    *,
    settings: PaySettings | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> BudgetExportResult:
    """Compute the budget of every live officer and write it to `out` (.xlsx).

    Officers without a duty period or a wage basis are not counted: they are listed in the
    "Not counted" sheet and in `result.budget.not_counted`. Raises ExportError when there are
    no officers or the file cannot be written.
    """
    output_kind(out, (XLSX,))
    refuse_existing([out], force)
    settings = settings or load_pay_settings(store)
    catalogue = store.catalogue
    with store.read() as session:
        expected = (
            session.connection()
            .execute(text("SELECT count(*) FROM officer WHERE NOT deleted"))
            .scalar_one()
        )
    if expected == 0:
        raise ExportError(_("There are no officers to export."))
    budget = compute_budget(
        budget_officers(store), settings, catalogue, progress=progress, expected=expected
    )
    names = _names(store)
    with AtomicFiles(force=force) as files:
        _write(files.new(out), budget, names, files)
    return BudgetExportResult(files=tuple(files.written), budget=budget)


def budget_summary(budget: Budget) -> tuple[list[str], list[str]]:
    """What to tell the person after a budget export, translated: the totals, and (second
    list) the officers not counted, by reason, and where they are listed."""
    totals = [
        _("{n} officers, {months} officer-months: {amount}.").format(
            n=budget.officers_counted,
            months=budget.total.officer_months,
            amount=format_rupiah(budget.total.amount),
        )
    ]
    left_out: list[str] = []
    if budget.not_counted:
        left_out.append(
            ngettext(
                "{n} officer is not counted:",
                "{n} officers are not counted:",
                len(budget.not_counted),
            ).format(n=len(budget.not_counted))
        )
        reasons = Counter(item.message for item in budget.not_counted)
        left_out += [f"  {count:>6}  {message}" for message, count in reasons.most_common()]
        left_out.append(_("They are listed in the sheet “{sheet}”.").format(sheet=_("Not counted")))
    return totals, left_out


def month_label(month: date) -> str:
    """2024-11: sorts as text, reads the same in both languages."""
    return f"{month.year:04d}-{month.month:02d}"


def _money(amount: Decimal) -> str:
    return rupiah_format(amount)


def _write(path: Path, budget: Budget, names: _Names, files: AtomicFiles) -> None:
    workbook = new_workbook()
    lines = files.sheet(workbook, _("Contributions"), path)
    lines.widths([12, 20, 16, 20, 22, 10, 10, 16, 16, 18])
    lines.heading(
        [
            _("Kecamatan code"),
            _("Kecamatan"),
            _("Kelurahan code"),
            _("Kelurahan"),
            _("Post"),
            _("Month"),
            _("Officers"),
            _("Wage basis"),
            _("Per officer per month"),
            _("Amount"),
        ]
    )
    for line in budget.lines:
        lines.row(
            [
                line.kecamatan,
                names.kecamatan.get(line.kecamatan, ""),
                line.kelurahan,
                names.kelurahan.get(line.kelurahan, ""),
                names.post(line.post),
                month_label(line.month),
                line.officers,
                line.wage,
                line.per_officer,
                line.amount,
            ],
            [None, None, None, None, None, None, "0", _money(line.wage),
             _money(line.per_officer), _money(line.amount)],
        )  # fmt: skip
    lines.row(
        [_("Total"), "", "", "", "", "", budget.total.officer_months, "", "",
         budget.total.amount],
        [None, None, None, None, None, None, "0", None, None, _money(budget.total.amount)],
    )  # fmt: skip

    def totals_sheet(title: str, heading: list[str], rows: list[tuple[list[str], Total]]) -> None:
        sheet = files.sheet(workbook, title, path)
        sheet.widths([*([20] * len(heading)), 14, 18])
        sheet.heading([*heading, _("Officer-months"), _("Amount")])
        pad = [None] * len(heading)
        for labels, total in rows:
            sheet.row(
                [*labels, total.officer_months, total.amount],
                [*pad, "0", _money(total.amount)],
            )
        sheet.row(
            [_("Total"), *[""] * (len(heading) - 1), budget.total.officer_months,
             budget.total.amount],
            [*pad, "0", _money(budget.total.amount)],
        )  # fmt: skip

    kabkota = by_kabkota(budget.by_kecamatan)
    if names.kabkota or len(kabkota) > 1:  # a province: its districts first
        totals_sheet(
            _("Per kab-kota"),
            [_("Kab/kota code"), _("Kab/kota")],
            [([code, names.kabkota.get(code, "")], t) for code, t in sorted(kabkota.items())],
        )
    totals_sheet(
        _("Per kecamatan"),
        [_("Kecamatan code"), _("Kecamatan")],
        [
            ([code, names.kecamatan.get(code, "")], t)
            for code, t in sorted(budget.by_kecamatan.items())
        ],
    )
    totals_sheet(
        _("Per kelurahan"),
        [_("Kecamatan code"), _("Kelurahan code"), _("Kelurahan")],
        [
            ([kec, kel, names.kelurahan.get(kel, "") if kel else _("(kecamatan posts)")], t)
            for (kec, kel), t in sorted(budget.by_kelurahan.items())
        ],
    )
    order = {post.code: index for index, post in enumerate(names.catalogue.posts)}
    totals_sheet(
        _("Per post"),
        [_("Post code"), _("Post")],
        [
            ([code, names.post(code)], t)
            for code, t in sorted(budget.by_post.items(), key=lambda i: order.get(i[0], 999))
        ],
    )
    totals_sheet(
        _("Per month"),
        [_("Month")],
        [([month_label(month)], t) for month, t in budget.by_month.items()],
    )

    used = files.sheet(workbook, _("Settings"), path)
    used.widths([34, 60])
    used.heading([_("Setting"), _("Value")])
    now = datetime.now(UTC).astimezone()
    used.text_row([_("Written"), now.strftime("%d-%m-%Y %H:%M %z")])
    used.text_row(
        [
            _("Formula"),
            _(
                "officers × months touched by the duty period × (JKK + JKM) × wage basis, "
                "rounded per officer-month"
            ),
        ]
    )
    used.text_row([_("Officers counted"), str(budget.officers_counted)])
    used.text_row([_("Officers not counted"), str(len(budget.not_counted))])
    for label, value in settings_lines(budget.settings, names.catalogue):
        used.text_row([label, value])

    missing = files.sheet(workbook, _("Not counted"), path)
    missing.widths([20, 20, 22, 36, 60])
    missing.heading([_("Kecamatan"), _("Kelurahan"), _("Post"), _("Officer"), _("Why")])
    for item in budget.not_counted:
        officer = item.officer
        missing.text_row(
            [
                names.kecamatan.get(officer.kecamatan, officer.kecamatan),
                names.kelurahan.get(officer.kelurahan, officer.kelurahan),
                names.post(officer.post),
                officer.ref,
                item.message,
            ]
        )
    save_workbook(workbook, path)
