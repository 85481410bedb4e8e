"""The exchange forgets, the store does not: after the sandbox's retention (one day here) drops
old trades from its answers, the store still returns them (and a report from the store still
counts them), in process and against a served sandbox whose manual clock is moved on through
its admin endpoint. Syncs run every 20 simulated hours, within the retention, so no trade is
forgotten before a sync has seen it."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx

from copytrade_async.report import build_report
from copytrade_async.sandbox import SandboxExchange, SandboxServer, sandbox_client
from copytrade_async.store import HistoryStore

from .helpers import Row, advance, books, history_config, order_row, start_follows
from .test_processes import ROOT, stored

STEP_S = 20 * 3600


async def listed_now(exchange: SandboxExchange, follow_id: str) -> set[Row]:
    async with sandbox_client(exchange=exchange, rate_limits=None) as client:
        return {order_row(o) async for o in client.history.list(follow_id)}


async def test_the_store_keeps_what_the_sandbox_forgot(sqlite_url: str) -> None:
    config = history_config(seed=4, history_retention_days=1)
    async with sandbox_client(config=config, rate_limits=None) as client:
        exchange = client.exchange
        follows = await start_follows(client, 2)
        async with HistoryStore(sqlite_url) as store:
            advance(exchange, STEP_S)
            await store.sync(client, follows)
            first = {f: {order_row(o) async for o in store.orders(f)} for f in follows}
            for _ in range(2):
                advance(exchange, STEP_S)
                await store.sync(client, follows)
            for follow_id in follows:
                listed = await listed_now(exchange, follow_id)
                kept = [order_row(o) async for o in store.orders(follow_id)]
                assert first[follow_id] and not first[follow_id] & listed  # forgotten
                assert len(kept) == len(set(kept))
                assert set(kept) == books(exchange, follow_id)
                assert set(kept) > listed
            # The report reads the store as it reads the API: every trade the sandbox ever
            # closed counts there, while the API's own report has lost the oldest.
            closed = [row for f in follows for row in books(exchange, f) if row[7] != "open"]
            from_store = await build_report(store, follows)
            from_api = await build_report(client, follows, positions=False)
            assert from_store.figures.stats.trades == len(closed)
            assert from_store.figures.realized_pnl == sum(row[5] for row in closed)
            assert from_api.figures.stats.trades < from_store.figures.stats.trades


def test_the_store_keeps_what_a_served_sandbox_forgot(sqlite_url: str) -> None:
    exchange = SandboxExchange(history_config(seed=6, history_retention_days=1))

    async def setup() -> list[str]:
        async with sandbox_client(exchange=exchange, rate_limits=None) as client:
            return await start_follows(client, 2)

    follows = asyncio.run(setup())
    with SandboxServer(exchange) as server, httpx.Client(base_url=server.url) as admin:
        first: dict[str, list[Row]] = {}
        for step in range(3):
            admin.post("/sandbox/advance", json={"seconds": STEP_S}).raise_for_status()
            subprocess.run(
                [sys.executable, "-m", "tests.store.sync_worker", server.url, sqlite_url, *follows],
                cwd=ROOT, check=True, capture_output=True, timeout=60,
            )  # fmt: skip
            if step == 0:
                first = asyncio.run(stored(sqlite_url, follows))
        final = asyncio.run(stored(sqlite_url, follows))
    for follow_id in follows:
        listed = asyncio.run(listed_now(exchange, follow_id))
        assert first[follow_id] and not set(first[follow_id]) & listed  # forgotten
        assert len(final[follow_id]) == len(set(final[follow_id]))
        assert set(final[follow_id]) == books(exchange, follow_id)
        assert set(final[follow_id]) > listed
