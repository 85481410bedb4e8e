"""Rendering records: rich tables for people, JSON for scripts, flat rows for exports.

Every value shown is the record's own JSON form (``record.to_dict(mode="json")``, the
library's public API): Decimals in plain notation, exactly as received (never an exponent,
never a float); datetimes as ISO 8601 in UTC with milliseconds and a ``Z``.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import click
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

__all__ = [
    "CliConsole",
    "Whole",
    "emit_json",
    "field_names",
    "flat_row",
    "is_id",
    "print_fields",
    "print_records",
    "print_table",
    "stdout_console",
    "text",
]


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
    """A table cell shown whole: never wrapped, never cut (an id ``follow start`` needs)."""

    __slots__ = ()


def print_table(
    title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str
) -> None:
    """A table on stdout, fitted to the console: a :class:`Whole` cell keeps its column at
    least as wide as itself (a column of them never wraps); other cells wrap, and a word too
    long is cut with ``…``."""
    cells = [
        [value if isinstance(value, Whole) else text(value) or "-" for value in row] for row in rows
    ]
    if not cells:
        click.echo(empty, err=True)
        return
    table = Table(title=title, title_justify="left")
    for index, name in enumerate(columns):
        whole = [cell_len(row[index]) for row in cells if isinstance(row[index], Whole)]
        table.add_column(name, no_wrap=len(whole) == len(cells), min_width=max(whole, default=None))
    for row in cells:
        table.add_row(*row)
    stdout_console().print(table)


def _cell(name: str, value: Any) -> Any:
    return Whole(text(value)) if is_id(name) and value else value


def print_records(title: str, records: Sequence[Any], columns: Sequence[str] = ()) -> None:
    """Records of one class as a table: ``columns`` (default every field), one row each; an
    id is never cut."""
    if not records:
        click.echo(f"{title}: none", err=True)
        return
    names = list(columns) or field_names(type(records[0]))
    headers = [name.replace("_", " ") for name in names]
    shown = [record.to_dict(mode="json") for record in records]
    rows = [[_cell(name, values[name]) for name in names] for values in shown]
    print_table(title, headers, rows, empty=f"{title}: none")


def print_fields(title: str, record: Any, *, skip: Sequence[str] = ()) -> None:
    """One record as a two-column table of its fields; values wrap, an id never does."""
    values = record.to_dict(mode="json")
    rows = [
        (name.replace("_", " "), _cell(name, value))
        for name, value in values.items()
        if name not in skip
    ]
    print_table(title, ("field", "value"), rows, empty=f"{title}: nothing")
