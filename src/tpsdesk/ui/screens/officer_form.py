"""The officer form: validates as you type, reads the birth date and sex out of the NIK, and
reports a NIK already in the store at once, with where it is."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.validation import ValidationResult as InputValidation
from textual.validation import Validator
from textual.widget import Widget
from textual.widgets import Header, Input, Label, Select, Static

from tpsdesk.domain.dates import format_date
from tpsdesk.domain.nik import parse_nik
from tpsdesk.domain.officer import OfficerDraft, validate_field, validate_officer
from tpsdesk.domain.posts import Unit
from tpsdesk.domain.problems import Problem, Severity
from tpsdesk.exchange.mother_name import mother_name_asked
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.store import officers
from tpsdesk.store.db import Store, StoreError
from tpsdesk.store.models import Officer
from tpsdesk.store.officers import OfficerHit
from tpsdesk.sync.corrections import Correction
from tpsdesk.ui.bindings import modal_app_keys
from tpsdesk.ui.screens.base import BaseModal
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.units import UnitRef
from tpsdesk.ui.widgets.key_bar import KeyBar


@dataclass(frozen=True)
class FormResult:
    officer_id: str
    add_next: bool = False


# (draft field, label); the order is the order of entry on paper forms.
TEXT_FIELDS: tuple[tuple[str, str], ...] = (
    ("nik", N_("NIK")),
    ("name", N_("Name (as on KTP)")),
    ("birth_place", N_("Place of birth")),
    ("birth_date", N_("Date of birth")),
    ("sex", N_("Sex (L/P)")),
    ("address", N_("Address")),
    ("postcode", N_("Postcode")),
    ("phone", N_("Mobile number")),
    ("email", N_("E-mail")),
    ("marital_status", N_("Married (Y/T)")),
    ("mother_name", N_("Mother's maiden name")),
    ("duty_start", N_("Duty starts")),
    ("duty_end", N_("Duty ends")),
)
DATE_FIELDS = frozenset({"birth_date", "duty_start", "duty_end"})
REQUIRED_FIELDS = frozenset({"nik", "name", "birth_place", "birth_date", "sex", "address"})


class DomainValidator(Validator):
    """Runs the domain rule of one field against the whole form (cross-field rules need it)."""

    def __init__(self, form: OfficerFormScreen, field: str) -> None:
        super().__init__()
        self.form = form
        self.field = field

    def validate(self, value: str) -> InputValidation:
        errors = [p.message for p in self.form.problems_for(self.field, value) if p.is_error]
        return self.failure(" ".join(errors)) if errors else self.success()


class OfficerFormScreen(BaseModal[FormResult | None]):
    BINDINGS = [
        Binding("f2", "save(False)", N_("Save"), id="form.save", tooltip=N_("Save and go back")),
        Binding(
            "f4",
            "save(True)",
            N_("Save + next"),
            id="form.save_next",
            tooltip=N_("Save, then start the next empty post"),
        ),
        Binding(
            "escape", "cancel", N_("Cancel"), id="form.cancel", tooltip=N_("Leave without saving")
        ),
        Binding(
            "f7",
            "correction",
            N_("District's values"),
            id="form.correction",
            tooltip=N_("The district's correction beside this laptop's values: take or keep"),
        ),
        # A modal screen hides the app's keys: the form offers them itself (F10 asks first
        # when what was typed would be lost; F9 keeps it, ui/relabel.py).
        *modal_app_keys("form", quit_action="quit_desk"),
    ]

    def __init__(
        self, unit: UnitRef, *, officer_id: str | None = None, post_code: str | None = None
    ) -> None:
        super().__init__()
        self.unit = unit
        self.officer_id = officer_id
        self.initial_post = post_code
        self.duplicates: list[OfficerHit] = []
        self.loaded: OfficerDraft | None = None
        self.saving = False
        self.outside_area: str | None = None
        self._inputs: dict[str, Input] = {}
        self._messages: dict[str, Static] = {}
        self.has_correction = False

    def forget_widgets(self) -> None:
        """F9 composed the form again (ui/relabel.py): the fields are new widgets."""
        self._inputs = {}
        self._messages = {}

    # Every keystroke reads the whole form several times; a query walks the DOM each time
    # (tens of milliseconds per keystroke), so the fields are looked up once.
    @property
    def inputs(self) -> dict[str, Input]:
        """The text fields by draft field name (mother_name only when the store asks for it)."""
        if not self._inputs:
            self._inputs = {widget.id: widget for widget in self.query(Input) if widget.id}
        return self._inputs

    @property
    def messages(self) -> dict[str, Static]:
        """The message line under each field, by field name."""
        if not self._messages:
            self._messages = {
                widget.id.removeprefix("msg-"): widget
                for widget in self.query(".field-message").results(Static)
                if widget.id
            }
        return self._messages

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        store = self.desk.require_store()
        self.ask_mother_name = mother_name_asked(store)  # a setting (F8), on for BPJS
        yield Header()
        with VerticalScroll(id="form"):
            yield Static("", id="status-line", classes="field-warning status-line")
            posts = store.catalogue.for_unit(self.unit.unit)
            # On an enrolled laptop, a unit outside its area offers no post: none could be saved.
            self.outside_area = officers.unit_outside_area(store, **self._unit_codes())
            if self.outside_area is not None:
                posts = []
            with Horizontal(classes="field-row"):
                yield Label(_("Post"), classes="field-label")
                yield Select(
                    [(post.name, post.code) for post in posts],
                    id="post_code",
                    allow_blank=not posts,
                    value=self.initial_post
                    if self.initial_post in {p.code for p in posts}
                    else posts[0].code
                    if posts
                    else Select.NULL,
                    compact=True,
                )
            # The post's age rules are checked against the birth date and reported here.
            yield Static("", id="msg-post_code", classes="field-message")
            for name, label in TEXT_FIELDS:
                if name == "mother_name" and not self.ask_mother_name:
                    continue
                marker = " *" if name in REQUIRED_FIELDS else ""
                with Horizontal(classes="field-row", id=f"row-{name}"):
                    yield Label(_(label) + marker, classes="field-label")
                    yield Input(
                        id=name,
                        placeholder=self._placeholder(name),
                        validators=[DomainValidator(self, name)],
                        validate_on=["changed", "submitted"],
                        compact=True,
                        max_length=200,
                    )
                yield Static("", id=f"msg-{name}", classes="field-message")
                # The district's value, when its correction meets a change made here.
                yield Static("", id=f"district-{name}", classes="field-info")
                if name == "nik":
                    yield Static("", id="nik-info", classes="field-info")
                    yield Static("", id="duplicate", classes="field-warning")
            yield Static("", id="form-errors", classes="error")
        yield KeyBar()

    def _placeholder(self, name: str) -> str:
        if name in DATE_FIELDS:
            return _("dd-mm-yyyy")
        return {
            "nik": _("16 digits"),
            "sex": _("L or P"),
            "phone": "08…",
            "marital_status": _("Y or T"),
            "postcode": _("5 digits"),
        }.get(name, "")

    def _unit_codes(self) -> dict[str, str | None]:
        if self.unit.unit == Unit.KECAMATAN:
            return {"kecamatan_code": self.unit.code}
        return {"kelurahan_code": self.unit.kelurahan_code or self.unit.code}

    def on_mount(self) -> None:
        self.title = self.unit.title
        self.sub_title = _("Edit officer") if self.officer_id else _("New officer")
        for widget in self.query(".field-message, .field-info, .field-warning, .status-line"):
            widget.display = False
        if self.outside_area is not None:
            line = self.query_one("#status-line", Static)
            line.update(
                _(
                    "{unit} lies outside this laptop's area ({area}): no officer can be "
                    "registered here"
                ).format(unit=self.unit.title, area=self.outside_area)
            )
            line.display = True
        self._update_duty_placeholders()
        if self.officer_id:
            self._load(self.officer_id)
        else:
            self.query_one("#nik", Input).focus()

    @work(exclusive=True, group="load", exit_on_error=False)
    async def _load(self, officer_id: str) -> None:
        store = self.desk.require_store()
        officer = await self.in_thread(officers.get_officer, store, officer_id)
        draft = draft_from_officer(officer) if officer is not None and not officer.deleted else None
        if draft is None:
            self.notify(_("This officer no longer exists."), severity="error")
            self.dismiss(None)
            return
        self.loaded = draft
        assert officer is not None
        correction = await self.in_thread(_correction_for, store, officer_id)
        self._show_status(officer, correction_waiting=correction is not None)
        self._show_correction(correction)
        for name, _label in TEXT_FIELDS:
            if name in self.inputs:
                self.inputs[name].value = getattr(draft, name)
        select: Select[str] = self.query_one("#post_code", Select)
        if draft.post_code:
            select.value = draft.post_code
        self.query_one("#nik", Input).focus()

    def _show_status(self, officer: Officer, *, correction_waiting: bool = False) -> None:
        """What the district said about this officer (from its last receipt)."""
        from rich.text import Text

        from tpsdesk.store.officers import status_label
        from tpsdesk.sync.corrections import CONFLICT_REASON
        from tpsdesk.terminal import printable

        line = self.query_one("#status-line", Static)
        text = _("Status: {status}").format(status=status_label(officer.status))
        if officer.bpjs_number:
            text += " · " + _("BPJS participant number {kpj}").format(kpj=officer.bpjs_number)
        reason = officer.status_reason
        if reason in {CONFLICT_REASON, _(CONFLICT_REASON)}:  # names the command line
            reason = (
                _("The district corrected this record, and it was changed here too: press F7.")
                if correction_waiting
                else _("The district corrected this record, and it was changed here too.")
            )
        if reason:
            text += " — " + reason
        line.update(Text(printable(text)))  # the district's words: shown as text
        line.display = officer.status in {"needs_fix", "enrolled", "accepted"}
        self._status_text = text

    def _show_correction(self, correction: Correction | None) -> None:
        """The district's value beside each field its correction set otherwise than this
        laptop (`tpsdesk receipt corrections` takes it or keeps this laptop's)."""
        from rich.text import Text

        from tpsdesk.sync.receipt import field_label

        self.has_correction = correction is not None
        self.refresh_bindings()
        if correction is None:
            return
        elsewhere: list[str] = []
        for item in correction.fields:
            shown = item.district
            value = format_date(shown) if isinstance(shown, date) else str(shown or "—")
            widgets = self.query(f"#district-{item.field}")
            if not widgets:
                elsewhere.append(f"{field_label(item.field)}: {value}")
                continue
            widget = widgets.first(Static)
            widget.update(Text(_("District's value: {value}").format(value=value)))
            widget.display = True
        if elsewhere:
            line = self.query_one("#status-line", Static)
            note = _("The district's values: {values}").format(values="; ".join(elsewhere))
            line.update(Text(f"{getattr(self, '_status_text', '')} — {note}"))
            line.display = True

    # -- reading the form ---------------------------------------------------------------------

    def draft(self, **override: str) -> OfficerDraft:
        values: dict[str, str] = {}
        for item in fields(OfficerDraft):
            if item.name == "post_code":
                select: Select[str] = self.query_one("#post_code", Select)
                values["post_code"] = str(select.value) if select.value is not Select.NULL else ""
            elif item.name in self.inputs:
                values[item.name] = self.inputs[item.name].value
            else:  # a field not shown (the mother's name) keeps its saved value
                values[item.name] = getattr(self.loaded, item.name) if self.loaded else ""
        return replace(OfficerDraft(**values), **override)

    def problems_for(self, field: str, value: str) -> list[Problem]:
        if not self.is_mounted:
            return []
        store = self.desk.require_store()
        return validate_field(
            field, self.draft(**{field: value}), catalogue=store.catalogue, today=self.desk.today
        )

    # -- as you type --------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        name = event.input.id or ""
        self._show_problems(name, event.value)
        if name == "nik":
            self._nik_changed(event.value)
        elif name in {"birth_date", "sex", "duty_start", "duty_end"}:
            for other in ("birth_date", "sex", "duty_start", "duty_end"):
                if other != name:
                    self._revalidate(other)
        if name in {"birth_date", "duty_start"}:
            self._show_post_problems()
        self.query_one("#form-errors", Static).update("")

    @on(Select.Changed, "#post_code")
    def _post_changed(self) -> None:
        self._update_duty_placeholders()
        for name in ("birth_date", "duty_start", "duty_end"):
            self._revalidate(name)
        self._show_post_problems()

    def _show_post_problems(self) -> None:
        select: Select[str] = self.query_one("#post_code", Select)
        self._show_problems("post_code", "" if select.value is Select.NULL else str(select.value))

    def _update_duty_placeholders(self) -> None:
        store = self.desk.require_store()
        select: Select[str] = self.query_one("#post_code", Select)
        post = store.catalogue.get(str(select.value))
        for name, default in (
            ("duty_start", post.duty_start if post else None),
            ("duty_end", post.duty_end if post else None),
        ):
            if name in self.inputs:
                self.inputs[name].placeholder = (
                    _("default {date}").format(date=format_date(default))
                    if default
                    else _("dd-mm-yyyy")
                )

    def _revalidate(self, name: str) -> None:
        field = self.inputs.get(name)
        if field is None:
            return
        if field.value:
            field.validate(field.value)
            self._show_problems(name, field.value)

    def _show_problems(self, name: str, value: str) -> None:
        message = self.messages.get(name)
        if message is None:
            return
        problems = self.problems_for(name, value) if value or name in REQUIRED_FIELDS else []
        if not value:
            problems = []  # "required" is said on saving, not while the form is still empty
        text = "\n".join(
            ("⚠ " if p.severity == Severity.WARNING else "✗ ") + p.message for p in problems
        )
        message.update(text)
        message.display = bool(text)
        message.set_class(any(p.is_error for p in problems), "error")

    def _nik_changed(self, value: str) -> None:
        info_line = self.query_one("#nik-info", Static)
        info = parse_nik(value, today=self.desk.today)
        self.duplicates = []
        self.query_one("#duplicate", Static).display = False
        if not info.is_valid or info.birth_date is None or info.sex is None:
            info_line.display = False
            return
        sex_label = _("female") if info.sex.value == "P" else _("male")
        info_line.update(
            _("From the NIK: born {date}, {sex}, issued in region {region}").format(
                date=format_date(info.birth_date), sex=sex_label, region=info.region_code or "?"
            )
        )
        info_line.display = True
        # Fill what the NIK already says; a different value typed later is flagged, not replaced.
        birth = self.query_one("#birth_date", Input)
        if not birth.value:
            birth.value = format_date(info.birth_date)
        sex = self.query_one("#sex", Input)
        if not sex.value:
            sex.value = info.sex.value
        self._revalidate("birth_date")
        self._revalidate("sex")
        self._check_duplicate(info.nik)

    @work(exclusive=True, group="duplicate", exit_on_error=False)
    async def _check_duplicate(self, nik: str) -> None:
        store = self.desk.require_store()
        hits = await self.in_thread(officers.find_by_nik, store, nik, self.officer_id)
        if (
            self.query_one("#nik", Input).value
            and parse_nik(self.query_one("#nik", Input).value, today=self.desk.today).nik != nik
        ):
            return  # the NIK changed while we looked
        self.duplicates = hits
        line = self.query_one("#duplicate", Static)
        # The same NIK in this TPS is refused on saving; elsewhere it is a warning.
        here = officers.same_tps(hits, self._tps_id())
        if here is not None:
            line.update("✗ " + officers.same_tps_message(here))
        elif hits:
            line.update("⚠ " + duplicate_text(hits))
        line.set_class(here is not None, "error")
        line.display = bool(hits)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        last = [w for w in self.query(Input) if w.display][-1]
        if event.input is last:
            self.action_save(False)
        else:
            self.focus_next()

    # -- saving -------------------------------------------------------------------------------

    def action_save(self, add_next: bool) -> None:
        if self.saving:
            return
        store = self.desk.require_store()
        draft = self.draft()
        result = validate_officer(
            draft,
            catalogue=store.catalogue,
            today=self.desk.today,
        )
        errors = [p for p in result.problems if p.is_error]
        for name in ("post_code", *(name for name, _label in TEXT_FIELDS)):
            if name in self.messages:
                self._show_field_problems(name, result.for_field(name))
        if errors or result.fields is None:
            self.query_one("#form-errors", Static).update(
                ngettext(
                    "Cannot save yet: {count} problem to fix, marked above.",
                    "Cannot save yet: {count} problems to fix, marked above.",
                    len(errors),
                ).format(count=len(errors))
            )
            first = next(
                (p.field for p in errors if p.field in self.inputs or p.field == "post_code"),
                None,
            )
            if first:
                self.query_one(f"#{first}", Widget).focus()
            return
        fields_ = result.fields
        here = officers.same_tps(self.duplicates, self._tps_id())
        if here is not None:
            self.query_one("#form-errors", Static).update(officers.same_tps_message(here))
            self.query_one("#nik", Input).focus()
            return
        if self.duplicates:

            def answered(yes: bool | None) -> None:
                if yes:
                    self._save(fields_, add_next)

            self.app.push_screen(
                ConfirmScreen(
                    duplicate_text(self.duplicates) + "\n\n" + _("Save this officer anyway?"),
                    yes=_("Save anyway (Y)"),
                    no=_("Go back (N)"),
                ),
                callback=answered,
            )
            return
        self._save(fields_, add_next)

    def _tps_id(self) -> str | None:
        return self.unit.code if self.unit.unit == Unit.TPS else None

    def _show_field_problems(self, name: str, problems: list[Problem]) -> None:
        message = self.messages[name]
        text = "\n".join(
            ("⚠ " if p.severity == Severity.WARNING else "✗ ") + p.message for p in problems
        )
        message.update(text)
        message.display = bool(text)
        message.set_class(any(p.is_error for p in problems), "error")

    @work(exclusive=True, group="store", exit_on_error=False)
    async def _save(self, fields_: object, add_next: bool) -> None:
        store = self.desk.require_store()
        self.saving = True
        try:
            if self.officer_id:
                officer = await self.in_thread(
                    officers.update_officer,
                    store,
                    self.officer_id,
                    fields_,
                    **self.unit.placement(),
                )
            else:
                officer = await self.in_thread(
                    officers.add_officer, store, fields_, **self.unit.placement()
                )
        except StoreError as error:
            self.query_one("#form-errors", Static).update(error.message)
            return
        finally:
            self.saving = False
        self.notify(_("Saved."))
        self.dismiss(FormResult(officer.id, add_next))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "correction":
            return self.has_correction
        return True

    def action_correction(self) -> None:
        """The district's correction side by side; once taken or kept, the form shows the
        officer as it now is."""
        from tpsdesk.ui.screens.correction import CorrectionScreen

        if not self.has_correction or self.officer_id is None:
            return

        def closed(resolved: bool | None) -> None:
            if resolved and self.officer_id is not None:
                for widget in self.query("Static.field-info"):
                    if widget.id and widget.id.startswith("district-"):
                        widget.display = False
                self._load(self.officer_id)

        self.app.push_screen(CorrectionScreen(self.officer_id), callback=closed)

    def _untouched(self) -> bool:
        current = self.draft()
        return (
            self.loaded == current
            if self.loaded
            else not any(getattr(current, name) for name, _label in TEXT_FIELDS)
        )

    async def action_quit_desk(self) -> None:
        if self._untouched():
            await self.desk.action_quit()
            return

        async def answered(yes: bool | None) -> None:
            if yes:
                await self.desk.action_quit()

        self.app.push_screen(
            ConfirmScreen(_("Quit without saving? What you typed will be lost.")),
            callback=answered,
        )

    def action_cancel(self) -> None:
        if self._untouched():
            self.dismiss(None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(_("Leave without saving? What you typed will be lost.")),
            callback=answered,
        )


def duplicate_text(hits: list[OfficerHit]) -> str:
    places = "; ".join(where(hit) for hit in hits)
    return _("This NIK is already registered: {places}").format(places=places)


def where(hit: OfficerHit) -> str:
    if hit.tps_number is not None:
        return _("{post}, TPS {tps}, {kelurahan}").format(
            post=hit.post_name, tps=f"{hit.tps_number:03d}", kelurahan=hit.kelurahan_name or ""
        )
    return _("{post}, {unit}").format(
        post=hit.post_name, unit=hit.kelurahan_name or hit.kecamatan_code
    )


def _correction_for(store: Store, officer_id: str) -> Correction | None:
    from tpsdesk.sync.corrections import correction_for

    return correction_for(store, officer_id)


def draft_from_officer(officer: Officer) -> OfficerDraft:
    """The stored values as the form shows them."""

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, date):
            return format_date(value)
        return str(value)

    return OfficerDraft(
        **{item.name: text(getattr(officer, item.name)) for item in fields(OfficerDraft)}
    )
