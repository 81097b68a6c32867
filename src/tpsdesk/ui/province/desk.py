"""The province desk: what `uv run tpsdesk` opens on a province store. The district desk one
level up: its inbox takes the districts' roll-up files, its Districts tab approves a district
by the district fingerprint read over the phone, coverage is per kab/kota, and Files out
writes the setup file of a kab/kota."""

from __future__ import annotations

from textual.binding import Binding

from tpsdesk.i18n import N_, ngettext
from tpsdesk.ui.district.desk import DistrictDeskScreen
from tpsdesk.ui.district.findings import FindingsPane
from tpsdesk.ui.district.pane import DeskPane
from tpsdesk.ui.province.coverage import KabkotaCoveragePane
from tpsdesk.ui.province.districts import DistrictsPane
from tpsdesk.ui.province.files_out import DistrictSetupPane
from tpsdesk.ui.province.inbox import RollupInboxPane

PROVINCE_TABS: tuple[tuple[str, type[DeskPane], str], ...] = (
    ("inbox", RollupInboxPane, "F2"),
    ("districts", DistrictsPane, "F4"),
    ("findings", FindingsPane, "F5"),
    ("coverage", KabkotaCoveragePane, "F6"),
    ("files", DistrictSetupPane, "F7"),
)


class ProvinceDeskScreen(DistrictDeskScreen):
    TABS = PROVINCE_TABS
    TITLE_TEXT = N_("Province desk")

    BINDINGS = [
        Binding("f2", "tab('inbox')", N_("Inbox"), id="desk.inbox", show=False),
        Binding("f4", "tab('districts')", N_("Districts"), id="desk.districts", show=False),
        Binding("f5", "tab('findings')", N_("Findings"), id="desk.findings", show=False),
        Binding("f6", "tab('coverage')", N_("Coverage"), id="desk.coverage", show=False),
        Binding("f7", "tab('files')", N_("Files out"), id="desk.files", show=False),
        Binding(
            "f8",
            "settings",
            N_("Settings"),
            id="desk.settings",
            tooltip=N_("Operator, language, passphrase"),
        ),
    ]

    @staticmethod
    def waiting_text(n: int) -> str:
        return ngettext(
            "{n} district waiting for approval", "{n} districts waiting for approval", n
        ).format(n=n)
