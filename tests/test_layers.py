"""Domain below, UI on top: nothing outside tpsdesk.ui may import textual, and the domain
imports no database, crypto or spreadsheet library."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import tpsdesk


def non_ui_modules() -> list[str]:
    names = []
    for module in pkgutil.walk_packages(tpsdesk.__path__, prefix="tpsdesk."):
        if module.name.startswith("tpsdesk.ui") or module.name == "tpsdesk.__main__":
            continue  # __main__ runs the command line when imported
        names.append(module.name)
    return names


def top_level_packages_after_importing(modules: list[str]) -> set[str]:
    """Import `modules` in a fresh interpreter; the top-level packages it then holds."""
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return set(json.loads(result.stdout))


def test_textual_is_not_imported_below_the_ui() -> None:
    modules = non_ui_modules()
    assert "tpsdesk.domain.nik" in modules and "tpsdesk.store.db" in modules
    assert "textual" not in top_level_packages_after_importing(modules)


def test_domain_imports_no_database_or_io_libraries() -> None:
    modules = [m for m in non_ui_modules() if m.startswith("tpsdesk.domain")]
    loaded = top_level_packages_after_importing(modules)
    assert loaded.isdisjoint({"sqlmodel", "sqlalchemy", "textual", "cryptography", "openpyxl"})
