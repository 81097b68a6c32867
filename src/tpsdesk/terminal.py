"""Text made safe to print on a terminal.

Stored data (an old store, a district merge of another laptop's rows) and file contents (a
bundle's header, a spreadsheet's headings) may hold characters a terminal acts on instead of
showing: ESC starts a control sequence, CR returns to the start of the line and overwrites it,
BEL rings, U+202E reverses what follows, U+2028 breaks the line. `printable` shows each of them
as a visible escape (`\\x1b`, `\\r`, `\\u202e`), so what is printed is what is there.
"""

from __future__ import annotations

import unicodedata

# Categories a terminal may act on: controls (C0, DEL, C1), format characters (bidi overrides,
# zero-width characters), line and paragraph separators, and lone surrogates (unprintable).
_ESCAPED = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str) -> str:
    """`text` with every control, format, line/paragraph separator and lone surrogate shown
    as a visible escape (ESC → `\\x1b`, U+202E → `\\u202e`); anything else unchanged."""
    if not isinstance(text, str):
        text = str(text)
    if text.isascii() and text.isprintable():
        return text  # nearly everything: no regular expression run
    return "".join(_escape(ch) if unicodedata.category(ch) in _ESCAPED else ch for ch in text)


def printable_lines(text: str) -> str:
    """`printable` for a message of several lines: its line feeds stay line feeds, anything
    else is escaped (a CR inside a line included)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def json_safe(text: str) -> str:
    """JSON text (as `json.dumps(..., ensure_ascii=False)` writes it) with the characters a
    terminal acts on written as JSON escapes (`\\u001b`, `\\u202e`): the same data, read back
    identically, shown safely. json.dumps already escapes C0 controls, not DEL, C1 or format
    characters."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(_json_escape(ch) if unicodedata.category(ch) in _ESCAPED else ch for ch in text)


def _json_escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON writes code points above U+FFFF
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
