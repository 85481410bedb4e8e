"""The sync against the in-process sandbox, on SQLite and Postgres: the store equals the
sandbox's own books, incrementally, after an interruption, and with open orders that close."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from copytrade_async import OrderStatus
from copytrade_async.sandbox import sandbox_client
from copytrade_async.store import HistoryStore, SyncProgress

from .helpers import advance, books, history_config, order_row, start_follows


async def stored_rows(store: HistoryStore, follow_id: str) -> list[tuple[object, ...]]:
    return [order_row(order) async for order in store.orders(follow_id)]


async def test_sync_stores_every_order_once_and_goes_on_from_its_watermark(db_url: str) -> None:
    async with sandbox_client(config=history_config(), rate_limits=None) as client:
        exchange = client.exchange
        follows = await start_follows(client, 3)
        advance(exchange, 86_400)
        async with HistoryStore(db_url) as store:
            first = await store.sync(client, follows, page_size=7)
            for follow_id in follows:
                rows = await stored_rows(store, follow_id)
                assert len(rows) == len(set(rows)) and set(rows) == books(exchange, follow_id)
            assert [r.written for r in first] == [len(books(exchange, f)) for f in follows]
            before = {f: len(books(exchange, f)) for f in follows}
            advance(exchange, 6 * 3600)
            again = await store.sync(client, follows, page_size=7)
            for follow_id, result in zip(follows, again, strict=True):
                rows = await stored_rows(store, follow_id)
                assert len(rows) == len(set(rows)) and set(rows) == books(exchange, follow_id)
                # Only the new orders (and those at the old watermark) are read again.
                assert result.written <= len(books(exchange, follow_id)) - before[follow_id] + 1
            known = await store.follows()
        assert sorted(f.follow_id for f in known) == sorted(follows)
        for follow in known:
            closes = [row[10] for row in books(exchange, follow.follow_id)]
            assert follow.watermark is not None
            assert follow.watermark == datetime.fromtimestamp(max(closes) / 1000, UTC)
            assert follow.last_synced is not None and follow.first_synced <= follow.last_synced


async def test_trader_ids_are_recorded_from_follow_records(sqlite_url: str) -> None:
    async with sandbox_client(config=history_config(), rate_limits=None) as client:
        trader_id = client.exchange.trader_ids(active=True)[0]
        follow = await client.follows.start(trader_id=trader_id, copy_amount=500, leverage=3)
        async with HistoryStore(sqlite_url) as store:
            await store.sync(client, [follow.follow_id])
            assert (await store.follows())[0].trader_id is None  # the API cannot tell
            await store.sync(client, [follow])
            assert (await store.follows())[0].trader_id == trader_id


class Interrupt(Exception):
    pass


async def test_an_interrupted_sync_resumes_without_loss_or_doubles(db_url: str) -> None:
    async with sandbox_client(config=history_config(seed=8), rate_limits=None) as client:
        exchange = client.exchange
        follows = await start_follows(client, 2)
        advance(exchange, 86_400)
        seen: list[SyncProgress] = []

        def stop_after(pages: int) -> object:
            def on_page(progress: SyncProgress) -> None:
                seen.append(progress)
                if len(seen) % pages == 0:
                    raise Interrupt

            return on_page

        async with HistoryStore(db_url) as store:
            for pages in (2, 3, 1, 4):
                with pytest.raises(Interrupt):
                    await store.sync(client, follows, page_size=5, on_page=stop_after(pages))
                advance(exchange, 1800)  # orders keep closing between the runs
            await store.sync(client, follows, page_size=5)
            for follow_id in follows:
                rows = await stored_rows(store, follow_id)
                assert len(rows) == len(set(rows)) and set(rows) == books(exchange, follow_id)
    assert all(p.reached is not None for p in seen)


async def test_an_open_order_is_updated_in_place_when_it_closes(db_url: str) -> None:
    config = history_config(seed=2, open_orders_in_history=True)
    async with sandbox_client(config=config, rate_limits=None) as client:
        exchange = client.exchange
        follows = await start_follows(client, 4)
        advance(exchange, 3 * 3600)
        async with HistoryStore(db_url) as store:
            await store.sync(client, follows)
            opened = {
                order.order_id: follow_id
                for follow_id in follows
                async for order in store.orders(follow_id)
                if order.status == OrderStatus.OPEN
            }
            assert opened, "the test needs an open copy"
            for follow_id in follows:
                await client.follows.stop(follow_id)  # closes every open copy
            await store.sync(client, follows)
            for follow_id in follows:
                rows = await stored_rows(store, follow_id)
                assert len(rows) == len(set(rows)) and set(rows) == books(exchange, follow_id)
            closed_now = {
                order.order_id
                for follow_id in follows
                async for order in store.orders(follow_id)
                if order.status == OrderStatus.CLOSED
            }
            assert set(opened) <= closed_now


async def test_orders_reads_a_time_range_newest_first(sqlite_url: str) -> None:
    async with sandbox_client(config=history_config(), rate_limits=None) as client:
        follows = await start_follows(client, 1)
        advance(client.exchange, 86_400)
        async with HistoryStore(sqlite_url) as store:
            await store.sync(client, follows)
            everything = [o async for o in store.orders(follows[0])]
            keys = [(o.close_time, o.order_id) for o in everything]
            assert keys == sorted(keys, reverse=True) and len(keys) >= 4
            low, high = everything[-2].close_time, everything[1].close_time
            assert low is not None and high is not None
            middle = [o async for o in store.orders(follows[0], start=low, end=high)]
            expected = [o for o in everything if o.close_time and low <= o.close_time <= high]
            assert middle == expected
            with pytest.raises(ValueError, match="timezone-aware"):
                [o async for o in store.orders(follows[0], start=datetime(2024, 1, 1))]


async def test_a_follow_locked_by_another_worker_is_reported_busy(pg_url: str) -> None:
    import asyncpg

    async with sandbox_client(config=history_config(), rate_limits=None) as client:
        follows = await start_follows(client, 1)
        advance(client.exchange, 86_400)
        other = await asyncpg.connect(pg_url)
        try:
            key = f"copytrade-store:{follows[0]}"
            await other.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", key)
            async with HistoryStore(pg_url) as store:
                (busy,) = await store.sync(client, follows, lock_wait=0.2)
                assert busy.busy and busy.written == 0
                assert [o async for o in store.orders(follows[0])] == []
                await other.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)
                (done,) = await store.sync(client, follows, lock_wait=0.2)
                assert not done.busy and done.written == len(books(client.exchange, follows[0]))
        finally:
            await other.close()
