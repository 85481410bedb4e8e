"""``copytrade history export``: every closed trade of a follow, as CSV, JSON or JSON lines.

The walk goes page by page; the progress bar, drawn on stderr, counts records toward the
``totalNum`` of the first page. ``endTime`` is pinned by the client, and the paginator drops an
``orderId`` it has handed out already, so a trade closing during the export neither shifts nor
repeats rows. Nothing is written before the first page has arrived: an export that fails at
once leaves stdout empty, and one of no trade writes the CSV header alone (JSON: ``[]``; JSON
lines: nothing). ``--format json`` streams one JSON array, a record per line, so a long
history is never held in memory; ``--json`` (global or on the command) means ``--format json``.
A file is written beside its destination and renamed into place at the end: a failed export
never leaves a partial file.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from .. import MAX_PAGE_SIZE, AsyncCopyTradeClient, HistoryOrder
from ._context import CliState, json_option, pass_state
from ._errors import CliError
from ._output import CliConsole, field_names, flat_row

__all__ = ["FORMATS", "history", "parse_time"]

#: What ``history export --format`` writes.
FORMATS = ("csv", "json", "jsonl")


def parse_time(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> datetime | int | None:
    """ISO 8601 (UTC when no offset is given) or integer milliseconds since the epoch."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is neither ISO 8601 (2024-05-01T00:00:00Z) nor milliseconds since the epoch"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@click.group()
def history() -> None:
    """A follow's closed trades."""


@history.command("export")
@click.argument("follow_id")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help="CSV with a header row, a JSON array (what --json gives), or one JSON object per line.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
    default="-",
    show_default=True,
    help="File to write, or - for stdout.",
)
@click.option(
    "--start",
    metavar="ISO|MS",
    callback=parse_time,
    help="Only trades closed at or after this time (ISO 8601, UTC if no offset, or ms).",
)
@click.option(
    "--end",
    metavar="ISO|MS",
    callback=parse_time,
    help="Only trades closed at or before this time.",
)
@click.option(
    "--page-size",
    type=click.IntRange(1, MAX_PAGE_SIZE),
    default=MAX_PAGE_SIZE,
    show_default=True,
    help="Trades per request.",
)
@json_option
@pass_state
@click.pass_context
def export(
    ctx: click.Context,
    state: CliState,
    follow_id: str,
    fmt: str,
    output: str,
    start: datetime | int | None,
    end: datetime | int | None,
    page_size: int,
) -> None:
    """Export every closed trade of FOLLOW_ID, newest first.

    Decimals are written exactly as the exchange sent them, times as ISO 8601 UTC. --json
    (here or before the command) is --format json; with another --format it is refused.
    """
    if state.json:
        if (
            ctx.get_parameter_source("fmt") is click.core.ParameterSource.COMMANDLINE
            and fmt != "json"
        ):
            raise CliError(f"--json and --format {fmt} disagree: give one of them")
        fmt = "json"

    async def walk(client: AsyncCopyTradeClient) -> tuple[int, int]:
        paginator = client.history.list(
            follow_id, start_time=start, end_time=end, page_size=page_size
        )
        records = pages = 0
        total: int | None = None
        write: Callable[[HistoryOrder], None] | None = None
        with _destination(output) as stream, _progress() as progress, ExitStack() as stack:
            task = progress.add_task("history", total=None)
            async for page in paginator.pages():  # each order once: the paginator de-duplicates
                if write is None:  # the first page: the total, then the header, if any
                    total = page.total_num if page.total_num >= len(page.items) else None
                    write = stack.enter_context(_writer(fmt, stream))
                pages += 1
                for order in page.items:
                    write(order)
                records += len(page.items)
                if total is not None:
                    total = max(total, records)  # never past 100%
                progress.update(task, total=total, completed=records, refresh=True)
        return records, pages

    count, pages = state.run(walk)
    where = "stdout" if output == "-" else output
    click.echo(
        f"exported {_plural(count, 'trade')} ({_plural(pages, 'page')}) to {where}", err=True
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class _RateColumn(ProgressColumn):
    """Records exported per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        rate = "?" if speed is None else f"{speed:,.0f}"
        return Text(f"{rate} records/s", style="progress.data.speed")


def _progress() -> Progress:
    """Records exported, of the total the first page announced, with the rate and the time
    left; drawn on stderr, only on a terminal (a log file gets the summary line only)."""
    console = CliConsole(stderr=True)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records"),
        _RateColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


@contextmanager
def _writer(fmt: str, stream: IO[str]) -> Iterator[Callable[[HistoryOrder], None]]:
    """Write one order to ``stream``; a JSON array is closed when the walk ends well."""
    if fmt == "jsonl":

        def write_line(order: HistoryOrder) -> None:
            stream.write(order.to_json() + "\n")

        yield write_line
        return
    if fmt == "json":
        separator = "[\n"

        def write_item(order: HistoryOrder) -> None:
            nonlocal separator
            stream.write(separator + "  " + order.to_json())
            separator = ",\n"

        yield write_item
        stream.write("[]\n" if separator == "[\n" else "\n]\n")
        return
    writer = csv.DictWriter(stream, fieldnames=field_names(HistoryOrder), lineterminator="\n")
    writer.writeheader()

    def write_csv(order: HistoryOrder) -> None:
        writer.writerow(flat_row(order))

    yield write_csv


@contextmanager
def _destination(output: str) -> Iterator[IO[str]]:
    if output == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(output)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise click.BadParameter(
            f"cannot write {output}: {exc.strerror}", param_hint="--output"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp made it private; give it a new file's mode
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
