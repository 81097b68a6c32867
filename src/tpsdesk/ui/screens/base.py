"""Screen base classes: translated bindings and the store-call helper every screen uses."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.screen import ModalScreen, Screen

from tpsdesk.ui.bindings import translate_bindings

if TYPE_CHECKING:
    from tpsdesk.ui.app import TpsDeskApp

ResultT = TypeVar("ResultT")
T = TypeVar("T")


class StoreCalls:
    """Run blocking store work (key derivation, saving, queries) off the UI thread."""

    app: Any

    @property
    def desk(self) -> TpsDeskApp:
        return self.app

    async def in_thread(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(function, *args, **kwargs)


class BaseScreen(StoreCalls, Screen[None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)


class BaseModal(StoreCalls, ModalScreen[ResultT]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        translate_bindings(self)
