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
