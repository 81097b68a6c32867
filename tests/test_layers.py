"""Domain below, UI on top: nothing outside tpsdesk.ui may import textual."""

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


def test_textual_is_not_imported_below_the_ui() -> None:
    modules = non_ui_modules()
    assert "tpsdesk.domain.nik" in modules and "tpsdesk.store.db" in modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert json.loads(result.stdout) == []


def test_domain_imports_no_database_or_io_libraries() -> None:
    modules = [m for m in non_ui_modules() if m.startswith("tpsdesk.domain")]
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sqlmodel', 'sqlalchemy', 'textual', 'cryptography', 'openpyxl'})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert json.loads(result.stdout) == []
