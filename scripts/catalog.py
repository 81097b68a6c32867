"""Keep the message catalogues in step with the code.

    uv run python scripts/catalog.py          extract, merge into id.po, compile id.mo
    uv run python scripts/catalog.py --check  exit 1 if a message lacks a translation, or a
                                              translation's placeholders differ from its id's
    uv run python scripts/catalog.py --add F.json   also take translations from F.json
                                                    ({"English msgid": "Indonesian", ...};
                                                    a plural: a list of its forms)

Message ids are the English texts passed to `_()`, `N_()` and `ngettext()` in src/tpsdesk.
"""

from __future__ import annotations

import json
import re
import string
import sys
from collections import Counter
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "tpsdesk"
PO = SRC / "locale" / "id" / "LC_MESSAGES" / "tpsdesk.po"
MO = PO.with_suffix(".mo")
# Nn_ marks a singular/plural pair for extraction only (click's own plural texts).
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "Nn_": (1, 2)}
# printf-style names, as in click's "%(prog)s, version %(version)s".
_PERCENT = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]")


def extract() -> Catalog:
    template = Catalog(project="tpsdesk", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SRC), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("i18n:",)
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def load_po() -> Catalog:
    if not PO.exists():
        return Catalog(locale="id", project="tpsdesk", charset="utf-8")
    with PO.open("rb") as handle:
        return read_po(handle, locale="id")


def missing_translations(catalog: Catalog, template: Catalog) -> list[str]:
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        if (
            translated is None
            or not translated.string
            or (isinstance(translated.string, tuple) and not all(translated.string))
        ):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def placeholders(text: str) -> Counter[str]:
    """The placeholders `str.format` and `%` would fill in `text`, each with its conversion
    and format spec (`{name}`, `{name!r}` and `{name:>5}` are three different ones)."""
    found: Counter[str] = Counter()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        parsed = []
        found["<unbalanced braces>"] += 1
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        suffix = (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        found["{" + field + suffix + "}"] += 1
    for name in _PERCENT.finditer(text):
        found[name.group(0)] += 1
    return found


def placeholder_mismatches(catalog: Catalog) -> list[str]:
    """One line per translation whose placeholders differ from its message id's: singular
    form against the singular id, every other form against the plural id."""
    problems = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
        forms = (message.string,) if isinstance(message.string, str) else tuple(message.string)
        for index, form in enumerate(forms):
            if not form:
                continue
            source = ids[min(index, len(ids) - 1)]
            want, got = placeholders(source), placeholders(form)
            if want != got:
                problems.append(
                    f"{source!r} (form {index}): expected {sorted(want.elements())}, "
                    f"translation has {sorted(got.elements())}"
                )
    return problems


def _json_files(argv: list[str]) -> list[Path]:
    return [Path(argv[i + 1]) for i, arg in enumerate(argv[:-1]) if arg == "--add"]


def _add_translations(catalog: Catalog, translations: dict[str, str | list[str]]) -> int:
    added = 0
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        value = translations.get(key)
        if value is None:
            continue
        message.string = tuple(value) if isinstance(value, list) else value
        message.flags.discard("fuzzy")
        added += 1
    return added


def main(argv: list[str]) -> int:
    template = extract()
    catalog = load_po()
    if "--check" in argv:
        missing = missing_translations(catalog, template)
        for message_id in missing:
            print(f"untranslated: {message_id!r}")
        mismatches = placeholder_mismatches(catalog)
        for problem in mismatches:
            print(f"placeholders differ: {problem}")
        return 1 if missing or mismatches else 0
    catalog.update(template, no_fuzzy_matching=True)
    for extra in _json_files(argv):
        added = _add_translations(catalog, json.loads(extra.read_text(encoding="utf-8")))
        print(f"{extra.name}: {added} translations taken")
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True)
    with MO.open("wb") as handle:
        write_mo(handle, catalog)
    missing = missing_translations(catalog, template)
    print(f"{len(template)} messages, {len(missing)} without an Indonesian translation")
    for problem in placeholder_mismatches(catalog):
        print(f"placeholders differ: {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
