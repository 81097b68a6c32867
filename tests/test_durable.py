"""SECURITY test 32: partial files are created exclusively under unpredictable names and a
symlink at their name is never followed; a crash before the rename leaves the old file."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from tpsdesk import durable
from tpsdesk.exchange.xlsx_writer import AtomicFiles, ExportError, csv_writer

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges")


class Crash(BaseException):
    """Stands for the process dying: nothing handles it as an error."""


def fixed_temp(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make the 'unpredictable' name predictable, as an attacker would wish."""
    monkeypatch.setattr(durable, "temp_name", lambda target: target.with_name(name))


def test_temp_names_are_unpredictable_and_tidy(tmp_path: Path) -> None:
    target = tmp_path / "out.tpsb"
    names = {durable.temp_name(target).name for _ in range(50)}
    assert len(names) == 50
    assert all(durable.temp_pattern(target).fullmatch(name) for name in names)


def test_write_atomic_writes_the_whole_file_privately(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    durable.write_atomic(target, [b"one ", b"two"])
    assert target.read_bytes() == b"one two"
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    durable.write_atomic(target, b"replaced")
    assert target.read_bytes() == b"replaced"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_exclusive_create_refuses_an_existing_file(tmp_path: Path) -> None:
    existing = tmp_path / "there"
    existing.write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        durable.create_exclusive(existing)
    assert existing.read_bytes() == b"keep"


@posix_only
def test_symlink_at_the_temp_name_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    target = tmp_path / "out.tpsb"
    planted = tmp_path / "planted"
    planted.symlink_to(victim)
    fixed_temp(monkeypatch, "planted")
    with pytest.raises(FileExistsError):
        durable.write_atomic(target, b"attacker-chosen place")
    assert victim.read_bytes() == b"precious"
    assert planted.is_symlink() and not target.exists()


@posix_only
def test_dangling_symlink_at_the_temp_name_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere.txt"
    (tmp_path / "planted").symlink_to(elsewhere)
    fixed_temp(monkeypatch, "planted")
    with pytest.raises(FileExistsError):
        durable.write_atomic(tmp_path / "out", b"data")
    assert not elsewhere.exists()


@posix_only
def test_new_file_never_replaces_or_follows_what_is_at_the_target(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    link = tmp_path / "receipt.tpsr"
    link.symlink_to(victim)
    with pytest.raises(FileExistsError):
        durable.write_atomic(link, b"receipt", overwrite=False)
    assert victim.read_bytes() == b"precious" and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["receipt.tpsr", "victim.txt"]


def test_new_file_without_hard_links_still_refuses_an_existing_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FAT32 USB sticks have no hard links: a checked replace takes the link's place."""
    import errno

    def no_links(*_args: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    durable.write_atomic(tmp_path / "a", b"first", overwrite=False)
    assert (tmp_path / "a").read_bytes() == b"first"
    with pytest.raises(FileExistsError):
        durable.write_atomic(tmp_path / "a", b"second", overwrite=False)
    assert (tmp_path / "a").read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["a"]


def test_crash_between_write_and_replace_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    synced: list[int] = []
    real_fsync = durable.fsync
    monkeypatch.setattr(durable, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))

    def dies(*_args: object) -> None:
        raise Crash()

    monkeypatch.setattr(os, "replace", dies)
    with pytest.raises(Crash):
        durable.write_atomic(target, b"new")
    assert synced  # the new bytes were on disk before the rename was tried
    assert target.read_bytes() == b"old"
    # The unfinished temporary file is removed; a real crash would leave one that matches
    # the store's tidy-up pattern.
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_failed_write_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.bin"

    def disk_full(*_args: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(OSError):
        durable.write_atomic(target, b"data")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_folder_is_synced_after_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (order.append("replace"), real_replace(a, b)))
    monkeypatch.setattr(durable, "fsync_dir", lambda folder: order.append(f"fsync {folder}"))
    durable.write_atomic(tmp_path / "x", b"x")
    assert order == ["replace", f"fsync {tmp_path}"]


# -- the writers that name their files by path (openpyxl, csv) ---------------------------


@posix_only
def test_reopening_a_swapped_temp_file_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    temp = tmp_path / "temp"
    temp.symlink_to(victim)
    with pytest.raises(OSError):
        durable.open_own_temp(temp)
    temp.unlink()
    os.link(victim, temp)  # a hard link: same owner, but two names
    with pytest.raises(OSError):
        durable.open_own_temp(temp)
    assert victim.read_bytes() == b"precious"


@posix_only
def test_export_temp_swapped_for_a_symlink_is_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim.csv"
    victim.write_bytes(b"precious")
    target = tmp_path / "bpjs.csv"
    with pytest.raises(ExportError), AtomicFiles(force=False) as files:
        temp = files.new(target)
        assert durable.temp_pattern(target).fullmatch(temp.name)
        temp.unlink()
        temp.symlink_to(victim)
        with csv_writer(temp) as writer:
            writer.writerow(["3573050101800001", "Budi"])
    assert victim.read_bytes() == b"precious"
    assert not target.exists()


def test_export_files_are_written_through_the_helper(tmp_path: Path) -> None:
    target = tmp_path / "done.csv"
    with AtomicFiles(force=False) as files, csv_writer(files.new(target)) as writer:
        writer.writerow(["a", "b"])
    assert target.read_bytes() == "\ufeffa,b\r\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["done.csv"]


# -- bundle export (the symlink planted at its old `.part` name) --------------------------


@posix_only
def test_bundle_export_does_not_follow_a_planted_symlink(tmp_path: Path) -> None:
    from tests.sync.test_flow import add_officer, district_store, enrolled_laptop

    from tpsdesk.sync.bundle import build_bundle, export_bundle
    from tpsdesk.sync.container import suggested_file_name
    from tpsdesk.sync.setup import build_setup_file

    hq = district_store(tmp_path / "district" / "d.store")
    laptop = enrolled_laptop(tmp_path / "laptop" / "l.store", build_setup_file(hq, "35.73.05.1001"))
    try:
        add_officer(laptop, 1)
        usb = tmp_path / "usb"
        usb.mkdir()
        name = suggested_file_name(build_bundle(laptop)[0])
        victim = tmp_path / "victim.txt"
        victim.write_bytes(b"precious")
        (usb / f"{name}.part").symlink_to(victim)
        exported = export_bundle(laptop, usb)
        assert victim.read_bytes() == b"precious"
        assert exported.path.name == name
        assert not exported.path.is_symlink() and exported.path.stat().st_size == exported.size
    finally:
        laptop.close()
        hq.close()


@posix_only
def test_a_fifo_at_the_temp_name_neither_blocks_nor_is_written(tmp_path: Path) -> None:
    fifo = tmp_path / "temp"
    os.mkfifo(fifo)
    with pytest.raises(OSError):
        durable.open_own_temp(fifo)  # would wait forever for a reader without O_NONBLOCK
