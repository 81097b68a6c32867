from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.factories import BACKENDS, backend_url, new_store

from tpsdesk.i18n import set_language
from tpsdesk.store.db import Store


@pytest.fixture(params=BACKENDS)
def store(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A store for the exports: a field store, and (marked postgres) a district store on
    PostgreSQL, which exports the same sheets from its database."""
    url = backend_url(request)
    role = "field" if url is None else "district"
    opened = new_store(
        tmp_path / "test.store", passphrase="correct horse battery", role=role, database_url=url
    )
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are asserted in English (the msgids); Indonesian is the default."""
    set_language("en")
    yield
    set_language("en")
