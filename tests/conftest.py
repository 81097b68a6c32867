"""Every test starts in English, whatever the test before it chose: tests that are about the
language (the Indonesian default, switching) choose it themselves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tpsdesk.i18n import set_language

# tests.postgres: the throwaway PostgreSQL (postgres_server, postgres_url, the `postgres` marker);
# tests.postgres_tls: a second one over TCP with SCRAM passwords and TLS (postgres_tls_server,
# postgres_tls); pytester: for the tests of that plugin.
pytest_plugins = ["pytester", "tests.postgres", "tests.postgres_tls"]


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    set_language("en")
    yield
    set_language("en")
