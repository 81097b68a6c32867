import subprocess
import sys
from pathlib import Path

import tpsdesk.domain

DOMAIN_DIR = Path(tpsdesk.domain.__file__).parent


def test_domain_imports_no_ui_database_or_io_libraries() -> None:
    modules = sorted(p.stem for p in DOMAIN_DIR.glob("*.py") if p.stem != "__init__")
    assert {"problems", "dates", "nik", "phone", "area", "posts", "officer"} <= set(modules)
    code = (
        "import sys\n"
        + "".join(f"import tpsdesk.domain.{m}\n" for m in modules)
        + "bad = sorted(m for m in ('textual', 'sqlmodel', 'sqlalchemy', 'rich', 'cryptography')"
        " if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
