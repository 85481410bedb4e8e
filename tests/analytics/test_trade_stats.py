"""Win rate, profit factor, averages, expectancy and streaks against tables worked by hand, and
the edge cases the docstrings define."""

from __future__ import annotations

from decimal import Decimal

import pytest

from copytrade_async import OrderSide
from copytrade_async.analytics import analyze_follow

from .helpers import order

D = Decimal


def test_a_small_table_by_hand() -> None:
    # profit, in close order:  +120, -40, -60, +0, -30, +200, -10
    # wins: 120, 200 -> gross profit 320; losses: 40, 60, 30, 10 -> gross loss 140
    # profit factor 320/140 = 2.28571428571... -> 2.28571429; win rate 2/7 = 0.28571429
    # average win 160, average loss -35, realised 180, expectancy 180/7 = 25.71428571
    # losing streaks: (-40, -60) = 2, then 0 breaks it, (-30) = 1, (-10) = 1 -> longest 2
    profits = ["120", "-40", "-60", "0", "-30", "200", "-10"]
    orders = [order(i, p, hours=i) for i, p in enumerate(profits)]
    stats = analyze_follow(orders).stats
    assert (stats.trades, stats.wins, stats.losses) == (7, 2, 4)
    assert (stats.realized_pnl, stats.gross_profit, stats.gross_loss) == (D(180), D(320), D(140))
    assert stats.profit_factor == D("2.28571429")
    assert stats.win_rate == D("0.28571429")
    assert (stats.average_win, stats.average_loss) == (D(160), D(-35))
    assert stats.expectancy == D("25.71428571")
    assert stats.longest_losing_streak == 2


def test_the_streak_is_counted_in_close_order_not_input_order() -> None:
    # Given in reverse; by close time the profits read -1, -1, -1, +5, -1.
    orders = [order(4, "-1", 4), order(3, "5", 3), order(2, "-1", 2), order(1, "-1", 1)]
    orders.append(order(0, "-1", 0))
    assert analyze_follow(orders).stats.longest_losing_streak == 3


def test_no_trade_gives_zeros_and_none() -> None:
    figures = analyze_follow([], copy_amount=1000)
    stats = figures.stats
    assert (stats.trades, stats.wins, stats.losses, stats.longest_losing_streak) == (0, 0, 0, 0)
    assert stats.realized_pnl == stats.gross_profit == stats.gross_loss == 0
    assert (stats.win_rate, stats.profit_factor, stats.expectancy) == (None, None, None)
    assert (stats.average_win, stats.average_loss) == (None, None)
    assert figures.equity_curve == () and figures.daily_returns == ()
    assert figures.max_drawdown.amount == 0 and figures.max_drawdown.recovered
    assert (figures.sharpe_ratio, figures.sortino_ratio, figures.trades_per_day) == (None,) * 3
    assert figures.trading_days == 0 and figures.return_percent == 0
    assert figures.start_time is None and figures.end_time is None


def test_one_trade() -> None:
    figures = analyze_follow([order(1, "25", 3)], copy_amount=500)
    assert figures.stats.win_rate == 1 and figures.stats.profit_factor is None
    assert figures.stats.expectancy == 25
    assert len(figures.equity_curve) == 1 and figures.equity_curve[0].equity == 525
    assert figures.trading_days == 1 and figures.trades_per_day == 1
    assert figures.sharpe_ratio is None and figures.sortino_ratio is None  # one day
    assert figures.return_percent == 5


def test_all_losses_give_a_profit_factor_of_zero() -> None:
    stats = analyze_follow([order(i, "-3", i) for i in range(4)]).stats
    assert stats.profit_factor == 0 and stats.win_rate == 0
    assert stats.average_win is None and stats.average_loss == -3
    assert stats.longest_losing_streak == 4


def test_no_loss_gives_no_profit_factor_rather_than_infinity() -> None:
    stats = analyze_follow([order(1, "3", 1), order(2, "0", 2)]).stats
    assert stats.profit_factor is None and stats.win_rate == D("0.5")
    assert stats.losses == 0 and stats.gross_loss == 0


def test_breakdowns_by_symbol_side_and_month() -> None:
    orders = [
        order(1, "10", 1, symbol="BTCUSDT", side=OrderSide.BUY),
        order(2, "-4", 2, symbol="ETHUSDT", side=OrderSide.SELL),
        order(3, "7", 24 * 31, symbol="BTCUSDT", side=OrderSide.SELL),  # 2024-06-01
        order(4, "1", 24 * 31 + 1, symbol="SOLUSDT", side="close_long"),  # a side not listed
    ]
    figures = analyze_follow(orders)
    by_symbol = {row.key: (row.trades, row.realized_pnl) for row in figures.by_symbol}
    assert by_symbol == {"BTCUSDT": (2, D(17)), "ETHUSDT": (1, D(-4)), "SOLUSDT": (1, D(1))}
    by_side = {row.key: (row.trades, row.realized_pnl) for row in figures.by_side}
    assert by_side == {"buy": (1, D(10)), "sell": (2, D(3)), "close_long": (1, D(1))}
    assert [(row.key, row.realized_pnl) for row in figures.by_month] == [
        ("2024-05", D(6)),
        ("2024-06", D(8)),
    ]
    assert [row.key for row in figures.by_symbol] == sorted(by_symbol)


def test_averages_round_half_even_to_eight_places() -> None:
    stats = analyze_follow([order(1, "1", 1), order(2, "1", 2), order(3, "0", 3)]).stats
    assert stats.win_rate == D("0.66666667")  # 2/3
    assert stats.expectancy == D("0.66666667")
    assert stats.win_rate.as_tuple().exponent == -8


@pytest.mark.parametrize("profit", ["0.00000001", "123456789012.12345678"])
def test_money_sums_stay_exact(profit: str) -> None:
    figures = analyze_follow([order(i, profit, i) for i in range(3)])
    assert figures.realized_pnl == 3 * D(profit)
    assert figures.equity_curve[-1].cumulative_pnl == 3 * D(profit)
