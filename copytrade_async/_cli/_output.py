"""Rendering records: rich tables for people, JSON for scripts, flat rows for exports.

JSON, CSV and JSON lines carry each record's own JSON form (``record.to_dict(mode="json")``,
the library's public API): Decimals exactly as received, in plain notation; datetimes as
ISO 8601 in UTC with milliseconds and a ``Z``; ratios as the exchange sends them.

Tables are for people, and follow three rules:

* **A number is never cut.** Money, counts, prices and ratios are right-aligned, and their
  column is as wide as its widest value; so is an id's (the next command needs it whole) and a
  time's. When the table is too wide for the terminal, a text column wraps (a word too long
  ends in ``…``); then the columns the command marked optional are left out, in its order,
  and the caption says which; if the rest still does not fit, each record becomes a table of
  its own fields.
* **Plain notation**: ``0.00000001``, ``100``, never ``1E+2``; no negative zero (``-0.00``
  shows as ``0.00``).
* **One convention for ratios: percent**, with a ``%``. The win rate, which the exchange sends
  as a fraction (``0.6329``), shows as ``63.29%``; the maximum drawdown, take profit and stop
  loss, which it sends in percent, as ``62.80%``. A holding time shows in hours (``1.50 h``).
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs
import click
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = [
    "CliConsole",
    "Figure",
    "Whole",
    "emit_json",
    "field_names",
    "flat_row",
    "is_id",
    "plain",
    "print_fields",
    "print_records",
    "print_table",
    "shown",
    "stdout_console",
    "text",
]

#: Ratios the exchange sends as a fraction (0.6329): shown in percent (63.29%).
FRACTION_FIELDS = frozenset({"win_rate"})
#: Ratios the exchange sends in percent already (62.80): shown with a ``%``.
PERCENT_FIELDS = frozenset({"max_drawdown", "take_profit", "stop_loss"})
#: Durations the exchange sends in hours.
HOUR_FIELDS = frozenset({"average_holding_time"})
#: A text column is not squeezed narrower than this (or its widest value, if narrower).
TEXT_MIN_WIDTH = 8


def _json_ready(value: Any) -> Any:
    """A record (or page) as its JSON-ready dict; a list of them as a list."""
    if isinstance(value, list | tuple):
        return [item.to_dict(mode="json") for item in value]
    return value.to_dict(mode="json")


def emit_json(value: Any) -> None:
    """A record, or a list of records, as indented JSON on stdout."""
    click.echo(json.dumps(_json_ready(value), indent=2, ensure_ascii=False))


def text(value: Any) -> str:
    """One JSON-ready value as flat text: what a table cell or a CSV field shows (``None`` is
    empty; a nested record or list is its JSON)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def field_names(cls: type[Any]) -> list[str]:
    return [f.name for f in attrs.fields(cls)]


def flat_row(record: Any) -> dict[str, str]:
    return {name: text(value) for name, value in record.to_dict(mode="json").items()}


def plain(value: Decimal | int) -> str:
    """A number as a person reads it: plain notation, every digit, no negative zero."""
    if isinstance(value, int):
        return str(value)
    digits = format(value, "f")
    return digits.removeprefix("-") if value.is_zero() else digits


def shown(name: str, value: Decimal | int) -> str:
    """A number in a table: :func:`plain`, with the unit the field ``name`` has (percent for
    ratios, hours for a holding time)."""
    if isinstance(value, Decimal) and name in FRACTION_FIELDS:
        return plain(value.scaleb(2)) + "%"
    if name in PERCENT_FIELDS:
        return plain(value) + "%"
    if name in HOUR_FIELDS:
        return plain(value) + " h"
    return plain(value)


class CliConsole(Console):
    """A rich console that lets a closed pipe raise :class:`BrokenPipeError`, for the command
    line to exit as it documents (rich itself would exit 1, the code of an exchange error)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more to write
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def stdout_console() -> Console:
    """A console on stdout, as wide as the terminal; piped, 200 columns (``COLUMNS`` if set),
    so a table written to a file is not squeezed into 80."""
    console = CliConsole()
    if not console.is_terminal and not os.environ.get("COLUMNS", "").strip().isdigit():
        console = CliConsole(width=200)
    return console


def is_id(name: str) -> bool:
    """Whether a field holds an id (``trader_id``, ``follow_id``, ``order_id``)."""
    return name == "id" or name.endswith("_id")


class Whole(str):
    """A table cell shown whole: never wrapped, never cut (an id, a time)."""

    __slots__ = ()


class Figure(Whole):
    """A number's cell: whole, and right-aligned."""

    __slots__ = ()


def _cell(name: str, python: Any, json_ready: Any) -> str:
    """One field of a record as a table cell: a number a :class:`Figure`, an id or a time a
    :class:`Whole`, anything else its text."""
    if isinstance(python, Decimal | int) and not isinstance(python, bool):
        return Figure(shown(name, python))
    if isinstance(python, datetime) or (is_id(name) and python):
        return Whole(text(json_ready))
    return text(json_ready)


def _cells(record: Any, names: Sequence[str]) -> list[str]:
    python, json_ready = record.to_dict(), record.to_dict(mode="json")
    return [_cell(name, python[name], json_ready[name]) for name in names]


