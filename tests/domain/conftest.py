from collections.abc import Iterator

import pytest

from tpsdesk import i18n


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    """Assert on the English message ids, whatever catalogue is compiled."""
    previous = i18n.get_language()
    i18n.set_language("en")
    yield
    i18n.set_language(previous)
