"""The contribution budget: JKK + JKM per kecamatan, kelurahan, post and calendar month.

An officer counts in every calendar month their duty period touches: BPJS Ketenagakerjaan
bills contributions by the month, so a month in which someone is on duty for one day costs a
whole month (KPPS on duty 7 November – 8 December count in November and December). The amount
of a line is officers × the rounded contribution of one officer for one month
(`PaySettings.contribution_per_month`). Pure: the records come from the caller.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from tpsdesk.domain.pay import PaySettings
from tpsdesk.domain.posts import PostCatalogue
from tpsdesk.i18n import _

K = TypeVar("K")


@dataclass(frozen=True)
class BudgetOfficer:
    """What the budget needs of one officer. `kelurahan` is "" for posts of a kecamatan;
    `duty_start`/`duty_end` are the officer's own (None: the post's default applies).
    `ref` is how a "not counted" line names the officer (the caller chooses: an id, a name)."""

    kecamatan: str
    kelurahan: str
    post: str
    duty_start: date | None
    duty_end: date | None
    ref: str = ""


class NotCountedReason(StrEnum):
    NO_DUTY_START = "no_duty_start"
    NO_DUTY_END = "no_duty_end"
    END_BEFORE_START = "end_before_start"
    NO_WAGE = "no_wage"


@dataclass(frozen=True)
class NotCounted:
    officer: BudgetOfficer
    reason: NotCountedReason
    message: str  # translated


@dataclass(frozen=True)
class BudgetLine:
    kecamatan: str
    kelurahan: str
    post: str
    month: date  # the first day of the calendar month
    officers: int
    wage: Decimal
    per_officer: Decimal  # one officer, one month, rounded
    amount: Decimal  # officers × per_officer


@dataclass(frozen=True)
class Total:
    officer_months: int
    amount: Decimal


@dataclass(frozen=True)
class Budget:
    settings: PaySettings
    lines: tuple[BudgetLine, ...]  # by kecamatan, kelurahan, post (catalogue order), month
    by_kecamatan: dict[str, Total]
    by_kelurahan: dict[tuple[str, str], Total]  # (kecamatan, kelurahan)
    by_post: dict[str, Total]
    by_month: dict[date, Total]
    total: Total
    officers_counted: int
    not_counted: tuple[NotCounted, ...]


def months_touched(start: date, end: date) -> list[date]:
    """The first day of every calendar month from `start`'s to `end`'s, both included."""
    months = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def duty_period(
    officer: BudgetOfficer, catalogue: PostCatalogue
) -> tuple[date | None, date | None]:
    """The officer's own period, each end falling back to the post's default."""
    post = catalogue.get(officer.post)
    start = officer.duty_start or (post.duty_start if post else None)
    end = officer.duty_end or (post.duty_end if post else None)
    return start, end


def compute_budget(
    officers: Iterable[BudgetOfficer],
    settings: PaySettings,
    catalogue: PostCatalogue,
    *,
    progress: Callable[[int, int], None] | None = None,
    expected: int = 0,
) -> Budget:
    """Aggregate `officers` into budget lines and totals; officers that cannot be counted
    (no duty period, no wage) are listed in `not_counted` with the reason.

    `progress(done, expected)` is called every 1,000 officers when given.
    """
    counts: dict[tuple[str, str, str, date], int] = defaultdict(int)
    not_counted: list[NotCounted] = []
    counted = 0
    per_month_cache: dict[str, Decimal | None] = {}
    done = 0
    for officer in officers:
        done += 1
        if progress is not None and done % 1000 == 0:
            progress(done, max(expected, done))
        problem = _problem(officer, settings, catalogue, per_month_cache)
        if problem is not None:
            not_counted.append(problem)
            continue
        start, end = duty_period(officer, catalogue)
        assert start is not None and end is not None
        counted += 1
        for month in months_touched(start, end):
            counts[(officer.kecamatan, officer.kelurahan, officer.post, month)] += 1
    if progress is not None:
        progress(done, max(expected, done))

    order = {post.code: index for index, post in enumerate(catalogue.posts)}
    lines = []
    for (kecamatan, kelurahan, post, month), n in sorted(
        counts.items(), key=lambda item: (*item[0][:2], order.get(item[0][2], 999), *item[0][2:])
    ):
        wage = settings.wage_for(post)
        per_officer = per_month_cache[post]
        assert wage is not None and per_officer is not None
        lines.append(
            BudgetLine(kecamatan, kelurahan, post, month, n, wage, per_officer, n * per_officer)
        )
    return Budget(
        settings=settings,
        lines=tuple(lines),
        by_kecamatan=_totals(lines, lambda line: line.kecamatan),
        by_kelurahan=_totals(lines, lambda line: (line.kecamatan, line.kelurahan)),
        by_post=_totals(lines, lambda line: line.post),
        by_month=dict(sorted(_totals(lines, lambda line: line.month).items())),
        total=Total(sum(line.officers for line in lines), sum(_amounts(lines), Decimal(0))),
        officers_counted=counted,
        not_counted=tuple(not_counted),
    )


def _amounts(lines: Iterable[BudgetLine]) -> Iterator[Decimal]:
    return (line.amount for line in lines)


def _totals(lines: list[BudgetLine], key: Callable[[BudgetLine], K]) -> dict[K, Total]:
    months: dict[K, int] = defaultdict(int)
    amounts: dict[K, Decimal] = defaultdict(Decimal)
    for line in lines:
        months[key(line)] += line.officers
        amounts[key(line)] += line.amount
    return {k: Total(months[k], amounts[k]) for k in months}


def _problem(
    officer: BudgetOfficer,
    settings: PaySettings,
    catalogue: PostCatalogue,
    per_month_cache: dict[str, Decimal | None],
) -> NotCounted | None:
    start, end = duty_period(officer, catalogue)
    if start is None:
        return NotCounted(
            officer,
            NotCountedReason.NO_DUTY_START,
            _("No duty start: neither the officer's nor the post's"),
        )
    if end is None:
        return NotCounted(
            officer,
            NotCountedReason.NO_DUTY_END,
            _("No duty end: neither the officer's nor the post's"),
        )
    if end < start:
        return NotCounted(
            officer, NotCountedReason.END_BEFORE_START, _("The duty ends before it starts")
        )
    if officer.post not in per_month_cache:
        per_month_cache[officer.post] = settings.contribution_per_month(officer.post)
    if per_month_cache[officer.post] is None:
        post = catalogue.get(officer.post)
        message = settings.wage_problem(officer.post, post.name if post else None) or ""
        return NotCounted(officer, NotCountedReason.NO_WAGE, message)
    return None
