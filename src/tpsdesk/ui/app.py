"""The tpsdesk terminal app: built by a factory so tests and the CLI share one construction."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tpsdesk import prefs
from tpsdesk.i18n import LANGUAGES, N_, _, get_language, set_language
from tpsdesk.ui.bindings import translate_bindings

if TYPE_CHECKING:
    from tpsdesk.store.db import Store
    from tpsdesk.store.vault import KdfParams


WARM_UP_DELAY_S = 2.0


class TpsDeskApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tpsdesk"
    ENABLE_COMMAND_PALETTE = False

    BINDINGS = [
        Binding("f1", "help", N_("Help"), id="app.help", tooltip=N_("Show every key")),
        Binding("f3", "search", N_("Search"), id="app.search", tooltip=N_("Search by name or NIK")),
        Binding(
            "f9",
            "switch_language",
            N_("Language"),
            id="app.language",
            # Shown on the create/unlock screens and in F1 help; at 80 columns the footers of
            # the working screens need the room for their own keys.
            show=False,
            tooltip=N_("Switch between Indonesian and English"),
        ),
        Binding("f10", "quit", N_("Quit"), id="app.quit", tooltip=N_("Close tpsdesk")),
    ]

    def __init__(
        self,
        store_path: Path,
        *,
        kdf: KdfParams | None = None,
        today: date | None = None,
        warm_up: bool = False,
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.store_path = store_path
        self.kdf = kdf
        self.fixed_today = today
        # Off in tests: each app would pay a full collection, and freeze what it holds.
        self.warm_up_enabled = warm_up
        self.warm_up_called_off = False
        self.store: Store | None = None
        self.sub_title = str(store_path)

    @property
    def today(self) -> date:
        return self.fixed_today or date.today()

    def on_mount(self) -> None:
        from tpsdesk.ui.screens.role_choice import RoleChoiceScreen
        from tpsdesk.ui.screens.unlock import UnlockScreen

        if self.store_path.exists():
            self.push_screen(UnlockScreen())
        else:
            self.push_screen(RoleChoiceScreen())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The safety net: a failed background task is told to the user, never a traceback."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        message = getattr(error, "message", None)
        if not isinstance(message, str):
            message = _("Something went wrong: {error}. Nothing was saved by this step.").format(
                error=type(error).__name__
            )
        self.notify(message, severity="error", timeout=10)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        from tpsdesk.ui.screens.create_store import RecoveryKeyScreen

        if action == "search":
            from tpsdesk.ui.screens.search import SearchScreen

            # Nothing to search before a store is open; on the search screen F3 is a no-op.
            return self.store is not None and not isinstance(self.screen, SearchScreen)
        # Rebuilding the screens would drop the recovery key, which is shown only once.
        return not (action == "switch_language" and isinstance(self.screen, RecoveryKeyScreen))

    def store_opened(self, store: Store) -> None:
        """Called by the create/unlock screens: replace them with the dashboard (a field
        store) or the office desk (a district or province store; a new one asks the office's
        name and code first)."""
        self.store = store
        self.switch_screen(self.home_screen())
        self.refresh_bindings()
        if self.warm_up_enabled:
            # Not at once: a tab the clerk opens straight away reads without competing.
            self.warm_up_called_off = False
            self.set_timer(WARM_UP_DELAY_S, self.warm_up)
        if store.role in ("district", "province"):
            from tpsdesk.sync.identity import district_settings
            from tpsdesk.ui.district.pane import office_settings_saved
            from tpsdesk.ui.screens.district_settings import OfficeSettingsScreen

            # A province keeps its name and code where a district keeps its own.
            if district_settings(store) is None:
                self.push_screen(
                    OfficeSettingsScreen.for_store(store, first_run=True),
                    callback=lambda saved: office_settings_saved(self, saved),
                )
        else:
            self.first_start_if_pending(store)

    def first_start_if_pending(self, store: Store) -> None:
        """A new field store: the area, then the election's settings (first_start.py)."""
        from tpsdesk.store.election import first_start_pending
        from tpsdesk.ui.screens.first_start import FirstStartScreen

        if store.role == "field" and first_start_pending(store):
            self.push_screen(FirstStartScreen())

    def warm_up(self) -> None:
        """Import and settle now what the first keystrokes would pay (ui/warm_up.py)."""
        from tpsdesk.ui.warm_up import warm_up

        self.run_worker(
            lambda: warm_up(lambda: self.warm_up_called_off),
            thread=True,
            group="warm-up",
            exit_on_error=False,
        )

    def home_screen(self) -> Screen[None]:
        """The screen a store opens on: the district desk or the field dashboard."""
        from tpsdesk.ui.district.desk import DistrictDeskScreen
        from tpsdesk.ui.screens.dashboard import DashboardScreen

        store = self.require_store()
        if store.role == "province":
            # The district desk one level up: its senders are districts (ui/province/).
            from tpsdesk.ui.province.desk import ProvinceDeskScreen

            return ProvinceDeskScreen()
        return DistrictDeskScreen() if store.role == "district" else DashboardScreen()

    def require_store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the store is not open")
        return self.store

    def action_help(self) -> None:
        from tpsdesk.ui.district.pane import DeskPane
        from tpsdesk.ui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        rows: list[tuple[str, str]] = []
        seen: set[str] = set()
        # Every key of the screen, also those its footer hides now (nothing to undo, a
        # single page): the chain of bindings, not the active ones, which leave those out.
        for node, bindings in self.screen._modal_binding_chain:
            # Only tpsdesk's own keys (they all have ids): a focused widget's or Textual's
            # (cursor keys, tab, copy…) are not ours to explain, and are not translated.
            if not (node in (self.screen, self) or isinstance(node, DeskPane)):
                continue
            for key, binding in bindings:
                if binding.id is None or not binding.description or key in seen:
                    continue
                seen.add(key)
                rows.append((self.get_key_display(binding), binding.description))
        self.push_screen(HelpScreen(rows))

    def action_search(self) -> None:
        from tpsdesk.ui.screens.search import SearchScreen

        if self.store is None or isinstance(self.screen, SearchScreen):
            return
        self.push_screen(SearchScreen())

    def action_switch_language(self) -> None:
        current = get_language()
        following = LANGUAGES[(LANGUAGES.index(current) + 1) % len(LANGUAGES)]
        set_language(following)
        prefs.save_pref("language", following)
        translate_bindings(self)
        if self.store is not None and self.store.role in ("district", "province"):
            self.rebuild_screens()
        else:
            self.run_worker(self.relabel_screens(), group="language", exit_on_error=False)
        self.notify(_("Language: English") if following == "en" else _("Language: Indonesian"))

    async def relabel_screens(self) -> None:
        """Every screen of the field desk's stack in the new language, where it was, with
        what it holds (ui/relabel.py); dialogs only translate their keys."""
        from tpsdesk.ui.relabel import relabel
        from tpsdesk.ui.screens.base import BaseScreen
        from tpsdesk.ui.screens.officer_form import OfficerFormScreen

        for screen in list(self.screen_stack[1:]):
            if isinstance(screen, BaseScreen | OfficerFormScreen):
                await relabel(screen)
            else:
                # A dialog keeps its texts but its keys (its own and its widgets') follow.
                for node in (screen, *screen.query("*")):
                    translate_bindings(node)
                screen.refresh_bindings()
        self.refresh_bindings()

    def rebuild_screens(self) -> None:
        """Recreate the visible screens so every label follows the new language."""
        from tpsdesk.ui.screens.create_store import CreateStoreScreen
        from tpsdesk.ui.screens.role_choice import RoleChoiceScreen
        from tpsdesk.ui.screens.unlock import UnlockScreen

        creating = self.screen if isinstance(self.screen, CreateStoreScreen) else None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if self.store is not None:
            self.switch_screen(self.home_screen())
            self.first_start_if_pending(self.store)
        elif self.store_path.exists():
            self.switch_screen(UnlockScreen())
        elif creating is not None:
            self.switch_screen(CreateStoreScreen(role=creating.role))
        else:
            self.switch_screen(RoleChoiceScreen())

    def close_store(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
        if self.warm_up_enabled:
            from tpsdesk.ui.warm_up import release

            self.warm_up_called_off = True  # a warm-up still importing freezes nothing now
            release()

    async def action_quit(self) -> None:
        self.close_store()
        self.exit()


def build_app(
    store_path: Path,
    *,
    language: str | None = None,
    kdf: KdfParams | None = None,
    today: date | None = None,
    warm_up: bool = False,
) -> TpsDeskApp:
    """Choose the language first: screens translate their labels when they are created."""
    set_language(language or prefs.preferred_language())
    return TpsDeskApp(store_path, kdf=kdf, today=today, warm_up=warm_up)


def run_app(store_path: Path, language: str | None = None, kdf: KdfParams | None = None) -> None:
    app = build_app(store_path, language=language, kdf=kdf, warm_up=True)
    try:
        app.run()
    finally:
        app.close_store()
