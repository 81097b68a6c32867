"""Shared plumbing of the exports: checking where to write, writing files atomically, and
streaming XLSX (openpyxl write-only) and CSV rows.

Exports are the only plaintext personal data tpsdesk writes. Every file is written to a
temporary file in the target folder and moved into place only when complete (`os.replace`),
so a failure never leaves a half-written export; an existing file is kept unless `force`.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import ALL_TEMP_FILES, WorksheetWriter

from tpsdesk import durable
from tpsdesk.domain.dates import format_date
from tpsdesk.domain.pay import PaySettings
from tpsdesk.domain.posts import PostCatalogue
from tpsdesk.i18n import _, os_error_text
from tpsdesk.terminal import printable

Progress = Callable[[int, int], None]

XLSX = ".xlsx"
CSV = ".csv"
TEXT_FORMAT = "@"
# Rupiah in finance's sheets: real numbers, shown with a thousands separator.
RUPIAH_FORMAT = '"Rp"#,##0'
RUPIAH_CENTS_FORMAT = '"Rp"#,##0.00'
PERCENT_FORMAT = "0.00##"
# CSV for Excel: UTF-8 with a byte-order mark, or Excel misreads names with accents.
CSV_ENCODING = "utf-8-sig"
SHEET_TITLE_MAX = 31
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


class ExportError(Exception):
    """An export that cannot be written; `.message` is translated and safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@contextlib.contextmanager
def export_failures(out: Path) -> Iterator[None]:
    """Around an export: a failure nobody foresaw becomes an ExportError naming only the kind
    of error. Its own text may quote a cell (openpyxl's IllegalCharacterError quotes the whole
    value, an address) and a traceback would print it: personal data on a screen or in a log.
    The export's temporary files are gone by then (AtomicFiles), so nothing was written."""
    from tpsdesk.store.db import StoreError

    try:
        yield
    except (ExportError, StoreError):
        raise
    except OSError as exc:
        raise _write_error(out, exc) from None
    except Exception as exc:
        raise ExportError(
            _("The export to {file} failed ({error}); nothing was written.").format(
                file=str(out), error=type(exc).__name__
            )
        ) from None


# Characters a cell must not hold as they are (legacy data from before text was checked):
# what XML 1.0 cannot carry (most C0 controls, lone surrogates, U+FFFE/U+FFFF) and what
# changes how a cell reads (CR, U+202E, zero-width characters). They are written as visible
# escapes, \x1b or \u202e, as the terminal shows them: an export never fails on them.
_NONCHARACTERS = str.maketrans({"\ufffe": "\\ufffe", "\uffff": "\\uffff"})
# A CSV cell starting with one of these is read as a formula by Excel or LibreOffice (OWASP,
# "CSV Injection"): it gets a leading single quote.
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: str) -> str:
    """`value` as an export cell holds it: control, format and separator characters (and
    the two XML noncharacters) visibly escaped; any other text unchanged."""
    if value.isascii() and value.isprintable():
        return value
    return printable(value).translate(_NONCHARACTERS)


def csv_cell(value: Any) -> Any:
    """A CSV cell: text cleaned as `cell_text`, with a leading ' when it would start a
    formula; numbers (int, Decimal, float) are left as they are."""
    if not isinstance(value, str):
        return value
    text = cell_text(value)
    return "'" + text if text.startswith(CSV_FORMULA_START) else text


def written_lines(files: Iterable[Path]) -> list[str]:
    """ "Wrote /full/path" for every file an export wrote (the person is told where)."""
    return [_("Wrote {file}").format(file=str(path.resolve())) for path in files]


def privacy_note() -> str:
    return _(
        "These files hold personal data (NIKs, names) in plain text: keep them safe and "
        "delete them when they are no longer needed."
    )


def output_kind(path: Path, allowed: Sequence[str]) -> str:
    """The extension of `path` (".xlsx" or ".csv"), checked against `allowed`, and its folder
    checked to exist and be writable. Raises ExportError."""
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ExportError(
            _("{file}: unknown file type {ext}; write {allowed}").format(
                file=str(path), ext=suffix or '""', allowed=" / ".join(allowed)
            )
        )
    folder = path.parent
    if not folder.is_dir():
        raise ExportError(_("The folder {folder} does not exist.").format(folder=str(folder)))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(_("The folder {folder} cannot be written to.").format(folder=str(folder)))
    return suffix


def numbered_paths(out: Path, count: int) -> list[Path]:
    """One file: `out` itself; more: F-1.xlsx, F-2.xlsx, … beside it."""
    if count <= 1:
        return [out]
    return [out.with_name(f"{out.stem}-{index}{out.suffix}") for index in range(1, count + 1)]


