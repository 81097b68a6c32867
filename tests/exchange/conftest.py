from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tpsdesk.i18n import set_language
from tpsdesk.store.db import Store
from tpsdesk.store.vault import KdfParams

# Argon2id at its smallest: these tests are about what the store holds, not its key.
FAST_KDF = KdfParams(iterations=1, memory_kib=64, lanes=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened, _recovery = Store.create(tmp_path / "test.store", "correct horse battery", kdf=FAST_KDF)
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
