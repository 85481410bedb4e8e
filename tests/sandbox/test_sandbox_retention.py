"""``SandboxConfig(history_retention_days=...)``: the history forgets trades that closed longer
ago than that, by the sandbox's clock, in its pages and in its totals.

The reference is a twin exchange with the same seed and the same calls but no retention (the
simulation is deterministic), cut by hand at ``now - retention``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from copytrade_async.sandbox import SANDBOX_API_KEY, SandboxConfig, SandboxExchange, create_app

from .sandbox_helpers import START_MS, Api, new_exchange

DAY_MS = 86_400_000


def _twins(days: float = 1, **config: Any) -> tuple[SandboxExchange, SandboxExchange, str]:
    """The same market twice, one forgetting after ``days``; the id of the follow (the same in
    both) with the most closed trades, two days in."""
    options = {"seed": 3, "traders": 40, "tick_seconds": 60.0, **config}
    full = new_exchange(**options)
    forgetful = new_exchange(**options, history_retention_days=days)
    follow_ids = []
    for exchange in (full, forgetful):
        follow_ids = [
            exchange.follow(SANDBOX_API_KEY, trader_id, Decimal(2000), Decimal(3), "cross")[
                "followId"
            ]
            for trader_id in exchange.trader_ids(active=True)[:8]
        ]
        exchange.advance(2 * 86_400)
    follow_id = max(follow_ids, key=lambda f: full.follow_info(str(f)).closed_trades)
    return full, forgetful, str(follow_id)


async def _walk(exchange: SandboxExchange, params: dict[str, Any], page_size: int) -> list[Any]:
    """Every row of the history, page by page; each page's totals checked on the way."""
    transport = httpx.ASGITransport(app=create_app(exchange))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        api = Api(client, exchange)
        rows: list[Any] = []
        page_no = 1
        while True:
            query = {**params, "pageSize": page_size, "pageNo": page_no}
            data = await api.ok("GET", "history", query)
            assert data["totalPage"] == -(-data["totalNum"] // page_size)
            if not data["list"]:
                assert len(rows) == data["totalNum"]
                return rows
            rows += data["list"]
            page_no += 1


def _kept(rows: list[Any], horizon: int) -> list[Any]:
    return [row for row in rows if row["status"] == "open" or row["closeTime"] >= horizon]


@pytest.mark.parametrize(("open_orders", "days"), [(False, 1), (True, 1), (True, 0.1)])
async def test_trades_older_than_the_retention_are_forgotten(
    open_orders: bool, days: float
) -> None:
    full, forgetful, _ = _twins(days, open_orders_in_history=open_orders)
    horizon = forgetful.now_ms() - round(days * DAY_MS)
    counts = {"forgotten": 0, "kept": 0, "old open": 0}
    for follow_id in _follow_ids(forgetful):
        params = {"followId": follow_id}
        everything = await _walk(full, params, 100)
        expected = _kept(everything, horizon)
        counts["kept"] += len(expected)
        counts["forgotten"] += len(everything) - len(expected)
        counts["old open"] += sum(
            row["status"] == "open" and row["createTime"] < horizon for row in expected
        )
        for page_size in (3, 100):
            assert await _walk(forgetful, params, page_size) == expected
        # A window is cut by the horizon too; one wholly before it is empty.
        times = sorted(row["closeTime"] or row["createTime"] for row in everything) or [horizon]
        windows = [(times[0], times[-1]), (horizon - 1000, horizon + 3_600_000)]
        for start, end in [*windows, (None, horizon - 1)]:
            window = {"startTime": start, "endTime": end}
            window = {name: value for name, value in window.items() if value is not None}
            expected = _kept(await _walk(full, params | window, 100), horizon)
            assert await _walk(forgetful, params | window, 7) == expected, (start, end)
        # The books still hold every trade: only the endpoint forgets.
        assert forgetful.follow_info(follow_id) == full.follow_info(follow_id)
    # The test means something: trades forgotten and kept, and (with a short retention) open
    # copies listed that opened before the horizon, placed among the trades kept.
    assert counts["forgotten"] > 10 and counts["kept"] > 10, counts
    if open_orders and days < 1:
        assert counts["old open"] > 0, counts


def _follow_ids(exchange: SandboxExchange) -> list[str]:
    return list(exchange.accounts[SANDBOX_API_KEY].follows)


async def test_a_trade_is_kept_for_exactly_the_retention() -> None:
    full, forgetful, follow_id = _twins()
    rows = await _walk(full, {"followId": follow_id}, 100)
    # The oldest trade kept: one day later, to the millisecond, it is still listed...
    oldest = min(row["closeTime"] for row in _kept(rows, forgetful.now_ms() - DAY_MS))
    forgetful.advance((oldest + DAY_MS - forgetful.now_ms()) / 1000)
    assert forgetful.now_ms() == oldest + DAY_MS
    ids = {row["orderId"] for row in await _walk(forgetful, {"followId": follow_id}, 100)}
    at_the_edge = {row["orderId"] for row in rows if row["closeTime"] == oldest}
    assert at_the_edge <= ids
    # ...and one millisecond later it is gone.
    forgetful.advance(0.001)
    ids = {row["orderId"] for row in await _walk(forgetful, {"followId": follow_id}, 100)}
    assert not at_the_edge & ids


def test_a_young_sandbox_forgets_nothing() -> None:
    exchange = new_exchange(traders=5, history_retention_days=0.5)
    assert exchange.now_ms() == START_MS
    assert exchange.config.history_retention_ms == 43_200_000


@pytest.mark.parametrize("days", [0, -1, 0.0, float("nan"), float("inf"), 36_501, True, "1"])
def test_the_retention_is_checked(days: Any) -> None:
    with pytest.raises(ValueError, match="history_retention_days"):
        SandboxConfig(history_retention_days=days)


@pytest.mark.parametrize(("days", "ms"), [(None, None), (1, DAY_MS), (90, 90 * DAY_MS)])
def test_the_retention_in_ms(days: float | None, ms: int | None) -> None:
    assert SandboxConfig(history_retention_days=days).history_retention_ms == ms
