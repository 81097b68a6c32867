"""The places a clerk may pick a folder from: removable drives first (USB sticks come and go),
then fixed, network and CD drives, then the home folder and its Documents/Desktop/Downloads.

Windows asks kernel32 for drive letters and types; Linux and macOS look at the folders where
desktops mount sticks (`/media/<user>`, `/run/media/<user>`, `/media`, `/mnt`, `/Volumes`).
Both take what they read from as arguments so tests can give a fake kernel32 or a fake tree.
Nothing here touches the network: a network drive's label is not read (a dead share hangs)."""

from __future__ import annotations

import ctypes
import getpass
import os
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tpsdesk.i18n import _, os_error_text

PlaceKind = Literal["removable", "fixed", "network", "cdrom", "home", "folder"]
KIND_ORDER: dict[str, int] = {
    "removable": 0,
    "fixed": 1,
    "network": 2,
    "cdrom": 3,
    "home": 4,
    "folder": 5,
}

# GetDriveTypeW results.
DRIVE_REMOVABLE = 2
DRIVE_FIXED = 3
DRIVE_REMOTE = 4
DRIVE_CDROM = 5
DRIVE_RAMDISK = 6
_WINDOWS_KINDS: dict[int, PlaceKind] = {
    DRIVE_REMOVABLE: "removable",
    DRIVE_FIXED: "fixed",
    DRIVE_REMOTE: "network",
    DRIVE_CDROM: "cdrom",
    DRIVE_RAMDISK: "fixed",
}
# SetErrorMode: an empty card reader or CD drive fails at once instead of asking
# "There is no disk in the drive" in a Windows dialog that blocks the call.
SEM_FAILCRITICALERRORS = 0x0001
SEM_NOOPENFILEERRORBOX = 0x8000
MAX_LABEL = 261

# Windows marks these hidden on every stick; some copies lose the attribute.
_WINDOWS_SYSTEM_FOLDERS = frozenset({"system volume information", "$recycle.bin"})
_HIDDEN_ATTRIBUTES = 0x2 | 0x4  # FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM

FOLDER_NAME_MAX = 120
_BAD_NAME_CHARACTERS = frozenset('<>:"/\\|?*')
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{n}" for n in range(1, 10)}
    | {f"lpt{n}" for n in range(1, 10)}
)


@dataclass(frozen=True)
class Place:
    """One entry of the picker's list of places."""

    label: str
    path: Path
    kind: PlaceKind


class PlaceError(Exception):
    """A folder cannot be listed or made; `message` says which and why, translated."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- Windows --------------------------------------------------------------------------------


def windows_places(kernel32: Any) -> list[Place]:
    """Drive letters with a medium in them, labelled like "USB KINGSTON (E:)"."""
    previous_mode = _set_error_mode(kernel32, SEM_FAILCRITICALERRORS | SEM_NOOPENFILEERRORBOX)
    try:
        mask = int(kernel32.GetLogicalDrives())
        places: list[Place] = []
        for index in range(26):
            if not mask & (1 << index):
                continue
            letter = chr(ord("A") + index)
            root = f"{letter}:\\"
            kind = _WINDOWS_KINDS.get(int(kernel32.GetDriveTypeW(root)))
            if kind is None:  # unknown type or no root directory
                continue
            volume = ""
            if kind != "network":
                read = _volume_label(kernel32, root)
                if read is None:  # no medium: an empty card reader, a floppy A:, a CD tray
                    continue
                volume = read
            places.append(Place(_drive_label(kind, volume, f"{letter}:"), Path(root), kind))
        return places
    finally:
        if previous_mode is not None:
            _set_error_mode(kernel32, previous_mode)


def _set_error_mode(kernel32: Any, mode: int) -> int | None:
    set_mode = getattr(kernel32, "SetErrorMode", None)
    if set_mode is None:
        return None
    return int(set_mode(mode))


def _volume_label(kernel32: Any, root: str) -> str | None:
    """The volume's label ("" when it has none), or None when the drive has no medium."""
    buffer = ctypes.create_unicode_buffer(MAX_LABEL)
    ok = kernel32.GetVolumeInformationW(root, buffer, MAX_LABEL, None, None, None, None, 0)
    if not ok:
        return None
    return str(buffer.value).strip()


