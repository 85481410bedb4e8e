"""How the orders are read: repeats counted once, open orders never realised, any input order,
and the caller's mistakes refused with ValueError."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from copytrade_async import OrderStatus
from copytrade_async.analytics import analyze_follow, analyze_portfolio

from .helpers import T0, order

D = Decimal


def test_the_same_order_id_twice_counts_once() -> None:
    orders = [order(1, "10", 1), order(2, "-4", 2), order(1, "10", 1)]
    figures = analyze_follow(orders)
    assert figures.stats.trades == 2 and figures.realized_pnl == 6
    assert (figures.orders, figures.duplicate_orders) == (2, 1)
    assert len(figures.equity_curve) == 2


def test_an_order_read_open_then_closed_counts_as_closed_whichever_came_first() -> None:
    opened = order(7, "3", 5, status=OrderStatus.OPEN)
    closed = order(7, "-2", 5)
    for orders in ([opened, closed], [closed, opened]):
        figures = analyze_follow(orders)
        assert figures.realized_pnl == -2 and figures.open_orders == 0
        assert figures.orders == 1 and figures.duplicate_orders == 1


def test_a_closed_copy_wins_over_an_open_one_even_if_the_open_one_looks_newer() -> None:
    closed = order(7, "-2", 5)
    odd_open = order(7, "3", 9, status=OrderStatus.OPEN)  # created after the other closed
    for orders in ([odd_open, closed], [closed, odd_open]):
        assert analyze_follow(orders).realized_pnl == -2


def test_of_two_closed_copies_the_later_close_is_kept() -> None:
    early, late = order(7, "1", 5), order(7, "9", 6)
    assert analyze_follow([early, late]).realized_pnl == 9
    assert analyze_follow([late, early]).realized_pnl == 9


def test_open_orders_are_counted_but_never_realised() -> None:
    orders = [order(1, "10", 1), order(2, "55", 2, status=OrderStatus.OPEN)]
    figures = analyze_follow(orders, copy_amount=100)
    assert figures.realized_pnl == 10 and figures.open_orders == 1 and figures.orders == 2
    assert [p.order_id for p in figures.equity_curve] == ["1"]
    assert figures.unrealized_pnl == 0  # unrealised PnL comes from positions only


def test_a_status_the_spec_does_not_list_is_not_realised() -> None:
    odd = OrderStatus.from_wire("partially_closed")
    figures = analyze_follow([order(1, "10", 1), order(2, "5", 2, status=odd)])
    assert figures.realized_pnl == 10 and figures.open_orders == 1


def test_a_closed_order_without_a_close_time_is_placed_at_its_open_time() -> None:
    gap = attrs.evolve(order(1, "4", 10), close_time=None)
    figures = analyze_follow([gap, order(2, "1", 3)])
    assert [p.order_id for p in figures.equity_curve] == ["2", "1"]
    assert figures.equity_curve[1].time == T0 + timedelta(hours=9)


def test_the_input_order_does_not_matter() -> None:
    orders = [order(i, D(i * 7 % 11) - 5, i * 5 % 13, symbol=f"S{i % 3}") for i in range(40)]
    expected = analyze_follow(orders, copy_amount=500).to_dict()
    rng = random.Random(4)
    for _ in range(3):
        rng.shuffle(orders)
        assert analyze_follow(orders, copy_amount=500).to_dict() == expected


def test_trades_closed_at_the_same_time_are_ordered_by_order_id() -> None:
    orders = [order("b", "-1", 1), order("a", "2", 1)]
    assert [p.order_id for p in analyze_follow(orders).equity_curve] == ["a", "b"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"orders": "BTCUSDT"}, "orders must be an iterable"),
        ({"orders": [{"orderId": "1"}]}, "must hold HistoryOrder"),
        ({"copy_amount": 100.0}, "copy_amount"),
        ({"copy_amount": D(0)}, "greater than 0"),
        ({"copy_amount": "-5"}, "greater than 0"),
        ({"copy_amount": "abc"}, "copy_amount"),
        ({"positions": [object()]}, "must hold Position"),
        ({"follow_id": 12}, "follow_id"),
        ({"trader_id": ""}, "trader_id"),
    ],
)
def test_the_callers_mistakes_are_refused_with_value_error(
    kwargs: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"orders": [order(1, "1", 1)], **kwargs}
    with pytest.raises(ValueError, match=message):
        analyze_follow(**arguments)


@pytest.mark.parametrize("profit", [Decimal("NaN"), Decimal("Infinity"), 1.5])
def test_a_profit_that_is_not_a_finite_decimal_is_refused(profit: object) -> None:
    odd = attrs.evolve(order(1, "1", 1), profit=profit)
    with pytest.raises(ValueError, match="finite Decimal"):
        analyze_follow([odd])


def test_closes_centuries_apart_are_refused_not_expanded_day_by_day() -> None:
    far = attrs.evolve(order(2, "1", 1), close_time=datetime(9000, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="100 years"):
        analyze_follow([order(1, "1", 1), far])


def test_a_naive_time_is_refused() -> None:
    naive = attrs.evolve(order(1, "1", 1), create_time=datetime(2024, 5, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        analyze_follow([naive])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"orders": [order(1, "1", 1)]}, "mapping keyed by follow id"),
        ({"orders": {"F": []}, "copy_amounts": {"F": 1.5}}, "copy_amounts\\['F'\\]"),
        ({"orders": {"": []}}, "follow id"),
        ({"orders": {"F": []}, "copy_amounts": {7: 100}}, "follow id"),
        ({"orders": {"F": []}, "traders": {"F": 3}}, "trader id"),
    ],
)
def test_the_portfolio_refuses_the_callers_mistakes(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyze_portfolio(**kwargs)
