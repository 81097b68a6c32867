"""Who goes on the BPJS enrolment sheet, and why not: the rules, beside those of "filled"
(`domain.completion`). Pure: `exchange.bpjs_export` reads the officers and the template, asks
`exclusion_reasons()` for each officer, and writes the sheet.

An officer is left out while they need fixing, are a draft, are already enrolled, have an open
finding at the district, fail validation, have no duty period (neither theirs nor the post's),
have no wage basis, or leave a column the template requires empty. Every reason found is given,
translated, the first one's kind counting them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from tpsdesk.domain.officer import FIELD_LABELS, OfficerDraft, validate_officer
from tpsdesk.domain.pay import PaySettings
from tpsdesk.domain.posts import PostCatalogue
from tpsdesk.i18n import N_, _

# The values of `store.models.OfficerStatus` these rules look at (the domain imports no store).
STATUS_DRAFT = "draft"
STATUS_NEEDS_FIX = "needs_fix"
STATUS_ENROLLED = "enrolled"


class ExclusionKind:
    """Why an officer is left out (the first reason found), for counting."""

    NEEDS_FIX = "needs_fix"
    DRAFT = "draft"
    ENROLLED = "enrolled"
    FINDING = "finding"
    INVALID = "invalid"
    NO_DUTY_PERIOD = "no_duty_period"
    NO_WAGE = "no_wage"
    REQUIRED_EMPTY = "required_empty"


EXCLUSION_LABELS: Mapping[str, str] = {
    ExclusionKind.NEEDS_FIX: N_("needs fixing"),
    ExclusionKind.DRAFT: N_("still a draft"),
    ExclusionKind.ENROLLED: N_("already enrolled"),
    ExclusionKind.FINDING: N_("open district finding"),
    ExclusionKind.INVALID: N_("fails validation"),
    ExclusionKind.NO_DUTY_PERIOD: N_("no duty period"),
    ExclusionKind.NO_WAGE: N_("no wage basis"),
    ExclusionKind.REQUIRED_EMPTY: N_("required column empty"),
}

FINDING_LABELS: Mapping[str, str] = {
    "duplicate_nik": N_("the same NIK in another officer record"),
    "likely_duplicate": N_("a likely duplicate person"),
    "conflict": N_("conflicting edits"),
    "rejected_row": N_("a rejected row"),
}

Reason = tuple[str, str]  # (ExclusionKind, translated reason)


def post_name(catalogue: PostCatalogue, code: str) -> str:
    post = catalogue.get(code)
    return post.name if post is not None else code


def duty_period(
    catalogue: PostCatalogue, post_code: str, start: date | None, end: date | None
) -> tuple[date | None, date | None]:
    """The officer's own duty period where set, else their post's."""
    post = catalogue.get(post_code)
    return (
        start or (post.duty_start if post else None),
        end or (post.duty_end if post else None),
    )


def exclusion_reasons(
    draft: OfficerDraft,
    *,
    status: str,
    status_reason: str | None,
    bpjs_number: str | None,
    finding: str | None,
    duty: tuple[date | None, date | None],
    empty_required: Sequence[tuple[str, str | None]],
    settings: PaySettings,
    catalogue: PostCatalogue,
    today: date,
) -> list[Reason]:
    """(kind, translated reason) of everything that keeps this officer off the BPJS sheet;
    [] when they go on it.

    `finding`: the kind of an open district finding about the officer, or None. `duty`: their
    period as `duty_period()` gives it. `empty_required`: (heading, source) of every column the
    template requires that is empty for this officer.
    """
    reasons: list[Reason] = []
    if status == STATUS_NEEDS_FIX:
        reason = (status_reason or "").strip()
        reasons.append(
            (
                ExclusionKind.NEEDS_FIX,
                _("Needs fixing: {reason}").format(reason=reason) if reason else _("Needs fixing"),
            )
        )
    elif status == STATUS_DRAFT:
        reasons.append((ExclusionKind.DRAFT, _("Still a draft: not marked ready")))
    if status == STATUS_ENROLLED or bpjs_number:
        reasons.append((ExclusionKind.ENROLLED, _("Already enrolled with BPJS Ketenagakerjaan")))
    if finding is not None:
        label = FINDING_LABELS.get(finding)
        reasons.append(
            (
                ExclusionKind.FINDING,
                _("An open finding at the district office: {kind}").format(
                    kind=_(label) if label else finding
                ),
            )
        )
    result = validate_officer(draft, catalogue=catalogue, today=today)
    for problem in result.errors:
        field_label = FIELD_LABELS.get(problem.field)
        where = _(field_label) if field_label else problem.field
        reasons.append((ExclusionKind.INVALID, f"{where}: {problem.message}"))
    start, end = duty
    if start is None or end is None:
        reasons.append(
            (
                ExclusionKind.NO_DUTY_PERIOD,
                _("No duty period: neither the officer's nor the post's"),
            )
        )
    for heading, source in empty_required:
        if source == "wage":
            problem_text = settings.wage_problem(
                draft.post_code, post_name(catalogue, draft.post_code)
            )
            reasons.append((ExclusionKind.NO_WAGE, problem_text or ""))
        elif source in ("duty_start", "duty_end") and (start is None or end is None):
            continue  # already said: no duty period
        else:
            reasons.append(
                (
                    ExclusionKind.REQUIRED_EMPTY,
                    _("The required column {heading} is empty").format(heading=heading),
                )
            )
    return reasons
