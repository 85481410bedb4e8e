"""``HistoryStore``: open a database by URL, sync follows into it, read them back."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Literal, Self

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

from .. import MAX_PAGE_SIZE, AsyncCopyTradeClient, Follow, HistoryOrder, check_id, check_whole
from ._engine import make_engine, shown_url, to_url
from ._errors import StoreError
from ._rows import from_ms, order_from_row, to_ms
from ._schema import FOLLOWS, ORDERS, migrate
from ._sync import FollowSync, SyncProgress, sync_follow

__all__ = ["EXPORT_FIELDS", "HistoryStore", "StoredFollow"]

#: The columns of a CSV export: the record's fields, as ``copytrade history export`` writes.
EXPORT_FIELDS = tuple(field.name for field in attrs.fields(HistoryOrder))
#: The longest a sync waits for another worker's lock on a follow: every wait has a deadline.
_MAX_LOCK_WAIT_S = 3600.0
#: Orders read per query by :meth:`HistoryStore.orders`.
_READ_BATCH = 1000


@attrs.frozen
class StoredFollow:
    """A follow the store has seen, and how far it is stored."""

    follow_id: str
    #: None until a sync was told the trader (the API has no way to ask).
    trader_id: str | None
    first_synced: datetime
    #: When a sync last reached the present (None: none has finished yet).
    last_synced: datetime | None
    #: Every order up to this time is stored (None: nothing is yet).
    watermark: datetime | None


@contextmanager
def _database_errors(where: str) -> Iterator[None]:
    try:
        yield
    except StoreError:
        raise
    except (sa.exc.SQLAlchemyError, OSError) as exc:
        raise StoreError(
            f"history store at {where}: {type(exc).__name__}: {_first_line(exc)}"
        ) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc).strip()
    return text.splitlines()[0][:300] if text else "(no message)"


class HistoryStore:
    """A durable, incremental store of follows' histories (see ``docs/store.md``).

    ``url``: ``postgresql://...`` for a shared database, ``sqlite:///path`` or a file path for
    a SQLite file, None for the default file in the user's data directory. Use it as
    ``async with HistoryStore(url) as store:`` (or ``store = await HistoryStore.open(url)``
    then ``await store.aclose()``); entering creates or migrates the schema.
    """

    def __init__(self, url: str | Path | None = None) -> None:
        self._url: URL = to_url(url)
        self._engine: AsyncEngine | None = None

    @property
    def url(self) -> str:
        """The database's URL, without its password."""
        return shown_url(self._url)

    @property
    def is_postgres(self) -> bool:
        return self._url.get_backend_name() == "postgresql"

    @classmethod
    async def open(cls, url: str | Path | None = None) -> Self:
        store = cls(url)
        await store.__aenter__()
        return store

    async def __aenter__(self) -> Self:
        if self._engine is not None:
            raise RuntimeError("the store is open already")
        engine = make_engine(self._url)
        try:
            with _database_errors(self.url):
                async with engine.begin() as conn:
                    if self.is_postgres:  # one migrator at a time across a fleet
                        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(7244100001)"))
                    await migrate(conn)
        except BaseException:
            await engine.dispose()
            raise
        self._engine = engine
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            await engine.dispose()

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("the store is not open: use `async with HistoryStore(url)`")
        return self._engine

    # ----- writing ------------------------------------------------------------------------

    async def sync(
        self,
        client: AsyncCopyTradeClient,
        follows: Iterable[str | Follow],
        *,
        page_size: int = MAX_PAGE_SIZE,
        lock_wait: float = 60.0,
        on_page: Callable[[SyncProgress], object] | None = None,
    ) -> list[FollowSync]:
        """Bring each follow's stored history up to now, one follow after another.

        ``follows`` are follow ids, or :class:`~copytrade_async.Follow` records (which also
        record the trader). Each page is committed with the watermark in one transaction, so
        a sync cancelled or killed at any point leaves whole pages, and the next one goes on
        from there. ``on_page`` is called after every committed page. ``lock_wait`` (Postgres)
        is how long to wait for another worker syncing the same follow. An error from the
        exchange (an unknown follow id) or the database ends the sync there: the follows
        before it, and the pages already committed, are stored.
        """
        wanted = _follow_ids(follows)
        page_size = check_whole("page_size", page_size)
        if page_size > MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be at most {MAX_PAGE_SIZE}, got {page_size}")
        if isinstance(lock_wait, bool) or not isinstance(lock_wait, int | float):
            raise ValueError(f"lock_wait must be a number of seconds, got {lock_wait!r:.40}")
        if not 0 <= lock_wait <= _MAX_LOCK_WAIT_S:  # NaN fails too
            raise ValueError(f"lock_wait must be from 0 to {_MAX_LOCK_WAIT_S:g} s, got {lock_wait}")
        engine = self.engine
        results = []
        for follow_id, trader_id in wanted.items():
            with _database_errors(self.url):
                results.append(
                    await sync_follow(
                        engine,
                        client,
                        follow_id,
                        trader_id,
                        page_size=page_size,
                        lock_wait=lock_wait,
                        on_page=on_page,
                    )
                )
        return results

    # ----- reading ------------------------------------------------------------------------

    async def follows(self) -> list[StoredFollow]:
        """Every follow the store has seen, by follow id."""
        with _database_errors(self.url):
            async with self.engine.connect() as conn:
                rows = (await conn.execute(sa.select(FOLLOWS).order_by(FOLLOWS.c.follow_id))).all()
        return [
            StoredFollow(
                follow_id=row.follow_id,
                trader_id=row.trader_id,
                first_synced=from_ms(row.first_synced_ms),
                last_synced=None if row.last_synced_ms is None else from_ms(row.last_synced_ms),
                watermark=None if row.watermark_ms is None else from_ms(row.watermark_ms),
            )
            for row in rows
        ]

    async def orders(
        self, follow_id: str, *, start: datetime | None = None, end: datetime | None = None
    ) -> AsyncIterator[HistoryOrder]:
        """A follow's stored orders standing in ``[start, end]`` (close time, or create time
        while open; both inclusive, aware datetimes), newest first as the API lists them (ties:
        the greater order id first). Read in batches of short queries: a slow consumer holds
        no transaction open."""
        follow_id = check_id("follow_id", follow_id)
        start_ms, end_ms = _bound("start", start), _bound("end", end)
        if start_ms is not None and end_ms is not None and start_ms > end_ms:
            raise ValueError("start must not be after end")
        after: tuple[int, str] | None = None
        while True:
            query = sa.select(ORDERS).where(ORDERS.c.follow_id == follow_id)
            if start_ms is not None:
                query = query.where(ORDERS.c.when_ms >= start_ms)
            if end_ms is not None:
                query = query.where(ORDERS.c.when_ms <= end_ms)
            if after is not None:
                query = query.where(sa.tuple_(ORDERS.c.when_ms, ORDERS.c.order_id) < after)
            query = query.order_by(ORDERS.c.when_ms.desc(), ORDERS.c.order_id.desc())
            with _database_errors(self.url):
                async with self.engine.connect() as conn:
                    rows = (await conn.execute(query.limit(_READ_BATCH))).mappings().all()
            for row in rows:
                yield order_from_row(row)
            if len(rows) < _READ_BATCH:
                return
            after = (rows[-1]["when_ms"], rows[-1]["order_id"])

    async def export(
        self,
        follow_id: str,
        stream: IO[str],
        *,
        format: Literal["csv", "jsonl"] = "csv",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> int:
        """Write a follow's stored orders to ``stream`` as ``copytrade history export`` does
        (CSV with a header row, or JSON lines, the record's own ``to_dict(mode="json")``);
        return how many."""
        if format not in ("csv", "jsonl"):
            raise ValueError(f'format must be "csv" or "jsonl", got {format!r}')
        write = order_writer(format, stream)
        count = 0
        async for order in self.orders(follow_id, start=start, end=end):
            write(order)
            count += 1
        return count


def order_writer(format: str, stream: IO[str]) -> Callable[[HistoryOrder], None]:
    """A function writing one order as a CSV row (the header is written now) or a JSON line."""
    if format == "jsonl":

        def write_json(order: HistoryOrder) -> None:
            stream.write(order.to_json() + "\n")

        return write_json
    writer = csv.DictWriter(stream, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()

    def write_csv(order: HistoryOrder) -> None:
        values = order.to_dict(mode="json")
        writer.writerow({k: "" if v is None else str(v) for k, v in values.items()})

    return write_csv


def _follow_ids(follows: Iterable[str | Follow]) -> dict[str, str | None]:
    if isinstance(follows, str | Follow):
        raise ValueError("follows must be a list of follow ids or Follow records, not one")
    wanted: dict[str, str | None] = {}
    for follow in follows:
        if isinstance(follow, Follow):
            wanted[check_id("follow_id", follow.follow_id)] = follow.trader_id
        else:
            wanted.setdefault(check_id("follow_id", follow), None)
    return wanted


def _bound(name: str, value: datetime | None) -> int | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r:.60}")
    return to_ms(value)
