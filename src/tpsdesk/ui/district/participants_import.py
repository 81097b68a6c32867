"""Preview of a BPJS participant number (KPJ) file before it is recorded: how many officers
it would enrol, replace or leave unchanged, and every row that cannot be used with why."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from tpsdesk.exchange.participant_numbers import ParticipantPlan
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.terminal import printable
from tpsdesk.ui.screens.base import BaseModal

MAX_PROBLEMS_SHOWN = 200


def plan_summary(plan: ParticipantPlan, rows: int) -> str:
    return _(
        "{file}: {rows} rows — {record} to record (of which {replaced} replace an "
        "earlier number), {unchanged} unchanged, {bad} cannot be used."
    ).format(
        file=printable(plan.path.name),
        rows=rows,
        record=len(plan.to_record),
        replaced=plan.replaced,
        unchanged=plan.unchanged,
        bad=len({p.row for p in plan.problems}),
    )


class ParticipantsPreview(BaseModal[bool]):
    """Dismissed with True to record the plan, False to leave the store as it is."""

    BINDINGS = [
        Binding("f2", "record", N_("Record"), id="participants.record"),
        Binding("escape", "cancel", N_("Cancel"), id="participants.cancel"),
    ]

    DEFAULT_CSS = """
    ParticipantsPreview {
        align: center middle;
    }
    ParticipantsPreview #problems {
        height: auto;
        max-height: 10;
    }
    """

    def __init__(self, plan: ParticipantPlan, rows: int) -> None:
        super().__init__()
        self.plan = plan
        self.rows = rows

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(classes="dialog wide"):
            yield Static(_("KPJ numbers from BPJS"), classes="title")
            yield Static(Text(plan_summary(plan, self.rows)), id="plan-summary")
            with VerticalScroll(id="problems"):
                for problem in plan.problems[:MAX_PROBLEMS_SHOWN]:
                    yield Static(Text("• " + printable(problem.describe())), classes="error")
                if len(plan.problems) > MAX_PROBLEMS_SHOWN:
                    yield Static(
                        _("… and {n} more.").format(n=len(plan.problems) - MAX_PROBLEMS_SHOWN)
                    )
            if plan.to_record:
                hint = ngettext(
                    "F2 records {n} number (the officer becomes enrolled; the next receipt "
                    "tells the laptop). Esc: record nothing.",
                    "F2 records {n} numbers (the officers become enrolled; the next receipts "
                    "tell their laptops). Esc: record nothing.",
                    len(plan.to_record),
                ).format(n=len(plan.to_record))
            else:
                hint = _("Nothing to record from this file. Esc closes.")
            yield Static(hint, classes="hint", id="plan-hint")

    def on_mount(self) -> None:
        self.query_one("#problems").focus()

    def action_record(self) -> None:
        if self.plan.to_record:
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
