"""The history endpoint with ``open_orders_in_history``: a follow's open copies are listed
among its closed trades, newest first by (closeTime or createTime, orderId), filtered by the
same window, and paged without a gap or a repeat (checked against a plain sort)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from copytrade_async.sandbox import SANDBOX_API_KEY, SandboxExchange, create_app

from .sandbox_helpers import Api, new_exchange


def _key(row: dict[str, Any]) -> tuple[int, str]:
    return (row["closeTime"] if row["status"] == "closed" else row["createTime"], row["orderId"])


async def _walk(api: Api, params: dict[str, Any], page_size: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page_no = 1
    while True:
        data = await api.ok("GET", "history", {**params, "pageSize": page_size, "pageNo": page_no})
        assert data["totalPage"] == -(-data["totalNum"] // page_size)
        if not data["list"]:
            assert len(rows) == data["totalNum"]
            return rows
        rows += data["list"]
        page_no += 1


async def _followed(exchange: SandboxExchange) -> tuple[Api, str, httpx.AsyncClient]:
    """A follow, 12 simulated hours in, with open copies created between its closed trades."""
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(exchange)), base_url="http://sandbox"
    )
    api = Api(client, exchange)
    follow_ids = [
        exchange.follow(SANDBOX_API_KEY, trader_id, Decimal(2000), Decimal(3), "isolated")[
            "followId"
        ]
        for trader_id in exchange.trader_ids(active=True)[:12]
    ]
    for _ in range(3):
        exchange.advance(4 * 3600)

    def mix(follow_id: object) -> int:
        info = exchange.follow_info(str(follow_id))
        return min(info.open_positions, info.closed_trades)

    follow_id = str(max(follow_ids, key=mix))
    assert mix(follow_id) >= 3
    return api, follow_id, client


async def test_open_orders_are_listed_among_the_closed_ones() -> None:
    exchange = new_exchange(seed=3, open_orders_in_history=True)
    api, follow_id, client = await _followed(exchange)
    async with client:
        rows = await _walk(api, {"followId": follow_id}, page_size=100)
        opened = [row for row in rows if row["status"] == "open"]
        closed = [row for row in rows if row["status"] == "closed"]
        info = exchange.follow_info(follow_id)
        assert (len(opened), len(closed)) == (info.open_positions, info.closed_trades)
        assert [_key(row) for row in rows] == sorted(map(_key, rows), reverse=True)
        statuses = "".join(row["status"][0] for row in rows)
        assert "oc" in statuses, statuses  # an open order newer than a closed one...
        assert "co" in statuses, statuses  # ...and one older: they interleave

        positions = await api.ok("GET", "positions", {"followId": follow_id})
        by_open = {(p["symbol"], p["size"], p["entryPrice"], p["createTime"]): p for p in positions}
        for row in opened:
            assert row["exitPrice"] == "" and row["closeTime"] is None
            position = by_open[(row["symbol"], row["size"], row["entryPrice"], row["createTime"])]
            assert row["profit"] == position["unrealizedPnl"]  # unrealised PnL at the mark
            assert row["side"] == ("buy" if position["side"] == "long" else "sell")
        for row in closed:
            assert Decimal(row["exitPrice"]) > 0 and row["closeTime"] >= row["createTime"]


async def test_small_pages_and_windows_agree_with_a_plain_sort() -> None:
    exchange = new_exchange(seed=3, open_orders_in_history=True)
    api, follow_id, client = await _followed(exchange)
    async with client:
        rows = await _walk(api, {"followId": follow_id}, page_size=100)
        # The reference: every order, sorted by a plain sort, cut by the window.
        times = sorted({_key(row)[0] for row in rows})
        windows = [(None, None), (times[1], times[-2]), (times[len(times) // 2], None)]
        windows += [(None, times[len(times) // 3]), (times[-1] + 1, None)]
        for start, end in windows:
            params: dict[str, Any] = {"followId": follow_id}
            if start is not None:
                params["startTime"] = start
            if end is not None:
                params["endTime"] = end
            expected = [
                row
                for row in rows
                if (start is None or _key(row)[0] >= start) and (end is None or _key(row)[0] <= end)
            ]
            for page_size in (1, 2, 3, 7):
                assert await _walk(api, params, page_size) == expected, (start, end, page_size)


async def test_without_the_flag_only_closed_trades_are_listed() -> None:
    exchange = new_exchange(seed=3)
    api, follow_id, client = await _followed(exchange)
    async with client:
        rows = await _walk(api, {"followId": follow_id}, page_size=100)
        assert {row["status"] for row in rows} == {"closed"}
        assert len(rows) == exchange.follow_info(follow_id).closed_trades
