"""The one fingerprint field of both sides (the district's approval, the laptop's enrolment):
fast keys and pastes keep every digit, the value is grouped as typed, groups are marked as soon
as complete, the first wrong one named; `Checked` says complete/matches."""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.app import App, ComposeResult

from tpsdesk import i18n
from tpsdesk.sync.fingerprint import format_fingerprint
from tpsdesk.ui.widgets.fingerprint_entry import DigitsInput, FingerprintEntry, cursor_after

DIGITS = "220303643171859942571971502178"
GROUPED = format_fingerprint(DIGITS)  # "22030 36431 71859 94257 19715 02178"


class EntryApp(App[None]):
    def __init__(self, expected: str = GROUPED, **options: Any) -> None:
        super().__init__()
        self.expected = expected
        self.options = options
        self.checked: list[tuple[bool, bool]] = []

    def compose(self) -> ComposeResult:
        yield FingerprintEntry(self.expected, id="entry", **self.options)

    def on_mount(self) -> None:
        self.query_one(FingerprintEntry).focus()

    @on(FingerprintEntry.Checked)
    def _checked(self, event: FingerprintEntry.Checked) -> None:
        self.checked.append((event.complete, event.matches))


def entry(app: EntryApp) -> FingerprintEntry:
    return app.query_one(FingerprintEntry)


def marks(app: EntryApp) -> str:
    return str(app.query_one(".fingerprint-marks").render())


def last_checked(app: EntryApp) -> tuple[bool, bool]:
    return app.checked[-1]


async def paste(app: EntryApp, pilot: Any, text: str) -> None:
    """A paste from the terminal (bracketed paste): one Paste event holding the whole text."""
    field = entry(app).field
    field.post_message(events.Paste(text))
    await pilot.pause()


def setup_function() -> None:
    i18n.set_language("en")


async def test_digits_typed_fast_are_all_kept_and_grouped() -> None:
    app = EntryApp()
    async with app.run_test() as pilot:
        await pilot.press(*DIGITS)  # no pause between the keys
        await pilot.pause()
        field = entry(app).field
        assert field.value == GROUPED
        assert field.cursor_position == len(GROUPED)
        assert entry(app).digits == DIGITS
        assert marks(app).split() == ["✓"] * 6
        assert last_checked(app) == (True, True)


async def test_the_value_is_grouped_as_it_is_typed_with_the_cursor_at_the_end() -> None:
    app = EntryApp()
    async with app.run_test() as pilot:
        await pilot.press(*DIGITS[:7])
        await pilot.pause()
        field = entry(app).field
        assert field.value == "22030 36"
        assert field.cursor_position == len("22030 36")
        assert marks(app).split() == ["✓", "…", "·", "·", "·", "·"]
        assert last_checked(app) == (False, False)


async def test_a_paste_of_the_whole_grouped_fingerprint_matches() -> None:
    app = EntryApp()
    async with app.run_test() as pilot:
        await paste(app, pilot, "22030 36431 71859 94257 19715 02178")
        assert entry(app).field.value == GROUPED
        assert entry(app).matches and last_checked(app) == (True, True)


async def test_a_paste_with_other_characters_keeps_the_digits() -> None:
    app = EntryApp()
    async with app.run_test() as pilot:
        await paste(app, pilot, "sidik: 22030-36431.71859\t9425x7 1971502178 !")
        assert entry(app).digits == DIGITS
        assert entry(app).matches


async def test_inserting_or_setting_the_whole_text_works_too() -> None:
    app = EntryApp()
    async with app.run_test() as pilot:
        field = entry(app).field
        field.insert_text_at_cursor("22030 36431 71859")
        await pilot.pause()
        assert field.value == "22030 36431 71859"
        field.value = GROUPED.replace(" ", "-")  # set from outside: regrouped
        await pilot.pause()
        assert field.value == GROUPED and entry(app).matches


async def test_letters_spaces_dashes_and_dots_typed_are_ignored() -> None:
    app = EntryApp()
    async with app.run_test() as pilot:
        await pilot.press("2", "2", "a", "0", "space", "3", "minus", "0", "full_stop", "x", "3")
        await pilot.pause()
        assert entry(app).field.value == "22030 3"


async def test_no_more_than_thirty_digits() -> None:
    app = EntryApp()
    async with app.run_test() as pilot:
        await paste(app, pilot, DIGITS + "999")
        assert entry(app).digits == DIGITS
        await pilot.press("9", "9")
        await pilot.pause()
        assert entry(app).digits == DIGITS and entry(app).matches


async def test_one_wrong_digit_names_its_group_and_never_matches() -> None:
    wrong = DIGITS[:12] + ("0" if DIGITS[12] != "0" else "1") + DIGITS[13:]  # in group 3
    app = EntryApp()
    async with app.run_test() as pilot:
        await pilot.press(*wrong[:15])
        await pilot.pause()
        assert marks(app).split()[:3] == ["✓", "✓", "✗"]
        assert "Group 3 differs" in marks(app)
        await pilot.press(*wrong[15:])
        await pilot.pause()
        assert "Group 3 differs" in marks(app)
        assert last_checked(app) == (True, False)


async def test_the_wrong_group_is_not_named_when_the_dialog_says_it() -> None:
    app = EntryApp(name_wrong=False)
    async with app.run_test() as pilot:
        await paste(app, pilot, "00000")
        assert "✗" in marks(app) and "differs" not in marks(app)


async def test_too_short_is_not_complete() -> None:
    app = EntryApp()
    async with app.run_test() as pilot:
        await paste(app, pilot, DIGITS[:29])
        assert marks(app).split() == ["✓"] * 5 + ["…"]
        assert last_checked(app) == (False, False)


async def test_backspace_deletes_the_digit_before_the_cursor_over_a_group_space() -> None:
    app = EntryApp()
    async with app.run_test() as pilot:
        await pilot.press(*DIGITS[:11])
        await pilot.press("backspace")
        await pilot.pause()
        field = entry(app).field
        assert field.value == "22030 36431"
        await pilot.press("backspace")
        await pilot.pause()
        assert field.value == "22030 3643"  # the space went with the digit
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        await pilot.pause()
        assert field.value == "22030"
        await pilot.press("backspace")
        await pilot.pause()
        assert field.value == "2203"
        await pilot.press(*DIGITS[4:])
        await pilot.pause()
        assert entry(app).matches


async def test_editing_in_the_middle_keeps_the_cursor_after_the_digit() -> None:
    app = EntryApp()
    async with app.run_test() as pilot:
        await paste(app, pilot, DIGITS[:10])  # "22030 36431"
        field = entry(app).field
        field.cursor_position = cursor_after(5)  # after "22030"
        await pilot.press("backspace")
        await pilot.pause()
        assert field.value == "22033 6431" and field.cursor_position == cursor_after(4)
        await pilot.press("0")
        await pilot.pause()
        assert field.value == "22030 36431" and field.cursor_position == cursor_after(5)
        await pilot.press("delete")
        await pilot.pause()
        assert field.value == "22030 6431" and field.cursor_position == cursor_after(5)
        assert isinstance(field, DigitsInput)
