"""Properties over random trade lists (hypothesis): the drawdown against a brute force and
within its bounds, the curve ending at copy amount + realised PnL, breakdowns adding up, and
neither the input's order nor repeats changing anything."""

from __future__ import annotations

import random
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from copytrade_async import HistoryOrder, OrderSide, OrderStatus
from copytrade_async.analytics import analyze_follow, analyze_portfolio

from .helpers import brute_drawdown, brute_drawdown_percent, order

SETTINGS = settings(max_examples=60, deadline=None)
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


@st.composite
def histories(draw: st.DrawFn, max_size: int = 25) -> list[HistoryOrder]:
    """Orders with distinct ids: random profits (to the cent), close times over about 40 days
    (several a minute apart or at the same time), symbols, sides, and some open ones."""
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(-100_000, 100_000),  # profit in cents
                st.integers(0, 60_000),  # close time in minutes after T0
                st.sampled_from(SYMBOLS),
                st.sampled_from((OrderSide.BUY, OrderSide.SELL)),
                st.booleans().map(lambda b: OrderStatus.CLOSED if b else OrderStatus.OPEN)
                | st.just(OrderStatus.CLOSED),
            ),
            max_size=max_size,
        )
    )
    return [
        order(i, Decimal(cents) / 100, minutes / 60, symbol=symbol, side=side, status=status)
        for i, (cents, minutes, symbol, side, status) in enumerate(rows)
    ]


def closed_profits_in_order(orders: list[HistoryOrder]) -> list[Decimal]:
    closed = [o for o in orders if o.status == OrderStatus.CLOSED]
    closed.sort(key=lambda o: (o.close_time, o.order_id))
    return [o.profit for o in closed]


@SETTINGS
@given(histories(), st.integers(1, 10**6))
def test_the_drawdown_is_the_brute_force_one_and_never_negative(
    orders: list[HistoryOrder], copy_amount: int
) -> None:
    figures = analyze_follow(orders, copy_amount=copy_amount)
    profits = closed_profits_in_order(orders)
    expected = brute_drawdown(Decimal(copy_amount), profits) if profits else Decimal(0)
    assert figures.max_drawdown.amount == expected >= 0
    assert all(p.drawdown >= 0 for p in figures.equity_curve)
    assert max((p.drawdown for p in figures.equity_curve), default=Decimal(0)) == expected


@SETTINGS
@given(histories())
def test_while_equity_stays_positive_the_drawdown_is_never_more_than_the_peak(
    orders: list[HistoryOrder],
) -> None:
    losses = -sum((p for p in closed_profits_in_order(orders) if p < 0), Decimal(0))
    figures = analyze_follow(orders, copy_amount=losses + 1)
    dd = figures.max_drawdown
    if dd.amount:
        assert dd.peak_equity is not None and dd.amount <= dd.peak_equity
        assert dd.percent is not None and 0 < dd.percent <= 100
    for point in figures.equity_curve:
        assert point.drawdown_percent is not None and 0 <= point.drawdown_percent <= 100
    profits = closed_profits_in_order(orders)
    if profits:
        worst = brute_drawdown_percent(losses + 1, profits)
        assert figures.max_drawdown_percent is not None
        assert abs(figures.max_drawdown_percent - Decimal(worst.numerator) / worst.denominator) <= (
            Decimal("0.000000005")
        )


@SETTINGS
@given(histories(), st.integers(1, 10**6))
def test_the_curve_ends_at_copy_amount_plus_realised_pnl(
    orders: list[HistoryOrder], copy_amount: int
) -> None:
    figures = analyze_follow(orders, copy_amount=copy_amount)
    profits = closed_profits_in_order(orders)
    assert figures.realized_pnl == sum(profits, Decimal(0))
    if profits:
        assert figures.equity_curve[-1].equity == copy_amount + figures.realized_pnl
        times = [p.time for p in figures.equity_curve]
        assert times == sorted(times)
    assert sum((d.pnl for d in figures.daily_returns), Decimal(0)) == figures.realized_pnl


@SETTINGS
@given(histories())
def test_the_breakdowns_add_up_to_the_total(orders: list[HistoryOrder]) -> None:
    figures = analyze_follow(orders)
    for rows in (figures.by_symbol, figures.by_side, figures.by_month):
        assert sum((r.realized_pnl for r in rows), Decimal(0)) == figures.realized_pnl
        assert sum(r.trades for r in rows) == figures.stats.trades
        assert sum(r.wins for r in rows) == figures.stats.wins
        assert sum((r.gross_loss for r in rows), Decimal(0)) == figures.stats.gross_loss


@SETTINGS
@given(histories(), st.randoms(use_true_random=False), st.data())
def test_neither_order_nor_repeats_change_the_figures(
    orders: list[HistoryOrder], rng: random.Random, data: st.DataObject
) -> None:
    expected = analyze_follow(orders, copy_amount=1000).to_dict()
    repeats = data.draw(st.lists(st.sampled_from(orders), max_size=10)) if orders else []
    shuffled = orders + repeats
    rng.shuffle(shuffled)
    got = analyze_follow(shuffled, copy_amount=1000).to_dict()
    assert got.pop("duplicate_orders") == len(repeats)
    expected.pop("duplicate_orders")
    assert got == expected


@SETTINGS
@given(histories(max_size=30), st.lists(st.integers(0, 3), min_size=30, max_size=30))
def test_a_portfolio_adds_up_its_follows(orders: list[HistoryOrder], owners: list[int]) -> None:
    by_follow: dict[str, list[HistoryOrder]] = {}
    for item, owner in zip(orders, owners, strict=False):
        by_follow.setdefault(f"F{owner}", []).append(item)
    traders = {follow_id: f"T{int(follow_id[1:]) % 2}" for follow_id in by_follow}
    amounts = {follow_id: Decimal(1000) for follow_id in by_follow}
    figures = analyze_portfolio(by_follow, copy_amounts=amounts, traders=traders)
    assert figures.realized_pnl == sum((f.realized_pnl for f in figures.follows), Decimal(0))
    assert figures.stats.trades == sum(f.stats.trades for f in figures.follows)
    assert len(figures.equity_curve) == figures.stats.trades
    assert sum((r.realized_pnl for r in figures.by_trader), Decimal(0)) == figures.realized_pnl
    if figures.equity_curve:
        assert figures.equity_curve[-1].equity == 1000 * len(by_follow) + figures.realized_pnl
