"""One way to write a file tpsdesk keeps: complete or absent, never through a planted link.

Every file tpsdesk writes (the store and its backups, bundles, setup files, receipts,
spreadsheet exports) goes through here:

1. a temporary file in the target's folder, `<name>.tmp-<16 random hex>`, created with
   `O_CREAT|O_EXCL` (and `O_NOFOLLOW` where the system has it), mode 0600: a file or symlink
   already at that name makes the create fail instead of being followed or overwritten, and
   the random name cannot be guessed ahead of time;
2. written, `fsync`ed (`F_FULLFSYNC` on macOS), closed;
3. moved onto the target with `os.replace` (retried on Windows, where antivirus and sync tools
   briefly hold files), or, when an existing target must not be replaced, hard-linked to it
   (`os.link` fails if anything, even a dangling symlink, is there);
4. the folder `fsync`ed (POSIX), so the rename itself survives a power cut.

A failure or crash at any point leaves the previous target (or none) in place, plus at worst
a temporary file, which the store removes on its next open. Errors are plain `OSError`s: each
caller turns them into its own translated message.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

if sys.platform != "win32":
    import fcntl

__all__ = [
    "TEMP_INFIX",
    "create_exclusive",
    "fsync",
    "fsync_dir",
    "fsync_path",
    "open_own_temp",
    "place",
    "remove_quietly",
    "replace",
    "same_file",
    "temp_name",
    "temp_pattern",
    "write_all",
    "write_atomic",
    "writing",
]

TEMP_INFIX = ".tmp-"
# Write-only, created here and nowhere else, never through a symlink; binary on Windows;
# not inherited by child processes.
_CREATE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
# Reopening by name: never through a symlink, and never blocking on a FIFO planted there
# (O_NONBLOCK changes nothing for a regular file).
_REOPEN_FLAGS = (
    os.O_WRONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)

# Windows: antivirus and sync tools briefly hold files open, and os.replace then fails with
# PermissionError. On POSIX the same error is permanent, so only Windows retries.
_TRANSIENT_REPLACE_ERRORS: tuple[type[OSError], ...] = (
    (PermissionError,) if sys.platform == "win32" else ()
)
_REPLACE_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)


def temp_name(target: Path) -> Path:
    """An unpredictable temporary name beside `target`."""
    return target.with_name(f"{target.name}{TEMP_INFIX}{secrets.token_hex(8)}")


def temp_pattern(target: Path) -> re.Pattern[str]:
    """Matches the names `temp_name(target)` gives (to tidy what a crash left)."""
    return re.compile(re.escape(target.name) + re.escape(TEMP_INFIX) + r"[0-9a-f]{16}")


def create_exclusive(path: Path, mode: int = 0o600) -> int:
    """A new file at `path`, open for writing; fails if anything (even a symlink) is there."""
    return os.open(path, _CREATE_FLAGS, mode)


def open_own_temp(path: Path) -> BinaryIO:
    """Open again, for writing from its start, a temporary file created empty by
    `create_exclusive`, for libraries that write by file name (openpyxl, csv).

    Refused (OSError) if the name no longer holds that file: a symlink (never followed), a
    directory, or a file that is not empty, has other links or another owner — what someone
    who swapped our file for a link to theirs, or to a file of ours, would leave.
    """
    fd = os.open(path, _REOPEN_FLAGS)
    try:
        info = os.fstat(fd)
        foreign = hasattr(os, "getuid") and info.st_uid != os.getuid()
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1 or info.st_size or foreign:
            raise OSError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def same_file(path: Path, created: os.stat_result) -> bool:
    """Whether `path` (not followed if a symlink) is still the file `created` describes."""
    try:
        now = os.lstat(path)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (created.st_dev, created.st_ino) and stat.S_ISREG(
        now.st_mode
    )


def fsync(fd: int) -> None:
    if sys.platform == "darwin":  # plain fsync on macOS stops at the drive's cache
        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
            return
        except OSError:
            pass
    os.fsync(fd)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; Windows cannot open a folder, and NTFS
    journals the rename)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fsync(fd)
    finally:
        os.close(fd)


def fsync_path(path: Path) -> None:
    """fsync a file we wrote by name, without following a symlink planted there."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    try:
        fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def replace(src: Path, dst: Path) -> None:
    """`os.replace`, retried with backoff (about 3 s) where Windows reports a held file."""
    for delay in (*_REPLACE_DELAYS, None):
        try:
            os.replace(src, dst)
            return
        except _TRANSIENT_REPLACE_ERRORS:
            if delay is None:
                raise
            time.sleep(delay)


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def place(temp: Path, target: Path, *, overwrite: bool = True) -> None:
    """Move the complete file `temp` onto `target` (see `writing` for `overwrite`)."""
    if overwrite:
        replace(temp, target)
    else:
        _place_new(temp, target)


def _place_new(temp: Path, target: Path) -> None:
    """Move `temp` to `target` only if nothing is at `target` (FileExistsError otherwise)."""
    try:
        os.link(temp, target)
    except FileExistsError:
        raise
    except OSError:
        # No hard links here (FAT32 USB sticks, some shares; each OS says so with another
        # error): a checked replace, racy only against someone writing the same name in the
        # same instant, which on a USB stick is no one. A real failure recurs in the replace.
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
        replace(temp, target)
        return
    remove_quietly(temp)


@contextlib.contextmanager
def writing(target: Path, *, overwrite: bool = True, mode: int = 0o600) -> Iterator[BinaryIO]:
    """Yield a binary file to write; on leaving the block it becomes `target` durably.

    With `overwrite=False` an existing `target` (file, folder or symlink) raises
    FileExistsError and is left as it was. If the block raises, nothing is changed.
    """
    temp = temp_name(target)
    fd = create_exclusive(temp, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            fsync(handle.fileno())
        place(temp, target, overwrite=overwrite)
    except BaseException:
        remove_quietly(temp)
        raise
    fsync_dir(target.parent)


def write_atomic(
    target: Path,
    data: bytes | bytearray | memoryview | Iterable[bytes],
    *,
    overwrite: bool = True,
    mode: int = 0o600,
) -> None:
    """Write `data` (bytes, or chunks of it) as `target`; see `writing`."""
    chunks = [data] if isinstance(data, bytes | bytearray | memoryview) else data
    with writing(target, overwrite=overwrite, mode=mode) as handle:
        fd = handle.fileno()
        for chunk in chunks:
            write_all(fd, chunk)
