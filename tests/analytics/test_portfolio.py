"""A portfolio: several follows as one account, each follow's own figures, and by trader."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest

from copytrade_async import MarginMode, OrderSide, Position, PositionSide
from copytrade_async.analytics import UNKNOWN_TRADER, analyze_follow, analyze_portfolio

from .helpers import brute_drawdown, order

D = Decimal


def position(pnl: str, symbol: str = "BTCUSDT") -> Position:
    return Position(
        symbol=symbol,
        side=PositionSide.LONG,
        size=D("0.1"),
        entry_price=D(30000),
        mark_price=D(30100),
        unrealized_pnl=D(pnl),
        leverage=D(10),
        margin_mode=MarginMode.ISOLATED,
        create_time=datetime(2024, 5, 1, tzinfo=UTC),
    )


ORDERS = {
    "F2": [order("b1", "-30", 2, symbol="ETHUSDT"), order("b2", "12", 5, side=OrderSide.SELL)],
    "F1": [order("a1", "20", 1), order("a2", "-8", 3), order("a3", "5", 4)],
    "F3": [order("c1", "7", 6)],
}


def test_the_portfolio_is_one_account_made_of_its_follows() -> None:
    figures = analyze_portfolio(
        ORDERS,
        copy_amounts={"F1": D(100), "F2": D(200), "F3": D(50)},
        positions={"F1": [position("4")], "F2": [position("-1.5"), position("2")]},
        traders={"F1": "T1", "F2": "T2", "F3": "T1"},
    )
    assert [f.follow_id for f in figures.follows] == ["F1", "F2", "F3"]
    assert [f.trader_id for f in figures.follows] == ["T1", "T2", "T1"]
    assert figures.copy_amount == 350
    assert figures.realized_pnl == 20 - 8 + 5 - 30 + 12 + 7 == 6
    assert figures.unrealized_pnl == D("4.5") and figures.total_pnl == D("10.5")
    assert figures.return_percent == D("3")  # 10.5 / 350
    assert [p.order_id for p in figures.equity_curve] == ["a1", "b1", "a2", "a3", "b2", "c1"]
    assert [p.follow_id for p in figures.equity_curve] == ["F1", "F2", "F1", "F1", "F2", "F3"]
    assert figures.equity_curve[-1].equity == 356
    profits = [D(p) for p in ["20", "-30", "-8", "5", "12", "7"]]
    assert figures.max_drawdown.amount == brute_drawdown(D(350), profits) == 38
    by_trader = {row.key: (row.trades, row.realized_pnl) for row in figures.by_trader}
    assert by_trader == {"T1": (4, D(24)), "T2": (2, D(-18))}
    f1 = figures.follows[0]
    assert f1.total_pnl == 21 and f1.return_percent == 21 and f1.copy_amount == 100
    assert (
        f1.to_dict()
        == analyze_follow(
            ORDERS["F1"],
            follow_id="F1",
            copy_amount=100,
            positions=[position("4")],
            trader_id="T1",
        ).to_dict()
    )


def test_without_every_copy_amount_the_portfolio_has_none() -> None:
    figures = analyze_portfolio(ORDERS, copy_amounts={"F1": D(100)})
    assert figures.copy_amount is None and figures.return_percent is None
    assert figures.follows[0].copy_amount == 100
    assert [row.key for row in figures.by_trader] == [UNKNOWN_TRADER]


def test_a_follow_with_a_copy_amount_and_no_history_is_part_of_it() -> None:
    figures = analyze_portfolio({"F1": ORDERS["F1"]}, copy_amounts={"F1": 100, "F9": 400})
    assert [f.follow_id for f in figures.follows] == ["F1", "F9"]
    assert figures.copy_amount == 500 and figures.follows[1].stats.trades == 0


def test_an_empty_portfolio() -> None:
    figures = analyze_portfolio({})
    assert figures.follows == () and figures.by_trader == ()
    assert figures.copy_amount is None and figures.realized_pnl == 0


def test_a_position_without_a_finite_pnl_is_refused() -> None:
    odd = attrs.evolve(position("1"), unrealized_pnl=Decimal("NaN"))
    with pytest.raises(ValueError, match=r"positions\['F1'\]: unrealized_pnl"):
        analyze_portfolio({"F1": []}, positions={"F1": [odd]})
