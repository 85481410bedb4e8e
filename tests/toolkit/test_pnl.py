"""The monitor's pure arithmetic: PnL over margin, threshold crossings, stop inference."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from copytrade_async import Position
from copytrade_async.toolkit import (
    Watch,
    crossings,
    infer_stop_reason,
    pnl_percent,
    position_notional,
)
from copytrade_async.toolkit import position_margin as margin

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


def test_observe_diffs_two_polls() -> None:
    from copytrade_async.toolkit._pnl import observe

    watch = Watch("7", copy_amount="1000")
    kept = position("100", "1", "10", "-2")  # margin 10
    gone = position("200", "1", "10", "1", symbol="ETHUSDT")
    new = position("50", "2", "10", "0", symbol="SOLUSDT")  # margin 10
    state, percent, first = observe(watch, 1, {}, None, [kept, gone], [D(-10), D(30)])
    assert [type(e).__name__ for e in first] == ["PositionOpened", "PositionOpened"]
    assert percent == D("-3.33")
    _, percent, second = observe(watch, 2, state, percent, [kept, new], [D(-10), D(30)])
    assert percent == D("-10.00")
    kinds = [(type(e).__name__, getattr(e, "position", None)) for e in second]
    assert kinds[:2] == [("PositionOpened", new), ("PositionClosed", gone)]
    crossed = second[2]
    assert crossed.threshold == D(-10) and crossed.direction == "down"  # type: ignore[union-attr]
    assert crossed.previous_percent == D("-3.33")  # type: ignore[union-attr]