def _drive_label(kind: PlaceKind, volume: str, drive: str) -> str:
    if kind == "removable":
        if volume:
            return _("USB {label} ({drive})").format(label=volume, drive=drive)
        return _("USB drive ({drive})").format(drive=drive)
    if kind == "network":
        return _("Network drive ({drive})").format(drive=drive)
    if kind == "cdrom":
        if volume:
            return _("CD/DVD {label} ({drive})").format(label=volume, drive=drive)
        return _("CD/DVD ({drive})").format(drive=drive)
    if volume:
        return f"{volume} ({drive})"
    return _("Local disk ({drive})").format(drive=drive)


# -- Linux and macOS ------------------------------------------------------------------------


def unix_places(
    user: str | None = None,
    *,
    media: Path = Path("/media"),
    run_media: Path = Path("/run/media"),
    mnt: Path = Path("/mnt"),
    volumes: Path = Path("/Volumes"),
    is_mount: Callable[[Path], bool] = os.path.ismount,
) -> list[Place]:
    """Mounted folders where desktops put sticks: `/media/<user>/*` (Debian, Ubuntu),
    `/media/*` (one level, older Debian), `/run/media/<user>/*` (Fedora, Arch), `/mnt/*`,
    and macOS `/Volumes/*`. A folder counts when it is a mount point or holds something (a
    leftover empty mount point of a stick pulled out does not); unreadable roots are skipped."""
    user = user or _user_name()
    found: list[Place] = []
    for root in (media / user, run_media / user):
        found += [_stick(path) for path in _mounted(root, is_mount)]
    found += [_stick(path) for path in _mounted(media, is_mount) if path.name != user]
    found += [Place(str(path), path, "fixed") for path in _mounted(mnt, is_mount)]
    for path in _mounted(volumes, is_mount):
        if _is_system_volume(path):
            continue
        found.append(_stick(path))
    return found


def _stick(path: Path) -> Place:
    return Place(_("USB {label}").format(label=path.name), path, "removable")


def _user_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment nor the password database
        return ""


def _mounted(root: Path, is_mount: Callable[[Path], bool]) -> list[Path]:
    try:
        entries = sorted(root.iterdir(), key=lambda path: path.name.lower())
    except OSError:
        return []
    mounted = []
    for path in entries:
        if path.name.startswith("."):
            continue
        try:
            if not path.is_dir():
                continue
            if is_mount(path) or _has_entries(path):
                mounted.append(path)
        except OSError:
            continue
    return mounted