@attrs.define
class _Column:
    header: str
    cells: list[str]

    @property
    def whole(self) -> bool:
        """Every cell is whole (an id, a number, a time, or a blank): the header may not cut."""
        return all(isinstance(cell, Whole) for cell in self.cells if cell != "-")

    @property
    def minimum(self) -> int:
        """The narrowest this column may be: its widest whole cell (and, for a column of them,
        its header's longest word); a text cell, :data:`TEXT_MIN_WIDTH` (or less if all fit)."""
        wholes = [cell_len(cell) for cell in self.cells if isinstance(cell, Whole)]
        texts = [cell_len(cell) for cell in self.cells if not isinstance(cell, Whole)]
        if self.whole:
            wholes += [cell_len(word) for word in self.header.split()]
        else:
            texts.append(cell_len(self.header))
        return max(max(wholes, default=1), min(max(texts, default=0), TEXT_MIN_WIDTH))

    @property
    def natural(self) -> int:
        widest = max((cell_len(cell) for cell in self.cells), default=0)
        return max(widest, cell_len(self.header), self.minimum)


def _overhead(count: int) -> int:
    """Borders and padding of a table of ``count`` columns (``│ a │ b │``)."""
    return 3 * count + 1


def _widths(columns: Sequence[_Column], width: int) -> list[int]:
    """Each column's width: its minimum, then the spare columns one at a time, round robin,
    first to the text columns still narrower than their natural width (a short one is whole
    before a long one takes the rest), then to the headers of the whole columns."""
    widths = [column.minimum for column in columns]
    spare = width - _overhead(len(columns)) - sum(widths)
    for text_first in (True, False):
        wanted = [column.natural if column.whole != text_first else 0 for column in columns]
        while spare > 0:
            hungry = [i for i, natural in enumerate(wanted) if widths[i] < natural]
            if not hungry:
                break
            for index in hungry[:spare]:
                widths[index] += 1
            spare -= min(spare, len(hungry))
    return widths


def _fits(columns: Sequence[_Column], width: int) -> bool:
    return sum(column.minimum for column in columns) + _overhead(len(columns)) <= width


def _shown_cell(cell: str) -> Text | str:
    """A whole cell never wraps, and never ends in ``…``: if even its column's minimum is more
    than the terminal has, its digits go on the next line (``fold``)."""
    if not isinstance(cell, Whole):
        return cell
    if isinstance(cell, Figure):
        return Text(cell, justify="right", overflow="fold")
    return Text(cell, justify="left", overflow="fold")


def _render(
    console: Console, title: str | None, columns: Sequence[_Column], caption: str | None = None
) -> None:
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for column, width in zip(columns, _widths(columns, console.width), strict=True):
        figures = [cell for cell in column.cells if cell != "-"]
        right = bool(figures) and all(isinstance(cell, Figure) for cell in figures)
        table.add_column(column.header, width=width, justify="right" if right else "left")
    for row in zip(*(column.cells for column in columns), strict=True):
        table.add_row(*(_shown_cell(cell) for cell in row))
    console.print(table)


def print_table(
    title: str | None,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    empty: str,
    optional: Sequence[str] = (),
) -> bool:
    """A table on stdout, fitted to the console (the module's rules): a :class:`Whole` cell
    keeps its column at least as wide as itself, a :class:`Figure` is right-aligned too; the
    other cells wrap. The ``optional`` headers are left out, in that order, while the table
    does not fit. False (and nothing printed) when even the rest does not fit."""
    cells = [
        [value if isinstance(value, Whole) else text(value) or "-" for value in row] for row in rows
    ]
    if not cells:
        click.echo(empty, err=True)
        return True
    columns = [_Column(header, [row[i] for row in cells]) for i, header in enumerate(headers)]
    console = stdout_console()
    left_out: list[str] = []
    for header in optional:
        if _fits(columns, console.width):
            break
        if header in headers:
            columns = [column for column in columns if column.header != header]
            left_out.append(header)
    if not _fits(columns, console.width):
        return False
    caption = None
    if left_out:
        caption = f"left out to fit {console.width} columns: {', '.join(left_out)} (--json has all)"
    _render(console, title, columns, caption)
    return True


def print_records(
    title: str, records: Sequence[Any], columns: Sequence[str] = (), *, optional: Sequence[str] = ()
) -> None:
    """Records of one class as a table: ``columns`` (default every field), one row each.

    ``optional`` names the fields that may be left out, in that order, when the table is too
    wide; the others never are: when they do not fit side by side, each record is shown as a
    table of its own fields instead. Never a number, an id or a time cut."""
    if not records:
        click.echo(f"{title}: none", err=True)
        return
    names = list(columns) or field_names(type(records[0]))
    headers = [_header(name) for name in names]
    rows = [_cells(record, names) for record in records]
    dropped = [_header(name) for name in optional]
    if print_table(title, headers, rows, empty=f"{title}: none", optional=dropped):
        return
    for number, record in enumerate(records, start=1):
        print_fields(f"{title} ({number} of {len(records)})", record, only=names)


def print_fields(
    title: str, record: Any, *, skip: Sequence[str] = (), only: Sequence[str] = ()
) -> None:
    """One record as a two-column table of its fields (``only`` those, if given, and not those
    in ``skip``): a number right-aligned and never cut, nor an id or a time; text wraps."""
    names = [name for name in (only or field_names(type(record))) if name not in skip]
    values = [cell or "-" for cell in _cells(record, names)]
    columns = [_Column("field", [_header(name) for name in names]), _Column("value", values)]
    _render(stdout_console(), title, columns)


def _header(name: str) -> str:
    return name.replace("_", " ")
