"""The figures leave as the API's records do: exact Python values, or JSON with money as plain
strings, times as ISO 8601 UTC and days as YYYY-MM-DD."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from copytrade_async.analytics import analyze_follow, analyze_portfolio

from .helpers import T0, order


def test_json_has_money_as_plain_strings_and_times_in_utc() -> None:
    orders = [order(1, "0.00000001", 1), order(2, "-1E+2", 30)]
    figures = analyze_follow(orders, follow_id="F1", copy_amount=Decimal("1E+3"))
    data = json.loads(figures.to_json())
    assert data["copy_amount"] == "1000" and data["follow_id"] == "F1"
    assert data["realized_pnl"] == "-99.99999999"
    assert data["equity_curve"][0]["time"] == "2024-05-01T01:00:00.000Z"
    assert (
        data["equity_curve"][1]["drawdown"] == "100.00000000"
    )  # exact: 1000.00000001 - 900.00000001
    assert data["daily_returns"][0]["day"] == "2024-05-01"
    assert data["stats"]["win_rate"] == "0.50000000"
    assert data["stats"]["profit_factor"] == "0.00000000"  # 1E-8 / 100, rounded
    assert data["max_drawdown"]["recovery_time"] is None
    assert data["by_symbol"][0]["key"] == "BTCUSDT"
    assert "E" not in figures.to_json()


def test_python_mode_keeps_exact_values() -> None:
    figures = analyze_portfolio({"F1": [order(1, "2.5", 1)]}, traders={"F1": "T9"})
    data = figures.to_dict()
    assert data["realized_pnl"] == Decimal("2.5")
    assert data["daily_returns"][0]["day"] == date(2024, 5, 1)
    assert data["start_time"] == T0
    assert data["follows"][0]["trader_id"] == "T9"
    assert data["by_trader"][0]["key"] == "T9"


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        analyze_follow([]).to_dict(mode="yaml")  # type: ignore[arg-type]
