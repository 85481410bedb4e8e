"""The sync's walk over odd page shapes, against a history server written here: many orders in
one millisecond, pages of one, open orders that close between runs, new orders arriving, and
runs interrupted after any page, an open order closing in the middle of a walk (it leaves
the walk's window: a walk by page numbers alone would skip an older order). Whatever happens,
a final run leaves the store equal to the server's history, each order once, with its latest
fields."""

from __future__ import annotations

import asyncio
import contextlib
import math
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from hypothesis import example, given, settings
from hypothesis import strategies as st

from copytrade_async import AsyncCopyTradeClient
from copytrade_async.store import HistoryStore, SyncProgress

from .helpers import order_row

BASE_MS = 1_750_000_000_000
FOLLOW = "follow-1"


class HistoryServer:
    """The history endpoint by the spec: ``startTime <= t <= endTime`` on the close time (the
    create time of an open order), newest first, ties by the greater order id first."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.now = BASE_MS
        self.requests = 0
        #: Before answering this request, the newest open order closes (mid-walk).
        self.close_at_request: int | None = None

    def add(self, at_ms: int, *, open_: bool) -> None:
        order_id = f"{len(self.orders):06d}"
        self.orders[order_id] = {
            "orderId": order_id, "symbol": "BTCUSDT", "side": "buy", "size": "0.1",
            "entryPrice": "30000.5", "exitPrice": "" if open_ else "31000",
            "profit": "-1.5" if open_ else "100.05", "leverage": "10",
            "status": "open" if open_ else "closed", "createTime": at_ms,
            "closeTime": None if open_ else at_ms,
        }  # fmt: skip

    def close(self, order_id: str) -> None:
        self.now += 1000
        self.orders[order_id].update(
            exitPrice="31000", profit="7", status="closed", closeTime=self.now
        )

    @staticmethod
    def when(order: dict[str, Any]) -> int:
        close: int | None = order["closeTime"]
        return close if close is not None else int(order["createTime"])

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.requests == self.close_at_request:
            opened = [o for o in self.orders.values() if o["closeTime"] is None]
            if opened:
                self.close(max(opened, key=self.when)["orderId"])
        params = request.url.params
        start = int(params["startTime"]) if "startTime" in params else None
        end = int(params["endTime"]) if "endTime" in params else None
        size, number = int(params["pageSize"]), int(params["pageNo"])
        rows = [
            order
            for order in self.orders.values()
            if (start is None or self.when(order) >= start)
            and (end is None or self.when(order) <= end)
        ]
        rows.sort(key=lambda order: (self.when(order), order["orderId"]), reverse=True)
        data = {
            "totalPage": max(1, math.ceil(len(rows) / size)), "totalNum": len(rows),
            "currentPage": number, "pageSize": size,
            "list": rows[(number - 1) * size : number * size],
        }  # fmt: skip
        body = {"code": "00000", "msg": "success", "requestTime": self.now, "data": data}
        return httpx.Response(200, json=body)

    def expected(self) -> set[tuple[Any, ...]]:
        return {
            (
                o["orderId"],
                o["symbol"],
                o["side"],
                Decimal(o["size"]),
                Decimal(o["entryPrice"]),
                Decimal(o["profit"]),
                Decimal(o["leverage"]),
                o["status"],
                o["createTime"],
                Decimal(o["exitPrice"]) if o["exitPrice"] else None,
                o["closeTime"],
            )
            for o in self.orders.values()
        }


class Interrupt(Exception):
    pass


events = st.lists(
    st.one_of(
        st.tuples(st.just("run"), st.integers(1, 6)),  # a run cut after that many pages
        st.tuples(st.just("add"), st.integers(1, 8)),  # that many orders closing now
        st.tuples(st.just("close"), st.integers(0, 50)),  # an open order closes
        st.tuples(st.just("close_mid"), st.integers(2, 4)),  # ... during that request
    ),
    max_size=8,
)


@settings(max_examples=40, deadline=None)
# The newest order is open and closes while page 2 is asked for: by page numbers alone, the
# order at t=1 would slide onto page 1, already read, and be skipped.
@example(
    first=[(0, False), (1, False), (2, True)], page_size=1, steps=[("close_mid", 2), ("run", 6)]
)
# Two orders in one millisecond and pages of one: the open one (page 1 of the tie) closes while
# page 2 is asked for, so the other slides onto page 1, already read: only a walk that sees the
# window shrink (its totalNum) and reads it again keeps the older order (found by hypothesis).
@example(
    first=[(0, False), (0, True)],
    page_size=1,
    steps=[("add", 1), ("run", 3), ("close_mid", 2), ("run", 2)],
)
@given(
    first=st.lists(st.tuples(st.integers(0, 6), st.booleans()), max_size=30),
    page_size=st.integers(1, 5),
    steps=events,
)
def test_any_page_shape_and_interruption_ends_with_the_servers_history(
    first: list[tuple[int, bool]], page_size: int, steps: list[tuple[str, int]]
) -> None:
    server = HistoryServer()
    for second, open_ in first:  # a handful of distinct times: many ties
        server.add(BASE_MS - 10_000 + second * 1000, open_=open_)

    async def main(path: Path) -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(server.handle))
        client = AsyncCopyTradeClient(
            api_key="k", api_secret="s", passphrase="p", base_url="http://history.test",
            http_client=http, rate_limits=None, max_retries=0,
        )  # fmt: skip
        async with http, client, HistoryStore(path) as store:
            for kind, value in steps:
                if kind == "add":
                    server.now += 1000
                    for _ in range(value):
                        server.add(server.now, open_=False)
                elif kind == "close_mid":
                    server.close_at_request = server.requests + value
                elif kind == "close":
                    opened = sorted(k for k, o in server.orders.items() if o["closeTime"] is None)
                    if opened:
                        server.close(opened[value % len(opened)])
                else:
                    pages = 0

                    def cut(_: SyncProgress, after: int = value) -> None:
                        nonlocal pages
                        pages += 1
                        if pages >= after:
                            raise Interrupt

                    with contextlib.suppress(Interrupt):
                        await store.sync(client, [FOLLOW], page_size=page_size, on_page=cut)
            server.close_at_request = None  # the last run sees the history hold still
            await store.sync(client, [FOLLOW], page_size=page_size)
            rows = [order_row(order) async for order in store.orders(FOLLOW)]
        assert len(rows) == len(set(rows))
        assert set(rows) == server.expected()

    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(main(Path(directory) / "history.sqlite3"))
