"""F9: a screen shown again in the language just chosen, keeping what it holds.

Screens translate their labels when they compose, so a language change composes each screen
of the stack again, in place: the same screen object (its callbacks, the officer it edits,
what it was asked to do next) with new widgets. What the old widgets held — typed text, the
chosen option, the selected row, the open tab, the focused field — is carried over, so an
officer being edited keeps its unsaved input."""

from __future__ import annotations

import inspect
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Checkbox, DataTable, Input, OptionList, Select, Switch, TabbedContent

from tpsdesk.ui.bindings import translate_bindings


@dataclass
class ScreenState:
    """What a screen's widgets hold, by widget id."""

    values: dict[str, Any] = field(default_factory=dict)
    cursors: dict[str, Coordinate] = field(default_factory=dict)
    tabs: dict[str, str] = field(default_factory=dict)
    highlighted: dict[str, int | None] = field(default_factory=dict)
    focused: str | None = None


def capture(screen: Screen[Any]) -> ScreenState:
    state = ScreenState()
    for widget in screen.query("*"):
        if widget.id is None:
            continue
        if isinstance(widget, Input | Select | Checkbox | Switch):
            state.values[widget.id] = widget.value
        elif isinstance(widget, DataTable):
            state.cursors[widget.id] = widget.cursor_coordinate
        elif isinstance(widget, TabbedContent):
            state.tabs[widget.id] = widget.active
        elif isinstance(widget, OptionList):
            state.highlighted[widget.id] = widget.highlighted
    focused = screen.focused
    state.focused = focused.id if focused is not None else None
    return state


def restore(screen: Screen[Any], state: ScreenState) -> None:
    for widget_id, active in state.tabs.items():
        with suppress(Exception):
            screen.query_one(f"#{widget_id}", TabbedContent).active = active
    for widget_id, value in state.values.items():
        for widget in screen.query(f"#{widget_id}"):
            if isinstance(widget, Input | Select | Checkbox | Switch) and widget.value != value:
                with suppress(Exception):  # an option the new screen no longer offers
                    widget.value = value
    for widget_id, coordinate in state.cursors.items():
        for table in screen.query(f"#{widget_id}").results(DataTable):
            if table.row_count:
                table.move_cursor(row=min(coordinate.row, table.row_count - 1), animate=False)
    for widget_id, index in state.highlighted.items():
        for options in screen.query(f"#{widget_id}").results(OptionList):
            if index is not None and index < options.option_count:
                options.highlighted = index
    if state.focused is not None:
        for widget in screen.query(f"#{state.focused}").results(Widget):
            if widget.focusable:
                widget.focus()
                break


async def relabel(screen: Screen[Any]) -> None:
    """Compose `screen` again in the current language, as it was set up, with its state."""
    state = capture(screen)
    translate_bindings(screen)
    await screen.recompose()
    forget = getattr(screen, "forget_widgets", None)
    if callable(forget):  # widgets the screen kept at hand are gone
        forget()
    mount = getattr(screen, "on_mount", None)
    if callable(mount):  # titles, table columns, the first load
        result = mount()
        if inspect.isawaitable(result):
            await result
    for worker in [w for w in screen.app.workers if w.node is screen]:
        with suppress(Exception):  # a failed load is told by the app's safety net
            await worker.wait()
    restore(screen, state)
    screen.refresh_bindings()  # the footer, drawn anew for the composed screen
