"""Orders built by hand, and the reference computations the analytics are checked against.

Everything here is written for the tests, independently of ``copytrade_async.analytics``: the
drawdown is a brute force over all pairs, the daily rates are exact ``Fraction``s, the ratios
are ``statistics`` and ``math`` over floats.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from copytrade_async import HistoryOrder, OrderSide, OrderStatus

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def order(
    order_id: str | int,
    profit: str | int | Decimal,
    hours: float,
    *,
    symbol: str = "BTCUSDT",
    side: OrderSide | str = OrderSide.BUY,
    status: OrderStatus | str = OrderStatus.CLOSED,
    held_hours: float = 1,
) -> HistoryOrder:
    """An order closed ``hours`` after :data:`T0` (opened ``held_hours`` before), or an open one
    (no close time) when ``status`` is not closed."""
    close = T0 + timedelta(hours=hours)
    closed = status == OrderStatus.CLOSED
    return HistoryOrder(
        order_id=str(order_id),
        symbol=symbol,
        side=side,  # type: ignore[arg-type]
        size=Decimal("0.1"),
        entry_price=Decimal("30000"),
        profit=Decimal(profit),
        leverage=Decimal(10),
        status=status,  # type: ignore[arg-type]
        create_time=close - timedelta(hours=held_hours),
        exit_price=Decimal("30100") if closed else None,
        close_time=close if closed else None,
    )


def brute_drawdown(base: Decimal, profits: Sequence[Decimal]) -> Decimal:
    """The largest ``equity[i] - equity[j]`` over all ``i <= j``, the copy amount first."""
    equity = [base]
    for p in profits:
        equity.append(equity[-1] + p)
    return max(equity[i] - equity[j] for i in range(len(equity)) for j in range(i, len(equity)))


def brute_drawdown_percent(base: Decimal, profits: Sequence[Decimal]) -> Fraction:
    """The largest ``100 * (peak - equity[j]) / peak`` where ``peak = max(equity[:j + 1])``,
    as an exact fraction (every peak must be above 0)."""
    equity = [Fraction(base)]
    for p in profits:
        equity.append(equity[-1] + Fraction(p))
    return max(100 * (max(equity[: j + 1]) - equity[j]) / max(equity[: j + 1]) for j in
               range(1, len(equity)))  # fmt: skip


def exact_daily_rates(base: Decimal, closes: Sequence[tuple[datetime, Decimal]]) -> list[Fraction]:
    """Exact daily rates: PnL of each UTC day from the first close day to the last, over the
    equity at that day's start."""
    pnl: dict[date, Fraction] = {}
    for when, profit in closes:
        day = when.astimezone(UTC).date()
        pnl[day] = pnl.get(day, Fraction(0)) + Fraction(profit)
    first, last = min(pnl), max(pnl)
    rates = []
    equity = Fraction(base)
    day = first
    while day <= last:
        rates.append(pnl.get(day, Fraction(0)) / equity)
        equity += pnl.get(day, Fraction(0))
        day += timedelta(days=1)
    return rates


def reference_sharpe(rates: Sequence[Fraction]) -> float:
    """``statistics.mean / statistics.stdev * sqrt(365)`` over the rates as floats."""
    values = [float(r) for r in rates]
    return statistics.mean(values) / statistics.stdev(values) * math.sqrt(365)


def reference_sortino(rates: Sequence[Fraction]) -> float:
    """Mean over the root mean square of the negative rates (all days counted), times
    sqrt(365)."""
    values = [float(r) for r in rates]
    downside = math.sqrt(sum(min(v, 0.0) ** 2 for v in values) / len(values))
    return statistics.mean(values) / downside * math.sqrt(365)