def side_path(out: Path, name: str, suffix: str = CSV) -> Path:
    """A file that goes with `out`: F.csv → F-excluded.csv."""
    return out.with_name(f"{out.stem}-{name}{suffix}")


def refuse_existing(paths: Iterable[Path], force: bool) -> None:
    if force:
        return
    for path in paths:
        if os.path.lexists(path):
            raise ExportError(
                _(
                    "{file} already exists. Choose another name, or add --force to replace it."
                ).format(file=str(path))
            )


def sheet_title(text: str) -> str:
    """A valid worksheet title: at most 31 characters, none of []:*?/\\."""
    return _SHEET_TITLE_BAD.sub("_", text)[:SHEET_TITLE_MAX]


class AtomicFiles:
    """Temporary files that become their targets together when the block ends without error,
    or disappear when it raises.

        with AtomicFiles(force=False) as files:
            tmp = files.new(target)   # write tmp
        # every target now in place
    """

    def __init__(self, *, force: bool) -> None:
        self.force = force
        self._pending: list[tuple[Path, Path, os.stat_result]] = []
        self._scratch: list[Path] = []
        self._sheets: list[SheetWriter] = []
        self.written: list[Path] = []

    def __enter__(self) -> AtomicFiles:
        return self

    def new(self, target: Path) -> Path:
        """A new empty temporary file beside `target` (see tpsdesk.durable: exclusive, never
        through a symlink, unpredictable name), to be written with `csv_writer` or
        `save_workbook`."""
        refuse_existing([target], self.force)
        temp = durable.temp_name(target)
        try:
            fd = durable.create_exclusive(temp)
            try:
                created = os.fstat(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise _write_error(target, exc) from None
        self._pending.append((temp, target, created))
        return temp

    def scratch(self, near: Path) -> Path:
        """A working file beside `near`, removed when the block ends whatever happens.

        openpyxl's write-only sheets buffer their rows in a file, by default in the system's
        temporary folder, where a crash would leave personal data; ours stay beside the export.
        """
        try:
            handle, name = tempfile.mkstemp(dir=near.parent, prefix=".tpsdesk-", suffix=".part")
        except OSError as exc:
            raise _write_error(near, exc) from None
        os.close(handle)
        self._scratch.append(Path(name))
        return Path(name)

    def sheet(self, workbook: Workbook, title: str, near: Path) -> SheetWriter:
        """A write-only sheet of `workbook` whose rows are buffered in a scratch file beside
        `near`; closed and removed with the other scratch files if the export fails."""
        writer = SheetWriter(workbook, title, self.scratch(near))
        self._sheets.append(writer)
        return writer

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._drop_scratch()
        if exc_type is not None:
            self._discard()
            return
        try:
            for temp, _target, created in self._pending:
                if not durable.same_file(temp, created):  # swapped while it was written
                    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(temp))
                durable.fsync_path(temp)
            # Checked again at the end: the target may have appeared while we wrote.
            refuse_existing((target for _temp, target, _created in self._pending), self.force)
            for temp, target, _created in self._pending:
                durable.place(temp, target, overwrite=self.force)
                self.written.append(target)
            for folder in {target.parent for _temp, target, _created in self._pending}:
                durable.fsync_dir(folder)
        except OSError as error:
            self._discard()
            raise _write_error(self._pending[0][1], error) from None
        except BaseException:
            self._discard()
            raise
        self._pending = []

    def _drop_scratch(self) -> None:
        # Sheets first: their buffers must be closed before the files can go (Windows keeps
        # an open file), and an abandoned sheet must not write to them later.
        for sheet in self._sheets:
            sheet.abandon()
        self._sheets = []
        for path in self._scratch:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
            with contextlib.suppress(ValueError):
                ALL_TEMP_FILES.remove(str(path))
        self._scratch = []

    def _discard(self) -> None:
        for temp, _target, _created in self._pending:
            durable.remove_quietly(temp)
        self._pending = []


def _write_error(target: Path, exc: OSError) -> ExportError:
    return ExportError(
        _("Could not write {file}: {reason}").format(file=str(target), reason=os_error_text(exc))
    )


# -- XLSX ---------------------------------------------------------------------------------


def new_workbook() -> Workbook:
    return Workbook(write_only=True)


def save_workbook(workbook: Workbook, path: Path) -> None:
    """Save into the empty temporary file `path` made by `AtomicFiles.new`."""
    try:
        with durable.open_own_temp(path) as handle:
            workbook.save(handle)
    except OSError as exc:
        raise _write_error(path, exc) from None


