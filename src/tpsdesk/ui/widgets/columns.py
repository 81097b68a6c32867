"""Table columns sized to what they hold, at every width from 60 to 200 columns.

One rule for every table of the field desk (`fit_columns`): each column is as wide as its
longest cell (or heading); when the terminal is narrower, the columns that may be cut
(`shrink_to`) are cut down first, then the columns that matter least (`drop`, highest first)
go; when it is wider, every column widens, those marked `grow` the most. Columns that may
neither shrink nor go — a post's name, a status — are always shown whole.

`FitTable` is a DataTable that applies the rule by itself: the screen declares its columns
once (`set_columns`) and adds rows as usual; the table refits when its rows or its size
change, rebuilding itself only when a width or the set of shown columns changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.errors import MarkupError
from rich.text import Text
from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

GROW_WEIGHT = 3


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    shrink_to: int | None = None
    """May be cut down to this many cells (None: always whole)."""
    drop: int = 0
    """0: always shown; otherwise left out when there is no room, highest number first."""
    grow: bool = False
    """Takes a larger share of the spare width on wide screens."""


def cell_width(cell: object) -> int:
    """How many terminal cells a table cell takes (markup in plain strings not counted)."""
    if isinstance(cell, Text):
        return cell.cell_len
    text = str(cell)
    if "[" in text:
        try:
            return Text.from_markup(text).cell_len
        except MarkupError:
            pass
    return cell_len(text)


def fit_columns(
    columns: Sequence[Column], natural: Sequence[int], width: int, padding: int = 1
) -> list[int | None]:
    """The width of each column's content (None: left out) so that the table fits `width`.

    `natural` is each column's widest cell or heading; `padding` the blank each side of a
    cell. If even the narrowest layout is too wide, the columns that cannot go stay, at
    their narrowest (the table then scrolls sideways)."""
    floors = [
        min(n, column.shrink_to) if column.shrink_to is not None else n
        for column, n in zip(columns, natural, strict=True)
    ]
    shown = [True] * len(columns)

    def needed(sizes: Sequence[int]) -> int:
        return sum(size + 2 * padding for size, on in zip(sizes, shown, strict=True) if on)

    # Leave out the least important columns until the narrowest layout fits.
    droppable = sorted(
        (index for index, column in enumerate(columns) if column.drop > 0),
        key=lambda index: (-columns[index].drop, -index),
    )
    for index in droppable:
        if needed(floors) <= width:
            break
        shown[index] = False
    widths = list(natural)
    # Too wide: cut the widest column that may be cut, one cell at a time.
    excess = needed(widths) - width
    while excess > 0:
        candidates = [i for i in range(len(columns)) if shown[i] and widths[i] > floors[i]]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: (widths[i] - floors[i], -i))
        widths[widest] -= 1
        excess -= 1
    # Room to spare: every column widens, the growing ones three times as much (all of it
    # to one column would leave its neighbours a screen apart).
    spare = width - needed(widths)
    weights = [
        (GROW_WEIGHT if column.grow else 1) if on else 0
        for column, on in zip(columns, shown, strict=True)
    ]
    total = sum(weights)
    if spare > 0 and total:
        extra = [spare * weight // total for weight in weights]
        rest = spare - sum(extra)
        for index in sorted(range(len(columns)), key=lambda i: -weights[i]):
            if rest <= 0 or not weights[index]:
                break
            extra[index] += 1
            rest -= 1
        widths = [size + more for size, more in zip(widths, extra, strict=True)]
    return [size if on else None for size, on in zip(widths, shown, strict=True)]


class FitTable(DataTable[Any]):
    """A DataTable whose columns follow `fit_columns` (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._specs: list[Column] = []
        self._natural: list[int] = []
        self._widths: list[int | None] = []
        self._data_rows: list[tuple[str | None, tuple[Any, ...]]] = []
        self._refit_pending = False

    def set_columns(self, *columns: Column) -> None:
        """Declare the columns (and forget every row)."""
        if list(columns) == self._specs:  # the same again (a reload): widths kept till refit
            self.clear()
            return
        self._specs = list(columns)
        self._data_rows = []
        self._natural = [cell_width(column.label) for column in columns]
        self._widths = self._layout()
        self._rebuild()

    @property
    def shown_columns(self) -> list[str]:
        """The keys of the columns shown at the present width."""
        return [c.key for c, w in zip(self._specs, self._widths, strict=True) if w is not None]

    def add_row(
        self,
        *cells: Any,
        height: int | None = 1,
        key: str | None = None,
        label: Any = None,
    ) -> RowKey:
        if not self._specs:
            return super().add_row(*cells, height=height, key=key, label=label)
        self._data_rows.append((key, cells))
        for index, cell in enumerate(cells):
            size = cell_width(cell)
            if size > self._natural[index]:
                self._natural[index] = size
                self._schedule_refit()
        return super().add_row(*self._visible(cells), height=height, key=key, label=label)

    def clear(self, columns: bool = False) -> FitTable:
        if columns:
            self._specs = []
            self._widths = []
        elif self._specs:
            self._natural = [cell_width(column.label) for column in self._specs]
            self._schedule_refit()
        self._data_rows = []
        super().clear(columns=columns)
        return self

    def on_resize(self, event: events.Resize) -> None:
        self._schedule_refit()

    def _schedule_refit(self) -> None:
        if not self._refit_pending:
            self._refit_pending = True
            self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        self._refit_pending = False
        if not self._specs or not self.is_attached:
            return
        widths = self._layout()
        if widths != self._widths:
            self._widths = widths
            self._rebuild()

    def _available(self) -> int:
        width = self.size.width or self.app.size.width
        rows = len(self._data_rows) + (1 if self.show_header else 0)
        if self.size.height and rows > self.size.height:
            width -= self.styles.scrollbar_size_vertical
        return width

    def _layout(self) -> list[int | None]:
        return fit_columns(self._specs, self._natural, self._available(), self.cell_padding)

    def _visible(self, cells: Sequence[Any]) -> list[Any]:
        return [cell for cell, width in zip(cells, self._widths, strict=False) if width is not None]

    def _rebuild(self) -> None:
        """Columns at their new widths, the same rows, the cursor on the same row."""
        cursor = self.cursor_coordinate
        rows = self._data_rows
        super().clear(columns=True)
        for column, width in zip(self._specs, self._widths, strict=True):
            if width is not None:
                super().add_column(column.label, key=column.key, width=width)
        for key, cells in rows:
            super().add_row(*self._visible(cells), key=key)
        self._data_rows = rows
        if rows:
            self.move_cursor(row=min(cursor.row, len(rows) - 1), column=0, animate=False)
