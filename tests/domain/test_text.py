"""Clean text (SECURITY 28): control and format characters refused in every one-line field,
emoji and symbols in names of people; messages name the field, never the value."""

import pytest

from tpsdesk.domain.problems import Severity
from tpsdesk.domain.text import text_problems

HOSTILE = [
    ("\x1b[2J", "control_character"),  # ESC: clears a terminal
    ("\x07", "control_character"),  # BEL
    ("\x00", "control_character"),  # NUL
    ("\x7f", "control_character"),  # DEL
    ("\x9b", "control_character"),  # CSI (C1)
    ("\r", "line_break"),  # CR: overwrites a terminal line
    ("\n", "line_break"),
    ("\u2028", "line_break"),  # LINE SEPARATOR (Zl)
    ("\u2029", "line_break"),  # PARAGRAPH SEPARATOR (Zp)
    ("\t", "tab"),
    ("\u202e", "format_character"),  # RIGHT-TO-LEFT OVERRIDE (Cf)
    ("\u200b", "format_character"),  # ZERO WIDTH SPACE
    ("\ufeff", "format_character"),  # BOM / zero-width no-break space
    ("\ud800", "invalid_character"),  # a lone surrogate
]


@pytest.mark.parametrize(("char", "kind"), HOSTILE)
@pytest.mark.parametrize("person_name", [False, True])
def test_control_and_format_characters_are_refused(char: str, kind: str, person_name: bool) -> None:
    value = f"Jl. Ijen{char} No. 5"
    problems = text_problems("address", value, person_name=person_name)
    assert [p.code for p in problems] == [f"address.{kind}"]
    (problem,) = problems
    assert problem.severity is Severity.ERROR
    assert problem.field == "address"
    assert problem.message.startswith("Address holds ")
    assert "position 9" in problem.message
    assert "Ijen" not in problem.message and char not in problem.message


def test_message_counts_the_others_and_kinds_are_reported_apart() -> None:
    problems = text_problems("birth_place", "MA\x1bLA\x1bNG\u202e")
    assert [p.code for p in problems] == [
        "birth_place.control_character",
        "birth_place.format_character",
    ]
    assert problems[0].message == (
        "Place of birth holds a control character at position 3 and 1 more like it: remove them"
    )
    assert problems[1].message == (
        "Place of birth holds an invisible formatting character at position 9: remove it"
    )


def test_unknown_field_is_named_as_given() -> None:
    (problem,) = text_problems("village_head", "A\x07")
    assert problem.message.startswith("village_head holds a control character")


@pytest.mark.parametrize(
    "name",
    [
        "SITI\U0001f600",  # 😀 So
        "SITI \u2764\ufe0f",  # ❤️ So (+ a variation selector)
        "BUDI\U0001f3fb",  # a skin tone modifier: Sk
        "BUDI\u20e3",  # enclosing keycap: Me
        "BUDI \u00a9",  # © So
        "BUDI\ue000",  # private use: Co
    ],
)
def test_emoji_and_symbols_are_refused_in_names_of_people(name: str) -> None:
    assert [p.code for p in text_problems("name", name, person_name=True)] == ["name.symbol"]
    assert text_problems("name", name) == []  # an address may say ©


def test_emoji_joined_by_zwj_reports_both_kinds() -> None:
    codes = {p.code for p in text_problems("name", "A\U0001f468\u200d\U0001f469", person_name=True)}
    assert codes == {"name.symbol", "name.format_character"}


@pytest.mark.parametrize(
    "name",
    [
        "SITI AMINAH",
        "I GUSTI NGURAH RAI",
        "R.A. KARTINI",
        "MOH. HATTA, S.H.",
        "NGATIJO-WIDODO",
        "MA'RUF",
        "JOSÉ ÁLVAREZ",
        "Ñoño Müller",
        "ČEŠKA Øre",
        "Nguyễn Văn",
    ],
)
def test_indonesian_names_with_punctuation_and_accents_are_fine(name: str) -> None:
    assert text_problems("name", name, person_name=True) == []


@pytest.mark.parametrize(
    "value", ["Jl. Ijen No. 5, RT 02/RW 03", "nama@contoh.id", "+62 812-3456-7890", "Rp 1.000"]
)
def test_ordinary_text_is_fine(value: str) -> None:
    assert text_problems("address", value) == []


def test_a_spreadsheet_cell_s_line_breaks_and_tabs_fold_into_spaces() -> None:
    from tpsdesk.domain.text import fold_cell_breaks

    assert fold_cell_breaks("Jl. Ijen\nNo. 5") == "Jl. Ijen No. 5"
    assert fold_cell_breaks("Jl. Ijen\r\n\tNo. 5") == "Jl. Ijen No. 5"
    # Only what a cell holds for Alt+Enter or a paste: other breaks stay, to be refused.
    assert fold_cell_breaks("Jl.\u2028Ijen") == "Jl.\u2028Ijen"
    assert text_problems("address", fold_cell_breaks("Jl. Ijen\nNo. 5")) == []
