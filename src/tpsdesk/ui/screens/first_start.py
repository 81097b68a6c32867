"""First start of a new field store, over the dashboard: (1) how the area comes — enrol with the
district's setup file (the usual way: the sync screen's enrol, the file chosen on the drive, the
fingerprint read out by phone) or set it up by hand; (2) the election's settings (duty periods,
honoraria; ages are checked on the first day of duty). Each step can be put off ("later"); the
dashboard's election banner then says so. The state is kept in the store (`store.election`), so
a first start left half-way comes back at the next unlock. A district store has none.
"""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tpsdesk.domain.dates import format_date
from tpsdesk.domain.election import DONE, LATER, STEP_AREA, STEP_ELECTION
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.store.db import Store
from tpsdesk.store.election import (
    ElectionStatus,
    election_saved_on,
    first_start_state,
    has_area,
    set_first_start_step,
)
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.widgets.key_bar import KeyBar

CHOICES = {
    STEP_AREA: ("enrol", "by_hand", "later"),
    STEP_ELECTION: ("settings", "later"),
}


class FirstStartScreen(BaseScreen):
    DEFAULT_CSS = """
    FirstStartScreen #first-start {
        width: 76;
        max-width: 100%;
        height: auto;
    }
    FirstStartScreen OptionList {
        height: auto;
        margin: 1 0;
    }
    """

    BINDINGS = [
        Binding("1", "choose(1)", N_("First choice"), id="first.one", show=False),
        Binding("2", "choose(2)", N_("Second choice"), id="first.two", show=False),
        Binding("3", "choose(3)", N_("Third choice"), id="first.three", show=False),
        Binding(
            "l",
            "later",
            N_("Later"),
            id="first.later",
            tooltip=N_("Put this step off; the dashboard reminds you"),
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.step: str | None = None
        self.tried = False  # a choice was opened and came back without finishing the step

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="first-start", classes="gate"):
            yield Static("", id="step-title", classes="title")
            yield Static("", id="step-text")
            yield OptionList(id="choices")
            yield Static("", id="step-note", classes="warning")
            yield Static(
                _("Choose with the arrow keys and Enter, or press the number; L: later."),
                classes="hint",
            )
        yield KeyBar()

    def on_mount(self) -> None:
        self.title = _("Setting up this laptop")
        self.query_one("#step-note").display = False
        self.advance()

    def on_screen_resume(self) -> None:
        self.advance()

    @work(exclusive=True, group="first-start", exit_on_error=False)
    async def advance(self) -> None:
        """Note what the screen just opened achieved, then show the next open step."""
        store = self.desk.require_store()
        step = await self.in_thread(_next_step, store)
        if step is None:
            self.app.pop_screen()
            return
        came_back = self.tried and step == self.step
        self.tried = False
        self.step = step
        self._show(step, came_back)

    def _show(self, step: str, came_back: bool) -> None:
        options = self.query_one("#choices", OptionList)
        options.clear_options()
        if step == STEP_AREA:
            title = _("Step 1 of 2: the area of this laptop")
            text = _(
                "The district office usually gives a setup file (.tpss) on a flash drive: "
                "enrolling with it brings the kecamatan, kelurahan and TPS of this laptop and "
                "the election's posts; you read its fingerprint to the district by phone. "
                "Without one, set the area up by hand."
            )
            options.add_options(
                [
                    Option(_("1  Enrol with the district's setup file (usual)"), id="enrol"),
                    Option(_("2  Set up the kecamatan, kelurahan and TPS by hand"), id="by_hand"),
                    Option(_("3  Later"), id="later"),
                ]
            )
            note = _("No area yet. Choose again, or L to do it later.")
        else:
            title = _("Step 2 of 2: the election's settings")
            text = _(
                "The duty period of every post (ages are checked on its first day) and the "
                "honorarium of every post. Until they are saved they are those of Pilkada "
                "2024, or of the district's setup file."
            )
            options.add_options(
                [
                    Option(_("1  Open the election settings"), id="settings"),
                    Option(_("2  Later"), id="later"),
                ]
            )
            note = _("The settings are not saved yet. Choose again, or L to do it later.")
        self.query_one("#step-title", Static).update(title)
        self.query_one("#step-text", Static).update(text)
        step_note = self.query_one("#step-note", Static)
        step_note.update(note if came_back else "")
        step_note.display = came_back
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.run_choice(event.option.id)

    def action_choose(self, number: int) -> None:
        if self.step is None:
            return
        choices = CHOICES[self.step]
        if 1 <= number <= len(choices):
            self.run_choice(choices[number - 1])

    def action_later(self) -> None:
        if self.step is not None:
            self.run_choice("later")

    @work(exclusive=True, group="first-start-choice", exit_on_error=False)
    async def run_choice(self, choice: str) -> None:
        step = self.step
        if step is None:
            return
        if choice == "later":
            await self.in_thread(set_first_start_step, self.desk.require_store(), step, LATER)
            self.advance()
            return
        self.tried = True
        if choice == "enrol":
            from tpsdesk.ui.screens.sync_screen import SyncScreen

            sync = SyncScreen(back_after_enrol=True)
            await self.app.push_screen(sync)
            sync.action_enrol()  # the setup file chosen on the drive, as E would
        elif choice == "by_hand":
            from tpsdesk.ui.screens.area import AreaScreen

            await self.app.push_screen(AreaScreen())
        elif choice == "settings":
            from tpsdesk.ui.screens.pay_settings import PaySettingsScreen

            await self.app.push_screen(PaySettingsScreen())


def _next_step(store: Store) -> str | None:
    """The first step neither done nor put off (an area or saved settings mark it done)."""
    state = first_start_state(store)
    if state is None:
        return None
    if state[STEP_AREA] is None and has_area(store):
        set_first_start_step(store, STEP_AREA, DONE)
        state[STEP_AREA] = DONE
    if state[STEP_ELECTION] is None and election_saved_on(store) is not None:
        set_first_start_step(store, STEP_ELECTION, DONE)
        state[STEP_ELECTION] = DONE
    for step in (STEP_AREA, STEP_ELECTION):
        if state[step] is None:
            return step
    return None


def election_banner(status: ElectionStatus, *, key: str) -> str:
    """The dashboard's lines on the area and election settings (empty: nothing to say);
    `key` opens the election settings."""
    lines: list[str] = []
    if status.area_later:
        lines.append(
            _(
                "No area yet (put off at the first start): F7 enrols with the district's setup "
                "file, F2 sets it up by hand."
            )
        )
    if status.election_later:
        lines.append(
            _(
                "Election settings put off: the duty periods and honoraria are not this "
                "election's yet. Press {key} to set them."
            ).format(key=key)
        )
    elif status.old and status.saved_on is not None:
        lines.append(
            _(
                "The election settings were saved on {date}, more than a year ago. Press {key} "
                "to check the duty periods and honoraria."
            ).format(date=format_date(status.saved_on), key=key)
        )
    elif status.old:
        lines.append(
            _(
                "The duty periods are those of a past election (Pilkada 2024). Press {key} to "
                "set this election's."
            ).format(key=key)
        )
    if status.late:
        posts = "; ".join(
            ngettext(
                "{post}: {count} officer after {date}",
                "{post}: {count} officers after {date}",
                late.officers,
            ).format(
                post=late.post.name,
                count=late.officers,
                date=format_date(late.post.duty_end) if late.post.duty_end else "",
            )
            for late in status.late
        )
        lines.append(
            _(
                "Officers added or changed after their duty period ended — {posts}. Press {key} "
                "to check the periods."
            ).format(posts=posts, key=key)
        )
    return escape("\n".join(lines))