class SheetWriter:
    """Appends rows to a write-only worksheet: text cells formatted as Text ("@"), numbers
    with a given number format, a bold heading row."""

    def __init__(self, workbook: Workbook, title: str, scratch: Path | None = None) -> None:
        self.sheet: WriteOnlyWorksheet = workbook.create_sheet(sheet_title(title))
        self._scratch = scratch
        self._bold = Font(bold=True)
        self.rows = 0

    def abandon(self) -> None:
        """Stop writing (an export that failed): close the row buffer without finishing it."""
        rows = getattr(self.sheet, "_rows", None)
        writer = getattr(self.sheet, "_writer", None)
        with contextlib.suppress(Exception):
            if rows is not None:
                rows.close()
        with contextlib.suppress(Exception):
            if writer is not None:
                writer.close()

    def _append(self, cells: list[Cell]) -> None:
        if self.rows == 0 and self._scratch is not None:
            # What WriteOnlyWorksheet._get_writer does at the first row, with our file instead
            # of one in the system's temporary folder; registered so openpyxl's cleanup finds
            # it. Not earlier: the top of the sheet (column widths) is written here.
            ALL_TEMP_FILES.append(str(self._scratch))
            writer = WorksheetWriter(self.sheet, out=str(self._scratch))
            writer.write_top()
            self.sheet._writer = writer  # type: ignore[attr-defined]
        self.sheet.append(cells)
        self.rows += 1

    def _cell(self, value: Any, number_format: str | None = None) -> Cell:
        if isinstance(value, str):
            # openpyxl makes a formula of any str starting with "=": forced back to a string,
            # the cell shows the text as it is and nothing in it ever runs.
            cell = WriteOnlyCell(self.sheet, value=cell_text(value))
            cell.data_type = "s"
        else:
            cell = WriteOnlyCell(self.sheet, value=value)
        if number_format is not None:
            cell.number_format = number_format
        return cell

    def text_row(self, values: Iterable[str]) -> None:
        """Every value a string cell formatted as Text: Excel keeps a NIK's 16 digits."""
        self._append([self._cell(value, TEXT_FORMAT) for value in values])

    def heading(self, values: Iterable[str]) -> None:
        cells = []
        for value in values:
            cell = self._cell(value)
            cell.font = self._bold
            cells.append(cell)
        self._append(cells)

    def row(self, values: Iterable[Any], formats: Sequence[str | None] = ()) -> None:
        """A row of mixed cells; `formats[i]` is the number format of cell i (None: General).
        Strings are written as text; Decimals and ints as numbers."""
        cells = []
        for index, value in enumerate(values):
            number_format = formats[index] if index < len(formats) else None
            if isinstance(value, str) and number_format is None:
                number_format = TEXT_FORMAT
            cells.append(self._cell(value, number_format))
        self._append(cells)

    def widths(self, widths: Sequence[float]) -> None:
        """Column widths (only before the first row: write-only sheets fix them early)."""
        from openpyxl.utils import get_column_letter

        if self.rows:
            raise ValueError("column widths must be set before the first row")
        for index, width in enumerate(widths, 1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width  # type: ignore[attr-defined]


def rupiah_format(amount: Decimal) -> str:
    return RUPIAH_FORMAT if amount == amount.to_integral_value() else RUPIAH_CENTS_FORMAT


# -- CSV ----------------------------------------------------------------------------------


class _CsvWriter:
    """csv.writer's writerow/writerows with every cell passed through `csv_cell`."""

    def __init__(self, handle: IO[str]) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


@contextlib.contextmanager
def csv_writer(path: Path) -> Iterator[Any]:
    """A CSV writer on the empty temporary file `path` made by `AtomicFiles.new` (UTF-8 with
    BOM, CRLF line ends as Excel writes them) whose cells cannot start a formula
    (`csv_cell`)."""
    try:
        raw = durable.open_own_temp(path)
    except OSError as exc:
        raise _write_error(path, exc) from None
    handle: IO[str] = io.TextIOWrapper(raw, encoding=CSV_ENCODING, newline="")
    with handle:
        yield _CsvWriter(handle)


# -- the settings printed on every export -------------------------------------------------


def settings_lines(settings: PaySettings, catalogue: PostCatalogue) -> list[tuple[str, str]]:
    """(label, value) lines, translated: the pay settings, then each post's duty period."""
    lines = settings.describe({post.code: post.name for post in catalogue.posts})
    for post in catalogue.posts:
        start = format_date(post.duty_start) if post.duty_start else _("not set")
        end = format_date(post.duty_end) if post.duty_end else _("not set")
        lines.append((_("Duty period {post}").format(post=post.name), f"{start} – {end}"))
    return lines