def _has_entries(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(iter(entries), None) is not None
    except OSError:
        return False


def _is_system_volume(path: Path) -> bool:
    """macOS lists the start-up disk in /Volumes as a link to /."""
    try:
        return path.resolve() == Path("/")
    except OSError:
        return True


# -- home folders ---------------------------------------------------------------------------


def home_places(home: Path) -> list[Place]:
    """The home folder, then Documents, Desktop and Downloads when they exist (Windows shows
    Documents as "Dokumen"; an Indonesian Linux desktop may name them Dokumen and Unduhan)."""
    places: list[Place] = []
    if _safe_is_dir(home):
        places.append(Place(_("Home folder"), home, "home"))
    candidates: tuple[tuple[str, tuple[str, ...]], ...] = (
        (_("Documents"), ("Documents", "Dokumen", "OneDrive/Documents", "OneDrive/Dokumen")),
        (_("Desktop"), ("Desktop", "OneDrive/Desktop")),
        (_("Downloads"), ("Downloads", "Unduhan")),
    )
    for label, names in candidates:
        for name in names:
            folder = home / name
            if _safe_is_dir(folder):
                places.append(Place(label, folder, "folder"))
                break
    return places


def _safe_is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


# -- together -------------------------------------------------------------------------------


def detected_places(
    *,
    kernel32: Any = None,
    home: Path | None = None,
    unix: Callable[[], list[Place]] | None = None,
) -> list[Place]:
    """Every place for the picker's list: drives (removable first), then home folders."""
    if kernel32 is not None:
        drives = windows_places(kernel32)
    elif sys.platform == "win32":
        drives = windows_places(ctypes.windll.kernel32)  # type: ignore[attr-defined,unused-ignore]
    else:
        drives = (unix or unix_places)()
    return sort_places(drives + home_places(home or Path.home()))


def sort_places(places: Iterable[Place]) -> list[Place]:
    """By kind (removable first, home folders last), each path once, stable otherwise."""
    seen: set[Path] = set()
    unique = []
    for place in places:
        if place.path in seen:
            continue
        seen.add(place.path)
        unique.append(place)
    return sorted(unique, key=lambda place: KIND_ORDER[place.kind])


# -- folders --------------------------------------------------------------------------------


def is_hidden(path: Path) -> bool:
    """Hidden from the picker: dot files, and Windows' hidden and system entries."""
    name = path.name
    if name.startswith(".") or name.lower() in _WINDOWS_SYSTEM_FOLDERS:
        return True
    if sys.platform != "win32":  # only Windows has the attributes: spare a stat per entry
        return False
    try:
        attributes = getattr(path.lstat(), "st_file_attributes", 0)
    except OSError:
        return False
    return bool(attributes & _HIDDEN_ATTRIBUTES)


def check_readable(folder: Path) -> None:
    """Raise PlaceError when `folder` cannot be listed (no permission, a stick pulled out)."""
    try:
        with os.scandir(folder) as entries:
            next(iter(entries), None)
    except OSError as error:
        raise PlaceError(
            _("Cannot open the folder {folder}: {reason}.").format(
                folder=folder, reason=os_error_text(error)
            )
        ) from error


def folder_name_problem(name: str) -> str | None:
    """Why `name` cannot be a new folder's name on Windows or Linux, or None."""
    if not name.strip():
        return _("Type a name for the new folder.")
    if name in {".", ".."} or name != name.rstrip(" ."):
        return _("A folder name cannot end with a dot or a space.")
    if any(ch in _BAD_NAME_CHARACTERS or ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return _('A folder name cannot hold any of < > : " / \\ | ? * or control characters.')
    if name.split(".")[0].strip().lower() in _WINDOWS_RESERVED:
        return _("Windows reserves the name {name}: choose another.").format(name=name)
    if len(name) > FOLDER_NAME_MAX:
        return _("A folder name can have at most {count} characters.").format(count=FOLDER_NAME_MAX)
    return None


def make_folder(parent: Path, name: str) -> Path:
    """Make the folder `name` inside `parent`; PlaceError when the name is bad, the folder
    exists, or the drive refuses (read-only, full, pulled out)."""
    name = name.strip()
    problem = folder_name_problem(name)
    if problem is not None:
        raise PlaceError(problem)
    folder = parent / name
    try:
        folder.mkdir()
    except FileExistsError as error:
        raise PlaceError(
            _("{name} already exists in {folder}.").format(name=name, folder=parent)
        ) from error
    except OSError as error:
        raise PlaceError(
            _("Cannot make the folder {name} in {folder}: {reason}.").format(
                name=name, folder=parent, reason=os_error_text(error)
            )
        ) from error
    return folder


def file_details(path: Path) -> tuple[int, float]:
    """Size in bytes and modification time of a file; PlaceError when it cannot be read."""
    try:
        info = path.stat()
    except OSError as error:
        raise PlaceError(
            _("Cannot read {file}: {reason}.").format(file=path, reason=os_error_text(error))
        ) from error
    if not stat.S_ISREG(info.st_mode):
        raise PlaceError(_("{file} is not a file.").format(file=path))
    return info.st_size, info.st_mtime
