"""``copytrade history sync`` and ``copytrade history show``: the history store on the command
line (needs the ``store`` extra).

``sync`` brings each follow's stored history up to now, once or ``--every SECONDS`` until
Ctrl-C, with a line on stderr per page on a terminal and per follow always. Each page is its
own transaction: Ctrl-C (or a kill) leaves whole pages, and the next sync goes on from there;
after Ctrl-C, it says how far each follow got. ``show`` prints a follow's orders from the
store (``--db``) or from the API (no ``--db``). Without a URL, ``--db`` is the default SQLite
file in the user's data directory, named on stderr when it is first created.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import MAX_PAGE_SIZE, AsyncCopyTradeClient, HistoryOrder
from ._context import CliState, pass_state
from ._history import _writer, parse_time
from ._output import print_records

if TYPE_CHECKING:
    from ..store import HistoryStore, SyncProgress

__all__ = ["show", "sync"]


def _store_module() -> Any:
    try:
        from .. import store
    except ImportError as exc:  # the extra is not installed
        raise click.UsageError(
            f"the history store needs the store extra: pip install -e '.[store]' "
            f"({exc.name} is missing)"
        ) from None
    return store


def _open_store(db: str | None) -> HistoryStore:
    """The store at ``db`` (None or empty: the default file, announced when created)."""
    store = _store_module()
    if not db:
        path = store.default_path()
        if not path.exists():
            click.echo(f"history store: creating {path}", err=True)
        opened: HistoryStore = store.HistoryStore(path)
        return opened
    url = store.to_url(db)  # ValueError: a usage error
    if url.get_backend_name() == "sqlite" and not Path(url.database).exists():
        click.echo(f"history store: creating {url.database}", err=True)
    opened = store.HistoryStore(db)
    return opened


async def _pause(seconds: float) -> None:
    """The wait between two rounds of ``--every`` (a function of its own for the tests)."""
    await asyncio.sleep(seconds)


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.isoformat(timespec="milliseconds")


@click.command("sync")
@click.argument("follow_ids", nargs=-1, required=True, metavar="FOLLOW_ID...")
@click.option(
    "--db",
    metavar="URL",
    help="postgresql://... or a SQLite file (default: in the user's data directory).",
)
@click.option(
    "--every",
    type=click.FloatRange(min=1),
    metavar="SECONDS",
    help="Sync again every SECONDS until Ctrl-C.",
)
@click.option(
    "--page-size", type=click.IntRange(1, MAX_PAGE_SIZE), default=MAX_PAGE_SIZE, show_default=True
)
@pass_state
def sync(
    state: CliState,
    follow_ids: tuple[str, ...],
    db: str | None,
    every: float | None,
    page_size: int,
) -> None:
    """Store the history of each FOLLOW_ID, from where the last sync stopped to now."""
    store = _open_store(db)
    reached: dict[str, SyncProgress] = {}
    verbose = sys.stderr.isatty()

    def progress(step: SyncProgress) -> None:
        reached[step.follow_id] = step
        if verbose:
            click.echo(
                f"  {step.follow_id}: {step.written} orders, back to {_when(step.reached)}",
                err=True,
            )

    async def run(client: AsyncCopyTradeClient) -> None:
        async with store:
            while True:
                reached.clear()
                for result in await store.sync(
                    client, list(follow_ids), page_size=page_size, on_page=progress
                ):
                    note = " (busy: another worker holds it)" if result.busy else ""
                    click.echo(
                        f"{result.follow_id}: {result.written} orders written, stored up to "
                        f"{_when(result.watermark)}{note}",
                        err=True,
                    )
                if every is None:
                    return
                await _pause(every)

    try:
        state.run(run)
    except KeyboardInterrupt:
        click.echo(f"interrupted; the store ({store.url}) holds whole pages only:", err=True)
        for follow_id in follow_ids:
            step = reached.get(follow_id)
            if step is None:
                click.echo(f"  {follow_id}: not started in this run", err=True)
            else:
                click.echo(
                    f"  {follow_id}: {step.written} orders written, walked back to "
                    f"{_when(step.reached)} of the way to {_when(step.watermark)}; "
                    "the next sync goes on from there",
                    err=True,
                )
        raise


@click.command("show")
@click.argument("follow_id")
@click.option(
    "--db",
    metavar="URL",
    is_flag=False,
    flag_value="",
    default=None,
    help="Read the store (default file if no URL); without --db, the API.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "jsonl", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--start", metavar="ISO|MS", callback=parse_time, help="Only orders at or after this time."
)
@click.option(
    "--end", metavar="ISO|MS", callback=parse_time, help="Only orders at or before this time."
)
@pass_state
def show(
    state: CliState,
    follow_id: str,
    db: str | None,
    fmt: str,
    start: datetime | int | None,
    end: datetime | int | None,
) -> None:
    """A follow's orders, newest first: from the store with --db, else from the API."""
    if db is None:

        async def from_api(client: AsyncCopyTradeClient) -> list[HistoryOrder]:
            return await client.history.list(follow_id, start_time=start, end_time=end).collect()

        orders = state.run(from_api)
    else:
        store = _open_store(db)

        async def from_store() -> list[HistoryOrder]:
            async with store:
                return [
                    o async for o in store.orders(follow_id, start=_aware(start), end=_aware(end))
                ]

        orders = asyncio.run(from_store())
    if fmt == "table":
        print_records(f"history {follow_id}", orders)
    elif fmt == "json":
        click.echo(json.dumps([o.to_dict(mode="json") for o in orders], indent=2))
    else:
        with _stdout() as stream, _writer(fmt, stream) as write:
            for order in orders:
                write(order)


def _aware(value: datetime | int | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    store = _store_module()
    moment: datetime = store.from_ms(value)
    return moment


@contextmanager
def _stdout() -> Iterator[Any]:
    yield sys.stdout
    sys.stdout.flush()
