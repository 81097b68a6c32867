"""terminal.printable: what a terminal would act on is shown, everything else unchanged."""

import json

import pytest

from tpsdesk.terminal import json_safe, printable, printable_lines


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2J", "\\x1b[2J"),
        ("\x07", "\\x07"),
        ("\x00", "\\x00"),
        ("a\rb", "a\\rb"),
        ("a\nb", "a\\nb"),
        ("a\tb", "a\\tb"),
        ("\x7f\x9b", "\\x7f\\x9b"),
        ("\u2028\u2029", "\\u2028\\u2029"),
        ("\u202eabc", "\\u202eabc"),
        ("\u200b\ufeff", "\\u200b\\ufeff"),
        ("\U000e0041", "\\U000e0041"),
        ("\ud800", "\\ud800"),
    ],
)
def test_controls_are_shown_escaped(raw: str, shown: str) -> None:
    assert printable(raw) == shown


@pytest.mark.parametrize(
    "text", ["", "SITI AMINAH", "Jl. Ijen No. 5, RT 02/RW 03", "JOSÉ Ñoño", "Kota – 35.73", "😀"]
)
def test_other_text_is_unchanged(text: str) -> None:
    assert printable(text) == text


def test_printable_lines_keeps_line_feeds_only() -> None:
    assert printable_lines("one\ntwo\r\x1b") == "one\ntwo\\r\\x1b"


def test_json_safe_is_the_same_json() -> None:
    value = {"name": "A\x7f\x9b\u202e\u2028\U000e0041\ud800 É", "n": 1}
    shown = json_safe(json.dumps(value, ensure_ascii=False))
    assert json.loads(shown) == value
    assert not any(ch in shown for ch in "\x7f\x9b\u202e\u2028\U000e0041\ud800")
    assert "É" in shown
