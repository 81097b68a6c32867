"""The keys of the screen, on one line of text: the footer of the district desk.

Textual's Footer rebuilds a widget per key whenever the bindings change — several times on
every tab switch — and that rebuild was a large part of what a switch cost the UI thread
(benchmarks/RESULTS-desk.md). This draws the same line as one text: the keys of the focused
widget and its ancestors first, the app's last, one per action, grouped keys together; keys
that cannot be used now are dimmed; a click on a key presses it. When the line is wider than
the terminal, keys make way (`fit_items`) but F1 and F10 always stay: F1 lists every key."""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Static

ESSENTIAL = frozenset({"f1", "f10"})
"""Keys every footer keeps, however narrow the terminal: F1 (which lists the others) and F10."""


def fit_items(items: list[tuple[Text, int]], width: int) -> list[Text]:
    """The items that fit `width`, in their order: when there is no room, the highest rank
    goes first, from the right — the app's keys (3), the screen's (2), Esc (1); rank 0 (F1,
    F10) always stays."""
    kept = list(items)
    while sum(item.cell_len for item, _rank in kept) > width + 1:  # the last blank may go
        droppable = [i for i, (_item, rank) in enumerate(kept) if rank > 0]
        if not droppable:
            break
        top = max(kept[i][1] for i in droppable)
        del kept[max(i for i in droppable if kept[i][1] == top)]
    return [item for item, _rank in kept]


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._draw)

    def on_resize(self) -> None:
        self._draw()

    def _bindings_changed(self, _screen: Screen[object]) -> None:
        self._draw()

    def _draw(self) -> None:
        if not self.is_attached:
            return
        try:
            active = self.screen.active_bindings  # asks the screen's check_action
        except NoMatches:  # the screen is being composed again (F9): it redraws when done
            return
        by_action: defaultdict[str, list[tuple[Binding, bool, bool]]] = defaultdict(list)
        for node, binding, enabled, _tooltip in active.values():
            if binding.show:
                by_action[binding.action].append((binding, enabled, node is self.app))
        variables = self.app.theme_variables
        key_style = Style(color=variables.get("footer-key-foreground") or None, bold=True)
        items: list[tuple[Text, int]] = []  # each key (or group of keys), with its rank
        for group, members_iter in groupby(by_action.values(), lambda m: m[0][0].group):
            members = [m[0] for m in members_iter]
            if group is not None and len(members) > 1:
                item = Text()
                for binding, enabled, _app_key in members:
                    self._add_key(item, binding, enabled, key_style)
                item.append(group.description + " ")
                items.append((item, 2))
                continue
            for binding, enabled, app_key in members:
                item = Text()
                self._add_key(item, binding, enabled, key_style)
                item.append(binding.description + " ", Style(dim=not enabled))
                rank = (
                    0
                    if binding.key in ESSENTIAL
                    else 3
                    if app_key
                    else 1
                    if binding.key == "escape"
                    else 2
                )
                items.append((item, rank))
        line = Text(no_wrap=True, overflow="crop")
        for item in fit_items(items, self.size.width or self.app.size.width):
            line.append_text(item)
        self.update(line)

    def _add_key(self, line: Text, binding: Binding, enabled: bool, key_style: Style) -> None:
        click = Style.from_meta({"@click": f"app.simulate_key({binding.key!r})"})
        style = key_style + Style(bold=True, dim=not enabled) + click
        line.append(self.app.get_key_display(binding), style)
        line.append(" ")
