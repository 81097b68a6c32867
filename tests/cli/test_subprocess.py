"""The installed `tpsdesk` script and `python -m tpsdesk.cli` in real processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = shutil.which("tpsdesk", path=str(Path(sys.executable).parent))


def _run(args: list[str], env: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TPSDESK_")}
    full_env.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run(args, env=full_env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.skipif(SCRIPT is None, reason="the tpsdesk script is not installed in this venv")
def test_console_script_end_to_end(env: dict[str, str | None], tmp_path: Path) -> None:
    assert SCRIPT is not None
    created = _run([SCRIPT, "--lang", "en", "init"], env)
    assert created.returncode == 0, created.stderr
    demo = _run([SCRIPT, "demo", "--officers", "25"], env)
    assert demo.returncode == 0, demo.stderr
    listed = _run([SCRIPT, "officers", "list", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 25
    wrong = _run([SCRIPT, "--lang", "en", "identity"], {**env, "TPSDESK_PASSPHRASE": "x" * 12})
    assert wrong.returncode == 1
    assert "Wrong passphrase" in wrong.stderr and "Traceback" not in wrong.stderr
    usage = _run([SCRIPT, "officers", "list", "--nope"], env)
    assert usage.returncode == 2


@pytest.mark.slow
def test_python_m_and_no_textual(env: dict[str, str | None]) -> None:
    created = _run([sys.executable, "-m", "tpsdesk.cli", "init"], env)
    assert created.returncode == 0, created.stderr
    # A subcommand never loads the UI toolkit.
    script = (
        "import sys\n"
        "from tpsdesk.cli import main\n"
        "try:\n"
        "    main(['identity', '--json'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "assert not any(m.split('.')[0] == 'textual' for m in sys.modules), 'textual imported'\n"
    )
    checked = _run([sys.executable, "-c", script], env)
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["role"] == "field"
