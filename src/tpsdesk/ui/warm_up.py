"""Pay once, after the store is opened, what a first keystroke would otherwise pay.

Measured on the desk (benchmarks/RESULTS-desk.md), the slow first keystrokes came from three
costs that have nothing to do with the key: screens imported where they are first opened
(30–140 ms each), babel reading its locale data on the first number it formats (about 40 ms),
and Python's full garbage collection, which walks every object the program holds (100–150 ms
once the screens are loaded) and fell on whichever key happened to allocate at the time.

`warm_up` imports and formats ahead, then collects once and freezes what survived: the
collector leaves frozen objects out of later full collections, so those only walk what the
desk created since (a page of rows, a dialog). `release` undoes the freeze when the app ends.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import threading
from collections.abc import Callable

# Freezing and unfreezing never interleave: an app closing while its warm-up still imports
# releases first, and the warm-up, seeing it was called off, freezes nothing afterwards.
_freezing = threading.Lock()

# Textual modules imported on first use by a widget (the first scrollbar drawn).
_TEXTUAL_ON_FIRST_USE = ("textual.scrollbar",)


def ui_modules() -> list[str]:
    """Every module of the tpsdesk.ui package, screens and widgets included."""
    import tpsdesk.ui

    return sorted(
        info.name
        for info in pkgutil.walk_packages(tpsdesk.ui.__path__, prefix="tpsdesk.ui.")
        if not info.ispkg
    )


def warm_up(called_off: Callable[[], bool] = lambda: False) -> None:
    """Import the screens, widgets and lazily used libraries, load the number formats of both
    languages, then collect and freeze — unless `called_off()` says the app is closing. Runs in
    a worker thread: it only imports and reads (the collection holds the interpreter for its
    ~0.1 s once, just after the store opened)."""
    from babel.numbers import format_decimal

    for name in (*_TEXTUAL_ON_FIRST_USE, *ui_modules()):
        importlib.import_module(name)
    for locale in ("id_ID", "en_US"):
        format_decimal(0, locale=locale)
    with _freezing:
        if called_off():
            return
        gc.collect()
        gc.freeze()


def release() -> None:
    """Give the frozen objects back to the collector (the app is closing: its caller has
    already made `called_off()` true for a warm-up still running)."""
    with _freezing:
        gc.unfreeze()
