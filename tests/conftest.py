"""Every test starts in English, whatever the test before it chose: tests that are about the
language (the Indonesian default, switching) choose it themselves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tpsdesk.i18n import set_language


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")


# -- PostgreSQL (fallback until helper pgserver's tests/postgres.py plugin is merged) ---------
# A fresh, empty database per test on the server named by $TPSDESK_TEST_PG_URL (an admin URL,
# e.g. postgresql://postgres@/postgres?host=/tmp/pg&port=5432); skipped without it.
PG_URL_ENV = "TPSDESK_TEST_PG_URL"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    import os
    import uuid

    admin = os.environ.get(PG_URL_ENV)
    if not admin:
        pytest.skip(f"no PostgreSQL server: set {PG_URL_ENV} to an admin URL")
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(admin).set(drivername="postgresql+psycopg")
    name = "tpsdesk_test_" + uuid.uuid4().hex[:12]
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield base.set(database=name).render_as_string(hide_password=False)
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        engine.dispose()
