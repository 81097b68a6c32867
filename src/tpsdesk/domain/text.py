"""Clean text: what a one-line field may hold.

Control and format characters (Unicode categories Cc, Cf, Zl, Zp: ESC, BEL, NUL, CR, LF, TAB,
U+2028, U+202E, zero-width spaces…) are refused in every text field: they rewrite a terminal
(ESC, CR), reorder what a reader sees (U+202E), hide a difference between two values (U+200B)
or break the files tpsdesk writes (XLSX cannot hold most C0 controls). Names of people refuse
emoji and other symbols as well: BPJS matches a name against the KTP, which holds letters.

Messages name the field, the kind of character and its position, never the value: a value is
personal data.
"""

from __future__ import annotations

import re
import unicodedata

from tpsdesk.domain.field_labels import OFFICER_FIELD_LABELS
from tpsdesk.domain.problems import Problem, error
from tpsdesk.i18n import N_, _

# Refused in every field: invisible, and able to change how text is shown or read back.
_REFUSED_ALWAYS = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Refused in names of people too: emoji, symbols, private-use and unassigned code points,
# enclosing marks (a keycap).
_REFUSED_IN_NAMES = frozenset({"So", "Sk", "Sm", "Sc", "Co", "Cn", "Me"})
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

# Labels of the fields text is checked in, translated when shown. Officer fields use the
# same texts as the officer form; area fields the ones of the area screens.
FIELD_LABELS: dict[str, str] = {
    **OFFICER_FIELD_LABELS,
    "kecamatan_code": N_("Kecamatan code"),
    "kecamatan_name": N_("Kecamatan name"),
    "kelurahan_code": N_("Kelurahan code"),
    "kelurahan_name": N_("Kelurahan name"),
    "tps_number": N_("TPS number"),
    "tps_address": N_("TPS address"),
    "tps_voters": N_("Voters"),
}

# Kinds of refused characters: (problem code suffix, description), translated when shown.
_TAB = ("tab", N_("a tab"))
_LINE_BREAK = ("line_break", N_("a line break"))
_CONTROL = ("control_character", N_("a control character"))
_FORMAT = ("format_character", N_("an invisible formatting character"))
_SURROGATE = ("invalid_character", N_("an invalid character"))
_SYMBOL = ("symbol", N_("an emoji or symbol"))


def field_label(field: str) -> str:
    """The translated label of `field`, or the field name itself when it has none."""
    label = FIELD_LABELS.get(field)
    return _(label) if label else field


def _kind(ch: str, person_name: bool) -> tuple[str, str] | None:
    if ch.isascii() and (ch.isalnum() or ch == " "):
        return None  # the common case, without a Unicode lookup
    category = unicodedata.category(ch)
    if category in _REFUSED_ALWAYS:
        if ch == "\t":
            return _TAB
        if ch in _LINE_BREAKS:
            return _LINE_BREAK
        if category == "Cc":
            return _CONTROL
        if category == "Cs":
            return _SURROGATE
        if category == "Cf":
            return _FORMAT
        return _LINE_BREAK  # Zl, Zp
    if person_name and category in _REFUSED_IN_NAMES:
        return _SYMBOL
    return None


def text_problems(field: str, value: str, *, person_name: bool = False) -> list[Problem]:
    """Problems of the characters of `value` in `field`: [] when it is clean.

    Refused everywhere: control and format characters (Cc, Cf, Zl, Zp, TAB/CR/LF included:
    every field is one line) and lone surrogates. With `person_name`, emoji and symbols (So,
    Sk, Sm, Sc, Co, Cn, Me) too. One problem per kind of character found, naming the field,
    the kind and where the first one is (1 = the first character); never the value.
    """
    if not isinstance(value, str) or (value.isascii() and value.isprintable()):
        return []
    found: dict[tuple[str, str], tuple[int, int]] = {}  # kind → (first position, count)
    for position, ch in enumerate(value, 1):
        kind = _kind(ch, person_name)
        if kind is not None:
            first, count = found.get(kind, (position, 0))
            found[kind] = (first, count + 1)
    problems = []
    for (code, what), (position, count) in found.items():
        if count == 1:
            message = _("{field} holds {what} at position {position}: remove it").format(
                field=field_label(field), what=_(what), position=position
            )
        else:
            message = _(
                "{field} holds {what} at position {position} and {more} more like it: remove them"
            ).format(field=field_label(field), what=_(what), position=position, more=count - 1)
        problems.append(error(field, f"{field}.{code}", message))
    return problems


_OUTER_SPACE = " \t\r\n"
# What a spreadsheet cell holds for Alt+Enter (LF, or CR LF from some exporters) and the tab a
# paste brings: an import reads them as the space they stand for. Only imports fold them; a
# form field or a bundle row holding one is refused (`text_problems`).
_CELL_BREAKS = re.compile(r"[\r\n\t]+")


def fold_cell_breaks(value: str) -> str:
    """A spreadsheet cell's line breaks and tabs as single spaces (Alt+Enter in an address)."""
    return _CELL_BREAKS.sub(" ", value) if isinstance(value, str) else value


def cell_text_problems(field: str, value: str, *, person_name: bool = False) -> list[Problem]:
    """`text_problems` of a value that is cleaned of the spaces around it before it is kept:
    tabs and line ends there (a spreadsheet cell's trailing Enter) are dropped with the spaces,
    never stored, so they are not refused; inside the text they are. Positions stay those of
    the text as typed."""
    if not isinstance(value, str) or (value.isascii() and value.isprintable()):
        return []
    inner = value.strip(_OUTER_SPACE)
    lead = len(value) - len(value.lstrip(_OUTER_SPACE))
    blanked = " " * lead + inner + " " * (len(value) - lead - len(inner))
    return text_problems(field, blanked, person_name=person_name)
