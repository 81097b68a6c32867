"""Choose what setup files to write: every kelurahan, every kecamatan, or one area of the
district, from a list filtered as the clerk types."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.sync.outbox import ALL_KECAMATAN, ALL_KELURAHAN, AreaChoice
from tpsdesk.terminal import printable
from tpsdesk.ui.screens.base import BaseModal


def area_line(area: AreaChoice) -> Text:
    kind = _("Kecamatan") if area.kind == "kecamatan" else _("Kelurahan")
    indent = "" if area.kind == "kecamatan" else "  "
    tps = ngettext("{n} TPS", "{n} TPS", area.tps).format(n=area.tps)
    return Text(f"{indent}{area.code}  {printable(area.name)} ({kind}, {tps})")


class SetupAreaScreen(BaseModal[str | None]):
    """Dismissed with ALL_KELURAHAN, ALL_KECAMATAN, an area code, or None."""

    BINDINGS = [
        Binding("down", "move(1)", N_("Next"), id="setup_area.down", show=False),
        Binding("up", "move(-1)", N_("Previous"), id="setup_area.up", show=False),
        Binding("enter", "choose", N_("Choose"), id="setup_area.choose"),
        Binding("escape", "cancel", N_("Cancel"), id="setup_area.cancel"),
    ]

    DEFAULT_CSS = """
    SetupAreaScreen {
        align: center middle;
    }
    SetupAreaScreen OptionList {
        height: 12;
    }
    """

    def __init__(self, areas: list[AreaChoice]) -> None:
        super().__init__()
        self.areas = areas

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(_("Setup files: for which area?"), classes="title")
            yield Input(placeholder=_("Type to filter: a code or a name"), id="filter")
            yield OptionList(id="areas")
            yield Static(
                _("A laptop is normally set up for its kelurahan. Enter chooses, Esc cancels."),
                classes="hint",
            )

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#filter", Input).focus()

    def _fill(self, typed: str) -> None:
        words = typed.lower().split()
        options: list[Option] = []
        if not words:
            kelurahan = sum(1 for a in self.areas if a.kind == "kelurahan" and a.tps)
            kecamatan = sum(1 for a in self.areas if a.kind == "kecamatan" and a.tps)
            options.append(
                Option(
                    ngettext(
                        "Every kelurahan ({n} file)", "Every kelurahan ({n} files)", kelurahan
                    ).format(n=kelurahan),
                    id=ALL_KELURAHAN,
                )
            )
            options.append(
                Option(
                    ngettext(
                        "Every kecamatan ({n} file)", "Every kecamatan ({n} files)", kecamatan
                    ).format(n=kecamatan),
                    id=ALL_KECAMATAN,
                )
            )
        for area in self.areas:
            text = f"{area.code} {area.name}".lower()
            if all(word in text for word in words):
                options.append(Option(area_line(area), id=area.code))
        listing = self.query_one("#areas", OptionList)
        listing.clear_options()
        listing.add_options(options)
        if options:
            listing.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_choose()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        listing = self.query_one("#areas", OptionList)
        if listing.option_count:
            current = listing.highlighted or 0
            listing.highlighted = max(0, min(listing.option_count - 1, current + step))

    def action_choose(self) -> None:
        listing = self.query_one("#areas", OptionList)
        if listing.highlighted is None:
            return
        option = listing.get_option_at_index(listing.highlighted)
        if option.id:
            self.dismiss(option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
