"""The equity curve, the drawdown, the daily returns and the ratios, against computations
written here: a brute-force drawdown over all pairs, exact daily rates, ``statistics``."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_DOWN, Context, Decimal, Inexact, Rounded, localcontext

import pytest

from copytrade_async import HistoryOrder, OrderSide, OrderStatus
from copytrade_async.analytics import analyze_follow

from .helpers import (
    T0,
    brute_drawdown,
    exact_daily_rates,
    order,
    reference_sharpe,
    reference_sortino,
)

D = Decimal
#: The ratios are rounded to 8 places and computed in 28 digits, the references in floats.
RATIO_TOLERANCE = 1e-7


def test_the_curve_is_in_close_time_order_with_equity_and_drawdown() -> None:
    orders = [order(3, "-30", 3), order(1, "50", 1), order(2, "-40", 2), order(4, "45", 4)]
    curve = analyze_follow(orders, follow_id="F", copy_amount=1000).equity_curve
    assert [p.order_id for p in curve] == ["1", "2", "3", "4"]
    assert [p.cumulative_pnl for p in curve] == [D(50), D(10), D(-20), D(25)]
    assert [p.equity for p in curve] == [D(1050), D(1010), D(980), D(1025)]
    # the running peak: 1050, 1050, 1050, 1050
    assert [p.drawdown for p in curve] == [D(0), D(40), D(70), D(25)]
    assert curve[2].drawdown_percent == D("6.66666667")  # 70 / 1050
    assert {p.follow_id for p in curve} == {"F"}


def test_max_drawdown_with_times_and_recovery() -> None:
    # equity: 1000 -> 1100 (peak, t1) -> 1000 -> 900 (trough, t3) -> 1050 -> 1100 (back, t5)
    profits = ["100", "-100", "-100", "150", "50", "-10"]
    orders = [order(i, p, i) for i, p in enumerate(profits, 1)]
    dd = analyze_follow(orders, copy_amount=1000).max_drawdown
    assert (dd.amount, dd.peak_equity, dd.trough_equity) == (D(200), D(1100), D(900))
    assert dd.percent == D("18.18181818")  # 200 / 1100
    assert dd.peak_time == T0 + timedelta(hours=1)
    assert dd.trough_time == T0 + timedelta(hours=3)
    assert dd.recovery_time == T0 + timedelta(hours=5) and dd.recovered


def test_the_peak_time_is_the_last_time_at_the_peak_before_the_fall() -> None:
    orders = [order(1, "10", 1), order(2, "0", 2), order(3, "-4", 3), order(4, "4", 4)]
    dd = analyze_follow(orders, copy_amount=100).max_drawdown
    assert dd.peak_time == T0 + timedelta(hours=2) and dd.peak_equity == 110
    assert dd.recovery_time == T0 + timedelta(hours=4)  # back at the peak counts


def test_of_two_equal_falls_the_earliest_is_reported() -> None:
    # 100 -> 90 (t1) -> 100 (t2) -> 90 (t3): two falls of 10
    orders = [order(1, "-10", 1), order(2, "10", 2), order(3, "-10", 3)]
    dd = analyze_follow(orders, copy_amount=100).max_drawdown
    assert dd.trough_time == T0 + timedelta(hours=1) and dd.recovery_time == T0 + timedelta(hours=2)


def test_the_start_is_the_earliest_open_of_a_closed_trade() -> None:
    orders = [order(1, "1", 2, held_hours=1), order(2, "1", 5, held_hours=10)]
    assert analyze_follow(orders).start_time == T0 - timedelta(hours=5)


def test_a_drawdown_not_recovered() -> None:
    orders = [order(1, "-10", 1), order(2, "5", 2), order(3, "-20", 3)]
    figures = analyze_follow(orders, copy_amount=100)
    dd = figures.max_drawdown
    # the peak is the copy amount itself, before the first trade: at the start time
    assert (dd.amount, dd.peak_equity, dd.trough_equity) == (D(25), D(100), D(75))
    assert dd.peak_time == figures.start_time == T0  # the first trade opened at T0
    assert dd.recovery_time is None and not dd.recovered
    assert dd.percent == 25


def test_the_largest_fall_in_percent_may_come_from_a_lower_peak() -> None:
    # 100 -> 50 (fall 50 of 100: 50 %) -> 1000 -> 800 (fall 200 of 1000: 20 %)
    orders = [order(1, "-50", 1), order(2, "950", 2), order(3, "-200", 3)]
    figures = analyze_follow(orders, copy_amount=100)
    assert figures.max_drawdown.amount == 200 and figures.max_drawdown.percent == 20
    assert figures.max_drawdown_percent == 50


def test_without_a_copy_amount_equity_is_the_cumulative_pnl() -> None:
    orders = [order(1, "-5", 1), order(2, "8", 2), order(3, "-6", 3)]
    figures = analyze_follow(orders)
    assert [p.equity for p in figures.equity_curve] == [D(-5), D(3), D(-3)]
    assert figures.max_drawdown.amount == brute_drawdown(D(0), [D(-5), D(8), D(-6)]) == 6
    assert figures.equity_curve[0].drawdown_percent is None  # the peak (0) is not above 0
    assert figures.return_percent is None and figures.sharpe_ratio is None
    assert all(d.rate is None and d.start_equity is None for d in figures.daily_returns)


@pytest.mark.parametrize(
    "profits",
    [
        ["5", "-3", "-4", "10", "-12", "1", "1", "-2"],
        ["-1", "-1", "-1"],
        ["3", "2", "1"],
        ["0", "0"],
        ["-7", "7", "-7", "7", "-8"],
    ],
)
def test_max_drawdown_matches_a_brute_force_over_all_pairs(profits: list[str]) -> None:
    orders = [order(i, p, i) for i, p in enumerate(profits)]
    figures = analyze_follow(orders, copy_amount=50)
    assert figures.max_drawdown.amount == brute_drawdown(D(50), [D(p) for p in profits])


def test_daily_returns_cover_every_utc_day_and_match_exact_rates() -> None:
    hours = [1, 5, 23.5, 24.5, 24 * 4 + 2, 24 * 4 + 3, 24 * 7]
    profits = ["12.5", "-3", "7", "-20", "4.25", "-1", "30"]
    orders = [order(i, p, h) for i, (p, h) in enumerate(zip(profits, hours, strict=True))]
    figures = analyze_follow(orders, copy_amount=1000)
    days = figures.daily_returns
    assert [d.day for d in days] == [date(2024, 5, 1) + timedelta(days=n) for n in range(8)]
    assert [d.pnl for d in days] == [D("16.5"), D(-20), 0, 0, D("3.25"), 0, 0, D(30)]
    assert days[1].start_equity == D("1016.5")
    closes = [(T0 + timedelta(hours=h), D(p)) for p, h in zip(profits, hours, strict=True)]
    exact = exact_daily_rates(D(1000), closes)
    assert len(exact) == len(days)
    for row, rate in zip(days, exact, strict=True):
        assert row.rate is not None and abs(row.rate - D(rate.numerator) / rate.denominator) <= D(
            "0.000000005"
        )
    assert figures.trading_days == 8
    assert figures.trades_per_day == D("0.875")  # 7 trades over 8 days


def test_sharpe_and_sortino_match_statistics_over_the_same_days() -> None:
    profits = ["40", "-25", "10", "-5", "35", "-60", "15", "22", "-8", "5"]
    orders = [order(i, p, 24 * i + 12) for i, p in enumerate(profits)]
    figures = analyze_follow(orders, copy_amount=2000)
    closes = [(T0 + timedelta(hours=24 * i + 12), D(p)) for i, p in enumerate(profits)]
    rates = exact_daily_rates(D(2000), closes)
    assert figures.sharpe_ratio is not None and figures.sortino_ratio is not None
    assert math.isclose(float(figures.sharpe_ratio), reference_sharpe(rates), abs_tol=1e-7)
    assert math.isclose(float(figures.sortino_ratio), reference_sortino(rates), abs_tol=1e-7)
    assert figures.sharpe_ratio.as_tuple().exponent == -8


def test_a_flat_curve_has_no_sharpe_and_no_losing_day_no_sortino() -> None:
    flat = analyze_follow([order(i, "0", 24 * i) for i in range(5)], copy_amount=100)
    assert flat.sharpe_ratio is None and flat.sortino_ratio is None
    rising = analyze_follow([order(i, "1", 24 * i + 1) for i in range(5)], copy_amount=100)
    assert rising.sharpe_ratio is not None and rising.sharpe_ratio > 0
    assert rising.sortino_ratio is None  # no losing day: no downside to divide by


def test_days_are_utc_whatever_the_times_zone() -> None:
    plus_eight = timezone(timedelta(hours=8))
    # 2024-05-02 06:00 at +08:00 is 2024-05-01 22:00 UTC
    when = datetime(2024, 5, 2, 6, tzinfo=plus_eight)
    trade = HistoryOrder(
        order_id="1",
        symbol="BTCUSDT",
        side=OrderSide.BUY,
        size=D(1),
        entry_price=D(1),
        profit=D(3),
        leverage=D(1),
        status=OrderStatus.CLOSED,
        create_time=when - timedelta(hours=1),
        exit_price=D(1),
        close_time=when,
    )
    figures = analyze_follow([trade])
    assert [d.day for d in figures.daily_returns] == [date(2024, 5, 1)]
    assert figures.equity_curve[0].time == datetime(2024, 5, 1, 22, tzinfo=UTC)
    assert [row.key for row in figures.by_month] == ["2024-05"]


def test_a_blown_day_has_no_rate_and_is_left_out_of_the_ratios() -> None:
    # 100 -> -20 on day 1: day 2 starts below zero, so it has no rate
    orders = [order(1, "-120", 1), order(2, "5", 25), order(3, "1", 49)]
    figures = analyze_follow(orders, copy_amount=100)
    assert [d.rate is None for d in figures.daily_returns] == [False, True, True]
    assert figures.sharpe_ratio is None  # one rate only


def test_the_callers_decimal_context_changes_nothing() -> None:
    profits = ["40.125", "-25.5", "10", "-5.75", "35", "-60.01", "15"]
    orders = [order(i, p, 24 * i + 5) for i, p in enumerate(profits)]
    expected = analyze_follow(orders, copy_amount=2000).to_dict()
    with localcontext(Context(prec=3, rounding=ROUND_DOWN, traps=[Inexact, Rounded])):
        assert analyze_follow(orders, copy_amount=2000).to_dict() == expected
    assert expected["sharpe_ratio"] is not None
