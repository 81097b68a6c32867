"""Districts (F4 on the province desk): the districts that sent roll-up files, waiting,
approved and revoked; approving one by the district fingerprint its office reads over the
phone (the one of `tpsdesk identity`), revoking, dismissing. The rules are the laptops' one
level up (`sync.laptops_view`, `sync.district`); the names are the kab/kota names of the setup
files the province issued (`sync.province.kabkota_names`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, ProgressBar, Static

from tpsdesk.i18n import N_, _, format_number, ngettext
from tpsdesk.store.db import Store
from tpsdesk.sync.bundle import ReceiveFailure
from tpsdesk.sync.district import dismiss, revoke
from tpsdesk.sync.district_models import DeviceStatus
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.fingerprint import GROUPS, GroupMark
from tpsdesk.sync.laptops_view import Approval, LaptopRow, approve_and_merge, laptop_counts
from tpsdesk.terminal import printable
from tpsdesk.ui.district.approve import day_text, shown
from tpsdesk.ui.district.laptops import (
    STATUS_STYLES,
    escape_brackets,
    ranges_text,
    status_label,
)
from tpsdesk.ui.district.pane import DeskPane
from tpsdesk.ui.screens.base import BaseModal
from tpsdesk.ui.widgets.fingerprint_entry import FingerprintEntry

NAME_WIDTH = 22


@dataclass(frozen=True)
class DistrictsView:
    rows: list[LaptopRow]
    names: dict[str, str]  # kab/kota code → the name the province issued its setup file with


def read_districts(store: Store) -> DistrictsView:
    from tpsdesk.sync.laptops_view import laptop_rows
    from tpsdesk.sync.province import kabkota_names, require_province

    require_province(store)
    return DistrictsView(laptop_rows(store), kabkota_names(store))


def kabkota_text(code: str, names: dict[str, str]) -> str:
    """ "35.07 Kabupaten Malang" (markup-safe), or the code alone, or "?"."""
    if not code:
        return "?"
    return f"{shown(code)} {shown(names.get(code, ''))}".rstrip()


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class DistrictsPane(DeskPane):
    TITLE = N_("Districts")

    DEFAULT_CSS = """
    DistrictsPane #districts-detail {
        height: auto;
        max-height: 4;
        padding: 0 1;
        background: $boost;
    }
    DistrictsPane ProgressBar {
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding(
            "a",
            "approve",
            N_("Approve"),
            id="districts.approve",
            tooltip=N_("Approve the selected waiting district after comparing its fingerprint"),
        ),
        Binding(
            "r",
            "revoke",
            N_("Revoke"),
            id="districts.revoke",
            tooltip=N_("Revoke a district's keys (lost or stolen): its roll-up files are refused"),
        ),
        Binding(
            "d",
            "dismiss",
            N_("Dismiss"),
            id="districts.dismiss",
            tooltip=N_("Forget a waiting district and its waiting roll-up files"),
        ),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.view = DistrictsView([], {})
        self.busy = False

    @property
    def rows(self) -> list[LaptopRow]:
        return self.view.rows

    def compose(self) -> ComposeResult:
        yield Static("", id="districts-summary", classes="summary")
        yield DataTable(id="districts-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="districts-empty", classes="empty")
        yield Static("", id="districts-detail")
        yield Static("", id="districts-progress-text", classes="hint")
        yield ProgressBar(id="districts-progress", show_eta=False)

    def on_mount(self) -> None:
        self.query_one("#districts-empty").display = False
        self._show_progress(None)

    # -- reading ----------------------------------------------------------------------------

    def load(self) -> None:
        self.read_districts()

    @work(exclusive=True, group="districts", exit_on_error=False)
    async def read_districts(self) -> None:
        store = self.desk.require_store()
        try:
            view = await self.in_thread(read_districts, store)
        except SyncError as error:
            self.query_one("#districts-summary", Static).update(escape_brackets(error.message))
            return
        selected = self.selected()
        self.view = view
        self._fill(selected.device_id if selected is not None else None)
        self.focus_if_shown(self.query_one("#districts-table", DataTable))

    def _fill(self, keep: str | None) -> None:
        table: DataTable[Any] = self.query_one("#districts-table", DataTable)
        table.clear(columns=True)
        table.add_column(_("Status"), key="status")
        table.add_column(_("Kab/kota"), key="code")
        table.add_column(_("Name"), key="name")
        table.add_column(_("Waiting"), key="waiting")
        table.add_column(_("Missing"), key="gaps")
        table.add_column(_("Last roll-up"), key="last")
        cursor = 0
        for index, row in enumerate(self.rows):
            table.add_row(*self._cells(row), key=row.device_id)
            if row.device_id == keep:
                cursor = index
        empty = self.query_one("#districts-empty", Static)
        empty.display = not self.rows
        table.display = bool(self.rows)
        if not self.rows:
            empty.update(
                _(
                    "No district has sent a roll-up file yet. A district appears here when its "
                    "first roll-up file is read in the Inbox (F2)."
                )
            )
        else:
            table.move_cursor(row=cursor)
        counts = laptop_counts(self.rows)
        self.query_one("#districts-summary", Static).update(
            ngettext("{n} district", "{n} districts", counts.total).format(n=counts.total)
            + ": "
            + _("{waiting} waiting approval, {approved} approved, {revoked} revoked").format(
                waiting=counts.waiting, approved=counts.approved, revoked=counts.revoked
            )
        )
        self._render_detail()

    def _code(self, row: LaptopRow) -> str:
        return row.area.code or row.claimed.code

    def _cells(self, row: LaptopRow) -> list[Text]:
        code = self._code(row)
        name = self.view.names.get(code, "")
        last = row.last_bundle
        return [
            Text(status_label(row.status), style=STATUS_STYLES.get(row.status, "")),
            Text(printable(code) or "?"),
            Text(_cut(printable(name), NAME_WIDTH) or "-"),
            Text(format_number(row.waiting) if row.waiting else "-"),
            Text(ranges_text(row.gaps) or "-", style="bold red" if row.gaps else ""),
            Text(f"{last.seq_to} · {last.received_at:%d-%m}" if last is not None else "-"),
        ]

    def selected(self) -> LaptopRow | None:
        if not self.rows:
            return None
        table: DataTable[Any] = self.query_one("#districts-table", DataTable)
        index = table.cursor_row
        if 0 <= index < len(self.rows) and table.row_count == len(self.rows):
            return self.rows[index]
        return None

    @on(DataTable.RowHighlighted, "#districts-table")
    def _row_highlighted(self) -> None:
        self._render_detail()

    def _render_detail(self) -> None:
        detail = self.query_one("#districts-detail", Static)
        row = self.selected()
        detail.display = row is not None
        if row is None:
            detail.update("")
            return
        lines = [
            _("District fingerprint: {fingerprint}").format(fingerprint=row.fingerprint_groups)
        ]
        about = [kabkota_text(self._code(row), self.view.names)]
        if row.setup is not None:
            about.append(_("setup file version {version}").format(version=row.setup.version))
        if row.last_bundle is not None:
            about.append(
                _("last roll-up file {seq}, {date}").format(
                    seq=row.last_bundle.seq_to, date=f"{row.last_bundle.received_at:%d-%m-%Y}"
                )
            )
        lines.append(" · ".join(about))
        if row.area_differs:
            lines.append(
                "[bold red]"
                + _("Claims {claimed}, issued {area}: its roll-up files are refused.").format(
                    claimed=shown(row.claimed.code), area=shown(row.area.code)
                )
                + "[/]"
            )
        if row.gaps:
            lines.append(
                _("Missing roll-up files {ranges}: they never arrived.").format(
                    ranges=ranges_text(row.gaps)
                )
            )
        detail.update("\n".join(lines))

    # -- progress ---------------------------------------------------------------------------

    def _show_progress(self, text: str | None, done: int = 0, total: int = 0) -> None:
        line = self.query_one("#districts-progress-text", Static)
        bar = self.query_one("#districts-progress", ProgressBar)
        line.display = bar.display = text is not None
        if text is not None:
            line.update(text)
            bar.update(total=max(total, 1), progress=done)

    # -- actions ----------------------------------------------------------------------------

    def _refuse(self, message: str) -> None:
        from tpsdesk.ui.screens.message import MessageScreen

        self.app.push_screen(MessageScreen(escape_brackets(message), []))

    def action_approve(self) -> None:
        row = self.selected()
        if row is None or self.busy:
            self.app.bell()
            return
        if row.status != DeviceStatus.PENDING.value:
            self._refuse(
                _(
                    "This district is {status}: only a district waiting for approval can be "
                    "approved."
                ).format(status=status_label(row.status))
            )
            return

        def chosen(approved: bool | None) -> None:
            detail.display = True
            if approved:
                self.run_approval(row)

        # The district office reads the fingerprint out: it is not on screen meanwhile.
        detail = self.query_one("#districts-detail", Static)
        detail.display = False
        code = self._code(row)
        self.app.push_screen(
            ApproveDistrictDialog(row, kabkota_text(code, self.view.names)), chosen
        )

    @work(exclusive=True, group="districts-change", exit_on_error=False)
    async def run_approval(self, row: LaptopRow) -> None:
        from tpsdesk.ui.screens.message import MessageScreen

        store = self.desk.require_store()
        self.busy = True
        self._show_progress(_("Approving the district…"), 0, max(row.waiting, 1))

        def progress(done: int, total: int, name: str) -> None:
            text = _("Merging {done}/{total}: {file}").format(
                done=done + 1, total=total, file=shown(name)
            )
            self.app.call_from_thread(self._show_progress, text, done, total)

        try:
            approval = await self.in_thread(
                approve_and_merge, store, row.fingerprint, progress=progress
            )
        except SyncError as error:
            self._refuse(error.message)
            self.load()
            return
        finally:
            self.busy = False
            self._show_progress(None)
        self.changed()
        title, details = approval_report(kabkota_text(approval.area, self.view.names), approval)
        self.app.push_screen(MessageScreen(title, details))

    def action_revoke(self) -> None:
        from tpsdesk.ui.screens.confirm import ConfirmScreen

        row = self.selected()
        if row is None or self.busy:
            self.app.bell()
            return
        if row.status == DeviceStatus.REVOKED.value:
            self._refuse(_("This district is revoked already; its roll-up files are refused."))
            return
        question = "\n".join(
            [
                _("Revoke district {district}?").format(
                    district=kabkota_text(self._code(row), self.view.names)
                ),
                _("District fingerprint: {fingerprint}").format(fingerprint=row.fingerprint_groups),
                "",
                _(
                    "Every later roll-up file of this district is refused; what it sent before "
                    "stays."
                ),
            ]
        )
        if row.waiting:
            question += "\n" + ngettext(
                "Its {n} waiting roll-up file is refused too.",
                "Its {n} waiting roll-up files are refused too.",
                row.waiting,
            ).format(n=row.waiting)

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_change(revoke, row)

        self.app.push_screen(
            ConfirmScreen(question, yes=_("Revoke (Y)"), no=_("Cancel (N)")), answered
        )

    def action_dismiss(self) -> None:
        from tpsdesk.ui.screens.confirm import ConfirmScreen

        row = self.selected()
        if row is None or self.busy:
            self.app.bell()
            return
        if row.status != DeviceStatus.PENDING.value:
            self._refuse(
                _(
                    "This district is {status}: only a district waiting for approval can be "
                    "dismissed. To refuse its roll-up files, revoke it."
                ).format(status=status_label(row.status))
            )
            return
        question = "\n".join(
            [
                _("Dismiss district {district}, fingerprint {fingerprint}?").format(
                    district=kabkota_text(self._code(row), self.view.names),
                    fingerprint=row.fingerprint_groups,
                ),
                "",
                ngettext(
                    "It and its {n} waiting roll-up file are removed. If it sends again, it "
                    "waits for approval as a new district.",
                    "It and its {n} waiting roll-up files are removed. If it sends again, it "
                    "waits for approval as a new district.",
                    row.waiting,
                ).format(n=row.waiting),
            ]
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_change(dismiss, row)

        self.app.push_screen(
            ConfirmScreen(question, yes=_("Dismiss (Y)"), no=_("Cancel (N)")), answered
        )

    @work(exclusive=True, group="districts-change", exit_on_error=False)
    async def run_change(self, change: Any, row: LaptopRow) -> None:
        store = self.desk.require_store()
        self.busy = True
        try:
            await self.in_thread(change, store, row.fingerprint)
        except SyncError as error:
            self._refuse(error.message)
            self.load()
            return
        finally:
            self.busy = False
        self.changed()


def approval_report(district: str, approval: Approval) -> tuple[str, list[str]]:
    """The title and lines shown after a district's approval (markup-safe)."""
    from tpsdesk.sync.inbox import outcome_lines

    merged = [o for o in approval.merged if o.report is not None and o.report.merged]
    title = (
        _("Approved: district {district}.").format(district=district)
        + " "
        + ngettext(
            "{merged} of {waiting} waiting roll-up file merged.",
            "{merged} of {waiting} waiting roll-up files merged.",
            len(approval.outcomes),
        ).format(merged=len(merged), waiting=len(approval.outcomes))
    )
    lines: list[str] = []
    for outcome in approval.outcomes:
        if isinstance(outcome, ReceiveFailure):
            lines.append(shown(outcome.message))
            continue
        told = outcome_lines(outcome, province=True)
        lines.append(f"{shown(told.file)}: {told.headline}")
        lines.extend(shown(line) for line in told.details)
    if not approval.outcomes:
        lines.append(_("Nothing of this district was waiting."))
    return title, lines


class ApproveDistrictDialog(BaseModal[bool | None]):
    """The district office reads its district fingerprint (`tpsdesk identity`) out group by
    group; approval is possible only when all of it matches."""

    DEFAULT_CSS = """
    ApproveDistrictDialog {
        align: center middle;
    }
    ApproveDistrictDialog #fingerprint {
        margin-top: 1;
    }
    ApproveDistrictDialog #check {
        height: auto;
    }
    """

    BINDINGS = [
        Binding("f2", "approve", N_("Approve"), id="approve_district.approve"),
        Binding("escape", "cancel", N_("Cancel"), id="approve_district.cancel"),
    ]

    def __init__(self, row: LaptopRow, district: str) -> None:
        super().__init__()
        self.row = row
        self.district = district  # markup-safe

    def compose(self) -> ComposeResult:
        row = self.row
        with Vertical(classes="dialog wide"):
            yield Static(
                _("Approve district: {district}").format(district=self.district), classes="title"
            )
            about = []
            if row.setup is not None:
                about.append(
                    _("Setup file issued: version {version} for {area}, made {date}").format(
                        version=row.setup.version,
                        area=shown(row.setup.area),
                        date=day_text(row.setup.created_at),
                    )
                )
            about.append(
                ngettext(
                    "{n} roll-up file waits and is merged once approved.",
                    "{n} roll-up files wait and are merged once approved.",
                    row.waiting,
                ).format(n=row.waiting)
            )
            yield Static("\n".join(about), id="about")
            yield Static(
                _(
                    "Call the district office. Ask them to run tpsdesk identity and read out "
                    "the district fingerprint, group by group. Type it here."
                ),
                id="instruction",
            )
            yield FingerprintEntry(row.fingerprint, name_wrong=False, id="fingerprint")
            yield Static("", id="check")
            with Horizontal(classes="buttons"):
                yield Button(
                    _("Approve (F2)"), id="approve", variant="success", disabled=True, compact=True
                )
                yield Button(_("Cancel (Esc)"), id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(FingerprintEntry).focus()
        self._check()

    @on(FingerprintEntry.Checked)
    def _fingerprint_checked(self) -> None:
        self._check()

    def _check(self) -> bool:
        result = self.query_one(FingerprintEntry).result
        right = result.marks.count(GroupMark.RIGHT)
        if result.first_wrong is not None:
            text = _(
                "Group {n} differs: ask the district office to read it again. If it still "
                "differs, do not approve this district."
            ).format(n=result.first_wrong)
        elif result.matches:
            text = _("The fingerprint matches.") + " " + _("Press F2 to approve.")
        elif right == 0:
            text = _("Type the first group the district office reads out.")
        else:
            text = _("{right} of {groups} groups match so far.").format(right=right, groups=GROUPS)
        check = self.query_one("#check", Static)
        check.set_class(result.first_wrong is not None, "error")
        check.update(text)
        self.query_one("#approve", Button).disabled = not result.matches
        return result.matches

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "approve":
            self.action_approve()
        else:
            self.action_cancel()

    def action_approve(self) -> None:
        if not self._check():
            self.app.bell()
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(None)
