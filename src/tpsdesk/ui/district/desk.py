"""The district desk: what `uv run tpsdesk` opens on a district store."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.store.db import Store
from tpsdesk.ui.district.coverage import CoveragePane
from tpsdesk.ui.district.files_out import FilesOutPane
from tpsdesk.ui.district.findings import FindingsPane
from tpsdesk.ui.district.inbox import InboxPane
from tpsdesk.ui.district.laptops import LaptopsPane
from tpsdesk.ui.district.pane import DeskChanged, DeskPane
from tpsdesk.ui.screens.base import BaseScreen

# (tab id, pane class, key): the key opens the tab and is shown in its title, so the footer
# keeps its room for the keys of the tab that is open.
TABS: tuple[tuple[str, type[DeskPane], str], ...] = (
    ("inbox", InboxPane, "F2"),
    ("laptops", LaptopsPane, "F4"),
    ("findings", FindingsPane, "F5"),
    ("coverage", CoveragePane, "F6"),
    ("files", FilesOutPane, "F7"),
)


@dataclass(frozen=True)
class DeskSummary:
    district: str
    waiting_laptops: int
    open_findings: int


class DistrictDeskScreen(BaseScreen):
    BINDINGS = [
        Binding("f2", "tab('inbox')", N_("Inbox"), id="desk.inbox", show=False),
        Binding("f4", "tab('laptops')", N_("Laptops"), id="desk.laptops", show=False),
        Binding("f5", "tab('findings')", N_("Findings"), id="desk.findings", show=False),
        Binding("f6", "tab('coverage')", N_("Coverage"), id="desk.coverage", show=False),
        Binding("f7", "tab('files')", N_("Files out"), id="desk.files", show=False),
        Binding(
            "f8",
            "settings",
            N_("Settings"),
            id="desk.settings",
            tooltip=N_("District name and code, operator, language, passphrase"),
        ),
    ]

    def __init__(self, initial: str = "inbox") -> None:
        super().__init__()
        self.initial = initial

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="desk-summary", classes="summary")
        with TabbedContent(id="desk-tabs", initial=f"tab-{self.initial}"):
            for tab_id, pane_class, key in TABS:
                with TabPane(f"{_(pane_class.TITLE)} {key}", id=f"tab-{tab_id}"):
                    yield pane_class(id=f"pane-{tab_id}")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = _("District desk")
        self.load_summary()
        self.active_pane().show()
        self.call_after_refresh(self.active_pane().focus_main)

    def on_screen_resume(self) -> None:
        # Back from a dialog or another screen that may have changed the store.
        self.load_summary()

    def pane(self, tab_id: str) -> DeskPane:
        return self.query_one(f"#pane-{tab_id}", DeskPane)

    def active_pane(self) -> DeskPane:
        active = self.query_one("#desk-tabs", TabbedContent).active
        return self.pane(active.removeprefix("tab-") or self.initial)

    def action_tab(self, tab_id: str) -> None:
        self.query_one("#desk-tabs", TabbedContent).active = f"tab-{tab_id}"
        # Focus into the opened tab now: left in the closed one, focus would fall back to
        # another widget there, and focusing it opens that tab again.
        self.pane(tab_id).focus_main()

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.tabbed_content.id == "desk-tabs":
            self.active_pane().show()

    @on(DeskChanged)
    def _desk_changed(self, event: DeskChanged) -> None:
        event.stop()
        for tab_id, _pane_class, _key in TABS:
            self.pane(tab_id).stale = True
        self.load_summary()
        self.active_pane().show()

    @work(exclusive=True, group="desk-summary", exit_on_error=False)
    async def load_summary(self) -> None:
        summary = await self.in_thread(read_summary, self.desk.require_store())
        parts = [summary.district]
        if summary.waiting_laptops:
            parts.append(
                ngettext(
                    "{n} laptop waiting for approval",
                    "{n} laptops waiting for approval",
                    summary.waiting_laptops,
                ).format(n=summary.waiting_laptops)
            )
        parts.append(
            ngettext("{n} open finding", "{n} open findings", summary.open_findings).format(
                n=summary.open_findings
            )
        )
        self.query_one("#desk-summary", Static).update(" · ".join(parts))

    def action_settings(self) -> None:
        from tpsdesk.ui.screens.settings import SettingsScreen

        self.app.push_screen(SettingsScreen())


def read_summary(store: Store) -> DeskSummary:
    from sqlmodel import func, select

    from tpsdesk.sync.district import require_district
    from tpsdesk.sync.district_models import Device, DeviceStatus, Finding, FindingStatus
    from tpsdesk.sync.identity import district_settings

    require_district(store)

    settings = district_settings(store)
    district = (
        f"{settings.name} ({settings.code})"
        if settings is not None
        else _("District name and code not set yet (F8)")
    )
    with store.read() as session:
        waiting = session.exec(
            select(func.count()).where(Device.status == DeviceStatus.PENDING.value)
        ).one()
        open_findings = session.exec(
            select(func.count()).where(Finding.status == FindingStatus.OPEN.value)
        ).one()
    return DeskSummary(district, int(waiting), int(open_findings))
