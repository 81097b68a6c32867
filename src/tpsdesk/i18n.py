"""Message catalogue access: every user-facing text goes through `_()`.

Message ids are English; the Indonesian catalogue (the default language) lives in
`locale/id/LC_MESSAGES/tpsdesk.po` and is compiled to `.mo` by `scripts/catalog.py`.
"""

from __future__ import annotations

import errno
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


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular/plural pair for extraction only (translated later with `ngettext()`)."""
    return singular, plural


# Operating-system errors in the user's language: `strerror` is English whatever the language.
_OS_ERRORS: dict[int, str] = {
    errno.ENOENT: N_("no such file or folder"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("operation not permitted"),
    errno.EEXIST: N_("the file already exists"),
    errno.EISDIR: N_("it is a folder, not a file"),
    errno.ENOTDIR: N_("part of the path is not a folder"),
    errno.ENOSPC: N_("no space left on the disk"),
    errno.EROFS: N_("the disk is read-only"),
    errno.EBUSY: N_("the file or disk is busy"),
    errno.EMFILE: N_("too many files are open"),
    errno.ENFILE: N_("too many files are open"),
    errno.ENAMETOOLONG: N_("the file name is too long"),
    errno.EIO: N_("the disk could not be read or written (input/output error)"),
    errno.EXDEV: N_("the file cannot be moved to another disk"),
    errno.ENOTEMPTY: N_("the folder is not empty"),
    errno.EFBIG: N_("the file is too large"),
    errno.ELOOP: N_("too many symbolic links"),
    errno.EINVAL: N_("invalid argument"),
    errno.ENXIO: N_("no such device"),
    errno.ENODEV: N_("no such device"),
    errno.ETXTBSY: N_("the file is in use"),
    errno.EAGAIN: N_("the resource is temporarily unavailable"),
    errno.ENOMEM: N_("not enough memory"),
    errno.ENOTSUP: N_("not supported"),
}
if hasattr(errno, "EDQUOT"):
    _OS_ERRORS[errno.EDQUOT] = N_("the disk quota is exceeded")


def os_error_text(error: BaseException) -> str:
    """Why an operating-system call failed, in the current language (for "{reason}" in a
    message): `strerror` ("No such file or directory") would put English in Indonesian text."""
    number = getattr(error, "errno", None)
    if isinstance(number, int):
        known = _OS_ERRORS.get(number)
        if known is not None:
            return _(known)
        return _("operating-system error {number}").format(number=number)
    return _("unexpected error ({kind})").format(kind=type(error).__name__)


set_language(None)
