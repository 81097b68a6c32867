"""Pay settings (from Settings, Exports, the dashboard's E and the first start): the wage basis,
the JKK and JKM rates, the rounding, the honorarium and the duty period of every post — the
election's settings. Printed on every export.

The form is drawn only once the saved values are read (never the defaults first), says where
the honoraria and periods come from (saved, the district's setup file, Pilkada 2024 defaults)
and which posts have no honorarium; a duty period that ended before today is saved only after
a warning (domain.election says why it is not refused).

Fields are checked as they are typed with the domain's own parsing (`pay.parse_decimal`,
`dates.parse_date`); on saving, `PaySettings.from_dict` checks every rule again and
`store.pay_settings` keeps the result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Header, Input, Label, Select, Static

from tpsdesk.domain.dates import format_date, parse_date
from tpsdesk.domain.election import defaults_of_past_election, period_over
from tpsdesk.domain.pay import (
    BASIS_LABELS,
    MAX_PERCENT,
    MAX_RUPIAH,
    ROUNDING_LABELS,
    PaySettings,
    Rounding,
    WageBasis,
    format_percent,
    format_rupiah,
    parse_decimal,
)
from tpsdesk.domain.posts import Post
from tpsdesk.i18n import N_, _
from tpsdesk.store.db import Store, StoreError
from tpsdesk.store.election import (
    PeriodSource,
    election_saved_on,
    pay_from_setup,
    period_source,
)
from tpsdesk.store.pay_settings import load_pay_settings, save_election_settings
from tpsdesk.ui.screens.base import BaseScreen
from tpsdesk.ui.screens.confirm import ConfirmScreen
from tpsdesk.ui.widgets.key_bar import KeyBar

EXAMPLE_POSTS = ("kpps_anggota", "kpps_ketua")  # the post most officers hold


def read_rupiah(raw: str) -> Decimal | None:
    """An amount as typed ("Rp2.165.244,30"), or None when it is not a usable one."""
    value = parse_decimal(raw, grouping=True)
    if value is None or value <= 0 or value > MAX_RUPIAH:
        return None
    if value != value.quantize(Decimal("0.01")):
        return None
    return value


def read_percent(raw: str) -> Decimal | None:
    value = parse_decimal(raw, grouping=False)
    if value is None or value < 0 or value > MAX_PERCENT:
        return None
    return value


def edit_rupiah(amount: Decimal | None) -> str:
    """An amount as the field shows it: grouped as the language writes it, without "Rp"."""
    return "" if amount is None else format_rupiah(amount).removeprefix("Rp")


class RupiahValidator(Validator):
    def validate(self, value: str) -> ValidationResult:
        if not value.strip() or read_rupiah(value) is not None:
            return self.success()
        return self.failure(
            _("Write an amount in rupiah above 0 and at most 1,000,000,000, e.g. 2,165,244.30.")
        )


class PercentValidator(Validator):
    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.failure(_("Enter a rate."))
        if read_percent(value) is not None:
            return self.success()
        return self.failure(_("Write a percentage from 0 to 10, e.g. 0.24."))


class DateValidator(Validator):
    def validate(self, value: str) -> ValidationResult:
        if not value.strip() or parse_date(value) is not None:
            return self.success()
        return self.failure(_("Write the date as dd-mm-yyyy, e.g. 07-11-2024."))


class Refused(Exception):
    def __init__(self, message: str, field_id: str) -> None:
        super().__init__(message)
        self.message = message
        self.field_id = field_id


@dataclass(frozen=True)
class Period:
    start: date | None
    end: date | None


class PaySettingsScreen(BaseScreen):
    BINDINGS = [
        Binding("f2", "save", N_("Save"), id="pay.save", tooltip=N_("Save the pay settings")),
        Binding("escape", "back", N_("Back"), id="pay.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[Post] = []
        self.original: PaySettings | None = None
        self.changed = False
        self.loaded = False
        self.saved = False  # saved at least once while open (the first start asks)

    def compose(self) -> ComposeResult:
        self.posts = list(self.desk.require_store().catalogue.posts)
        yield Header()
        yield Static(_("Reading the saved settings…"), id="loading", classes="hint")
        with VerticalScroll(id="pay"):
            # Where the values come from, first: a past election's are not taken silently.
            yield Static("", id="source", classes="warning")
            yield Static(_("Wage basis and rates"), classes="title")
            yield Static(
                _(
                    "JKK and JKM are a percentage of each officer's monthly wage basis. These "
                    "settings are printed on every export."
                ),
                classes="hint",
            )
            with Horizontal(classes="field-row"):
                yield Label(_("Wage basis"), classes="field-label")
                yield Select[str](
                    [(_(label), basis.value) for basis, label in BASIS_LABELS.items()],
                    id="basis",
                    allow_blank=False,
                    compact=True,
                )
            with Horizontal(classes="field-row"):
                yield Label(_("Amount (Rp a month)"), classes="field-label")
                yield self._input("amount", RupiahValidator(), placeholder=_("e.g. 2,165,244.30"))
            yield Static("", id="msg-amount", classes="field-message error")
            with Horizontal(classes="field-row"):
                yield Label(_("What the amount is"), classes="field-label")
                yield Input(
                    id="label",
                    placeholder=_("e.g. UMK Kota Malang 2024"),
                    max_length=100,
                    compact=True,
                )
            with Horizontal(classes="field-row"):
                yield Label(_("JKK rate (%)"), classes="field-label")
                yield self._input("jkk", PercentValidator(), placeholder="0,24")
            yield Static("", id="msg-jkk", classes="field-message error")
            with Horizontal(classes="field-row"):
                yield Label(_("JKM rate (%)"), classes="field-label")
                yield self._input("jkm", PercentValidator(), placeholder="0,30")
            yield Static("", id="msg-jkm", classes="field-message error")
            with Horizontal(classes="field-row"):
                yield Label(_("Rounding"), classes="field-label")
                yield Select[str](
                    [(_(label), rounding.value) for rounding, label in ROUNDING_LABELS.items()],
                    id="rounding",
                    allow_blank=False,
                    compact=True,
                )
            yield Static("", id="example", classes="summary")
            yield Static(_("Posts"), classes="title section")
            yield Static(
                _(
                    "The honorarium a month (used when the wage basis is the post's honorarium) "
                    "and the duty period (dd-mm-yyyy) of officers without their own dates; "
                    "ages are checked on the first day of duty. Empty: not set."
                ),
                classes="hint",
            )
            with Horizontal(classes="post-row post-heading"):
                yield Label(_("Post"), classes="post-name")
                yield Label(_("Honorarium (Rp)"), classes="post-cell")
                yield Label(_("Duty from"), classes="post-cell")
                yield Label(_("Duty until"), classes="post-cell")
            for post in self.posts:
                with Horizontal(classes="post-row"):
                    yield Label(post.name, classes="post-name")
                    yield self._input(
                        f"hon-{post.code}", RupiahValidator(), placeholder=_("not set"), cell=True
                    )
                    yield self._input(
                        f"start-{post.code}",
                        DateValidator(),
                        placeholder=_("dd-mm-yyyy"),
                        cell=True,
                    )
                    yield self._input(
                        f"end-{post.code}", DateValidator(), placeholder=_("dd-mm-yyyy"), cell=True
                    )
                yield Static("", id=f"msg-{post.code}", classes="field-message error post-message")
            yield Static("", id="error", classes="error")
            yield Button(_("Save (F2)"), id="save", variant="primary")
        yield KeyBar()

    def _input(
        self, field_id: str, validator: Validator, *, placeholder: str = "", cell: bool = False
    ) -> Input:
        return Input(
            id=field_id,
            placeholder=placeholder,
            validators=[validator],
            validate_on=["changed", "submitted"],
            compact=True,
            select_on_focus=False,
            classes="post-cell" if cell else "",
        )

    def on_mount(self) -> None:
        self.title = _("Pay settings")
        for message in self.query(".field-message").results(Static):
            message.display = False
        self.query_one("#pay").display = False  # nothing drawn before the saved values
        self._load()

    @work(exclusive=True, group="pay", exit_on_error=False)
    async def _load(self) -> None:
        store = self.desk.require_store()
        source, saved_on, from_setup = await self.in_thread(_source, store)
        try:
            settings = await self.in_thread(load_pay_settings, store)
        except StoreError as failure:
            # Unreadable settings: start from the defaults; saving replaces them.
            self.query_one("#error", Static).update(Text(failure.message))
            settings = PaySettings()
        self.original = settings
        self._fill(settings)
        self._show_source(source, saved_on, settings, from_setup=from_setup)
        self.query_one("#loading").display = False
        self.query_one("#pay").display = True
        self.loaded = True
        self.query_one("#basis", Select).focus()

    def _show_source(
        self,
        source: PeriodSource,
        saved_on: date | None,
        settings: PaySettings,
        *,
        from_setup: bool = False,
    ) -> None:
        """Where the values come from, and the posts without an honorarium."""
        if source is PeriodSource.SAVED and saved_on is not None:
            lines = [_("Saved on this laptop on {date}.").format(date=format_date(saved_on))]
        elif from_setup:
            lines = [
                _(
                    "Duty periods and honoraria: from the district's setup file. Check them "
                    "and save (F2)."
                )
            ]
        elif source is PeriodSource.DISTRICT:
            lines = [
                _(
                    "Duty periods: from the district's setup file. Honoraria: the amounts of "
                    "Pilkada 2024. Check both and save (F2)."
                )
            ]
        else:
            lines = [
                _(
                    "Not saved yet: the duty periods and honoraria shown are those of Pilkada "
                    "2024. Enter this election's and save (F2)."
                )
            ]
        if defaults_of_past_election(self.posts, self.desk.today):
            lines.append(
                _("Every duty period shown ended more than a year ago: enter this election's.")
            )
        # A post with no places to fill (Sekretariat Panwascam by default) needs no amount.
        missing = [
            post.name
            for post in self.posts
            if post.code not in settings.honoraria and post.per_unit > 0
        ]
        if missing and settings.basis is WageBasis.HONORARIUM:
            lines.append(_("No honorarium yet for: {posts}.").format(posts=", ".join(missing)))
        self.query_one("#source", Static).update(Text(" ".join(lines)))

    def _fill(self, settings: PaySettings) -> None:
        with self.prevent(Input.Changed, Select.Changed):
            self.query_one("#basis", Select).value = settings.basis.value
            self.query_one("#rounding", Select).value = settings.rounding.value
            self._set("amount", edit_rupiah(settings.amount))
            self._set("label", settings.label)
            self._set("jkk", format_percent(settings.jkk_percent).removesuffix(" %"))
            self._set("jkm", format_percent(settings.jkm_percent).removesuffix(" %"))
            for post in self.posts:
                self._set(f"hon-{post.code}", edit_rupiah(settings.honoraria.get(post.code)))
                self._set(
                    f"start-{post.code}", format_date(post.duty_start) if post.duty_start else ""
                )
                self._set(f"end-{post.code}", format_date(post.duty_end) if post.duty_end else "")
        self.changed = False
        self._basis_changed()
        self._update_example()

    def _set(self, field_id: str, value: str) -> None:
        self.query_one(f"#{field_id}", Input).value = value

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()

    # -- as you type --------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        field_id = event.input.id or ""
        self.changed = True
        self.query_one("#error", Static).update("")
        if field_id in ("amount", "jkk", "jkm"):
            self._show_message(f"msg-{field_id}", event.validation_result)
        else:
            code = field_id.split("-", 1)[1] if "-" in field_id else ""
            if code:
                self._show_post_message(code)
        self._update_example()

    @on(Select.Changed)
    def _select_changed(self) -> None:
        self.changed = True
        self._basis_changed()
        self._update_example()

    def _basis_changed(self) -> None:
        """The amount is the wage only for UMP, UMK and a fixed amount."""
        honorarium = self.query_one("#basis", Select).value == WageBasis.HONORARIUM.value
        self.query_one("#amount", Input).disabled = honorarium
        self.query_one("#label", Input).disabled = honorarium

    def _show_message(self, message_id: str, result: ValidationResult | None) -> None:
        message = self.query_one(f"#{message_id}", Static)
        text = "" if result is None or result.is_valid else " ".join(result.failure_descriptions)
        message.update(Text(("✗ " + text) if text else ""))
        message.display = bool(text)

    def _show_post_message(self, code: str) -> None:
        problems: list[str] = []
        for field_id in (f"hon-{code}", f"start-{code}", f"end-{code}"):
            field = self.query_one(f"#{field_id}", Input)
            if field.value.strip():
                result = field.validate(field.value)
                if result is not None and not result.is_valid:
                    problems.extend(result.failure_descriptions)
        if not problems:
            start = parse_date(self._value(f"start-{code}"))
            end = parse_date(self._value(f"end-{code}"))
            if start and end and end < start:
                problems.append(_("The duty period ends before it starts."))
        message = self.query_one(f"#msg-{code}", Static)
        message.update(Text(("✗ " + " ".join(dict.fromkeys(problems))) if problems else ""))
        message.display = bool(problems)

    def _update_example(self) -> None:
        example = self.query_one("#example", Static)
        try:
            settings = self._settings()
        except Refused:
            example.update(_("Example: fix the fields marked ✗ to see the contribution."))
            return
        post = next(
            (p for code in EXAMPLE_POSTS if (p := self._post(code)) is not None),
            self.posts[0] if self.posts else None,
        )
        if post is None:
            example.update("")
            return
        wage = settings.wage_for(post.code)
        contribution = settings.contribution_per_month(post.code)
        if wage is None or contribution is None:
            problem = settings.wage_problem(post.code, post.name) or ""
            example.update(
                Text(_("Example, {post}: {problem}.").format(post=post.name, problem=problem))
            )
            return
        example.update(
            Text(
                _("Example, {post}: {rate} of {wage} = {amount} a month for each officer.").format(
                    post=post.name,
                    rate=format_percent(settings.rate_percent),
                    wage=format_rupiah(wage),
                    amount=format_rupiah(contribution),
                )
            )
        )

    def _post(self, code: str) -> Post | None:
        return next((p for p in self.posts if p.code == code), None)

    # -- saving -------------------------------------------------------------------------------

    def _settings(self) -> PaySettings:
        """The settings the form shows; Refused (with the field) when one cannot be read."""
        base = self.original or PaySettings()
        basis = WageBasis(str(self.query_one("#basis", Select).value))
        rounding = Rounding(str(self.query_one("#rounding", Select).value))
        raw_amount = self._value("amount")
        amount = read_rupiah(raw_amount) if raw_amount else None
        if raw_amount and amount is None:
            raise Refused(_("The amount is not a usable amount in rupiah."), "amount")
        rates: dict[str, Decimal] = {}
        for field_id, name in (("jkk", _("JKK rate")), ("jkm", _("JKM rate"))):
            rate = read_percent(self._value(field_id))
            if rate is None:
                raise Refused(
                    _("{field}: write a percentage from 0 to 10, e.g. 0.24.").format(field=name),
                    field_id,
                )
            rates[field_id] = rate
        settings = replace(
            base,
            basis=basis,
            amount=amount,
            label=" ".join(self._value("label").split()),
            jkk_percent=rates["jkk"],
            jkm_percent=rates["jkm"],
            rounding=rounding,
        )
        for post in self.posts:
            raw = self._value(f"hon-{post.code}")
            honorarium = read_rupiah(raw) if raw else None
            if raw and honorarium is None:
                raise Refused(
                    _("Honorarium of {post}: not a usable amount in rupiah.").format(
                        post=post.name
                    ),
                    f"hon-{post.code}",
                )
            settings = settings.with_honorarium(post.code, honorarium)
        return settings

    def _periods(self) -> dict[str, Period]:
        """The duty periods that differ from the catalogue's; Refused when one is wrong."""
        changed: dict[str, Period] = {}
        for post in self.posts:
            dates: list[date | None] = []
            for part in ("start", "end"):
                raw = self._value(f"{part}-{post.code}")
                parsed = parse_date(raw) if raw else None
                if raw and parsed is None:
                    raise Refused(
                        _("Duty period of {post}: write the date as dd-mm-yyyy.").format(
                            post=post.name
                        ),
                        f"{part}-{post.code}",
                    )
                dates.append(parsed)
            period = Period(dates[0], dates[1])
            if period.start and period.end and period.end < period.start:
                raise Refused(
                    _("Duty period of {post}: it ends before it starts.").format(post=post.name),
                    f"end-{post.code}",
                )
            if (period.start, period.end) != (post.duty_start, post.duty_end):
                changed[post.code] = period
        return changed

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def action_save(self) -> None:
        if not self.loaded:
            return  # the form is not drawn yet: nothing typed to save
        error = self.query_one("#error", Static)
        try:
            settings = self._settings()
            if settings.basis is not WageBasis.HONORARIUM and settings.amount is None:
                raise Refused(
                    _("Enter the amount of the wage basis ({basis}).").format(
                        basis=_(BASIS_LABELS[settings.basis])
                    ),
                    "amount",
                )
            try:
                settings = PaySettings.from_dict(settings.to_dict())  # every rule, once more
            except ValueError as invalid:
                raise Refused(str(invalid), "basis") from None
            periods = self._periods()
        except Refused as refused:
            error.update(Text(refused.message))
            self.query_one(f"#{refused.field_id}").focus()
            return
        error.update("")
        ended = self._ended_periods(periods)
        saved_posts = [
            replace(post, duty_start=periods[post.code].start, duty_end=periods[post.code].end)
            if post.code in periods
            else post
            for post in self.posts
        ]
        if defaults_of_past_election(saved_posts, self.desk.today):
            last = max(post.duty_end for post in saved_posts if post.duty_end is not None)
            question = _(
                "Every duty period ended more than a year ago (the last on {date}): they are a "
                "past election's. Save them anyway?"
            ).format(date=format_date(last))
        elif ended:
            question = _(
                "These duty periods ended before today ({today}): {posts}. Officers added "
                "now would be counted for a past election. Save them anyway?"
            ).format(today=format_date(self.desk.today), posts="; ".join(ended))
        else:
            self._save(settings, periods)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._save(settings, periods)

        self.app.push_screen(
            ConfirmScreen(question, yes=_("Save (Y)"), no=_("Check again (N)")),
            callback=answered,
        )

    def _ended_periods(self, periods: dict[str, Period]) -> list[str]:
        """Ketua KPPS 08-12-2024 for every period typed now that ended before today (one left
        as it was is not asked about again: Pantarlih's ends months before voting day)."""
        ended: list[str] = []
        for post in self.posts:
            period = periods.get(post.code)
            if period is not None and period.end and period_over(period.end, self.desk.today):
                ended.append(f"{post.name} {format_date(period.end)}")
        return ended

    @work(exclusive=True, group="pay", exit_on_error=False)
    async def _save(self, settings: PaySettings, periods: dict[str, Period]) -> None:
        store = self.desk.require_store()
        try:
            await self.in_thread(
                save_election_settings,
                store,
                settings,
                {code: (period.start, period.end) for code, period in periods.items()},
                today=self.desk.today,
            )
        except StoreError as failure:
            self.query_one("#error", Static).update(Text(failure.message))
            return
        self.posts = list(store.catalogue.posts)
        self.original = settings
        self.saved = True
        self._fill(settings)
        self._show_source(PeriodSource.SAVED, self.desk.today, settings)
        self.notify(_("Pay settings saved."))

    def action_back(self) -> None:
        if not self.changed:
            self.app.pop_screen()
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.app.pop_screen()

        self.app.push_screen(
            ConfirmScreen(
                _("Leave without saving the changes?"),
                yes=_("Leave (Y)"),
                no=_("Stay (N)"),
            ),
            callback=answered,
        )


def _source(store: Store) -> tuple[PeriodSource, date | None, bool]:
    return period_source(store), election_saved_on(store), pay_from_setup(store)
