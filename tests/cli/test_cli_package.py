"""The command line is a package without import cycles (issue 9 point 8).

Every `tpsdesk.cli` submodule imports on its own in a fresh interpreter, and no submodule
but the package's root imports the package (`tpsdesk.cli`) back.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import tpsdesk.cli

PACKAGE_DIR = Path(tpsdesk.cli.__file__).parent
MODULES = sorted(p.stem for p in PACKAGE_DIR.glob("*.py") if p.stem != "__init__")
ROOT_MODULES = {"__init__", "__main__", "root"}  # the package's root: defines/exports `main`


def test_the_package_has_its_modules() -> None:
    assert {"common", "root", "sync", "bundle", "district", "export"} <= set(MODULES)


@pytest.mark.parametrize("module", [m for m in MODULES if m != "__main__"])
def test_each_submodule_imports_in_a_fresh_process(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import tpsdesk.cli.{module}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def _imports_the_package(tree: ast.Module) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            lines += [node.lineno for alias in node.names if alias.name == "tpsdesk.cli"]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module in ("tpsdesk.cli", "tpsdesk"):
                names = {alias.name for alias in node.names}
                if node.module == "tpsdesk.cli" or "cli" in names:
                    lines.append(node.lineno)
            elif node.level == 1 and node.module is None:  # from . import x
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("module", [m for m in MODULES if m not in ROOT_MODULES])
def test_no_group_module_imports_the_package_back(module: str) -> None:
    path = PACKAGE_DIR / f"{module}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    assert _imports_the_package(tree) == [], f"{module}.py imports tpsdesk.cli"


def test_common_imports_no_other_cli_module() -> None:
    path = PACKAGE_DIR / "common.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = [
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.module == "tpsdesk.cli" or (node.module or "").startswith("tpsdesk.cli."))
    ]
    assert found == []
