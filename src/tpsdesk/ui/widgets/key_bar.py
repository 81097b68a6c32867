"""The keys of the screen, on one line of text: the footer of the district desk.

Textual's Footer rebuilds a widget per key whenever the bindings change — several times on
every tab switch — and that rebuild was a large part of what a switch cost the UI thread
(benchmarks/RESULTS-desk.md). This draws the same line as one text: the keys of the focused
widget and its ancestors first, the app's last, one per action, grouped keys together; keys
that cannot be used now are dimmed; a click on a key presses it."""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static


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

    def _bindings_changed(self, _screen: Screen[object]) -> None:
        self._draw()

    def _draw(self) -> None:
        if not self.is_attached:
            return
        by_action: defaultdict[str, list[tuple[Binding, bool]]] = defaultdict(list)
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show:
                by_action[binding.action].append((binding, enabled))
        line = Text(no_wrap=True, overflow="crop")
        variables = self.app.theme_variables
        key_style = Style(color=variables.get("footer-key-foreground") or None, bold=True)
        for group, members_iter in groupby(by_action.values(), lambda m: m[0][0].group):
            members = [m[0] for m in members_iter]
            if group is not None and len(members) > 1:
                for binding, enabled in members:
                    self._add_key(line, binding, enabled, key_style)
                line.append(group.description + " ")
                continue
            for binding, enabled in members:
                self._add_key(line, binding, enabled, key_style)
                line.append(binding.description + " ", Style(dim=not enabled))
        self.update(line)

    def _add_key(self, line: Text, binding: Binding, enabled: bool, key_style: Style) -> None:
        click = Style.from_meta({"@click": f"app.simulate_key({binding.key!r})"})
        style = key_style + Style(bold=True, dim=not enabled) + click
        line.append(self.app.get_key_display(binding), style)
        line.append(" ")
