from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

PASSPHRASE = "kuda benar baterai staples"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "tpsdesk.store"


@pytest.fixture
def env(tmp_path: Path, store_path: Path) -> dict[str, str | None]:
    """A store in tmp_path, tiny Argon2id, no user preferences, the passphrase in the env."""
    return {
        "TPSDESK_STORE": str(store_path),
        "TPSDESK_TEST_FAST_KDF": "1",
        "TPSDESK_PASSPHRASE": PASSPHRASE,
        "TPSDESK_CONFIG_DIR": str(tmp_path / "config"),
        "TPSDESK_LANG": None,
        "TPSDESK_NEW_PASSPHRASE": None,
    }


@pytest.fixture
def runner(env: dict[str, str | None]) -> CliRunner:
    return CliRunner(env=env)
