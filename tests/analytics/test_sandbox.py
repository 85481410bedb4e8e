"""End to end on the sandbox: the figures of real histories (open copies listed among them)
and positions, and the demo's PnL definition (a follow's history profits summed after it was
stopped) matched by ``realized_pnl + unrealized_pnl`` read just before the stop."""

from __future__ import annotations

from decimal import Decimal

from copytrade_async import OrderStatus
from copytrade_async.analytics import analyze_portfolio
from copytrade_async.sandbox import SandboxConfig, sandbox_client


async def test_total_pnl_before_the_stop_is_what_the_stop_realises() -> None:
    config = SandboxConfig(
        seed=3, traders=40, rate_limit=None, timestamp_tolerance_ms=None,
        open_orders_in_history=True,
    )  # fmt: skip
    async with sandbox_client(config=config, rate_limits=None) as client:
        exchange = client.exchange
        traders = {}
        for trader_id in exchange.trader_ids(active=True)[:6]:
            follow = await client.follows.start(trader_id=trader_id, copy_amount=2000, leverage=3)
            traders[follow.follow_id] = trader_id
        for _ in range(3):
            exchange.advance(4 * 3600)
        histories = {f: await client.history.list(f).collect() for f in traders}
        positions = {f: await client.follows.positions(f) for f in traders}
        figures = analyze_portfolio(
            histories,
            copy_amounts=dict.fromkeys(traders, Decimal(2000)),
            positions=positions,
            traders=traders,
        )
        # What the demo prints per follow: the history's profits, read after the stop.
        after_stop = {}
        for follow_id in traders:
            await client.follows.stop(follow_id)
            orders = await client.history.list(follow_id).collect()
            assert all(o.status is OrderStatus.CLOSED for o in orders)
            after_stop[follow_id] = sum((o.profit for o in orders), Decimal(0))

    assert any(f.open_orders for f in figures.follows) and any(
        f.stats.trades for f in figures.follows
    )
    for follow in figures.follows:
        assert follow.open_orders == len(positions[follow.follow_id])
        assert follow.total_pnl == after_stop[follow.follow_id]
        closed = [o for o in histories[follow.follow_id] if o.status is OrderStatus.CLOSED]
        assert follow.realized_pnl == sum((o.profit for o in closed), Decimal(0))
    assert figures.total_pnl == sum(after_stop.values(), Decimal(0))
    assert {row.key for row in figures.by_trader} <= set(traders.values())
