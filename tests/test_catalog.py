"""Every user-facing message has its Indonesian translation, and the compiled catalogue is
the one the .po file describes."""

from __future__ import annotations

import gettext
import importlib.util
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tpsdesk import i18n

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "src" / "tpsdesk" / "locale" / "id" / "LC_MESSAGES" / "tpsdesk.po"
MO = PO.with_suffix(".mo")


def load_catalog_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("catalog", ROOT / "scripts" / "catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_message_has_an_indonesian_translation() -> None:
    script = load_catalog_script()
    template = script.extract()
    assert len(template) > 50
    missing = script.missing_translations(script.load_po(), template)
    assert missing == [], f"untranslated (run scripts/catalog.py): {missing[:10]}"


def _key(value: object) -> object:
    """Plural entries come back as lists from one reader and tuples from the other."""
    return tuple(value) if isinstance(value, list | tuple) else value


def test_compiled_catalogue_matches_the_po_file() -> None:
    with PO.open("rb") as handle:
        po = read_po(handle, locale="id")
    with MO.open("rb") as handle:
        mo = read_mo(handle)
    po_pairs = {_key(m.id): _key(m.string) for m in po if m.id and m.string and not m.fuzzy}
    mo_pairs = {_key(m.id): _key(m.string) for m in mo if m.id}
    assert po_pairs == mo_pairs, "run `uv run python scripts/catalog.py` to recompile"


def test_indonesian_is_the_default_and_english_is_selectable(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(i18n.LANGUAGE_ENV, raising=False)
    try:
        assert i18n.set_language(None) == "id"
        assert i18n._("Search") == "Cari"
        assert i18n.set_language("en") == "en"
        assert i18n._("Search") == "Search"
        assert i18n.set_language("xx") == "id"
    finally:
        i18n.set_language(None)


def test_mo_file_loads_with_stdlib_gettext() -> None:
    translation = gettext.translation("tpsdesk", PO.parent.parent.parent, languages=["id"])
    assert translation.gettext("Search") == "Cari"


def test_every_translation_keeps_the_placeholders_of_its_message_id() -> None:
    # A translation writing {lembar} where the English says {sheet} ends in KeyError at the
    # moment the message is shown (export bpjs with an excluded officer did).
    script = load_catalog_script()
    problems = script.placeholder_mismatches(script.load_po())
    assert problems == [], "\n".join(problems[:10])


def test_placeholder_check_compares_names_conversions_specs_and_plural_forms() -> None:
    from babel.messages.catalog import Catalog

    script = load_catalog_script()
    catalog = Catalog(locale="id")
    catalog.add("fine {a} {b!r} {c:>5}", "baik {c:>5} {b!r} {a}")
    catalog.add("renamed {sheet}", "diganti {lembar}")
    catalog.add("conversion {name!r}", "konversi {name}")
    catalog.add("spec {n:>5}", "format {n}")
    catalog.add("printf %(prog)s", "printf %(program)s")
    catalog.add(("{n} file", "{n} files"), ("{n} berkas", "{count} berkas"))
    catalog.add(("one was given", "{len} were given"), ("satu diberikan", "{len} diberikan"))
    problems = script.placeholder_mismatches(catalog)
    assert len(problems) == 5, problems
    text = "\n".join(problems)
    for source in ("renamed", "conversion", "spec", "printf", "{n} files"):
        assert source in text
    assert "fine" not in text and "were given" not in text
