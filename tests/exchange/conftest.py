from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.factories import new_store

from tpsdesk.i18n import set_language
from tpsdesk.store.db import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = new_store(tmp_path / "test.store", passphrase="correct horse battery")
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
