"""Keep the message catalogues in step with the code.

    uv run python scripts/catalog.py          extract, merge into id.po, compile id.mo
    uv run python scripts/catalog.py --check  exit 1 if a message lacks a translation
    uv run python scripts/catalog.py --add F.json   also take translations from F.json
                                                    ({"English msgid": "Indonesian", ...};
                                                    a plural: a list of its forms)

Message ids are the English texts passed to `_()`, `N_()` and `ngettext()` in src/tpsdesk.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "tpsdesk"
PO = SRC / "locale" / "id" / "LC_MESSAGES" / "tpsdesk.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


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
        return 1 if missing else 0
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
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
