from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.factories import BACKENDS

PASSPHRASE = "kuda benar baterai staples"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "tpsdesk.store"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module with `BOTH_BACKENDS = True` runs on SQLite and on PostgreSQL: its district
    stores (`init --district`) go to the test's database through $TPSDESK_DATABASE_URL."""
    if "backend" in metafunc.fixturenames and getattr(metafunc.module, "BOTH_BACKENDS", False):
        metafunc.parametrize("backend", BACKENDS)


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def env(
    tmp_path: Path, store_path: Path, backend: str, request: pytest.FixtureRequest
) -> dict[str, str | None]:
    """A store in tmp_path, tiny Argon2id, no user preferences, the passphrase in the env;
    on the postgresql backend, a district store's database."""
    database = None
    if backend == "postgresql":
        database = str(request.getfixturevalue("postgres_url"))
    return {
        "TPSDESK_DATABASE_URL": database,
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
