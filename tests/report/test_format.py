"""How figures are shown, the sparkline, and the thinning of long curves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from copytrade_async.report import (
    decimate,
    format_money,
    format_percent,
    format_pnl,
    format_ratio,
    format_share,
    sparkline,
)


@pytest.mark.parametrize(
    ("value", "money", "pnl", "percent", "ratio", "share"),
    [
        ("1234.5", "1,234.50", "+1,234.50", "1234.50 %", "1234.50", "123450.0 %"),
        ("-0.004", "0.00", "0.00", "0.00 %", "0.00", "-0.4 %"),
        ("0.005", "0.00", "0.00", "0.00 %", "0.00", "0.5 %"),  # half-even: 0.005 -> 0.00
        ("0.015", "0.02", "+0.02", "0.02 %", "0.02", "1.5 %"),
        ("-12.345", "-12.34", "-12.34", "-12.34 %", "-12.34", "-1234.5 %"),
        ("0.5625", "0.56", "+0.56", "0.56 %", "0.56", "56.2 %"),  # 56.25 -> 56.2, half-even
        ("0E-8", "0.00", "0.00", "0.00 %", "0.00", "0.0 %"),
    ],
)
def test_formats_by_hand(
    value: str, money: str, pnl: str, percent: str, ratio: str, share: str
) -> None:
    number = Decimal(value)
    assert format_money(number) == money
    assert format_pnl(number) == pnl
    assert format_percent(number) == percent
    assert format_ratio(number) == ratio
    assert format_share(number) == share


def test_a_missing_figure_is_shown_as_such() -> None:
    for fmt in (format_money, format_pnl, format_percent, format_ratio, format_share):
        assert fmt(None) == "n/a"


@pytest.mark.parametrize(
    ("values", "width", "expected"),
    [
        ([], 10, ""),
        (["5", "5", "5"], 10, "▄▄▄"),
        (["0", "7"], 10, "▁█"),
        (["0", "1", "2", "3", "4", "5", "6", "7"], 10, "▁▂▃▄▅▆▇█"),
        # The last of each pair, 1 3 5 7, scaled from 1 to 7: 0, 2.33, 4.67 and 7 eighths.
        (["0", "1", "2", "3", "4", "5", "6", "7"], 4, "▁▃▆█"),
        (["10", "3", "-4"], 10, "█▅▁"),  # 3 is (3+4)/14 of the way: 3.5 of 7 steps, rounds to 4
    ],
)
def test_sparkline_by_hand(values: list[str], width: int, expected: str) -> None:
    assert sparkline([Decimal(v) for v in values], width) == expected


def test_sparkline_width_is_checked() -> None:
    with pytest.raises(ValueError, match="width"):
        sparkline([Decimal(1)], 0)


T0 = datetime(2024, 1, 1, tzinfo=UTC)


@given(
    st.lists(st.integers(-10_000, 10_000), min_size=1, max_size=3000),
    st.integers(min_value=8, max_value=400),
)
def test_decimate_keeps_every_extreme_in_order(values: list[int], limit: int) -> None:
    points = [(T0 + timedelta(minutes=i), Decimal(v)) for i, v in enumerate(values)]
    kept = decimate(points, limit)
    assert kept == sorted(kept)  # in time order, each point at most once
    assert set(kept) <= set(points)
    assert kept[0] == points[0] and kept[-1] == points[-1]
    assert min(v for _, v in kept) == min(values) and max(v for _, v in kept) == max(values)
    if len(points) <= limit:
        assert kept == points
    else:
        assert len(kept) <= limit
