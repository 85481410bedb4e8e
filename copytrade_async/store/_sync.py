"""One follow's incremental sync: page by page, each page one transaction.

The walk. The history runs newest first. A follow's *watermark* ``W`` is the time of the
newest order stored (with the ids stored at exactly that time). A sync reads the window
``[W, now]`` with the client's own paginator (``client.history.list(...).pages()``, which pins
the end to the server's clock and drops an order it already handed out), and commits every page
in one transaction that upserts its orders by ``(follow_id, order_id)`` and records how far the
walk got: its newest time (the next watermark) and the oldest time committed (``low``). After a
page, the walk goes on as page 1 of the narrower window ``[W, low]``: every request then starts
at the top of its window, so an open order that closes mid-walk (and leaves the window) cannot
shift an older order past a page boundary. Only when a whole page stands at ``low`` itself (more
orders in one millisecond than a page holds) does it read page 2 of the same window; an open
order on an earlier page that closes meanwhile leaves the window and shifts the rest up, so a
page whose ``totalNum`` differs from the window's first page's sends the walk back to page 1 of
the same window (a window with an end only loses orders as time passes: it never gains one).
The orders at ``low`` are read twice and written twice, which an upsert makes harmless. When
the window is exhausted, one more transaction moves the watermark to the walk's newest time and
clears the walk.

Killed at any instant, the database holds whole pages only, and the walk's state says which:
the next sync goes on from ``[W, low]``, and at the end holds every order once. An order stored
while open is stored at its create time; when it closes its close time is past the watermark,
so the next sync reads it again and updates the same row.

Two workers on one follow. Every commit first updates the follow's row *only if its*
``version`` *is the one this worker read* (a compare-and-set: under Postgres the ``UPDATE``
takes the row lock, and the loser of a race sees its ``WHERE`` fail; under SQLite the database's
write lock does the same), so a worker never writes a walk state over another's: it rereads the
state and goes on from there. Under Postgres, a worker also holds a session *advisory lock* per
follow (``pg_try_advisory_lock`` on a hash of the follow id, on the connection that commits the
pages) while it walks it, so two workers do not walk the same follow at once: the second waits
(up to ``lock_wait`` seconds, then reports it busy) and then finds little left to read. An
advisory lock rather than a row lock held for the walk, because a row lock lives only inside one
transaction, and the walk commits many; a session lock spans them, and Postgres drops it when
the holder's connection goes, so a worker killed mid-walk never leaves a follow locked.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import anyio
import attrs
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .. import AsyncCopyTradeClient, HistoryOrder
from ._errors import StoreError
from ._rows import dump_ids, from_ms, ids_at, load_ids, order_to_row, to_ms, when_ms
from ._schema import FOLLOWS, ORDERS

__all__ = ["FollowSync", "SyncProgress", "commit_page", "ensure_follow", "sync_follow"]

#: A follow whose commits lose this many races in a row is given up (another worker runs wild).
_MAX_LOST_RACES = 1000
#: A walk whose windows shrink under it this many times is given up (a server whose totalNum
#: never holds still).
_MAX_SHIFTS = 1000
_PK = ("follow_id", "order_id")


@attrs.frozen
class SyncProgress:
    """Where one follow's sync stands, after each committed page."""

    follow_id: str
    #: Orders written by this sync so far (an order on a page boundary counts once).
    written: int
    #: Pages committed by this sync so far.
    pages: int
    #: The oldest time the walk has committed (it walks from now back to the watermark).
    reached: datetime | None
    #: The watermark the walk goes back to (None: the whole history).
    watermark: datetime | None


@attrs.frozen
class FollowSync:
    """How one follow's sync ended."""

    follow_id: str
    written: int
    pages: int
    #: The watermark after this sync: every order up to it is stored.
    watermark: datetime | None
    #: True when another worker held the follow for longer than ``lock_wait`` (nothing done).
    busy: bool = False


@attrs.define
class _State:
    watermark_ms: int | None
    watermark_ids: list[str]
    top_ms: int | None
    top_ids: list[str]
    low_ms: int | None
    version: int


def now_ms() -> int:
    return to_ms(datetime.now(UTC))


def _dialect_insert(conn: AsyncConnection) -> Callable[[sa.Table], Any]:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


_UPSERTS: dict[str, tuple[str, tuple[str, ...]]] = {}


