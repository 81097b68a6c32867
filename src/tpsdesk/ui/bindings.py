"""Translate key bindings per instance.

Textual builds bindings when a class is defined, before a language may have been chosen, so
BINDINGS hold English msgids (marked with N_) and each screen translates its own copy when it
is created, and again when F9 composes it anew in the other language (ui/relabel.py).
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import BindingsMap
from textual.dom import DOMNode

from tpsdesk.i18n import _


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
