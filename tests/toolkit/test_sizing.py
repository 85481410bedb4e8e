"""Risk sizing: exact Decimal, rounded down, never above the balance (tables and properties)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copytrade_async.toolkit import recommended_copy_amount, size_copy_amount, split_amount

balances = st.decimals(min_value=0, max_value=10**9, places=8, allow_nan=False)
percents = st.decimals(min_value=Decimal("0.0001"), max_value=100, places=4, allow_nan=False)
precisions = st.sampled_from([Decimal("1"), Decimal("0.01"), Decimal("0.00000001"), Decimal("5")])


@pytest.mark.parametrize(
    ("balance", "percent", "precision", "expected"),
    [
        ("10000", "5", "0.01", Decimal("500.00")),
        ("1234.56", "5", "0.01", Decimal("61.72")),  # 61.728 rounds down
        ("1234.56", "5", "1", Decimal("61")),
        ("0.3", "100", "0.1", Decimal("0.3")),  # no float error: 0.1 + 0.2 stays 0.3
        ("999.99", "100", "0.01", Decimal("999.99")),
        ("0", "50", "0.01", Decimal("0.00")),
        (10000, 3, "0.01", Decimal("300.00")),
        ("100", "33.333", "0.01", Decimal("33.33")),
    ],
)
def test_table(balance: object, percent: object, precision: str, expected: Decimal) -> None:
    result = size_copy_amount(balance, percent, precision=Decimal(precision))
    assert result == expected
    assert str(result) == str(expected)


@pytest.mark.parametrize(
    ("balance", "percent", "kwargs", "message"),
    [
        (1000.0, "5", {}, "float"),
        ("1000", 5.0, {}, "float"),
        ("1000", "5", {"precision": 0.01}, "float"),
        ("-1", "5", {}, "negative"),
        ("1000", "0", {}, "risk_percent"),
        ("1000", "100.01", {}, "risk_percent"),
        ("1000", "-5", {}, "risk_percent"),
        ("1000", "5", {"precision": "0"}, "precision"),
        ("1000", "nan", {}, "finite"),
        (True, "5", {}, "bool"),
        ("100", "5", {"minimum": "10"}, "minimum"),  # 5.00 is below the exchange's 10
    ],
)
def test_refused(balance: object, percent: object, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        size_copy_amount(balance, percent, **kwargs)


def test_minimum_met() -> None:
    assert size_copy_amount("1000", "1", minimum=Decimal("10")) == Decimal("10.00")


@settings(deadline=None)  # a loaded CI machine must not fail a pure test
@given(balances, percents, precisions)
def test_properties(balance: Decimal, percent: Decimal, precision: Decimal) -> None:
    result = size_copy_amount(balance, percent, precision=precision)
    assert 0 <= result <= balance
    assert result <= balance * percent / 100
    assert result % precision == 0
    # Rounded down by less than one step.
    assert balance * percent / 100 - result < precision


@settings(deadline=None)  # a loaded CI machine must not fail a pure test
@given(balances, percents, percents, precisions)
def test_monotone_in_percent(balance: Decimal, a: Decimal, b: Decimal, precision: Decimal) -> None:
    low, high = sorted((a, b))
    assert size_copy_amount(balance, low, precision=precision) <= size_copy_amount(
        balance, high, precision=precision
    )


@settings(deadline=None)  # a loaded CI machine must not fail a pure test
@given(balances, st.integers(min_value=1, max_value=50), precisions)
def test_split_never_exceeds_total(total: Decimal, parts: int, precision: Decimal) -> None:
    share, remainder = split_amount(total, parts, precision=precision)
    assert share * parts + remainder == total
    assert remainder >= 0 and not remainder.is_signed() and not share.is_signed()
    assert share % precision == 0
    assert remainder < precision * parts


def test_split_table() -> None:
    assert split_amount(Decimal("1000.01"), 3) == (Decimal("333.33"), Decimal("0.02"))
    # An even split leaves nothing, written as a person would: "0.00", not "-0.00".
    share, remainder = split_amount(Decimal("3000.00"), 4)
    assert (str(share), str(remainder)) == ("750.00", "0.00")
    assert str(split_amount(Decimal(90), 3, precision=Decimal(1))[1]) == "0"
    assert str(recommended_copy_amount("-12.5", "10000", "5")) == "0.00"
    with pytest.raises(ValueError, match="parts"):
        split_amount(Decimal(10), 0)


@pytest.mark.parametrize(
    ("score", "balance", "risk", "expected"),
    [
        ("100", "10000", "5", Decimal("500.00")),  # a perfect score: the whole 5 % budget
        ("40", "10000", "5", Decimal("200.00")),
        ("63.27", "10000", "5", Decimal("316.35")),
        ("63.27", "999.99", "5", Decimal("31.62")),  # 63.27 % of the 49.99 budget: 31.6289...
        ("0", "10000", "5", Decimal("0.00")),
        ("-12.5", "10000", "5", Decimal("0.00")),  # a negative score recommends nothing
        ("150", "10000", "5", Decimal("500.00")),  # never above the budget
    ],
)
def test_recommended_copy_amount_scales_the_budget_by_the_score(
    score: str, balance: str, risk: str, expected: Decimal
) -> None:
    amount = recommended_copy_amount(score, balance, risk)
    assert amount == expected and amount.as_tuple().exponent == -2


@settings(max_examples=200)
@given(st.decimals(min_value=-100, max_value=200, places=2), balances, percents)
def test_recommended_copy_amount_never_exceeds_the_budget(
    score: Decimal, balance: Decimal, percent: Decimal
) -> None:
    amount = recommended_copy_amount(score, balance, percent)
    assert Decimal(0) <= amount <= size_copy_amount(balance, percent)


def test_the_default_risk_is_the_specs_five_percent() -> None:
    assert recommended_copy_amount(100, 1000) == Decimal("50.00")
    with pytest.raises(ValueError, match="not float"):
        recommended_copy_amount(50.5, 1000)