def _upsert_sql(conn: AsyncConnection) -> tuple[str, tuple[str, ...]]:
    """The orders' upsert, compiled once per dialect, and its parameters' order: a page is
    then one driver-level ``executemany`` (SQLAlchemy's per-row parameter processing was a
    quarter of the write path's time)."""
    dialect = conn.dialect
    if dialect.name not in _UPSERTS:
        stmt = _dialect_insert(conn)(ORDERS)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(_PK),
            set_={c.name: stmt.excluded[c.name] for c in ORDERS.c if c.name not in _PK},
        )
        compiled = stmt.compile(dialect=dialect)
        if not compiled.positiontup:
            raise StoreError(f"the {dialect.name} driver's parameter style is not positional")
        _UPSERTS[dialect.name] = (compiled.string, tuple(compiled.positiontup))
    return _UPSERTS[dialect.name]


async def ensure_follow(conn: AsyncConnection, follow_id: str, trader_id: str | None) -> None:
    """Record the follow (first sync now) unless it is known; learn its trader if given."""
    insert = _dialect_insert(conn)
    async with conn.begin():
        stmt = insert(FOLLOWS).values(follow_id=follow_id, first_synced_ms=now_ms())
        await conn.execute(stmt.on_conflict_do_nothing(index_elements=["follow_id"]))
        if trader_id is not None:
            await conn.execute(
                sa.update(FOLLOWS)
                .where(FOLLOWS.c.follow_id == follow_id)
                .where(FOLLOWS.c.trader_id.is_distinct_from(trader_id))
                .values(trader_id=trader_id)
            )


async def read_state(conn: AsyncConnection, follow_id: str) -> _State:
    async with conn.begin():
        row = (
            (await conn.execute(sa.select(FOLLOWS).where(FOLLOWS.c.follow_id == follow_id)))
            .mappings()
            .one()
        )
    return _State(
        row["watermark_ms"],
        load_ids(row["watermark_ids"]),
        row["walk_top_ms"],
        load_ids(row["walk_top_ids"]),
        row["walk_low_ms"],
        int(row["version"]),
    )


async def _claim(conn: AsyncConnection, follow_id: str, state: _State, **values: Any) -> bool:
    """The compare-and-set on the follow's row (see the module's docs)."""
    result = await conn.execute(
        sa.update(FOLLOWS)
        .where(FOLLOWS.c.follow_id == follow_id, FOLLOWS.c.version == state.version)
        .values(version=state.version + 1, **values)
    )
    return bool(result.rowcount == 1)


async def commit_page(
    conn: AsyncConnection, follow_id: str, state: _State, orders: Sequence[HistoryOrder]
) -> _State | None:
    """Upsert one page and move the walk's state, in one transaction; None (and nothing
    written) when another worker changed the follow since ``state`` was read."""
    unique = list({order.order_id: order for order in reversed(orders)}.values())
    times = [when_ms(order) for order in unique]
    top_ms, top_ids = state.top_ms, list(state.top_ids)
    newest = max(times)
    if top_ms is None or newest > top_ms:
        top_ms, top_ids = newest, ids_at(unique, newest)
    elif newest == top_ms:
        top_ids = sorted(set(top_ids) | set(ids_at(unique, newest)))
    # Never back up: a server that ignores endTime must not send the walk round in circles.
    low_ms = min(times) if state.low_ms is None else min(state.low_ms, *times)
    async with conn.begin():
        claimed = await _claim(
            conn,
            follow_id,
            state,
            walk_top_ms=top_ms,
            walk_top_ids=dump_ids(top_ids),
            walk_low_ms=low_ms,
        )
        if not claimed:
            return None
        sql, names = _upsert_sql(conn)
        rows = [order_to_row(follow_id, order) for order in unique]
        await conn.exec_driver_sql(sql, [tuple(row[name] for name in names) for row in rows])
    return _State(
        state.watermark_ms, state.watermark_ids, top_ms, top_ids, low_ms, state.version + 1
    )


async def finish_walk(conn: AsyncConnection, follow_id: str, state: _State) -> _State | None:
    """The window is exhausted: the watermark moves to the walk's newest time."""
    mark_ms, mark_ids = state.watermark_ms, state.watermark_ids
    if state.top_ms is not None and (mark_ms is None or state.top_ms > mark_ms):
        mark_ms, mark_ids = state.top_ms, state.top_ids
    elif state.top_ms is not None and state.top_ms == mark_ms:
        mark_ids = sorted(set(mark_ids) | set(state.top_ids))
    async with conn.begin():
        claimed = await _claim(
            conn,
            follow_id,
            state,
            watermark_ms=mark_ms,
            watermark_ids=dump_ids(mark_ids),
            walk_top_ms=None,
            walk_top_ids="[]",
            walk_low_ms=None,
            last_synced_ms=now_ms(),
        )
    if not claimed:
        return None
    return _State(mark_ms, mark_ids, None, [], None, state.version + 1)


