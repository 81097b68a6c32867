"""Drive detection on a fake kernel32 and fake /media trees, and the folder helpers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tpsdesk import drives, i18n
from tpsdesk.drives import (
    DRIVE_CDROM,
    DRIVE_FIXED,
    DRIVE_REMOTE,
    DRIVE_REMOVABLE,
    Place,
    PlaceError,
)


@pytest.fixture(autouse=True)
def english() -> Any:
    previous = i18n.get_language()
    i18n.set_language("en")
    yield
    i18n.set_language(previous)


class FakeKernel32:
    """Drive letter → (drive type, volume label or None when there is no medium)."""

    def __init__(self, letters: dict[str, tuple[int, str | None]]) -> None:
        self.letters = letters
        self.volume_asked: list[str] = []
        self.error_modes: list[int] = []

    def GetLogicalDrives(self) -> int:
        return sum(1 << (ord(letter) - ord("A")) for letter in self.letters)

    def GetDriveTypeW(self, root: str) -> int:
        return self.letters[root[0]][0]

    def GetVolumeInformationW(self, root: str, buffer: Any, size: int, *rest: Any) -> int:
        self.volume_asked.append(root)
        label = self.letters[root[0]][1]
        if label is None:
            return 0
        buffer.value = label[: size - 1]
        return 1

    def SetErrorMode(self, mode: int) -> int:
        self.error_modes.append(mode)
        return 0


def windows_world() -> FakeKernel32:
    return FakeKernel32(
        {
            "A": (DRIVE_REMOVABLE, None),  # a floppy drive with no disk
            "C": (DRIVE_FIXED, "Windows"),
            "D": (DRIVE_CDROM, None),  # an empty CD tray
            "E": (DRIVE_REMOVABLE, "KINGSTON"),
            "F": (DRIVE_REMOVABLE, ""),
            "G": (DRIVE_FIXED, ""),
            "R": (DRIVE_CDROM, "PEMILU2024"),
            "Z": (DRIVE_REMOTE, "never read"),
            "Y": (1, None),  # DRIVE_NO_ROOT_DIR
        }
    )


def test_windows_drives_by_type_with_labels_and_no_empty_drives() -> None:
    kernel32 = windows_world()
    places = drives.sort_places(drives.windows_places(kernel32))
    assert [(place.label, place.kind) for place in places] == [
        ("USB KINGSTON (E:)", "removable"),
        ("USB drive (F:)", "removable"),
        ("Windows (C:)", "fixed"),
        ("Local disk (G:)", "fixed"),
        ("Network drive (Z:)", "network"),
        ("CD/DVD PEMILU2024 (R:)", "cdrom"),
    ]
    assert str(places[0].path) == "E:\\"


def test_windows_never_reads_a_network_drive_and_silences_no_disk_dialogs() -> None:
    kernel32 = windows_world()
    drives.windows_places(kernel32)
    assert "Z:\\" not in kernel32.volume_asked
    assert "Y:\\" not in kernel32.volume_asked
    # The "no disk in drive" dialog is switched off during the scan and the mode restored.
    assert kernel32.error_modes[0] & drives.SEM_FAILCRITICALERRORS
    assert kernel32.error_modes[-1] == 0


def test_detected_places_puts_removable_drives_first_and_home_folders_last(
    tmp_path: Path,
) -> None:
    home = tmp_path / "Users" / "sri"
    (home / "Documents").mkdir(parents=True)
    places = drives.detected_places(kernel32=windows_world(), home=home)
    kinds = [place.kind for place in places]
    assert kinds == sorted(kinds, key=drives.KIND_ORDER.__getitem__)
    assert places[0].label == "USB KINGSTON (E:)"
    assert places[-2:] == [
        Place("Home folder", home, "home"),
        Place("Documents", home / "Documents", "folder"),
    ]


def make_unix_world(root: Path) -> None:
    for stick in ("media/sri/KINGSTON", "media/usb0", "run/media/sri/DATA", "mnt/arsip"):
        (root / stick).mkdir(parents=True)
        (root / stick / "isi.txt").write_text("x")
    (root / "media/sri/1A2B-3C4D").mkdir()  # a mount point: empty but mounted
    (root / "media/sri/EMPTY").mkdir()  # left over after a stick was pulled out
    (root / "media/sri/.hidden").mkdir()
    (root / "media/cdrom").mkdir()  # an empty tray's mount point
    (root / "Volumes/STICK").mkdir(parents=True)
    (root / "Volumes/STICK/data").mkdir()
    (root / "Volumes/Macintosh HD").symlink_to("/")


def unix_places(root: Path, user: str = "sri") -> list[Place]:
    return drives.unix_places(
        user,
        media=root / "media",
        run_media=root / "run/media",
        mnt=root / "mnt",
        volumes=root / "Volumes",
        is_mount=lambda path: path.name == "1A2B-3C4D",
    )


def test_unix_mounted_sticks_under_media_run_media_mnt_and_volumes(tmp_path: Path) -> None:
    make_unix_world(tmp_path)
    places = unix_places(tmp_path)
    assert [(place.label, place.kind) for place in places] == [
        ("USB 1A2B-3C4D", "removable"),
        ("USB KINGSTON", "removable"),
        ("USB DATA", "removable"),
        ("USB usb0", "removable"),
        (str(tmp_path / "mnt/arsip"), "fixed"),
        ("USB STICK", "removable"),
    ]
    assert places[1].path == tmp_path / "media/sri/KINGSTON"


def test_unix_roots_missing_or_unreadable_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "media").write_text("not a folder")
    assert unix_places(tmp_path) == []
    assert (
        drives.unix_places(
            "sri",
            media=tmp_path / "nothing",
            run_media=tmp_path / "no",
            mnt=tmp_path / "no",
            volumes=tmp_path / "no",
        )
        == []
    )


def test_unix_unreadable_user_folder_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_unix_world(tmp_path)
    refused = tmp_path / "media" / "sri"
    real_iterdir = Path.iterdir

    def iterdir(self: Path) -> Any:
        if self == refused:
            raise PermissionError(13, "Permission denied")
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    labels = [place.label for place in unix_places(tmp_path)]
    assert "USB KINGSTON" not in labels
    assert "USB DATA" in labels


def test_home_places_take_the_indonesian_names_when_there(tmp_path: Path) -> None:
    home = tmp_path / "sri"
    for name in ("Dokumen", "Unduhan"):
        (home / name).mkdir(parents=True)
    assert drives.home_places(home) == [
        Place("Home folder", home, "home"),
        Place("Documents", home / "Dokumen", "folder"),
        Place("Downloads", home / "Unduhan", "folder"),
    ]
    assert drives.home_places(tmp_path / "missing") == []


def test_sort_places_keeps_each_path_once() -> None:
    stick = Place("USB A", Path("/media/a"), "removable")
    assert drives.sort_places([Place("Home", Path("/home/x"), "home"), stick, stick]) == [
        stick,
        Place("Home", Path("/home/x"), "home"),
    ]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "Type a name"),
        ("   ", "Type a name"),
        ("a/b", "cannot hold"),
        ("a\\b", "cannot hold"),
        ("kirim?", "cannot hold"),
        ("esc\x1bcode", "cannot hold"),
        ("kiriman.", "cannot end"),
        ("..", "cannot end"),
        ("CON", "Windows reserves"),
        ("lpt1.txt", "Windows reserves"),
        ("x" * 121, "at most 120"),
    ],
)
def test_bad_folder_names_are_refused(name: str, problem: str) -> None:
    message = drives.folder_name_problem(name)
    assert message is not None and problem in message


def test_make_folder(tmp_path: Path) -> None:
    made = drives.make_folder(tmp_path, " kiriman 2024 ")
    assert made == tmp_path / "kiriman 2024" and made.is_dir()
    with pytest.raises(PlaceError, match="already exists"):
        drives.make_folder(tmp_path, "kiriman 2024")
    with pytest.raises(PlaceError, match="Cannot make the folder baru in"):
        drives.make_folder(tmp_path / "gone", "baru")


def test_check_readable_names_the_folder_and_the_reason(tmp_path: Path) -> None:
    drives.check_readable(tmp_path)
    with pytest.raises(PlaceError) as refused:
        drives.check_readable(tmp_path / "stick pulled out")
    assert str(tmp_path / "stick pulled out") in refused.value.message
    assert "No such file" not in refused.value.message  # the translated reason, not strerror


def test_hidden_entries(tmp_path: Path) -> None:
    assert drives.is_hidden(tmp_path / ".config")
    assert drives.is_hidden(tmp_path / "System Volume Information")
    assert drives.is_hidden(tmp_path / "$RECYCLE.BIN")
    assert not drives.is_hidden(tmp_path / "kiriman")


def test_file_details(tmp_path: Path) -> None:
    bundle = tmp_path / "a.tpsb"
    bundle.write_bytes(b"x" * 10)
    os.utime(bundle, (1_700_000_000, 1_700_000_000))
    assert drives.file_details(bundle) == (10, 1_700_000_000)
    with pytest.raises(PlaceError, match="is not a file"):
        drives.file_details(tmp_path)
    with pytest.raises(PlaceError, match="Cannot read"):
        drives.file_details(tmp_path / "gone.tpsb")


def test_windows_hidden_and_system_attributes_hide_an_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Stat:
        def __init__(self, attributes: int) -> None:
            self.st_file_attributes = attributes

    attributes = {"tersembunyi": 0x2, "sistem": 0x4, "biasa": 0x20}
    monkeypatch.setattr(drives.sys, "platform", "win32")
    monkeypatch.setattr(Path, "lstat", lambda self: Stat(attributes[self.name]))
    assert drives.is_hidden(tmp_path / "tersembunyi")
    assert drives.is_hidden(tmp_path / "sistem")
    assert not drives.is_hidden(tmp_path / "biasa")
