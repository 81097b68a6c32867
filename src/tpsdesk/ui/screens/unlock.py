"""Later runs: unlock the store, or reset a forgotten passphrase with the recovery key."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Input, Label, LoadingIndicator, Static

from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.store.db import Store, StoreError
from tpsdesk.store.passphrase import passphrase_strength
from tpsdesk.store.vault import DamagedStore, VaultError
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.widgets.key_bar import KeyBar


class UnlockScreen(BaseScreen):
    BINDINGS = [
        Binding(
            "f6",
            "recover",
            N_("Forgot passphrase"),
            id="unlock.recover",
            tooltip=N_("Set a new passphrase with the recovery key"),
        ),
        Binding(
            "f7",
            "restore_backup",
            N_("Use backup"),
            id="unlock.restore",
            show=False,
            tooltip=N_("Replace a damaged store with its newest backup"),
        ),
        Binding(
            "f9",
            "app.switch_language",
            N_("Language"),
            id="unlock.language",
            tooltip=N_("Switch between Indonesian and English"),
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.backup: Path | None = None

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="gate", classes="gate"):
            yield Static(_("Open the store"), classes="title")
            yield Static(str(self.desk.store_path), classes="hint")
            yield Label(_("Passphrase"))
            yield Input(id="passphrase", password=True)
            yield Static("", id="error", classes="error")
            yield LoadingIndicator(id="busy")
            yield Static(
                _("Press Enter to open. Forgot the passphrase? Press F6 and use the recovery key."),
                classes="hint",
            )
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#busy").display = False
        self.query_one("#passphrase", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value:
            self._show_error(_("Enter the passphrase."))
            return
        self._unlock(event.value)

    def _show_error(self, message: str) -> None:
        self.query_one("#error", Static).update(message)

    def _set_busy(self, busy: bool) -> None:
        self.query_one("#busy").display = busy
        self.query_one("#passphrase", Input).disabled = busy

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _unlock(self, passphrase: str) -> None:
        from tpsdesk.store.db import Store

        self._show_error("")
        self._set_busy(True)
        try:
            store = await self.in_thread(Store.open, self.desk.store_path, passphrase)
        except DamagedStore as error:
            self.backup = error.backup
            self._offer_backup(error)
            return
        except (VaultError, StoreError) as error:
            self._show_error(error.message)
            return
        finally:
            self._set_busy(False)
            field = self.query_one("#passphrase", Input)
            field.focus()
        if store.database is not None:
            # A district database reached without TLS verifying the server: said at each open.
            for warning in store.database.warnings():
                self.app.notify(warning, severity="warning", timeout=15)
        self.desk.store_opened(store)

    def _offer_backup(self, error: DamagedStore) -> None:
        message = error.message
        if error.backup is not None:
            message += "\n" + _(
                "Press F7 to replace it with the backup (the damaged file is kept aside)."
            )
        self._show_error(message)

    def action_restore_backup(self) -> None:
        passphrase = self.query_one("#passphrase", Input).value
        if self.backup is None:
            return
        if not passphrase:
            # The backup must open with this store's passphrase: it is asked, never skipped.
            self._show_error(_("Enter the passphrase, then press F7 again."))
            self.query_one("#passphrase", Input).focus()
            return
        self._restore(self.backup, passphrase)

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _restore(self, backup: Path, passphrase: str) -> None:
        from tpsdesk.store.db import Store

        self._set_busy(True)
        try:
            # Store.restore_backup, not Vault's: the backup's version counters were used again
            # after it was taken, so the restored store must go on under a new device id.
            store = await self.in_thread(
                Store.restore_backup, self.desk.store_path, backup, passphrase
            )
        except (VaultError, StoreError) as error:
            self._show_error(error.message)
            return
        finally:
            self._set_busy(False)
        self.backup = None
        self.notify(_("The backup was put in place. Opening it now."))
        self.desk.store_opened(store)

    def action_recover(self) -> None:
        self.app.push_screen(RecoverScreen())


class RecoverScreen(BaseScreen):
    """Reset the passphrase with the recovery key shown when the store was created."""

    BINDINGS = [
        Binding(
            "f2",
            "reset",
            N_("Set passphrase"),
            id="recover.submit",
            tooltip=N_("Open the store with the recovery key and set a new passphrase"),
        ),
        Binding("escape", "back", N_("Back"), id="recover.back"),
    ]

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="gate", classes="gate"):
            yield Static(_("Set a new passphrase"), classes="title")
            yield Label(_("Recovery key"))
            yield Input(id="recovery", placeholder="XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
            yield Label(_("New passphrase"))
            yield Input(id="passphrase", password=True)
            yield Static("", id="strength", classes="hint")
            yield Label(_("Repeat the new passphrase"))
            yield Input(id="confirm", password=True)
            yield Static("", id="error", classes="error")
            yield LoadingIndicator(id="busy")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#busy").display = False
        self.query_one("#recovery", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "passphrase":
            strength = passphrase_strength(event.value) if event.value else None
            self.query_one("#strength", Static).update(
                " ".join(strength.hints) if strength is not None else ""
            )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "confirm":
            self.action_reset()
        else:
            self.focus_next()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reset(self) -> None:
        error = self.query_one("#error", Static)
        key = self.query_one("#recovery", Input).value
        passphrase = self.query_one("#passphrase", Input).value
        if not key.strip():
            error.update(_("Enter the recovery key."))
            return
        strength = passphrase_strength(passphrase)
        if not strength.acceptable:
            error.update(
                _("This passphrase is too weak. {hints}").format(hints=" ".join(strength.hints))
            )
            return
        if passphrase != self.query_one("#confirm", Input).value:
            error.update(_("The two passphrases differ. Type them again."))
            first = self.query_one("#passphrase", Input)  # both emptied, the first focused
            with self.prevent(Input.Changed):
                first.value = ""
                self.query_one("#confirm", Input).value = ""
            self.query_one("#strength", Static).update("")
            first.focus()
            return
        self._reset(key, passphrase)

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _reset(self, key: str, passphrase: str) -> None:
        busy = self.query_one("#busy")
        busy.display = True
        try:
            store = await self.in_thread(
                Store.open_with_recovery, self.desk.store_path, key, passphrase
            )
            plan = await self.in_thread(store.rewrap_plan)
        except (VaultError, StoreError) as error:
            self.query_one("#error", Static).update(error.message)
            return
        finally:
            busy.display = False
        if not plan.unreadable:
            self._finish(store)
            return
        # Damaged backups or kept-aside files could not be re-wrapped: they still open with
        # the forgotten passphrase. Removed once the person agrees.

        def answered(yes: bool | None) -> None:
            if yes:
                self._remove_then_finish(store)
            else:
                self._finish(store, left=list(plan.unreadable))

        self.app.push_screen(
            ConfirmScreen(
                ngettext(
                    "This file of the store is damaged and could not be re-wrapped; it still "
                    "opens with the old passphrase:\n{files}\nRemove it?",
                    "These files of the store are damaged and could not be re-wrapped; they "
                    "still open with the old passphrase:\n{files}\nRemove them?",
                    len(plan.unreadable),
                ).format(files="\n".join(str(path) for path in plan.unreadable)),
                yes=_("Remove (Y)"),
                no=_("Keep (N)"),
            ),
            callback=answered,
        )

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _remove_then_finish(self, store: Store) -> None:
        left = await self.in_thread(store.remove_unreadable)
        self._finish(store, left=left)

    def _finish(self, store: Store, *, left: list[Path] | None = None) -> None:
        self.notify(_("New passphrase set. Use it from now on."))
        if left:
            self.notify(
                _("These files of the store still open with the old passphrase; delete them:")
                + "\n"
                + "\n".join(str(path) for path in left),
                severity="warning",
                timeout=30,
            )
        self.app.pop_screen()
        self.desk.store_opened(store)