@asynccontextmanager
async def follow_connection(
    engine: AsyncEngine, follow_id: str, lock_wait: float
) -> AsyncIterator[AsyncConnection | None]:
    """A connection to sync ``follow_id`` on; under Postgres it holds the follow's advisory
    lock (None when another worker kept it for ``lock_wait`` seconds)."""
    async with engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            yield conn
            return
        key = sa.func.hashtextextended(sa.literal(f"copytrade-store:{follow_id}"), 0)
        deadline = time.monotonic() + lock_wait
        pause = 0.02
        while True:
            async with conn.begin():
                got = (await conn.execute(sa.select(sa.func.pg_try_advisory_lock(key)))).scalar()
            if got:
                break
            if time.monotonic() >= deadline:
                yield None
                return
            await anyio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            pause = min(pause * 2, 0.5)
        try:
            yield conn
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    if conn.in_transaction():
                        await conn.rollback()
                    async with conn.begin():
                        await conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                except Exception:  # a broken connection: dropping it releases the lock
                    await conn.invalidate()


async def sync_follow(
    engine: AsyncEngine,
    client: AsyncCopyTradeClient,
    follow_id: str,
    trader_id: str | None,
    *,
    page_size: int,
    lock_wait: float,
    on_page: Callable[[SyncProgress], object] | None = None,
) -> FollowSync:
    """Sync one follow (see the module's docs)."""
    async with engine.connect() as conn:
        await ensure_follow(conn, follow_id, trader_id)
    async with follow_connection(engine, follow_id, lock_wait) as conn:
        if conn is None:
            state = await _read_with(engine, follow_id)
            return FollowSync(follow_id, 0, 0, _dt(state.watermark_ms), busy=True)
        written = pages = lost = shifts = 0
        seen_at_low: set[str] = set()
        # A walk left by an earlier, interrupted sync ends at that sync's "now": finish it,
        # then walk from its watermark to this sync's now.
        known: _State | None = await read_state(conn, follow_id)
        resumed = known is not None and known.low_ms is not None
        while True:
            # Read again only after a lost race: otherwise this worker wrote the state itself.
            state = known if known is not None else await read_state(conn, follow_id)
            known = None
            end_ms, narrowed, raced, shifted = state.low_ms, False, False, False
            window_total: int | None = None
            walker = client.history.list(
                follow_id, start_time=state.watermark_ms, end_time=end_ms, page_size=page_size
            ).pages()
            async for page in walker:
                if window_total is None:
                    window_total = page.total_num
                elif page.total_num != window_total:
                    shifted = True  # an order left the window: its later pages moved up
                    break
                if not page.items:
                    break
                committed = await commit_page(conn, follow_id, state, page.items)
                if committed is None:
                    raced = True
                    break
                state = committed
                written += len({o.order_id for o in page.items} - seen_at_low)
                seen_at_low = set(ids_at(page.items, state.low_ms or 0))
                pages += 1
                if on_page is not None:
                    reached, mark = _dt(state.low_ms), _dt(state.watermark_ms)
                    on_page(SyncProgress(follow_id, written, pages, reached, mark))
                if end_ms is None or (state.low_ms is not None and state.low_ms < end_ms):
                    narrowed = True  # go on as page 1 of the narrower window
                    break
            if shifted:
                shifts += 1
                if shifts > _MAX_SHIFTS:
                    raise StoreError(
                        f"follow {follow_id}: the history's totalNum changed under {shifts}"
                        " walks of one window"
                    )
            if narrowed or shifted:
                known = state
                continue
            if not raced:
                finished = await finish_walk(conn, follow_id, state)
                if finished is not None and resumed:
                    resumed, known = False, finished
                    continue
                if finished is not None:
                    return FollowSync(follow_id, written, pages, _dt(finished.watermark_ms))
            lost += 1
            if lost > _MAX_LOST_RACES:
                raise StoreError(f"follow {follow_id}: gave up after {lost} lost write races")


async def _read_with(engine: AsyncEngine, follow_id: str) -> _State:
    async with engine.connect() as conn:
        return await read_state(conn, follow_id)


def _dt(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)
