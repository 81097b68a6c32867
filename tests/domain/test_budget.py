"""The contribution budget, checked against an arithmetic written out here."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import pytest

from tpsdesk.domain.budget import (
    BudgetOfficer,
    NotCountedReason,
    compute_budget,
    months_touched,
)
from tpsdesk.domain.pay import PaySettings, Rounding, WageBasis
from tpsdesk.domain.posts import DEFAULT_CATALOGUE

KEC_A, KEC_B = "35.73.05", "35.73.01"
KEL_A, KEL_B = "35.73.05.1001", "35.73.01.1002"


def officer(
    post: str,
    start: date | None = None,
    end: date | None = None,
    kec: str = KEC_A,
    kel: str = KEL_A,
) -> BudgetOfficer:
    return BudgetOfficer(kec, kel, post, start, end, ref=f"{post}@{kel}")


def months_between(start: date, end: date) -> int:
    return (end.year * 12 + end.month) - (start.year * 12 + start.month) + 1


def test_months_touched_counts_started_months() -> None:
    # KPPS: 7 November – 8 December: two months, although barely a month of duty.
    assert months_touched(date(2024, 11, 7), date(2024, 12, 8)) == [
        date(2024, 11, 1),
        date(2024, 12, 1),
    ]
    assert months_touched(date(2024, 11, 30), date(2024, 11, 30)) == [date(2024, 11, 1)]
    assert len(months_touched(date(2024, 5, 25), date(2025, 1, 24))) == 9
    assert months_touched(date(2024, 12, 31), date(2025, 1, 1)) == [
        date(2024, 12, 1),
        date(2025, 1, 1),
    ]


def test_totals_match_an_independent_computation() -> None:
    settings = PaySettings()  # honorarium basis, 0.54 %, whole rupiah
    officers = [
        officer("kpps_ketua"),  # post default 07-11-2024 – 08-12-2024: 2 months
        officer("kpps_anggota"),
        officer("kpps_anggota", kec=KEC_B, kel=KEL_B),
        officer("linmas", date(2024, 11, 20), date(2024, 11, 28)),  # 1 month
        officer("pps_ketua", kel=KEL_B, kec=KEC_B),  # 25-05-2024 – 24-01-2025: 9 months
        officer("ppk_ketua", date(2024, 5, 16), date(2024, 7, 1), kel=""),  # 3 months
    ]
    honoraria = {
        "kpps_ketua": 900_000,
        "kpps_anggota": 850_000,
        "linmas": 650_000,
        "pps_ketua": 1_500_000,
        "ppk_ketua": 2_500_000,
    }
    defaults = {
        "kpps_ketua": (date(2024, 11, 7), date(2024, 12, 8)),
        "kpps_anggota": (date(2024, 11, 7), date(2024, 12, 8)),
        "pps_ketua": (date(2024, 5, 25), date(2025, 1, 24)),
    }
    expected_total = Decimal(0)
    expected_months = 0
    by_kec: dict[str, Decimal] = defaultdict(Decimal)
    for o in officers:
        start, end = (o.duty_start, o.duty_end) if o.duty_start else defaults[o.post]
        assert start is not None and end is not None
        monthly = (Decimal(honoraria[o.post]) * Decimal("0.0054")).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        n = months_between(start, end)
        expected_total += monthly * n
        expected_months += n
        by_kec[o.kecamatan] += monthly * n

    budget = compute_budget(officers, settings, DEFAULT_CATALOGUE)
    assert budget.total.amount == expected_total
    assert budget.total.officer_months == expected_months
    assert budget.officers_counted == len(officers)
    assert {k: t.amount for k, t in budget.by_kecamatan.items()} == dict(by_kec)
    # Every breakdown adds up to the overall total.
    for totals in (budget.by_kecamatan, budget.by_kelurahan, budget.by_post, budget.by_month):
        assert sum(t.amount for t in totals.values()) == expected_total
        assert sum(t.officer_months for t in totals.values()) == expected_months
    assert sum(line.amount for line in budget.lines) == expected_total
    # 2 KPPS in KEC_A + 1 in KEC_B in November and December, Linmas in November only.
    november = budget.by_month[date(2024, 11, 1)]
    assert november.officer_months == 3 + 1 + 1  # KPPS ×3, Linmas, PPS chair
    assert budget.by_post["ppk_ketua"].amount == Decimal(13_500) * 3
    assert budget.by_kelurahan[(KEC_A, "")].officer_months == 3  # the kecamatan post


def test_lines_group_officers_of_the_same_post_and_month() -> None:
    budget = compute_budget([officer("kpps_anggota")] * 4, PaySettings(), DEFAULT_CATALOGUE)
    assert [(line.month, line.officers) for line in budget.lines] == [
        (date(2024, 11, 1), 4),
        (date(2024, 12, 1), 4),
    ]
    line = budget.lines[0]
    assert line.per_officer == Decimal(4590)  # 0.54 % of 850,000
    assert line.amount == 4 * Decimal(4590)
    assert line.wage == Decimal(850_000)


@pytest.mark.parametrize("rounding", list(Rounding))
def test_rounding_is_per_officer_month(rounding: Rounding) -> None:
    amount = Decimal("2165244.30")
    settings = PaySettings(basis=WageBasis.UMP, amount=amount, rounding=rounding)
    exact = amount * Decimal("0.54") / 100  # 11,692.31922
    step = {Rounding.RUPIAH: None, Rounding.UP_100: 100, Rounding.UP_1000: 1000}[rounding]
    if step is None:
        monthly = exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    else:
        monthly = (exact / step).to_integral_value(rounding=ROUND_CEILING) * step
    officers = [officer("kpps_ketua"), officer("ptps"), officer("linmas")]
    budget = compute_budget(officers, settings, DEFAULT_CATALOGUE)
    # Every post has the same wage on UMP; KPPS/Linmas 2 months, PTPS 04-11 – 04-12: 2 months.
    assert budget.total.amount == monthly * 6
    assert budget.total.officer_months == 6


def test_missing_duty_period_is_listed_not_counted() -> None:
    officers = [
        officer("panwascam", kel=""),  # no default period in the catalogue
        officer("panwascam", date(2024, 6, 1), None, kel=""),  # start only
        officer("kpps_ketua", date(2024, 12, 10), date(2024, 12, 1)),  # ends before it starts
        officer("kpps_ketua"),
    ]
    settings = PaySettings().with_honorarium("panwascam", Decimal(2_000_000))
    budget = compute_budget(officers, settings, DEFAULT_CATALOGUE)
    assert [item.reason for item in budget.not_counted] == [
        NotCountedReason.NO_DUTY_START,
        NotCountedReason.NO_DUTY_END,
        NotCountedReason.END_BEFORE_START,
    ]
    assert budget.not_counted[0].officer.ref == "panwascam@"
    assert "No duty start" in budget.not_counted[0].message
    assert budget.officers_counted == 1
    assert budget.total.amount == Decimal(4860) * 2


def test_own_duty_period_overrides_the_posts() -> None:
    mine = officer("kpps_ketua", date(2024, 10, 1), date(2024, 12, 31))
    budget = compute_budget([mine], PaySettings(), DEFAULT_CATALOGUE)
    assert budget.total.officer_months == 3


def test_post_without_honorarium_is_not_counted_with_the_reason() -> None:
    budget = compute_budget(
        [officer("ptps"), officer("kpps_ketua")], PaySettings(), DEFAULT_CATALOGUE
    )
    assert len(budget.not_counted) == 1
    item = budget.not_counted[0]
    assert item.reason is NotCountedReason.NO_WAGE
    assert item.message == "No honorarium is set for the post PTPS"
    assert budget.by_post.keys() == {"kpps_ketua"}


def test_nothing_to_count_gives_zero_totals_and_progress_is_reported() -> None:
    calls: list[tuple[int, int]] = []
    counted = compute_budget(
        [officer("kpps_ketua")] * 2500,
        PaySettings(),
        DEFAULT_CATALOGUE,
        progress=lambda done, total: calls.append((done, total)),
        expected=2500,
    )
    assert calls == [(1000, 2500), (2000, 2500), (2500, 2500)]
    assert counted.officers_counted == 2500
    empty = compute_budget([], PaySettings(), DEFAULT_CATALOGUE)
    assert empty.total.amount == 0 and empty.lines == () and empty.not_counted == ()
