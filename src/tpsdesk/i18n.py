"""Message catalogue access: every user-facing text goes through `_()`.

Message ids are English; the Indonesian catalogue (the default language) lives in
`locale/id/LC_MESSAGES/tpsdesk.po` and is compiled to `.mo` by `scripts/catalog.py`.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "tpsdesk"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
LANGUAGE_ENV = "TPSDESK_LANG"

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def set_language(language: str | None) -> str:
    """Switch the catalogue; `None` picks TPSDESK_LANG or Indonesian. Returns the language used."""
    global _translations, _language
    chosen = (language or os.environ.get(LANGUAGE_ENV) or DEFAULT_LANGUAGE).strip().lower()
    if chosen not in LANGUAGES:
        chosen = DEFAULT_LANGUAGE
    if chosen == "en":
        _translations = gettext.NullTranslations()
    else:
        _translations = gettext.translation(DOMAIN, LOCALE_DIR, languages=[chosen], fallback=True)
    _language = chosen
    return chosen


def get_language() -> str:
    return _language


def _(message: str) -> str:
    """Translate `message` into the current language."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def number_locale() -> str:
    """The babel locale for numbers and money in the current language."""
    return "id_ID" if _language == "id" else "en_US"


def format_number(value: int) -> str:
    """50.000 (Indonesian) or 50,000 (English)."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=number_locale())


def N_(message: str) -> str:
    """Mark a message for extraction without translating it now (translate later with `_()`)."""
    return message


set_language(None)
