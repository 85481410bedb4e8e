"""Building a report: from orders in hand, from a client (the sandbox), from a history store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal

import attrs
import pytest

from copytrade_async import AsyncCopyTradeClient, HistoryOrder, RequestEvent
from copytrade_async.report import HistorySource, build_report, report_from_orders
from copytrade_async.sandbox import ManualClock, SandboxConfig, SandboxExchange
from copytrade_async.toolkit import run_demo

from .conftest import order


def test_trades_are_newest_first_each_order_once_closed_over_open() -> None:
    orders = {
        "F1": [
            order("1", "10", 1),
            order("2", "-4", 3),
            order("2", "-4", 3),  # the same order twice
            order("3", "7", 2, status="open"),
            order("3", "7.50", 5),  # ... open, then closed
        ],
        "F2": [order("9", "1", 4, symbol="ETHUSDT")],
    }
    report = report_from_orders(orders, copy_amounts={"F1": 100, "F2": "50"}, traders={"F1": "T1"})
    assert [(t.follow_id, t.order.order_id) for t in report.trades()] == [
        ("F1", "3"),
        ("F2", "9"),
        ("F1", "2"),
        ("F1", "1"),
    ]
    assert report.trades()[0].order.status == "closed"
    assert [t.trader_id for t in report.trades()] == ["T1", None, "T1", "T1"]
    figures = report.figures
    # By hand: 10 - 4 + 7.50 + 1.
    assert figures.realized_pnl == Decimal("14.50")
    assert figures.copy_amount == Decimal(150)
    assert report.source == "orders"
    assert report.to_dict(mode="json")["figures"]["realized_pnl"] == "14.50"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"copy_amounts": {"F1": 100.5}}, "not float"),
        ({"traders": {"F1": "has space"}}, "traders"),
        ({"title": ""}, "title"),
    ],
)
def test_caller_input_is_checked(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        report_from_orders({"F1": [order("1", "1", 1)]}, **kwargs)  # type: ignore[arg-type]


def sandbox() -> SandboxExchange:
    return SandboxExchange(
        SandboxConfig(seed=3, traders=30, rate_limit=None, timestamp_tolerance_ms=None),
        ManualClock(),
    )


async def test_from_a_client_reads_history_and_positions() -> None:
    exchange = sandbox()
    events: list[RequestEvent] = []
    async with AsyncCopyTradeClient.sandbox(
        exchange=exchange, rate_limits=None, on_request=events.append
    ) as client:
        traders = exchange.trader_ids(active=True)[:3]
        follows = [
            await client.follows.start(trader_id=t, copy_amount=1000, leverage=5) for t in traders
        ]
        exchange.advance(3600 * 12)
        report = await build_report(client, follows)  # the records: copy amounts and traders
        history = {f.follow_id: await client.history.list(f.follow_id).collect() for f in follows}
        held = {f.follow_id: await client.follows.positions(f.follow_id) for f in follows}
    figures = report.figures
    realized = sum((o.profit for h in history.values() for o in h), Decimal(0))
    unrealized = sum((p.unrealized_pnl for h in held.values() for p in h), Decimal(0))
    assert figures.realized_pnl == realized
    assert figures.unrealized_pnl == unrealized
    assert figures.total_pnl == realized + unrealized
    assert figures.copy_amount == Decimal(3000)
    assert {f.trader_id for f in figures.follows} == set(traders)
    assert len(report.trades()) == sum(len(h) for h in history.values()) > 0
    assert report.source == "api"


async def test_from_a_client_the_follows_must_be_named_and_nothing_is_sent() -> None:
    events: list[RequestEvent] = []
    async with AsyncCopyTradeClient.sandbox(
        exchange=sandbox(), rate_limits=None, on_request=events.append
    ) as client:
        with pytest.raises(ValueError, match="cannot list your follows"):
            await build_report(client)
        with pytest.raises(ValueError, match="copy_amounts"):
            await build_report(client, ["F1"], copy_amounts={"F1": 1.5})  # type: ignore[dict-item]
        with pytest.raises(ValueError, match="timezone-aware"):
            await build_report(client, ["F1"], start=datetime(2024, 1, 1))
    assert events == []


@attrs.frozen
class Stored:
    follow_id: str
    trader_id: str


class MemoryStore:
    """A history store as the report reads one: ``follows()`` and ``orders()``."""

    def __init__(self, orders: dict[str, list[HistoryOrder]], traders: dict[str, str]) -> None:
        self._orders = orders
        self._traders = traders

    async def follows(self) -> Sequence[Stored]:
        return [Stored(f, self._traders[f]) for f in sorted(self._orders)]

    async def orders(
        self, follow_id: str, *, start: datetime | None = None, end: datetime | None = None
    ) -> AsyncIterator[HistoryOrder]:
        for item in self._orders[follow_id]:
            when = item.close_time or item.create_time
            if (start is None or when >= start) and (end is None or when <= end):
                yield item


async def test_from_a_store_all_follows_and_their_traders() -> None:
    store = MemoryStore(
        {"F1": [order("1", "3", 1), order("2", "-1", 30)], "F2": [order("5", "2", 2)]},
        {"F1": "T1", "F2": "T2"},
    )
    assert isinstance(store, HistorySource)
    report = await build_report(store)
    assert report.figures.realized_pnl == Decimal(4)
    assert {b.key: b.realized_pnl for b in report.figures.by_trader} == {
        "T1": Decimal(2),
        "T2": Decimal(2),
    }
    only = await build_report(store, ["F1"], end=order("x", "0", 10).close_time)
    assert only.figures.realized_pnl == Decimal(3)
    assert report.source == "store"


def test_the_demo_total_is_the_report_total() -> None:
    from copytrade_async._cli._report import demo_report

    demo = asyncio.run(run_demo(seed=5, rounds=8))
    report = demo_report(demo)
    assert demo.exit_status == 0
    assert report.figures.total_pnl == demo.total_pnl
    assert {f.follow_id: f.stats.trades for f in report.figures.follows} == {
        r.follow_id: r.trades for r in demo.results
    }
