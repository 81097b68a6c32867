"""Who goes on the BPJS sheet and why not (domain.eligibility): pure rules, no store."""

from __future__ import annotations

from datetime import date
from typing import Any

from tpsdesk.domain.eligibility import (
    EXCLUSION_LABELS,
    STATUS_DRAFT,
    STATUS_ENROLLED,
    STATUS_NEEDS_FIX,
    ExclusionKind,
    duty_period,
    exclusion_reasons,
    post_name,
)
from tpsdesk.domain.officer import OfficerDraft
from tpsdesk.domain.pay import PaySettings, WageBasis
from tpsdesk.domain.posts import DEFAULT_CATALOGUE

TODAY = date(2024, 10, 1)
PERIOD = (date(2024, 11, 7), date(2024, 12, 8))


def draft(**changes: Any) -> OfficerDraft:
    values: dict[str, Any] = {
        "nik": "3573051403850001",
        "name": "BUDI SANTOSO",
        "birth_place": "MALANG",
        "birth_date": "14-03-1985",
        "sex": "L",
        "address": "Jl. Mawar 1",
        "post_code": "kpps_anggota",
    }
    return OfficerDraft(**{**values, **changes})


def reasons(**changes: Any) -> list[tuple[str, str]]:
    arguments: dict[str, Any] = {
        "status": "ready",
        "status_reason": None,
        "bpjs_number": None,
        "finding": None,
        "duty": PERIOD,
        "empty_required": [],
        "settings": PaySettings(),
        "catalogue": DEFAULT_CATALOGUE,
        "today": TODAY,
    }
    officer = changes.pop("draft", draft())
    return exclusion_reasons(officer, **{**arguments, **changes})


def test_a_ready_valid_officer_with_a_period_goes_on_the_sheet() -> None:
    assert reasons() == []


def test_each_status_that_keeps_an_officer_out() -> None:
    assert reasons(status=STATUS_NEEDS_FIX, status_reason=" NIK salah ") == [
        (ExclusionKind.NEEDS_FIX, "Needs fixing: NIK salah")
    ]
    assert reasons(status=STATUS_NEEDS_FIX) == [(ExclusionKind.NEEDS_FIX, "Needs fixing")]
    assert reasons(status=STATUS_DRAFT) == [
        (ExclusionKind.DRAFT, "Still a draft: not marked ready")
    ]
    enrolled = [(ExclusionKind.ENROLLED, "Already enrolled with BPJS Ketenagakerjaan")]
    assert reasons(status=STATUS_ENROLLED) == enrolled
    assert reasons(bpjs_number="12345678901") == enrolled  # a KPJ number is enrolment too


def test_statuses_are_those_of_the_store() -> None:
    from tpsdesk.store.models import OfficerStatus

    assert {STATUS_DRAFT, STATUS_NEEDS_FIX, STATUS_ENROLLED} <= {s.value for s in OfficerStatus}


def test_an_open_finding_is_named() -> None:
    assert reasons(finding="duplicate_nik") == [
        (
            ExclusionKind.FINDING,
            "An open finding at the district office: the same NIK in another officer record",
        )
    ]
    assert reasons(finding="something_new") == [
        (ExclusionKind.FINDING, "An open finding at the district office: something_new")
    ]


def test_validation_errors_name_the_field() -> None:
    found = reasons(draft=draft(birth_date="31-02-1985"))
    assert found and all(kind == ExclusionKind.INVALID for kind, _text in found)
    assert any(text.startswith("Date of birth: ") for _kind, text in found)


def test_no_duty_period_is_said_once_even_when_the_template_requires_the_dates() -> None:
    found = reasons(
        duty=(PERIOD[0], None),
        empty_required=[("TGL_AKHIR", "duty_end"), ("TGL_MULAI", "duty_start")],
    )
    assert found == [
        (ExclusionKind.NO_DUTY_PERIOD, "No duty period: neither the officer's nor the post's")
    ]


def test_required_columns_empty_and_the_wage() -> None:
    no_wage = PaySettings(basis=WageBasis.UMK, amount=None)
    found = reasons(
        settings=no_wage,
        empty_required=[("UPAH", "wage"), ("NO_HP", "phone")],
    )
    assert [kind for kind, _text in found] == [
        ExclusionKind.NO_WAGE,
        ExclusionKind.REQUIRED_EMPTY,
    ]
    assert found[0][1].startswith("The wage basis amount (")
    assert found[1][1] == "The required column NO_HP is empty"
    honorarium = PaySettings(honoraria={})
    [(kind, text)] = reasons(settings=honorarium, empty_required=[("UPAH", "wage")])
    assert (kind, text) == (ExclusionKind.NO_WAGE, "No honorarium is set for the post Anggota KPPS")


def test_every_reason_is_given_the_first_one_first() -> None:
    found = reasons(status=STATUS_DRAFT, bpjs_number="1", finding="conflict", duty=(None, None))
    assert [kind for kind, _text in found] == [
        ExclusionKind.DRAFT,
        ExclusionKind.ENROLLED,
        ExclusionKind.FINDING,
        ExclusionKind.NO_DUTY_PERIOD,
    ]
    assert set(EXCLUSION_LABELS) >= {kind for kind, _text in found}


def test_duty_period_takes_the_officers_own_dates_first() -> None:
    post = DEFAULT_CATALOGUE.get("linmas")
    assert post is not None
    assert duty_period(DEFAULT_CATALOGUE, "linmas", None, None) == (post.duty_start, post.duty_end)
    own = date(2024, 11, 20)
    assert duty_period(DEFAULT_CATALOGUE, "linmas", own, None) == (own, post.duty_end)
    assert duty_period(DEFAULT_CATALOGUE, "gone", None, own) == (None, own)
    assert post_name(DEFAULT_CATALOGUE, "linmas") == "Linmas"
    assert post_name(DEFAULT_CATALOGUE, "gone") == "gone"
