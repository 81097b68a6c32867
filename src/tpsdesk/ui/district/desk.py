"""The district desk: what `uv run tpsdesk` opens on a district store."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import ContentSwitcher, Header, Static

from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.store.db import Store
from tpsdesk.ui.district.coverage import CoveragePane
from tpsdesk.ui.district.files_out import FilesOutPane
from tpsdesk.ui.district.findings import FindingsPane
from tpsdesk.ui.district.inbox import InboxPane
from tpsdesk.ui.district.laptops import LaptopsPane
from tpsdesk.ui.district.pane import DeskChanged, DeskPane
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.widgets.key_bar import KeyBar

# (tab id, pane class, key): the key opens the tab and is shown in its title, so the footer
# keeps its room for the keys of the tab that is open.
TABS: tuple[tuple[str, type[DeskPane], str], ...] = (
    ("inbox", InboxPane, "F2"),
    ("laptops", LaptopsPane, "F4"),
    ("findings", FindingsPane, "F5"),
    ("coverage", CoveragePane, "F6"),
    ("files", FilesOutPane, "F7"),
)


READ_AHEAD_DELAY_S = 1.0


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

    DEFAULT_CSS = """
    DistrictDeskScreen #desk-tabbar {
        padding: 0 1;
        height: 1;
        background: $panel;
    }
    DistrictDeskScreen #desk-tabs {
        height: 1fr;
    }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="desk-summary", classes="summary")
        # A line of tab names over a ContentSwitcher rather than Textual's TabbedContent:
        # its tab bar made every switch cost 90 ms of the UI thread, five times the switch
        # itself (benchmarks/RESULTS-desk.md).
        yield Static(self.tab_bar(self.initial), id="desk-tabbar")
        with ContentSwitcher(id="desk-tabs", initial=f"tab-{self.initial}"):
            for tab_id, pane_class, _key in self.TABS:
                yield pane_class(id=f"tab-{tab_id}")
        yield KeyBar()

    #: The desk's tabs (a province desk has its own, ui/province/desk.py).
    TABS = TABS
    TITLE_TEXT = N_("District desk")

    @classmethod
    def tab_bar(cls, active: str) -> Text:
        """The tab names with their keys, the open one stressed; a click opens a tab."""
        bar = Text()
        for tab_id, pane_class, key in cls.TABS:
            label = f" {_(pane_class.TITLE)} {key} "
            style = Style(reverse=True, bold=True) if tab_id == active else Style()
            bar.append(label, style + Style.from_meta({"@click": f"screen.tab('{tab_id}')"}))
            bar.append(" ")
        return bar

    def on_mount(self) -> None:
        self.title = _(self.TITLE_TEXT)
        self.load_summary()
        self.active_pane().show()
        self.call_after_refresh(self.active_pane().focus_main)
        self.call_after_refresh(self.read_closed_tabs)

    @work(exclusive=True, group="desk-read-ahead", exit_on_error=False)
    async def read_closed_tabs(self) -> None:
        """Read the closed tabs' rows in the background, one after the other once the open
        tab has its rows, so opening one later only shows it. One at a time: read together,
        they slowed the tab the clerk opens at once (benchmarks/RESULTS-desk.md)."""
        await self._pane_idle(self.active_pane())
        # A moment first: a tab opened straight away then reads without competing.
        await asyncio.sleep(READ_AHEAD_DELAY_S)
        for tab_id, _pane_class, _key in self.TABS:
            pane = self.pane(tab_id)
            if pane.stale:  # opened (or being read) meanwhile: nothing to do
                pane.show()
                await self._pane_idle(pane)

    async def _pane_idle(self, pane: DeskPane) -> None:
        while any(worker.node is pane and worker.is_running for worker in self.app.workers):
            await asyncio.sleep(0.05)

    def on_screen_resume(self) -> None:
        # Back from a dialog or another screen that may have changed the store.
        self.load_summary()

    def pane(self, tab_id: str) -> DeskPane:
        return self.query_one(f"#tab-{tab_id}", DeskPane)

    def active_pane(self) -> DeskPane:
        current = self.query_one("#desk-tabs", ContentSwitcher).current or ""
        return self.pane(current.removeprefix("tab-") or self.initial)

    def action_tab(self, tab_id: str) -> None:
        switcher = self.query_one("#desk-tabs", ContentSwitcher)
        if switcher.current == f"tab-{tab_id}":
            return
        switcher.current = f"tab-{tab_id}"
        self.query_one("#desk-tabbar", Static).update(self.tab_bar(tab_id))
        pane = self.pane(tab_id)
        # Focus into the opened tab now: left in the closed one, focus would stay on a
        # widget nobody sees.
        pane.focus_main()
        pane.show()

    @on(DeskChanged)
    def _desk_changed(self, event: DeskChanged) -> None:
        event.stop()
        for tab_id, _pane_class, _key in self.TABS:
            self.pane(tab_id).stale = True
        self.load_summary()
        self.active_pane().show()
        self.read_closed_tabs()

    @work(exclusive=True, group="desk-summary", exit_on_error=False)
    async def load_summary(self) -> None:
        summary = await self.in_thread(read_summary, self.desk.require_store())
        parts = [summary.district]
        if summary.waiting_laptops:
            parts.append(self.waiting_text(summary.waiting_laptops))
        parts.append(
            ngettext("{n} open finding", "{n} open findings", summary.open_findings).format(
                n=summary.open_findings
            )
        )
        self.query_one("#desk-summary", Static).update(" · ".join(parts))

    @staticmethod
    def waiting_text(n: int) -> str:
        return ngettext(
            "{n} laptop waiting for approval", "{n} laptops waiting for approval", n
        ).format(n=n)

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
    if settings is not None:
        district = f"{settings.name} ({settings.code})"
    elif store.role == "province":
        district = _("Province name and code not set yet (F8)")
    else:
        district = _("District name and code not set yet (F8)")
    with store.read() as session:
        waiting = session.exec(
            select(func.count()).where(Device.status == DeviceStatus.PENDING.value)
        ).one()
        open_findings = session.exec(
            select(func.count()).where(Finding.status == FindingStatus.OPEN.value)
        ).one()
    return DeskSummary(district, int(waiting), int(open_findings))
