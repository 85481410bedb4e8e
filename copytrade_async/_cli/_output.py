"""Rendering records: rich tables for people, JSON for scripts, flat rows for exports.

Decimals are written in plain notation, exactly as received (``format(value, "f")``, never an
exponent, never a float); datetimes as ISO 8601 in UTC with milliseconds and a ``Z``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import attrs
import click
from rich.console import Console
from rich.table import Table

__all__ = [
    "emit_json",
    "field_names",
    "flat_row",
    "iso",
    "jsonable",
    "print_fields",
    "print_records",
    "print_table",
    "stdout_console",
    "text",
]


def iso(value: datetime) -> str:
    """ISO 8601 in UTC: ``2024-05-01T12:00:00.123Z``."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def jsonable(value: Any) -> Any:
    """A structure ``json.dumps`` writes without loss: records become objects (snake_case
    keys), Decimals strings, datetimes ISO strings, enums their values."""
    if attrs.has(type(value)):
        return {f.name: jsonable(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    return value


def emit_json(value: Any) -> None:
    click.echo(json.dumps(jsonable(value), indent=2, ensure_ascii=False))


def text(value: Any) -> str:
    """One value as flat text: what a table cell or a CSV field shows (``None`` is empty)."""
    if value is None:
        return ""
    converted = jsonable(value)
    return converted if isinstance(converted, str) else str(converted)


def field_names(cls: type[Any]) -> list[str]:
    return [f.name for f in attrs.fields(cls)]


def flat_row(record: Any) -> dict[str, str]:
    return {name: text(getattr(record, name)) for name in field_names(type(record))}


def stdout_console() -> Console:
    # Piped output is not cut to 80 columns: a table written to a file keeps whole ids.
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    return console


def print_table(
    title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str
) -> None:
    rows = list(rows)
    if not rows:
        click.echo(empty, err=True)
        return
    table = Table(title=title, title_justify="left")
    for name in columns:
        table.add_column(name, no_wrap=True)
    for row in rows:
        table.add_row(*(text(value) or "-" for value in row))
    stdout_console().print(table)


def print_records(title: str, records: Sequence[Any], columns: Sequence[str] = ()) -> None:
    """Records of one class as a table: ``columns`` (default every field), one row each."""
    if not records:
        click.echo(f"{title}: none", err=True)
        return
    names = list(columns) or field_names(type(records[0]))
    headers = [name.replace("_", " ") for name in names]
    rows = [[getattr(record, name) for name in names] for record in records]
    print_table(title, headers, rows, empty=f"{title}: none")


def print_fields(title: str, record: Any, *, skip: Sequence[str] = ()) -> None:
    """One record as a two-column table of its fields."""
    rows = [
        (name.replace("_", " "), getattr(record, name))
        for name in field_names(type(record))
        if name not in skip
    ]
    print_table(title, ("field", "value"), rows, empty=f"{title}: nothing")
