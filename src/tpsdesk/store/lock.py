"""Single-instance lock beside the store file (`<store>.lock`).

An OS lock (flock / LockFileEx through `filelock`), never a marker file: the OS drops it when
the holding process dies, so a crash can never leave a lock that blocks the next start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

LOCK_SUFFIX = ".lock"


def lock_path_for(store_path: str | os.PathLike[str]) -> Path:
    """The lock file that guards `store_path`."""
    path = Path(store_path)
    return path.with_name(path.name + LOCK_SUFFIX)


class StoreLock:
    """Exclusive, non-blocking lock on one store. Not reentrant across instances."""

    def __init__(self, store_path: str | os.PathLike[str]) -> None:
        self.path = lock_path_for(store_path)
        # thread_local=False: the UI opens in one thread and may close from a worker.
        # fallback_to_soft=False: a soft (marker file) lock would survive a crash and block
        # the next start; refuse instead on a file system without OS locks.
        self._lock = FileLock(
            str(self.path),
            timeout=0,
            mode=0o600,
            thread_local=False,
            fallback_to_soft=False,
        )

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self) -> None:
        """Take the lock now or raise `StoreLocked`; never waits."""
        # Imported here: vault.py imports this module, and the errors live in vault.py.
        from tpsdesk.store.vault import StoreLocked, VaultError

        if self._lock.is_locked:
            raise StoreLocked()
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise StoreLocked() from None
        except OSError as exc:
            raise VaultError.io(self.path, exc) from exc

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


@contextmanager
def store_lock(store_path: str | os.PathLike[str]) -> Iterator[StoreLock]:
    """Hold the store's lock for the `with` block; `StoreLocked` if another process has it."""
    lock = StoreLock(store_path)
    lock.acquire()
    try:
        yield lock
    finally:
        lock.release()
