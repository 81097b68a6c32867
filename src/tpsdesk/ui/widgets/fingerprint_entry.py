"""One field for a fingerprint read over the phone (the district's approval, the laptop's
enrolment): digits only, at most 30, shown in groups of five as they are typed or pasted, each
group marked right or wrong under it as soon as it is complete.

A single Input, so fast keys (a paste, a quick typist, `tmux send-keys`) are never dropped the
way they were by six fields that passed the focus on: every edit goes through
`DigitsInput.replace`, which keeps the digits of what came in (spaces, dashes, dots and any
other character dropped), caps them at 30 and re-groups the whole value."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from tpsdesk.i18n import _
from tpsdesk.sync.fingerprint import (
    GROUP_DIGITS,
    GROUPS,
    GroupMark,
    TypedFingerprint,
    check_typed,
    format_fingerprint,
    split_groups,
    typed_digits,
)

MAX_DIGITS = GROUPS * GROUP_DIGITS
# Under each group of "22030 36431 …": its mark in the middle of the group's five columns.
MARK_COLUMN = GROUP_DIGITS // 2


def cursor_after(digits: int) -> int:
    """Where the cursor stands in the grouped text after `digits` digits (before a group's
    separating space, so that the next digit typed joins the group after it)."""
    return digits + max(0, (digits - 1) // GROUP_DIGITS)


class DigitsInput(Input):
    """An Input whose value is always the grouped digits: whatever is typed, pasted or set is
    reduced to its digits (30 at most) and grouped by five."""

    def replace(self, text: str, start: int, end: int) -> None:
        value = self.value
        start, end = sorted((max(0, start), min(len(value), end)))
        before = typed_digits(value[:start])
        after = typed_digits(value[end:])
        added = typed_digits(text)
        room = max(0, MAX_DIGITS - len(before) - len(after))
        if len(added) > room:
            self.restricted()
            added = added[:room]
        digits = before + added + after
        grouped = format_fingerprint(digits)
        if grouped != value:
            self.value = grouped
        self.cursor_position = cursor_after(len(before + added))

    def action_delete_left(self) -> None:
        """Backspace: the digit before the cursor (over the space between two groups)."""
        if not self.selection.is_empty:
            self.delete_selection()
            return
        count = len(typed_digits(self.value[: self.cursor_position]))
        if count:
            self._drop(count - 1)

    def action_delete_right(self) -> None:
        """Delete: the digit after the cursor (over the space between two groups)."""
        if not self.selection.is_empty:
            self.delete_selection()
            return
        count = len(typed_digits(self.value[: self.cursor_position]))
        if count < len(typed_digits(self.value)):
            self._drop(count)

    def _drop(self, index: int) -> None:
        """Remove the digit `index` (0-based) and leave the cursor where it was."""
        digits = typed_digits(self.value)
        self.value = format_fingerprint(digits[:index] + digits[index + 1 :])
        self.cursor_position = cursor_after(index)


class FingerprintEntry(Vertical):
    """The typed fingerprint and, under it, each group's mark and the first wrong group.

    Posts `FingerprintEntry.Checked` after every change; `matches` only when every digit is
    right (the whole compared with `hmac.compare_digest`)."""

    DEFAULT_CSS = """
    FingerprintEntry {
        height: auto;
    }
    FingerprintEntry DigitsInput {
        width: 38;
    }
    FingerprintEntry .fingerprint-marks {
        height: 1;
    }
    """

    @dataclass
    class Checked(Message):
        entry: FingerprintEntry
        complete: bool  # all 30 digits typed
        matches: bool  # and every one of them right

        @property
        def control(self) -> FingerprintEntry:
            return self.entry

    def __init__(
        self,
        expected: str,
        *,
        name_wrong: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`expected`: the fingerprint to compare with (grouped or not). `name_wrong`: say
        which group is the first wrong one under the marks (off when the dialog says it)."""
        super().__init__(id=id, classes=classes)
        self.expected = expected
        self.name_wrong = name_wrong
        self.result: TypedFingerprint = check_typed(expected, [])

    def compose(self) -> ComposeResult:
        yield DigitsInput(
            placeholder=format_fingerprint("·" * MAX_DIGITS),
            compact=True,
            select_on_focus=False,
            classes="fingerprint-typed",
        )
        yield Static("", classes="fingerprint-marks")

    def on_mount(self) -> None:
        self._check()

    @property
    def field(self) -> DigitsInput:
        return self.query_one(DigitsInput)

    @property
    def digits(self) -> str:
        return typed_digits(self.field.value)

    @property
    def groups(self) -> list[str]:
        return split_groups(self.digits)

    @property
    def complete(self) -> bool:
        return self.result.complete

    @property
    def matches(self) -> bool:
        return self.result.matches

    def focus(self, scroll_visible: bool = True) -> FingerprintEntry:
        self.field.focus(scroll_visible)
        return self

    @on(Input.Changed, "DigitsInput")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        field = self.field
        grouped = format_fingerprint(typed_digits(field.value)[:MAX_DIGITS])
        if grouped != field.value:  # set from outside (a test, a paste of the whole value)
            field.value = grouped
            field.cursor_position = len(grouped)
            return  # the change this makes comes back here
        self._check()

    def _check(self) -> None:
        self.result = check_typed(self.expected, self.groups)
        self.query_one(".fingerprint-marks", Static).update(self._marks_line())
        self.post_message(self.Checked(self, self.result.complete, self.result.matches))

    def _marks_line(self) -> Content:
        parts: list[str | tuple[str, str]] = []
        for mark in self.result.marks:
            sign, style = {
                GroupMark.RIGHT: ("✓", "$success bold"),
                GroupMark.WRONG: ("✗", "$error bold"),
                GroupMark.PARTIAL: ("…", "$text-muted"),
            }.get(mark, ("·", "$text-muted"))
            parts += [" " * MARK_COLUMN, (sign, style), " " * (GROUP_DIGITS - MARK_COLUMN)]
        if self.name_wrong and self.result.first_wrong is not None:
            text = _("Group {n} differs").format(n=self.result.first_wrong)
            parts += [" ", (text, "$error bold")]
        return Content.assemble(*parts)
