"""Field laptops: waiting, approved and revoked; approve, revoke, dismiss."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, ProgressBar, Static

from tpsdesk.i18n import N_, _, format_number, ngettext
from tpsdesk.store.db import Store
from tpsdesk.sync.bundle import ReceiveFailure, ReceiveOutcome
from tpsdesk.sync.district import NotDismissable, dismiss, revoke
from tpsdesk.sync.district_models import DeviceStatus
from tpsdesk.sync.errors import SyncError
from tpsdesk.sync.laptops_view import (
    Approval,
    AreaName,
    LaptopRow,
    approve_and_merge,
    issued_area_names,
    laptop_counts,
    laptop_rows,
)
from tpsdesk.terminal import printable
from tpsdesk.ui.district.approve import (
    ApprovalChoice,
    ApproveDialog,
    area_text,
    laptop_name,
    operator_text,
    shown,
)
from tpsdesk.ui.district.pane import DeskPane

STATUS_LABELS = {
    DeviceStatus.PENDING.value: N_("waiting"),
    DeviceStatus.APPROVED.value: N_("approved"),
    DeviceStatus.REVOKED.value: N_("revoked"),
}
STATUS_STYLES = {
    DeviceStatus.PENDING.value: "bold yellow",
    DeviceStatus.APPROVED.value: "green",
    DeviceStatus.REVOKED.value: "red",
}
OPERATOR_WIDTH = 14
NAME_WIDTH = 16
SHOWN_REJECTIONS = 5


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


def ranges_text(ranges: list[tuple[int, int]]) -> str:
    return ", ".join(f"{low}–{high}" if low != high else str(low) for low, high in ranges)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def read_laptops(store: Store) -> tuple[list[LaptopRow], list[AreaName]]:
    return laptop_rows(store), issued_area_names(store)


class LaptopsPane(DeskPane):
    TITLE = N_("Laptops")

    DEFAULT_CSS = """
    LaptopsPane #laptops-detail {
        height: auto;
        max-height: 4;
        padding: 0 1;
        background: $boost;
    }
    LaptopsPane #laptops-progress-row {
        height: auto;
    }
    LaptopsPane ProgressBar {
        padding: 0 1;
    }
    """

    BINDINGS = [
        Binding(
            "a",
            "approve",
            N_("Approve"),
            id="laptops.approve",
            tooltip=N_("Approve the selected waiting laptop after comparing its fingerprint"),
        ),
        Binding(
            "r",
            "revoke",
            N_("Revoke"),
            id="laptops.revoke",
            tooltip=N_("Revoke a lost or stolen laptop: its later bundles are refused"),
        ),
        Binding(
            "d",
            "dismiss",
            N_("Dismiss"),
            id="laptops.dismiss",
            tooltip=N_("Forget a waiting laptop and its waiting bundles"),
        ),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[LaptopRow] = []
        self.issued: list[AreaName] = []
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static("", id="laptops-summary", classes="summary")
        yield DataTable(id="laptops-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="laptops-empty", classes="empty")
        yield Static("", id="laptops-detail")
        yield Static("", id="laptops-progress-text", classes="hint")
        yield ProgressBar(id="laptops-progress", show_eta=False)

    def on_mount(self) -> None:
        self.query_one("#laptops-empty").display = False
        self._show_progress(None)

    # -- reading ----------------------------------------------------------------------------

    def load(self) -> None:
        self.read_laptops()

    @work(exclusive=True, group="laptops", exit_on_error=False)
    async def read_laptops(self) -> None:
        store = self.desk.require_store()
        rows, issued = await self.in_thread(read_laptops, store)
        selected = self.selected()
        self.rows = rows
        self.issued = issued
        self._fill(selected.device_id if selected is not None else None)
        self.focus_if_shown(self.query_one("#laptops-table", DataTable))

    def _fill(self, keep: str | None) -> None:
        """Fill the table from `self.rows`, the cursor on laptop `keep` if listed."""
        table: DataTable[Any] = self.query_one("#laptops-table", DataTable)
        table.clear(columns=True)
        table.add_column(_("Status"), key="status")
        table.add_column(_("Operator"), key="operator")
        table.add_column(_("Kelurahan"), key="kelurahan")
        table.add_column(_("Area"), key="area")
        table.add_column(_("Waiting"), key="waiting")
        table.add_column(_("Missing changes"), key="gaps")
        table.add_column(_("Claimed"), key="claimed")
        table.add_column(_("Last bundle"), key="last")
        cursor = 0
        for index, row in enumerate(self.rows):
            table.add_row(*self._cells(row), key=row.device_id)
            if row.device_id == keep:
                cursor = index
        empty = self.query_one("#laptops-empty", Static)
        empty.display = not self.rows
        table.display = bool(self.rows)
        if not self.rows:
            empty.update(
                _(
                    "No laptop has sent a bundle yet. A laptop appears here when its first "
                    "bundle is read in the Inbox (F2)."
                )
            )
        else:
            table.move_cursor(row=cursor)
        counts = laptop_counts(self.rows)
        self.query_one("#laptops-summary", Static).update(
            ngettext("{n} laptop", "{n} laptops", counts.total).format(n=counts.total)
            + ": "
            + _("{waiting} waiting approval, {approved} approved, {revoked} revoked").format(
                waiting=counts.waiting, approved=counts.approved, revoked=counts.revoked
            )
        )
        self._render_detail()

    def _cells(self, row: LaptopRow) -> list[Text]:
        status = Text(status_label(row.status), style=STATUS_STYLES.get(row.status, ""))
        operator = Text(_cut(printable(row.operator), OPERATOR_WIDTH) if row.operator else "-")
        place = row.area if row.area.code else row.claimed
        name = Text(_cut(printable(place.name), NAME_WIDTH) or "-")
        area = Text(printable(row.area.code) if row.area.code else "?")
        if row.area_differs:
            claimed = Text("≠ " + printable(row.claimed.code), style="bold red")
        elif not row.area.code:
            claimed = Text(printable(row.claimed.code) or "-", style="yellow")
        else:
            claimed = Text("=")
        waiting = Text(format_number(row.waiting) if row.waiting else "-")
        gaps = Text(ranges_text(row.gaps) or "-", style="bold red" if row.gaps else "")
        last = Text(self._last_text(row) or "-")
        return [status, operator, name, area, waiting, gaps, claimed, last]

    @staticmethod
    def _last_text(row: LaptopRow) -> str:
        if row.last_bundle is None:
            return ""
        bundle = row.last_bundle
        return f"{bundle.seq_from}–{bundle.seq_to} · {bundle.received_at:%d-%m}"

    def selected(self) -> LaptopRow | None:
        if not self.rows:
            return None
        table: DataTable[Any] = self.query_one("#laptops-table", DataTable)
        index = table.cursor_row
        if 0 <= index < len(self.rows) and table.row_count == len(self.rows):
            return self.rows[index]
        return None

    @on(DataTable.RowHighlighted, "#laptops-table")
    def _row_highlighted(self) -> None:
        self._render_detail()

    def _render_detail(self) -> None:
        detail = self.query_one("#laptops-detail", Static)
        row = self.selected()
        detail.display = row is not None
        if row is None:
            detail.update("")
            return
        lines = [
            _("Fingerprint: {fingerprint}").format(fingerprint=row.fingerprint_groups)
            + " · "
            + operator_text(row)
        ]
        place = row.area if row.area.code else row.claimed
        where = []
        if place.kecamatan:
            where.append(_("Kec. {name}").format(name=shown(place.kecamatan)))
        if place.kelurahan:
            where.append(_("Kel. {name}").format(name=shown(place.kelurahan)))
        area_line = ", ".join(where) or _("area not in the district's tables")
        if row.setup is not None:
            area_line += " · " + _("setup file version {version}").format(version=row.setup.version)
        if row.last_bundle is not None:
            area_line += " · " + _("last bundle: changes {low}–{high}, {date}").format(
                low=row.last_bundle.seq_from,
                high=row.last_bundle.seq_to,
                date=f"{row.last_bundle.received_at:%d-%m-%Y}",
            )
        lines.append(area_line)
        if row.area_differs:
            lines.append(
                "[bold red]"
                + _("Claims {claimed}, issued {area}: its bundles are refused.").format(
                    claimed=area_text(row.claimed), area=area_text(row.area)
                )
                + "[/]"
            )
        elif not row.area.code:
            lines.append(
                _("Area issued to it: not known; approving it asks for one of the issued areas.")
            )
        if row.gaps:
            lines.append(
                _("Missing changes {ranges}: bundles that never arrived.").format(
                    ranges=ranges_text(row.gaps)
                )
            )
        detail.update("\n".join(lines))

    # -- progress ---------------------------------------------------------------------------

    def _show_progress(self, text: str | None, done: int = 0, total: int = 0) -> None:
        line = self.query_one("#laptops-progress-text", Static)
        bar = self.query_one("#laptops-progress", ProgressBar)
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
                    "This laptop is {status}: only a laptop waiting for approval can be approved."
                ).format(status=status_label(row.status))
            )
            return

        def chosen(choice: ApprovalChoice | None) -> None:
            detail.display = True
            if choice is not None:
                self.run_approval(row, choice)

        # The operator reads the fingerprint from the laptop: it is not on screen meanwhile.
        detail = self.query_one("#laptops-detail", Static)
        detail.display = False
        self.app.push_screen(ApproveDialog(row, self.issued), chosen)

    @work(exclusive=True, group="laptops-change", exit_on_error=False)
    async def run_approval(self, row: LaptopRow, choice: ApprovalChoice) -> None:
        from tpsdesk.ui.screens.message import MessageScreen

        store = self.desk.require_store()
        self.busy = True
        self._show_progress(_("Approving the laptop…"), 0, max(row.waiting, 1))

        def progress(done: int, total: int, name: str) -> None:
            text = _("Merging {done}/{total}: {file}").format(
                done=done + 1, total=total, file=shown(name)
            )
            self.app.call_from_thread(self._show_progress, text, done, total)

        try:
            approval = await self.in_thread(
                approve_and_merge,
                store,
                row.fingerprint,
                area=choice.area,
                label=choice.label,
                progress=progress,
            )
        except SyncError as error:
            self._refuse(error.message)
            self.load()  # what the store holds now (it may have changed meanwhile)
            return
        finally:
            self.busy = False
            self._show_progress(None)
        self.changed()
        title, details = approval_report(row, approval)
        self.app.push_screen(MessageScreen(title, details))

    def action_revoke(self) -> None:
        from tpsdesk.ui.screens.confirm import ConfirmScreen

        row = self.selected()
        if row is None or self.busy:
            self.app.bell()
            return
        if row.status == DeviceStatus.REVOKED.value:
            self._refuse(_("This laptop is revoked already; its bundles are refused."))
            return
        question = "\n".join(
            [
                _("Revoke laptop {laptop}?").format(laptop=laptop_name(row)),
                _("Fingerprint: {fingerprint}").format(fingerprint=row.fingerprint_groups),
                "",
                _("Every later bundle of this laptop is refused; what it sent before stays."),
            ]
        )
        if row.waiting:
            question += "\n" + ngettext(
                "Its {n} waiting bundle is refused too.",
                "Its {n} waiting bundles are refused too.",
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
            self._refuse(NotDismissable(row.fingerprint_groups, row.status).message)
            return
        question = "\n".join(
            [
                _("Dismiss laptop {laptop}, fingerprint {fingerprint}?").format(
                    laptop=laptop_name(row), fingerprint=row.fingerprint_groups
                ),
                "",
                ngettext(
                    "It and its {n} waiting bundle are removed. If it sends again, it waits "
                    "for approval as a new laptop.",
                    "It and its {n} waiting bundles are removed. If it sends again, it waits "
                    "for approval as a new laptop.",
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

    @work(exclusive=True, group="laptops-change", exit_on_error=False)
    async def run_change(self, change: Any, row: LaptopRow) -> None:
        store = self.desk.require_store()
        self.busy = True
        try:
            await self.in_thread(change, store, row.fingerprint)
        except SyncError as error:
            self._refuse(error.message)
            self.load()  # what the store holds now (it may have changed meanwhile)
            return
        finally:
            self.busy = False
        self.changed()


def escape_brackets(text: str) -> str:
    """A message that may hold text from a file, safe to show as markup."""
    from rich.markup import escape

    return escape(text)


def approval_report(row: LaptopRow, approval: Approval) -> tuple[str, list[str]]:
    """The title and lines of the report shown after an approval (markup-safe)."""
    merged = [o for o in approval.merged if o.report is not None and o.report.merged]
    area = row.area if row.area.code == approval.area else AreaName(approval.area)
    title = (
        _("Approved: laptop {laptop}.").format(laptop=laptop_name(row, area))
        + " "
        + ngettext(
            "{merged} of {waiting} waiting bundle merged.",
            "{merged} of {waiting} waiting bundles merged.",
            len(approval.outcomes),
        ).format(merged=len(merged), waiting=len(approval.outcomes))
    )
    lines: list[str] = []
    for outcome in approval.outcomes:
        lines.extend(_outcome_lines(outcome))
    if not approval.outcomes:
        lines.append(_("Nothing of this laptop was waiting."))
    return title, lines


def _outcome_lines(outcome: ReceiveOutcome | ReceiveFailure) -> list[str]:
    if isinstance(outcome, ReceiveFailure):
        return [shown(outcome.message)]
    name = shown(outcome.file)
    report = outcome.report
    if report is None:
        return [_("{file}: still waiting.").format(file=name)]
    if report.replay:
        return [_("{file}: merged before; nothing changed.").format(file=name)]
    lines = []
    if report.merged:
        lines.append(
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
            lines.append(
                ngettext(
                    "{n} row was refused and not merged; the laptop is told with its next receipt.",
                    "{n} rows were refused and not merged; the laptop is told with its next "
                    "receipt.",
                    report.refused_rows,
                ).format(n=report.refused_rows)
            )
    else:
        lines.append(_("{file}: refused as a whole; nothing was merged.").format(file=name))
    for rejection in report.rejected[:SHOWN_REJECTIONS]:
        for problem in rejection.problems:
            lines.append(shown(problem.message))
    for low, high in report.gaps:
        lines.append(
            _(
                "Missing from this laptop: changes {low}–{high} (a bundle that never arrived)."
            ).format(low=low, high=high)
        )
    return lines
