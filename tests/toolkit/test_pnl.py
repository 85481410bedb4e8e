"""The monitor's pure arithmetic: PnL over margin, threshold crossings, stop inference."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from copytrade_async import HistoryOrder, Position
from copytrade_async.toolkit import (
    PnlThresholdCrossed,
    Watch,
    crossings,
    infer_stop_reason,
    pnl_percent,
    position_notional,
)
from copytrade_async.toolkit import position_margin as margin
from copytrade_async.toolkit._pnl import (
    diff_positions,
    follow_pnl_percent,
    position_key,
    realized_pnl,
    threshold_events,
)

D = Decimal


def position(entry: str, size: str, leverage: str, pnl: str, symbol: str = "BTCUSDT") -> Position:
    return Position(
        symbol=symbol,
        side="long",
        size=D(size),
        entry_price=D(entry),
        mark_price=D(entry),
        unrealized_pnl=D(pnl),
        leverage=D(leverage),
        margin_mode="isolated",
        create_time=datetime(2024, 1, 1, tzinfo=UTC),
    )


def test_pnl_is_over_margin_not_notional() -> None:
    p = position("30000", "0.1", "10", "-30")  # notional 3000, margin 300
    assert margin(p) == D(300)
    assert pnl_percent([p]) == D("-10.00")  # the spec's formula would say -1 %


def test_pnl_over_notional_is_the_specs_formula() -> None:
    p = position("30000", "0.1", "10", "-30")  # notional 3000
    assert position_notional(p) == D(3000)
    # The spec: unrealized_pnl / (entry_price * size) * 100.
    assert pnl_percent([p], "notional") == D("-1.00")
    assert pnl_percent([p], basis="margin") == D("-10.00")
    with pytest.raises(ValueError, match="pnl basis"):
        pnl_percent([p], "equity")  # type: ignore[arg-type]


def test_a_loss_too_small_to_show_is_a_plain_zero() -> None:
    p = position("30000", "0.1", "10", "-0.01")  # -0.0033 % of the margin: rounds to zero
    assert str(pnl_percent([p])) == "0.00"
    assert str(pnl_percent([p], "notional")) == "0.00"


def test_pnl_over_several_positions_and_none() -> None:
    a = position("100", "1", "10", "5")  # margin 10
    b = position("200", "1", "5", "-2", symbol="ETHUSDT")  # margin 40
    assert pnl_percent([a, b]) == D("6.00")
    assert pnl_percent([]) is None


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        (None, D("-12"), [(D(-10), "down")]),
        (D("-5"), D("-9.99"), []),
        (D("-5"), D("-10"), [(D(-10), "down")]),  # reaching it counts
        (D("-12"), D("35"), [(D(-10), "up"), (D(30), "up")]),
        (D("35"), D("-12"), [(D(30), "down"), (D(-10), "down")]),
        (D("31"), D("40"), []),
        (D("5"), None, []),
        (None, D("0"), []),
    ],
)
def test_crossings(
    previous: Decimal | None, current: Decimal | None, expected: list[object]
) -> None:
    assert crossings(previous, current, [D(-10), D(30)]) == expected


@pytest.mark.parametrize(
    ("realized", "expected"),
    [
        ("-1000", "liquidated"),
        ("-200", "stop_loss"),
        ("-199.99", None),
        ("500", "take_profit"),
        ("499.99", None),
        ("0", None),
    ],
)
def test_infer_stop_reason(realized: str, expected: str | None) -> None:
    watch = Watch("1", copy_amount="1000", take_profit="50", stop_loss="20")
    assert infer_stop_reason(watch, D(realized)) == expected


def test_infer_needs_the_copy_amount() -> None:
    assert infer_stop_reason(Watch("1", take_profit="50"), D(10**6)) is None
    with pytest.raises(ValueError, match="float"):
        Watch("1", copy_amount=1000.0)


def order(
    entry: str, profit: str, *, symbol: str = "BTCUSDT", side: str = "buy", status: str = "closed"
) -> HistoryOrder:
    return HistoryOrder(
        order_id=f"{symbol}-{entry}-{profit}",
        symbol=symbol,
        side=side,
        size=D(1),
        entry_price=D(entry),
        profit=D(profit),
        leverage=D(10),
        status=status,
        create_time=datetime(2024, 1, 1, tzinfo=UTC),
    )


def test_diff_positions_finds_opened_and_closed() -> None:
    kept = position("100", "1", "10", "-2")
    gone = position("200", "1", "10", "1", symbol="ETHUSDT")
    new = position("50", "2", "10", "0", symbol="SOLUSDT")
    state, opened, closed = diff_positions({}, [kept, gone])
    assert (opened, closed) == ([kept, gone], [])
    _, opened, closed = diff_positions(state, [kept, new])
    assert (opened, closed) == ([new], [gone])


def test_realised_pnl_counts_closed_trades_and_matches_them_to_positions() -> None:
    loser = position("200", "1", "10", "-40", symbol="ETHUSDT")
    orders = [
        order("200", "-50.00", symbol="ETHUSDT"),  # what the loser made, closed at last
        order("200", "-0.50", symbol="ETHUSDT", side="sell"),  # another side: another position
        order("100", "7.25"),
        order("300", "999", status="open"),  # an open copy's profit is unrealised: left out
    ]
    total, each = realized_pnl(orders, {position_key(loser)})
    assert total == D("-50.00") + D("-0.50") + D("7.25")
    assert each == {position_key(loser): D("-50.00")}
    assert realized_pnl([], {position_key(loser)}) == (D(0), {})


def test_the_percentage_does_not_jump_when_a_loser_closes() -> None:
    # Copy amount 1000: a loser (-50) and a winner (+20) open, nothing realised yet.
    loser = position("200", "1", "10", "-50", symbol="ETHUSDT")  # margin 20
    winner = position("100", "1", "10", "20")  # margin 10
    copy = D(1000)
    before = follow_pnl_percent(D(0) + D(-50) + D(20), copy)
    # The loser closes at -50: realised -50, only the winner is open.
    after = follow_pnl_percent(D(-50) + D(20), copy)
    assert before == after == D("-3.00")  # -30 of 1000, by hand
    # Over the open positions' margin it jumps from -100 % to +200 %: what the monitor no
    # longer does by default.
    assert (pnl_percent([loser, winner]), pnl_percent([winner])) == (D("-100.00"), D("200.00"))
    assert follow_pnl_percent(D(5), None) is None and follow_pnl_percent(D(5), D(0)) is None
    assert str(follow_pnl_percent(D("-0.001"), copy)) == "0.00"


def test_threshold_events_carry_both_parts_of_the_pnl() -> None:
    watch = Watch("7", copy_amount="1000")
    events = threshold_events(watch, 3, D("-5"), D("-12.50"), [D(-10), D(30)], D(-100), D(-25))
    assert len(events) == 1
    [crossed] = events
    assert isinstance(crossed, PnlThresholdCrossed)
    assert (crossed.threshold, crossed.direction, crossed.round) == (D(-10), "down", 3)
    assert (crossed.realized_pnl, crossed.unrealized_pnl) == (D(-100), D(-25))
    assert crossed.previous_percent == D(-5) and crossed.pnl_percent == D("-12.50")
    assert threshold_events(watch, 3, D("-5"), None, [D(-10)], None, D(0)) == []
