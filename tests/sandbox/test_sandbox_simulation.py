"""The simulation: clocks, the market, traders' statistics, take-profit/stop-loss, speed and
determinism."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from copytrade_async.sandbox import (
    ManualClock,
    SandboxConfig,
    SandboxExchange,
    WallClock,
    create_app,
)
from copytrade_async.sandbox._market import SYMBOLS

from .sandbox_helpers import START_MS, Api, new_exchange, trader_with_positions

# ----- clocks -------------------------------------------------------------------------------


def test_manual_clock() -> None:
    before = time.time_ns() // 1_000_000
    clock = ManualClock()
    assert before <= clock.now_ms() <= time.time_ns() // 1_000_000
    fixed = ManualClock(1_000)
    fixed.advance(1.5)
    assert fixed.now_ms() == 2_500
    with pytest.raises(ValueError, match="back"):
        fixed.advance(-1)


def test_advance_needs_a_manual_clock() -> None:
    exchange = SandboxExchange(SandboxConfig(traders=10), WallClock())
    with pytest.raises(TypeError, match="ManualClock"):
        exchange.advance(1)


def test_a_wall_clock_drives_the_simulation_through_sync() -> None:
    exchange = SandboxExchange(SandboxConfig(traders=10, tick_seconds=0.01), WallClock())
    marks = exchange.mark_prices()
    time.sleep(0.1)
    exchange.sync()
    assert exchange.mark_prices() != marks
    assert abs(exchange.now_ms() - time.time_ns() // 1_000_000) < 1000


def test_the_default_clock_starts_now() -> None:
    exchange = SandboxExchange(SandboxConfig(traders=10))
    assert isinstance(exchange.clock, ManualClock)
    assert abs(exchange.now_ms() - time.time_ns() // 1_000_000) < 5_000


# ----- market -------------------------------------------------------------------------------


def test_market_steps_per_tick_on_each_symbols_grid(exchange: SandboxExchange) -> None:
    start = exchange.mark_prices()
    assert set(start) >= {"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT"}
    exchange.advance(4.999)
    assert exchange.mark_prices() == start  # no tick yet
    exchange.advance(0.001)
    assert exchange.mark_prices() != start
    exchange.advance(3600)
    for spec in SYMBOLS:
        price = exchange.mark_prices()[spec.symbol]
        assert price > 0
        assert price == price.quantize(spec.tick_size)
        # A random walk of an hour stays within a plausible band.
        assert spec.reference_price / 2 < price < spec.reference_price * 2


def test_creating_an_exchange_is_fast() -> None:
    best = min(_timed(lambda: SandboxExchange(SandboxConfig())) for _ in range(3))
    assert best < 0.1
    big = SandboxExchange(SandboxConfig(traders=1200), ManualClock(START_MS))
    assert len(big.trader_ids()) == 1200
    assert 0 < len(big.trader_ids(active=False)) < 1200


def _timed(build: Any) -> float:
    started = time.perf_counter()
    build()
    return time.perf_counter() - started


def test_population_is_seeded(exchange: SandboxExchange) -> None:
    same = new_exchange()
    other = new_exchange(seed=1)
    ids = exchange.trader_ids()
    assert same.trader_ids() == ids
    assert other.trader_ids() != ids
    assert len(ids) == len(set(ids)) == 200
    assert len(exchange.trader_ids(active=False)) == 20  # inactive_share 0.1


# ----- traders ------------------------------------------------------------------------------


def test_trader_statistics_move_consistently(exchange: SandboxExchange) -> None:
    ids = exchange.trader_ids()
    before = {t: exchange.trader_detail(t) for t in ids}
    exchange.advance(24 * 3600 + 1)
    traded = 0
    for trader_id in ids:
        old, new = before[trader_id], exchange.trader_detail(trader_id)
        old_stats, new_stats = old["statistics"], new["statistics"]
        trades = new_stats["totalTrades"] - old_stats["totalTrades"]
        wins = new_stats["winningTrades"] - old_stats["winningTrades"]
        assert 0 <= wins <= trades
        if new_stats["totalTrades"]:
            win_rate = Decimal(new_stats["winningTrades"]) / new_stats["totalTrades"]
            assert Decimal(new["winRate"]) == win_rate.quantize(Decimal("0.0001"))
        assert new["tradingDays"] == old["tradingDays"] + 1
        if old["status"] == "inactive":
            assert trades == 0
            assert new["totalProfit"] == old["totalProfit"]
            assert new["positions"] == []
        traded += trades > 0
        if trades == 0:
            assert new["totalProfit"] == old["totalProfit"]
        assert Decimal(new_stats["maxDrawdown"]) >= Decimal(old_stats["maxDrawdown"])
    assert traded > 100


def test_follows_copy_the_traders_later_trades(exchange: SandboxExchange, busy_trader: str) -> None:
    follow_id = exchange.follow(
        exchange.credentials.api_key, busy_trader, Decimal(5000), Decimal(5), "isolated"
    )["followId"]
    assert isinstance(follow_id, str)
    before = exchange.trader_detail(busy_trader)["statistics"]["totalTrades"]
    exchange.advance(6 * 3600)
    after = exchange.trader_detail(busy_trader)["statistics"]["totalTrades"]
    info = exchange.follow_info(follow_id)
    # Every trade the trader closed was one the follow copied (it copied all open ones).
    assert info.closed_trades == after - before
    copies = exchange.positions(exchange.credentials.api_key, follow_id)
    held = exchange.trader_detail(busy_trader)["positions"]
    assert sorted((p["symbol"], p["side"]) for p in copies) == sorted(
        (p["symbol"], p["side"]) for p in held
    )


# ----- take profit, stop loss, liquidation -------------------------------------------------


def _follow_until_stopped(
    exchange: SandboxExchange, leverage: int, **settings: Decimal
) -> tuple[str, Decimal]:
    key = exchange.credentials.api_key
    trader = trader_with_positions(exchange)
    follow_id = str(
        exchange.follow(key, trader, Decimal(1000), Decimal(leverage), "cross")["followId"]
    )
    exchange.update_settings(key, follow_id, **settings)
    for _ in range(2000):
        if exchange.follow_info(follow_id).status == "stopped":
            break
        exchange.advance(60)
    info = exchange.follow_info(follow_id)
    assert info.status == "stopped"
    exchange.check_invariant()
    return follow_id, info.realized_pnl


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_take_profit_fires_on_the_mark(seed: int) -> None:
    exchange = new_exchange(seed=seed)
    follow_id, realized = _follow_until_stopped(exchange, 50, take_profit=Decimal("2"))
    info = exchange.follow_info(follow_id)
    assert info.stop_reason == "take_profit"
    assert realized >= Decimal(1000) * 2 / 100
    assert exchange.positions(exchange.credentials.api_key, follow_id) == []
    account = exchange.account()
    assert account.reserved == 0
    assert account.available == account.deposited + account.realized_pnl


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stop_loss_fires_on_the_mark(seed: int) -> None:
    exchange = new_exchange(seed=seed)
    follow_id, realized = _follow_until_stopped(exchange, 50, stop_loss=Decimal("2"))
    info = exchange.follow_info(follow_id)
    assert info.stop_reason == "stop_loss"
    assert realized <= -Decimal(1000) * 2 / 100


def test_both_stops_fire_one_way_or_the_other() -> None:
    reasons = set()
    for seed in range(6):
        exchange = new_exchange(seed=seed)
        follow_id, realized = _follow_until_stopped(
            exchange, 100, take_profit=Decimal("1"), stop_loss=Decimal("1")
        )
        reason = exchange.follow_info(follow_id).stop_reason
        reasons.add(reason)
        assert (realized >= 10) if reason == "take_profit" else (realized <= -10)
    assert reasons == {"take_profit", "stop_loss"}


def test_stops_already_reached_fire_at_once(exchange: SandboxExchange) -> None:
    key = exchange.credentials.api_key
    trader = trader_with_positions(exchange)
    follow_id = exchange.follow(key, trader, Decimal(1000), Decimal(10), "cross")["followId"]
    assert isinstance(follow_id, str)
    exchange.advance(5)
    pnl = sum(Decimal(str(p["unrealizedPnl"])) for p in exchange.positions(key, follow_id))
    settings = (
        {"take_profit": Decimal("0.00000001")} if pnl > 0 else {"stop_loss": Decimal("0.00000001")}
    )
    if pnl == 0:
        pytest.skip("no price move in the first tick")
    data = exchange.update_settings(key, follow_id, **settings)
    assert data["status"] == "stopped"


def test_high_leverage_positions_are_liquidated_at_their_margin() -> None:
    exchange = new_exchange(seed=3)
    key = exchange.credentials.api_key
    follows = [
        exchange.follow(key, t, Decimal(1000), Decimal(125), "isolated")["followId"]
        for t in exchange.trader_ids(active=True)[:20]
    ]
    exchange.advance(24 * 3600)
    liquidations = 0
    for follow_id in follows:
        assert isinstance(follow_id, str)
        for row in exchange.history(key, follow_id, page_size=100)["list"]:  # type: ignore[union-attr]
            margin = Decimal(row["size"]) * Decimal(row["entryPrice"]) / 125
            if Decimal(row["profit"]) < 0 and abs(Decimal(row["profit"]) + margin) < margin / 50:
                liquidations += 1
    assert liquidations > 0
    exchange.check_invariant()


# ----- determinism --------------------------------------------------------------------------


async def _script(seed: int, **config: Any) -> list[bytes]:
    """A fixed sequence of requests; returns every raw response body."""
    exchange = new_exchange(seed=seed, **config)
    transport = httpx.ASGITransport(app=create_app(exchange))
    bodies: list[bytes] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        api = Api(client, exchange)

        async def record(response: httpx.Response) -> Any:
            bodies.append(response.content)
            return response.json()["data"]

        traders = await record(await api.get("traders", {"sortBy": "profit", "pageSize": 50}))
        active = [t["traderId"] for t in traders["list"] if t["status"] == "active"]
        follow_ids = []
        for trader_id in active[:5]:
            body = {"traderId": trader_id, "copyAmount": "2000", "leverage": "20"}
            data = await record(await api.post("follow", {**body, "marginMode": "isolated"}))
            follow_ids.append(data["followId"])
        for step in range(6):
            exchange.advance(1800)
            for follow_id in follow_ids:
                await record(await api.get("positions", {"followId": follow_id}))
            await record(await api.get("trader/detail", {"traderId": active[step % 5]}))
        update = {"followId": follow_ids[0], "stopLoss": "5", "copyAmount": "2500"}
        await record(await api.post("updateSettings", update))
        await record(await api.post("stop", {"followId": follow_ids[1]}))
        exchange.advance(3600)
        for follow_id in follow_ids:
            await record(await api.get("history", {"followId": follow_id, "pageSize": 100}))
        await record(await api.get("traders", {"sortBy": "followers", "pageSize": 100}))
    return bodies


async def test_same_seed_same_calls_same_bytes() -> None:
    first = await _script(7)
    second = await _script(7)
    assert first == second
    assert any(b'"orderId"' in body for body in first)  # the script saw trades
    assert await _script(8) != first


async def test_same_bytes_with_open_orders_in_history() -> None:
    first = await _script(7, open_orders_in_history=True)
    assert first == await _script(7, open_orders_in_history=True)
    assert any(b'"status":"open"' in body for body in first)  # open orders were listed
