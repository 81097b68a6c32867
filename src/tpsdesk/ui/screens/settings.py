"""Settings (F8): the operator name, the language, what the officer form asks, and a new
passphrase."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Header, Input, Label, LoadingIndicator, Static

from tpsdesk.i18n import N_, _, get_language, ngettext
from tpsdesk.store.passphrase import passphrase_strength
from tpsdesk.store.vault import VaultError
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.widgets.key_bar import KeyBar


class SettingsScreen(BaseScreen):
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="settings.back"),
    ]

    def compose(self) -> ComposeResult:
        store = self.desk.require_store()
        yield Header()
        with VerticalScroll(id="settings"):
            yield Static(_("Operator"), classes="title")
            yield Static(
                _("The name written in the audit trail for every change made on this laptop."),
                classes="hint",
            )
            with Horizontal(classes="field-row"):
                yield Label(_("Operator name"), classes="field-label")
                yield Input(store.operator, id="operator", compact=True, select_on_focus=False)
            yield Button(_("Save name"), id="save-operator")
            if store.role == "district":
                yield Static(_("The district office"), classes="title section")
                yield Static(
                    _("The kabupaten/kota name and code that setup files carry to the laptops."),
                    classes="hint",
                )
                yield Button(_("District name and code…"), id="district-settings")
            elif store.role == "province":
                yield Static(_("The province office"), classes="title section")
                yield Static(
                    _("The province name and code that setup files carry to the kabupaten/kota."),
                    classes="hint",
                )
                yield Button(_("Province name and code…"), id="province-settings")
            yield Static(_("Language"), classes="title section")
            yield Static(
                _("Now: {language}. F9 switches between Indonesian and English.").format(
                    language=_("Indonesian") if get_language() == "id" else _("English")
                ),
                classes="hint",
            )
            yield from self._officer_form_settings()
            yield Static(_("Pay settings"), classes="title section")
            yield Static(
                _(
                    "Wage basis, JKK and JKM rates, rounding, honoraria and duty periods: "
                    "printed on every export."
                ),
                classes="hint",
            )
            yield Button(_("Pay settings…"), id="pay-settings")
            yield Static(_("Change the passphrase"), classes="title section")
            yield Static(
                _(
                    "The data stays as it is; only the key that opens it is wrapped again. "
                    "The recovery key keeps working."
                ),
                classes="hint",
            )
            for field_id, label in (
                ("current", _("Current passphrase")),
                ("new", _("New passphrase")),
                ("confirm", _("Repeat the new passphrase")),
            ):
                with Horizontal(classes="field-row"):
                    yield Label(label, classes="field-label")
                    yield Input(id=field_id, password=True, compact=True)
            yield Static("", id="strength", classes="hint")
            yield Static("", id="error", classes="error")
            yield LoadingIndicator(id="busy")
            yield Button(_("Change passphrase"), id="change", variant="primary")
        yield KeyBar()

    def _officer_form_settings(self) -> ComposeResult:
        from tpsdesk.exchange.bpjs_export import TemplateError, store_template
        from tpsdesk.exchange.mother_name import mother_name_asked, template_asks

        store = self.desk.require_store()
        try:
            in_template = template_asks(store_template(store))
        except TemplateError:
            in_template = True
        yield Static(_("The officer form"), classes="title section")
        yield Static(
            _(
                "The BPJS template has a column for the mother's maiden name "
                "(NAMA_IBU_KANDUNG): asked by default. It is sensitive: collect it only where "
                "the district requires it."
            )
            if in_template
            else _(
                "The BPJS template has no column for the mother's maiden name: not asked "
                "by default."
            ),
            classes="hint",
        )
        asked = mother_name_asked(store)
        yield Checkbox(
            _("Ask for the mother's maiden name"), asked, id="ask-mother-name", compact=True
        )
        # In words too: the box's mark differs only by its colour.
        yield Static(self._mother_name_now(asked), id="mother-name-now", classes="hint")

    @staticmethod
    def _mother_name_now(asked: bool) -> str:
        if asked:
            return _("Now: the officer form asks for it (Space changes it).")
        return _("Now: the officer form does not ask for it (Space changes it).")

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "ask-mother-name":
            self.query_one("#mother-name-now", Static).update(self._mother_name_now(event.value))
            self._save_mother_name(event.value)

    @work(exclusive=True, group="settings.mother-name", exit_on_error=False)
    async def _save_mother_name(self, asked: bool) -> None:
        from tpsdesk.exchange.mother_name import set_mother_name_asked

        await self.in_thread(set_mother_name_asked, self.desk.require_store(), asked)
        self.notify(
            _("Saved: the officer form asks for the mother's maiden name.")
            if asked
            else _("Saved: the officer form no longer asks for the mother's maiden name.")
        )

    def on_mount(self) -> None:
        self.title = _("Settings")
        self.query_one("#busy").display = False
        self.query_one("#operator", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "new":
            strength = passphrase_strength(event.value) if event.value else None
            self.query_one("#strength", Static).update(
                " ".join(strength.hints) if strength is not None else ""
            )
        self.query_one("#error", Static).update("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "operator":
            self._save_operator()
        elif event.input.id == "confirm":
            self._change_passphrase()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save-operator":
            self._save_operator()
        elif event.button.id == "change":
            self._change_passphrase()
        elif event.button.id in ("district-settings", "province-settings"):
            from tpsdesk.ui.screens.district_settings import OfficeSettingsScreen

            store = self.desk.require_store()
            self.app.push_screen(OfficeSettingsScreen.for_store(store), callback=self._office_saved)
        elif event.button.id == "pay-settings":
            from tpsdesk.ui.screens.pay_settings import PaySettingsScreen

            self.app.push_screen(PaySettingsScreen())

    def _office_saved(self, saved: object) -> None:
        from tpsdesk.ui.district.pane import office_settings_saved

        office_settings_saved(self.app, saved)

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _save_operator(self) -> None:
        store = self.desk.require_store()
        name = " ".join(self.query_one("#operator", Input).value.split())
        if name == store.operator:
            return
        await self.in_thread(store.set_operator, name)
        self.notify(_("Operator name saved."))

    def _change_passphrase(self) -> None:
        error = self.query_one("#error", Static)
        current = self.query_one("#current", Input).value
        new = self.query_one("#new", Input).value
        if not current:
            error.update(_("Enter the current passphrase."))
            self.query_one("#current", Input).focus()
            return
        strength = passphrase_strength(new)
        if not strength.acceptable:
            error.update(
                _("This passphrase is too weak. {hints}").format(hints=" ".join(strength.hints))
            )
            self.query_one("#new", Input).focus()
            return
        if new != self.query_one("#confirm", Input).value:
            error.update(_("The two passphrases differ. Type them again."))
            first = self.query_one("#new", Input)  # both emptied: which one is wrong is unknown
            with self.prevent(Input.Changed):
                first.value = ""
                self.query_one("#confirm", Input).value = ""
            self.query_one("#strength", Static).update("")
            first.focus()
            return
        self._change(current, new)

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _change(self, current: str, new: str) -> None:
        store = self.desk.require_store()
        busy = self.query_one("#busy")
        busy.display = True
        try:
            if not await self.in_thread(store.check_passphrase, current):
                self.query_one("#error", Static).update(_("The current passphrase is not right."))
                self.query_one("#current", Input).focus()
                return
            plan = await self.in_thread(store.rewrap_plan)
        except VaultError as failure:
            self.query_one("#error", Static).update(failure.message)
            return
        finally:
            busy.display = False
        if not plan.unreadable:
            await self._apply_now(new, remove=False)
            return
        # A damaged backup or kept-aside file cannot be re-wrapped, and it still holds the
        # data key under the current passphrase: it goes, or the passphrase stays.

        def answered(yes: bool | None) -> None:
            if yes:
                self._apply(new, remove=True)
            else:
                self.query_one("#error", Static).update(
                    _("The passphrase was not changed; nothing was removed.")
                )

        files = "\n".join(str(path) for path in plan.unreadable)
        self.app.push_screen(
            ConfirmScreen(
                ngettext(
                    "This file of the store is damaged and cannot be re-wrapped; it would "
                    "still open with the current passphrase:\n{files}\nRemove it and change "
                    "the passphrase?",
                    "These files of the store are damaged and cannot be re-wrapped; they "
                    "would still open with the current passphrase:\n{files}\nRemove them and "
                    "change the passphrase?",
                    len(plan.unreadable),
                ).format(files=files),
                yes=_("Remove (Y)"),
                no=_("Keep (N)"),
            ),
            callback=answered,
        )

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _apply(self, new: str, *, remove: bool) -> None:
        await self._apply_now(new, remove=remove)

    async def _apply_now(self, new: str, *, remove: bool) -> None:
        """The change itself, inside a worker of the "store" group."""
        store = self.desk.require_store()
        busy = self.query_one("#busy")
        busy.display = True
        try:
            left = await self.in_thread(store.change_passphrase, new, remove_unreadable=remove)
        except VaultError as failure:
            self.query_one("#error", Static).update(failure.message)
            return
        finally:
            busy.display = False
        for field_id in ("current", "new", "confirm"):
            self.query_one(f"#{field_id}", Input).value = ""
        self.notify(_("Passphrase changed. Use the new one from now on."))
        if left:
            self.query_one("#error", Static).update(
                _("These files of the store still open with the old passphrase; delete them:")
                + "\n"
                + "\n".join(str(path) for path in left)
            )

    def action_back(self) -> None:
        self.app.pop_screen()
