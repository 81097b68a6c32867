"""Reading and checking the next bundle files in a second process while this one merges the
current file (a district merging many files at once: `tpsdesk district merge F...`).

Only the work that needs no key and no store moves there: decompressing, decoding and
checking the rows (`payload.unpack_bundle`, `row_checks.check_bundle_rows`), about half of the
time a merge takes; only the decrypted, still compressed plaintext and the header cross.
Reading the file ahead — parsing, the sender, signature and recipient checks, decryption —
is not done here but by the `opener` the caller hands in (`bundle.receive_bundle`'s own steps),
once: when the file's turn comes, `receive_bundle` takes that verified container and
plaintext and asks only the device list again (a laptop revoked meanwhile is still refused),
then merges. A prefetched check is used only when it was made for the laptop's area, the post
catalogue and the day the merge uses. Any failure ahead (a bad file, a worker that died)
means the file is simply read at its turn, as without prefetching, so the person sees the
same messages either way.
"""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from datetime import date

from tpsdesk.domain.posts import PostCatalogue
from tpsdesk.i18n import get_language, set_language
from tpsdesk.store.db import Store
from tpsdesk.sync.container import Container
from tpsdesk.sync.payload import unpack_bundle
from tpsdesk.sync.row_checks import CheckedRows, check_bundle_rows

# Opens a file ahead of its turn: (verified container, the laptop's approved area, decrypted
# plaintext), or None when the file is to be read at its turn (see `bundle.receive_files`).
Opener = Callable[[Store, bytes], tuple[Container, str, bytes] | None]

# Fewer files than this are merged without a second process: starting one (a fresh Python
# importing tpsdesk) costs about as much as checking a few bundles.
MIN_FILES = 4
# How many files ahead of the current one are read and handed over.
DEPTH = 2


@dataclasses.dataclass(frozen=True)
class Prefetched:
    """A file's rows being checked over there, and what they are checked against."""

    future: Future[CheckedRows]
    area: str
    catalogue: PostCatalogue
    today: date
    # The file as verified and decrypted here (None: not usable, read the file at its turn).
    container: Container | None = None
    plaintext: bytes = b""

    def result_for(self, area: str, catalogue: PostCatalogue, today: date) -> CheckedRows | None:
        """The checked rows if they fit, else None. A check not yet started is cancelled (it
        is quicker to do it here than to wait); one under way is waited for."""
        if (self.area, self.catalogue, self.today) != (area, catalogue, today):
            self.future.cancel()
            return None
        if self.future.cancel():
            return None
        try:
            return self.future.result()
        except Exception:  # any failure there: read the file here, with the usual messages
            return None


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: a bundle allocates hundreds of thousands of
    small objects, and each full collection would walk the whole heap again. What the block
    leaves behind is collected as usual after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _unpack_and_check(
    container: Container, plaintext: bytes, area: str, catalogue: PostCatalogue, today: date
) -> CheckedRows:
    with paused_gc():
        _manifest, rows = unpack_bundle(container, plaintext)
        checked = check_bundle_rows(
            container.header["area"], rows, area=area, catalogue=catalogue, today=today
        )
        # `wire_json` carries the same values: sending both would double the transfer.
        light = [dataclasses.replace(row, wire={}) for row in checked.parsed]
        return dataclasses.replace(checked, parsed=light)


class BundlePrefetcher:
    """Hands the files after the current one to a worker process. Use as a context manager;
    `enabled=False` makes every method a no-op (files are then read only in this process)."""

    def __init__(self, store: Store, *, enabled: bool, opener: Opener) -> None:
        self._store = store
        self._enabled = enabled
        self._opener = opener
        self._pool: ProcessPoolExecutor | None = None
        self._pending: dict[int, tuple[bytes, Prefetched | None]] = {}

    def __enter__(self) -> BundlePrefetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, never fork: the app may have threads, and a forked child could inherit a
            # lock held by one of them.
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=set_language,
                initargs=(get_language(),),
            )
        return self._pool

    def ahead(self, index: int, file: str, load: Callable[[], bytes], today: date) -> None:
        """Start on file number `index` (read with `load`) if it comes from an approved laptop
        and opens; otherwise leave it to its turn."""
        if not self._enabled or index in self._pending:
            return
        try:
            data = load()
        except Exception:
            return  # its turn will read it again and say what is wrong
        self._pending[index] = (data, self._submit(data, file, today))

    def _submit(self, data: bytes, file: str, today: date) -> Prefetched | None:
        opened = self._opener(self._store, data)
        if opened is None:
            return None
        container, area, plaintext = opened
        catalogue = self._store.catalogue
        # Only the header travels: the ciphertext and signed bytes are not needed any more.
        light = dataclasses.replace(container, payload=b"", signed_bytes=b"")
        try:
            future = self._executor().submit(
                _unpack_and_check, light, plaintext, area, catalogue, today
            )
        except (BrokenProcessPool, RuntimeError, OSError, ValueError):
            # No second process here (ValueError: under a full-screen UI that replaced
            # stderr, multiprocessing cannot hand its descriptor on): carry on without one.
            self._enabled = False
            return None
        return Prefetched(future, area, catalogue, today, light, plaintext)

    def take(self, index: int) -> tuple[bytes | None, Prefetched | None]:
        """The bytes read ahead for file number `index` (None if not read) and its check."""
        data, prefetched = self._pending.pop(index, (None, None))
        return data, prefetched


def prefetch_enabled(files: int) -> bool:
    return files >= MIN_FILES


__all__ = ["DEPTH", "MIN_FILES", "BundlePrefetcher", "Prefetched", "prefetch_enabled"]
