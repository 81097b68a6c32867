"""Translate key bindings per instance.

Textual builds bindings when a class is defined, before a language may have been chosen, so
BINDINGS hold English msgids (marked with N_) and each screen translates its own copy when it
is created, and again when F9 composes it anew in the other language (ui/relabel.py).
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from tpsdesk.i18n import N_, _


def translate_bindings(node: DOMNode) -> None:
    source = type(node)._merged_bindings
    if source is None:
        return
    translated = {
        key: [
            replace(
                binding,
                description=_(binding.description) if binding.description else "",
                tooltip=_(binding.tooltip) if binding.tooltip else "",
                group=replace(binding.group, description=_(binding.group.description))
                if binding.group
                else None,
            )
            for binding in bindings
        ]
        for key, bindings in source.key_to_bindings.items()
    }
    node._bindings = BindingsMap.from_keys(translated)


def modal_app_keys(prefix: str, *, quit_action: str = "app.quit") -> list[Binding]:
    """F1, F9 and F10 for a modal screen, which hides the app's own keys from the user: the
    same keys, descriptions and help texts as the app's, with ids under `prefix`."""
    return [
        Binding("f1", "app.help", N_("Help"), id=f"{prefix}.help", tooltip=N_("Show every key")),
        Binding(
            "f9",
            "app.switch_language",
            N_("Language"),
            id=f"{prefix}.language",
            show=False,
            tooltip=N_("Switch between Indonesian and English"),
        ),
        Binding("f10", quit_action, N_("Quit"), id=f"{prefix}.quit", tooltip=N_("Close tpsdesk")),
    ]
