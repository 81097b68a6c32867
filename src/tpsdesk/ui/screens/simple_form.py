"""A small modal form of text fields whose submit runs off the UI thread and may refuse with a
message (used for area set-up and file paths)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

from tpsdesk.i18n import N_, _
from tpsdesk.ui.screens.base import BaseModal


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    value: str = ""
    placeholder: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (label, value): a Select instead of an Input


class SubmitRefused(Exception):
    """Raised by a submit function: the message is shown in the form, which stays open."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SimpleForm(BaseModal[object]):
    BINDINGS = [
        Binding("f2", "submit", N_("Save"), id="simple_form.save"),
        Binding("escape", "cancel", N_("Cancel"), id="simple_form.cancel"),
    ]

    def __init__(
        self,
        title: str,
        form_fields: list[FormField],
        submit: Callable[[dict[str, str]], object],
        *,
        hint: str = "",
    ) -> None:
        super().__init__()
        self.form_title = title
        self.form_fields = form_fields
        self.submit = submit
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(self.form_title, classes="title")
            if self.hint:
                yield Static(self.hint, classes="hint")
            for form_field in self.form_fields:
                with Horizontal(classes="field-row"):
                    yield Label(form_field.label, classes="field-label")
                    if form_field.choices:
                        yield Select(
                            list(form_field.choices),
                            id=form_field.key,
                            allow_blank=False,
                            value=form_field.value or form_field.choices[0][1],
                            compact=True,
                        )
                    else:
                        yield Input(
                            form_field.value,
                            id=form_field.key,
                            placeholder=form_field.placeholder,
                            compact=True,
                            select_on_focus=False,
                        )
            yield Static("", id="error", classes="error")
            yield Static(_("Enter moves on, F2 saves, Esc cancels."), classes="hint")

    def on_mount(self) -> None:
        self.query_one(f"#{self.form_fields[0].key}").focus()

    def values(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for form_field in self.form_fields:
            widget = self.query_one(f"#{form_field.key}")
            if isinstance(widget, Select):
                result[form_field.key] = "" if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, Input):
                result[form_field.key] = widget.value
        return result

    def on_input_submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if inputs and event.input is inputs[-1]:
            self.action_submit()
        else:
            self.focus_next()

    def action_submit(self) -> None:
        self._submit(self.values())

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _submit(self, values: dict[str, str]) -> None:
        try:
            result = await self.in_thread(self.submit, values)
        except SubmitRefused as refused:
            self.query_one("#error", Static).update(refused.message)
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
