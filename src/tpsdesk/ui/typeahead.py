"""Find by typing in a list: letters typed within a second of each other form a prefix, and
the cursor goes to the first name starting with it (as in Windows Explorer). Pure: the
widgets give the names and the cursor, and move the cursor themselves."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

WINDOW = 1.0
"""Seconds between two key presses for them to belong to the same prefix."""

Clock = Callable[[], float]


class TypeAhead:
    """The prefix being typed. `clock` (monotonic seconds) is injected by tests."""

    def __init__(self, clock: Clock | None = None, window: float = WINDOW) -> None:
        self.clock: Clock = clock or time.monotonic
        self.window = window
        self.prefix = ""
        self._last: float | None = None

    def type(self, char: str) -> tuple[str, bool]:
        """Add `char` to the prefix (or start a new one after a pause). Returns the prefix and
        whether this is the same single letter pressed again (move on to the next match)."""
        now = self.clock()
        if self._last is None or now - self._last > self.window:
            self.prefix = ""
        self._last = now
        if len(self.prefix) == 1 and self.prefix.casefold() == char.casefold():
            return self.prefix, True
        self.prefix += char
        return self.prefix, False

    def clear(self) -> bool:
        """Forget the prefix; True if there was one."""
        had = bool(self.prefix)
        self.prefix = ""
        self._last = None
        return had


def find(names: Sequence[str], cursor: int, prefix: str, *, after: bool = False) -> int | None:
    """Index of the first name starting with `prefix` (case-insensitive) at `cursor` or, with
    `after`, past it, wrapping around; None if no name starts with it."""
    if not names or not prefix:
        return None
    wanted = prefix.casefold()
    count = len(names)
    first = max(cursor, -1) + (1 if after else 0)
    first = max(first, 0)
    for step in range(count):
        index = (first + step) % count
        if names[index].casefold().startswith(wanted):
            return index
    return None
