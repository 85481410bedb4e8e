"""Rendering records: rich tables for people, JSON for scripts, flat rows for exports.

Every value shown is the record's own JSON form (``record.to_dict(mode="json")``, the
library's public API): Decimals in plain notation, exactly as received (never an exponent,
never a float); datetimes as ISO 8601 in UTC with milliseconds and a ``Z``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import click
from rich.console import Console
from rich.table import Table

__all__ = [
    "emit_json",
    "field_names",
    "flat_row",
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
    shown = [record.to_dict(mode="json") for record in records]
    rows = [[values[name] for name in names] for values in shown]
    print_table(title, headers, rows, empty=f"{title}: none")


def print_fields(title: str, record: Any, *, skip: Sequence[str] = ()) -> None:
    """One record as a two-column table of its fields."""
    values = record.to_dict(mode="json")
    rows = [(name.replace("_", " "), value) for name, value in values.items() if name not in skip]
    print_table(title, ("field", "value"), rows, empty=f"{title}: nothing")
