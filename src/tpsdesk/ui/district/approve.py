"""Approving a waiting laptop: the clerk phones its operator, who reads the laptop's fingerprint
out group by group; each group typed is marked right or wrong as soon as it is complete, and
approval is possible only when all of it matches (`FingerprintEntry`, shared with the laptop's
enrolment)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.sync.fingerprint import GROUPS, GroupMark
from tpsdesk.sync.laptops_view import AreaName, LaptopRow
from tpsdesk.terminal import printable
from tpsdesk.ui.screens.base import BaseModal
from tpsdesk.ui.widgets.fingerprint_entry import FingerprintEntry

MAX_LABEL = 60


def shown(text: str) -> str:
    """Untrusted text (a label from a bundle) as markup-safe, control-free text."""
    return escape(printable(text))


def area_text(area: AreaName) -> str:
    """ "35.73.05.1001 Tunggulwulung" (the name from the district's own area tables)."""
    if not area.code:
        return _("not known")
    return f"{shown(area.code)} {shown(area.name)}".rstrip()


def laptop_name(row: LaptopRow, area: AreaName | None = None) -> str:
    """The operator's name when known and the laptop's area (issued, else claimed; or
    `area`), markup-safe: "Bu Sri — 35.73.05.1001 Tunggulwulung"."""
    place = area_text(area or (row.area if row.area.code else row.claimed))
    return f"{shown(row.operator)} — {place}" if row.operator else place


def operator_text(row: LaptopRow) -> str:
    return shown(row.operator) if row.operator else _("operator's name not recorded")


@dataclass(frozen=True)
class ApprovalChoice:
    area: str | None  # one of the issued areas, when the laptop's was unknown
    label: str | None  # the operator's name as the clerk typed it (None: unchanged)


class ApproveDialog(BaseModal[ApprovalChoice | None]):
    DEFAULT_CSS = """
    ApproveDialog {
        align: center middle;
    }
    ApproveDialog #fingerprint {
        margin-top: 1;
    }
    ApproveDialog #check {
        height: auto;
    }
    """

    BINDINGS = [
        Binding("f2", "approve", N_("Approve"), id="approve.approve"),
        Binding("escape", "cancel", N_("Cancel"), id="approve.cancel"),
    ]

    def __init__(self, row: LaptopRow, issued: list[AreaName]) -> None:
        super().__init__()
        self.row = row
        self.issued = issued

    @property
    def label_shown(self) -> str:
        """The label to edit: left out when it holds control characters (from a file)."""
        operator = self.row.operator
        return operator if printable(operator) == operator else ""

    @property
    def needs_area(self) -> bool:
        return not self.row.area.code

    def compose(self) -> ComposeResult:
        row = self.row
        with Vertical(classes="dialog wide"):
            yield Static(
                _("Approve laptop: {laptop}").format(laptop=laptop_name(row)),
                classes="title",
            )
            yield Static(self._about(), id="about")
            yield Static(
                _(
                    "Call the operator of this laptop. Ask them to open tpsdesk → Sync and read "
                    "out their laptop's fingerprint, group by group. Type it here."
                ),
                id="instruction",
            )
            # Its marks name no wrong group: the line under it says it, with what to do.
            yield FingerprintEntry(row.fingerprint, name_wrong=False, id="fingerprint")
            yield Static("", id="check")
            if self.needs_area:
                with Horizontal(classes="field-row"):
                    yield Label(_("Area it may send"), classes="field-label")
                    yield Select(
                        [(f"{a.code} {a.name}".rstrip(), a.code) for a in self.issued],
                        id="area",
                        prompt=_("Choose one of the issued areas"),
                        compact=True,
                    )
            with Horizontal(classes="field-row"):
                yield Label(_("Operator's name"), classes="field-label")
                yield Input(
                    self.label_shown,
                    id="label",
                    placeholder=_("optional"),
                    max_length=MAX_LABEL,
                    compact=True,
                    select_on_focus=False,
                )
            with Horizontal(classes="buttons"):
                yield Button(
                    _("Approve (F2)"), id="approve", variant="success", disabled=True, compact=True
                )
                yield Button(_("Cancel (Esc)"), id="cancel", compact=True)

    def _about(self) -> str:
        row = self.row
        lines = [
            _("Area it claims: {claimed}").format(claimed=area_text(row.claimed)),
        ]
        if row.area.code and row.area.code != row.claimed.code:
            lines.append(_("Area issued to it: {area}").format(area=area_text(row.area)))
        elif not row.area.code:
            lines.append(_("Area issued to it: not known; choose it below before approving."))
        if row.setup is not None:
            lines.append(
                _("Setup file issued: version {version} for {area}, made {date}").format(
                    version=row.setup.version,
                    area=shown(row.setup.area),
                    date=day_text(row.setup.created_at),
                )
            )
        else:
            lines.append(_("Setup file issued: none the district knows of"))
        lines.append(
            ngettext(
                "{n} bundle waits and is merged once approved.",
                "{n} bundles wait and are merged once approved.",
                row.waiting,
            ).format(n=row.waiting)
        )
        return "\n".join(lines)

    def on_mount(self) -> None:
        self.query_one(FingerprintEntry).focus()
        self._check()

    def typed_groups(self) -> list[str]:
        return self.query_one(FingerprintEntry).groups

    @on(FingerprintEntry.Checked)
    def _fingerprint_checked(self) -> None:
        self._check()

    @on(Select.Changed, "#area")
    def _area_changed(self) -> None:
        self._check()

    def _check(self) -> bool:
        """Mark every group, say what is wrong or missing; True when approval may go on."""
        result = self.query_one(FingerprintEntry).result
        check = self.query_one("#check", Static)
        ready = result.matches
        right = result.marks.count(GroupMark.RIGHT)
        if result.first_wrong is not None:
            text = _(
                "Group {n} differs: ask the operator to read it again. If it still differs, "
                "do not approve this laptop."
            ).format(n=result.first_wrong)
        elif result.matches:
            text = _("The fingerprint matches.")
        elif right == 0:
            text = _("Type the first group the operator reads out.")
        else:
            text = _("{right} of {groups} groups match so far.").format(right=right, groups=GROUPS)
        check.set_class(result.first_wrong is not None, "error")
        if ready and self.needs_area:
            if not self.issued:
                ready = False
                text = _(
                    "No setup file was issued yet, so there is no area to approve it for: "
                    "write one in Files out (F7) first."
                )
                check.set_class(True, "error")
            elif not isinstance(self.query_one("#area", Select).value, str):
                ready = False
                text += " " + _("Choose the area it may send, then press F2.")
        if ready:
            text += " " + _("Press F2 to approve.")
        check.update(text)
        self.query_one("#approve", Button).disabled = not ready
        return ready

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "approve":
            self.action_approve()
        else:
            self.action_cancel()

    def action_approve(self) -> None:
        if not self._check():
            self.app.bell()
            return
        area: str | None = None
        if self.needs_area:
            value = self.query_one("#area", Select).value
            area = value if isinstance(value, str) else None
        label = self.query_one("#label", Input).value.strip()
        self.dismiss(ApprovalChoice(area, label if label != self.label_shown else None))

    def action_cancel(self) -> None:
        self.dismiss(None)


def day_text(iso_timestamp: str) -> str:
    """A recorded ISO timestamp's day as the desk writes dates (dd-mm-yyyy)."""
    from datetime import date

    try:
        return date.fromisoformat(iso_timestamp[:10]).strftime("%d-%m-%Y")
    except ValueError:
        return shown(iso_timestamp[:10])
