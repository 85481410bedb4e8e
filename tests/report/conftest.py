"""Orders made up for the report's tests: a by-hand table and a seeded bulk."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from copytrade_async import HistoryOrder, OrderSide, OrderStatus

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def order(
    order_id: str,
    profit: str,
    hours: float,
    *,
    symbol: str = "BTCUSDT",
    side: str = "buy",
    status: str = "closed",
) -> HistoryOrder:
    """A closed (or open) order that closed ``hours`` after T0, opened an hour before."""
    closed = status == "closed"
    return HistoryOrder(
        order_id=order_id,
        symbol=symbol,
        side=OrderSide(side),
        size=Decimal("0.1"),
        entry_price=Decimal("30000"),
        profit=Decimal(profit),
        leverage=Decimal(10),
        status=OrderStatus(status),
        create_time=T0 + timedelta(hours=hours - 1),
        exit_price=Decimal("30100") if closed else None,
        close_time=T0 + timedelta(hours=hours) if closed else None,
    )


def bulk(trades: int, follows: int, seed: int = 1) -> dict[str, list[HistoryOrder]]:
    """``trades`` closed orders over ``follows`` follows and a year, profits in cents."""
    rng = random.Random(seed)
    symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "ADAUSDT", "DOGEUSDT"]
    orders: dict[str, list[HistoryOrder]] = {f"F{i:03d}": [] for i in range(follows)}
    names = list(orders)
    for number in range(trades):
        cents = rng.randint(-9000, 9600)
        orders[names[number % follows]].append(
            order(
                f"{100000 + number}",
                f"{Decimal(cents) / 100:.2f}",
                hours=number * 365 * 24 / trades + 1,
                symbol=rng.choice(symbols),
                side=rng.choice(["buy", "sell"]),
            )
        )
    return orders
