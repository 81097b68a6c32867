"""First run: create the encrypted store, then show the one-time recovery key."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Button, Input, Label, LoadingIndicator, Static

from tpsdesk.i18n import N_, _
from tpsdesk.store.db import Store, StoreError
from tpsdesk.store.passphrase import passphrase_strength
from tpsdesk.store.vault import KdfParams, VaultError
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.widgets.key_bar import KeyBar

STRENGTH_LABELS = (N_("very weak"), N_("weak"), N_("fair"), N_("good"), N_("strong"))


class CreateStoreScreen(BaseScreen):
    BINDINGS = [
        Binding(
            "escape",
            "back",
            N_("Back"),
            id="create.back",
            tooltip=N_("Back to the choice between field desk and district office"),
        ),
        Binding(
            "f2",
            "create",
            N_("Create store"),
            id="create.submit",
            tooltip=N_("Create the encrypted store with this passphrase"),
        ),
        Binding(
            "f9",
            "app.switch_language",
            N_("Language"),
            id="create.language",
            tooltip=N_("Switch between Indonesian and English"),
        ),
    ]

    def __init__(self, role: str = "field") -> None:
        super().__init__()
        self.role = role

    def compose(self) -> ComposeResult:
        district = self.role == "district"
        with Center(), Vertical(id="gate", classes="gate"):
            yield Static(
                _("New store of the district office")
                if district
                else _("New store of a kelurahan or kecamatan desk"),
                classes="title",
            )
            yield Static(
                _(
                    "Officer data is kept encrypted on this computer. Choose a passphrase of at "
                    "least 10 characters; it is needed every time tpsdesk opens."
                ),
                classes="hint",
            )
            yield Label(
                _("Operator name (the clerk who decides at this desk)")
                if district
                else _("Operator name (who uses this laptop)")
            )
            yield Input(
                id="operator",
                placeholder=_("e.g. Staff of the KPU of Kota Malang")
                if district
                else _("e.g. Staff of Kelurahan Sukun"),
            )
            yield Label(_("Passphrase"))
            yield Input(id="passphrase", password=True)
            yield Static("", id="strength", classes="hint")
            yield Label(_("Repeat the passphrase"))
            yield Input(id="confirm", password=True)
            yield Static("", id="error", classes="error")
            yield LoadingIndicator(id="busy")
            yield Button(_("Create store (F2)"), id="create", variant="primary")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#busy").display = False
        self.query_one("#operator", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "passphrase":
            strength_label = self.query_one("#strength", Static)
            if not event.value:
                strength_label.update("")
                return
            strength = passphrase_strength(event.value)
            text = _("Strength: {label}").format(label=_(STRENGTH_LABELS[strength.score]))
            if strength.hints:
                text += " — " + " ".join(strength.hints)
            strength_label.update(text)
            strength_label.set_class(not strength.acceptable, "warning")
        self.query_one("#error", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "confirm":
            self.action_create()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "create":
            self.action_create()

    def action_back(self) -> None:
        from tpsdesk.ui.screens.role_choice import RoleChoiceScreen

        self.app.switch_screen(RoleChoiceScreen())

    def _show_error(self, message: str) -> None:
        self.query_one("#error", Static).update(message)

    def action_create(self) -> None:
        passphrase = self.query_one("#passphrase", Input).value
        confirm = self.query_one("#confirm", Input).value
        if not passphrase:
            self._show_error(_("Enter a passphrase."))
            self.query_one("#passphrase", Input).focus()
            return
        strength = passphrase_strength(passphrase)
        if not strength.acceptable:
            self._show_error(
                _("This passphrase is too weak. {hints}").format(hints=" ".join(strength.hints))
            )
            self.query_one("#passphrase", Input).focus()
            return
        if passphrase != confirm:
            self._show_error(_("The two passphrases differ. Type them again."))
            # Both emptied (which one is mistyped cannot be told), the first focused; emptying
            # must not count as typing, which clears the message.
            first = self.query_one("#passphrase", Input)
            with self.prevent(Input.Changed):
                first.value = ""
                self.query_one("#confirm", Input).value = ""
            self.query_one("#strength", Static).update("")
            first.focus()
            return
        operator = self.query_one("#operator", Input).value.strip()
        self._create(passphrase, operator)

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _create(self, passphrase: str, operator: str) -> None:
        busy = self.query_one("#busy")
        button = self.query_one("#create", Button)
        busy.display = True
        button.disabled = True
        try:
            store, recovery_key = await self.in_thread(
                create_store, self.desk.store_path, passphrase, operator, self.desk.kdf, self.role
            )
        except (VaultError, StoreError) as error:
            self._show_error(error.message)
            return
        finally:
            busy.display = False
            button.disabled = False
        self.desk.store = store
        self.app.push_screen(
            RecoveryKeyScreen(recovery_key), callback=lambda _result: self.desk.store_opened(store)
        )


def create_store(
    path: Path, passphrase: str, operator: str, kdf: KdfParams | None, role: str = "field"
) -> tuple[Store, str]:
    """A new store with its signing identity, as `tpsdesk init [--district]` makes it."""
    from tpsdesk.sync.identity import ensure_device_identity

    store, recovery_key = Store.create(path, passphrase, role=role, operator=operator, kdf=kdf)
    ensure_device_identity(store)
    if role == "field":
        from tpsdesk.store.election import begin_first_start

        begin_first_start(store)  # the first start leads through the area and the election
    return store, recovery_key


class RecoveryKeyScreen(BaseScreen):
    """Shown once: the key that can reset a forgotten passphrase."""

    BINDINGS = [
        Binding(
            "f2",
            "done",
            N_("Continue"),
            id="recovery.done",
            tooltip=N_("I have written the recovery key down"),
        ),
    ]

    def __init__(self, recovery_key: str) -> None:
        super().__init__()
        self.recovery_key = recovery_key

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="gate", classes="gate"):
            yield Static(_("Your recovery key"), classes="title")
            yield Static(self.recovery_key, id="recovery-key", classes="recovery-key")
            yield Static(
                _(
                    "Write this key on paper and keep it somewhere safe, away from the laptop. "
                    "It is shown only this once. With it you can set a new passphrase if the "
                    "old one is forgotten; without both, the data cannot be opened by anyone."
                ),
                classes="hint",
            )
            yield Label(_("To confirm, type the last four characters of the key"))
            yield Input(id="check", max_length=4)
            yield Static("", id="error", classes="error")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#check", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_done()

    def action_done(self) -> None:
        typed = self.query_one("#check", Input).value.strip().upper()
        if typed != self.recovery_key.replace("-", "")[-4:].upper():
            self.query_one("#error", Static).update(
                _(
                    "That does not match the end of the key. "
                    "Look again and type its last four characters."
                )
            )
            return
        self.dismiss(None)
