"""Whether this desk asks for the mother's maiden name (the BPJS column NAMA_IBU_KANDUNG).

A setting of the store (MOTHER_NAME_SETTING): True (ask), False (do not ask), or unset, which
follows the BPJS template: asked when the template has a column for it. The officer form shows
the field when it is asked; the BPJS export lists the officers it is missing for.
"""

from __future__ import annotations

from tpsdesk.exchange.bpjs_export import BpjsTemplate, TemplateError, store_template
from tpsdesk.store.db import Store

MOTHER_NAME_SETTING = "ask_mother_name"
MOTHER_NAME_SOURCE = "mother_name"


def template_asks(template: BpjsTemplate) -> bool:
    """Whether the BPJS template has a column filled from the mother's maiden name."""
    return any(column.source == MOTHER_NAME_SOURCE for column in template.columns)


def mother_name_heading(template: BpjsTemplate) -> str | None:
    """The heading of the template's mother's-name column (NAMA_IBU_KANDUNG), if it has one."""
    for column in template.columns:
        if column.source == MOTHER_NAME_SOURCE:
            return column.heading
    return None


def mother_name_choice(store: Store) -> bool | None:
    """The setting as saved: True, False, or None (follow the BPJS template)."""
    value = store.get_setting(MOTHER_NAME_SETTING)
    return value if isinstance(value, bool) else None


def mother_name_asked(store: Store, template: BpjsTemplate | None = None) -> bool:
    """Whether the officer form shows the mother's maiden name: the setting, or by default
    whether the BPJS template (the store's, else the packaged one) has a column for it."""
    choice = mother_name_choice(store)
    if choice is not None:
        return choice
    try:
        return template_asks(template or store_template(store))
    except TemplateError:  # a broken template setting: the export says so; ask meanwhile
        return True


def set_mother_name_asked(store: Store, asked: bool | None) -> None:
    """Save the setting (None: back to following the BPJS template)."""
    store.set_setting(MOTHER_NAME_SETTING, asked)
