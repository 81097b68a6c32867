"""First run, before the store is made: is this a kelurahan/kecamatan desk or the district
office? The answer decides the store's role, so a district clerk never needs `init --district`."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tpsdesk.i18n import N_, _
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.widgets.key_bar import KeyBar

ROLES = ("field", "district")


class RoleChoiceScreen(BaseScreen):
    BINDINGS = [
        Binding("1", "choose('field')", N_("Field desk"), id="role.field", show=False),
        Binding("2", "choose('district')", N_("District office"), id="role.district", show=False),
        Binding(
            "f9",
            "app.switch_language",
            N_("Language"),
            id="role.language",
            tooltip=N_("Switch between Indonesian and English"),
        ),
    ]

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="gate", classes="gate"):
            yield Static(_("Welcome to tpsdesk"), classes="title")
            yield Static(_("What is this computer for?"))
            yield OptionList(
                Option(
                    _(
                        "1  A kelurahan or kecamatan desk: officers are typed or imported "
                        "here and sent to the district"
                    ),
                    id="field",
                ),
                Option(
                    _(
                        "2  The district office (kabupaten/kota): bundles from the laptops "
                        "are merged here, setup files and receipts go out"
                    ),
                    id="district",
                ),
                id="roles",
            )
            yield Static(
                _("Choose with the arrow keys and Enter, or press 1 or 2. It cannot be changed."),
                classes="hint",
            )
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#roles", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id in ROLES:
            self.action_choose(event.option.id)

    def action_choose(self, role: str) -> None:
        from tpsdesk.ui.screens.create_store import CreateStoreScreen

        self.app.switch_screen(CreateStoreScreen(role=role))
