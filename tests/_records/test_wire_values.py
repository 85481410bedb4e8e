"""How single wire values are read: exact whole numbers and timestamps, text that is never
``"None"``, money within bounds, and enums that keep unknown values."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copytrade_async import FollowSettings, OrderSide, Position, TraderDetail
from copytrade_async._records._converter import structure
from copytrade_async._records._wire_values import (
    MAX_DIGITS,
    MAX_EXPONENT,
    MAX_MS,
    MAX_WHOLE,
    MIN_MS,
    datetime_hook,
    decimal_hook,
    enum_hook,
    ms_to_datetime,
    optional_datetime_hook,
    optional_decimal_hook,
    optional_text_hook,
    text_hook,
    whole_number,
)

from ..payloads import POSITION, SETTINGS, TRADER_DETAIL


@settings(max_examples=300)
@given(st.integers(min_value=-62_135_596_800_000, max_value=253_402_300_799_999))
def test_timestamps_are_exact(ms: int) -> None:
    expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    assert ms_to_datetime(ms) == expected
    assert ms_to_datetime(str(ms)) == expected


# ----- whole numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1000, 1000),
        ("1000", 1000),
        ("-3", -3),
        (Decimal("1000.0"), 1000),
        ("1e3", 1000),
        (MAX_WHOLE, MAX_WHOLE),
        (str(-MAX_WHOLE), -MAX_WHOLE),
    ],
)
def test_whole_numbers_read_exactly(value: object, expected: int) -> None:
    assert whole_number(value) == expected
    assert type(whole_number(value)) is int


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1000.7"),  # a JSON number with a fraction, as the envelope reads it
        "1000.7",
        "0.5",
        True,
        False,
        "abc",
        "",
        " 1000 ",
        "1_000",
        "²",  # str.isdigit() says yes; it is no number
        Decimal("NaN"),
        Decimal("Infinity"),
        "-Infinity",
        float("inf"),  # what json.loads makes of ``Infinity``
        float("nan"),
        1000.0,
        10**400,
        -(10**400),
        "1" + "0" * 400,
        Decimal("1E+400"),
        "1e999999999",
        MAX_WHOLE + 1,
        None,
        [],
    ],
)
def test_whole_numbers_refuse_fractions_and_absurd_values(value: object) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        whole_number(value)
    assert len(str(info.value)) < 120  # a hostile value never fills the message


@settings(max_examples=300)
@given(
    st.one_of(
        st.integers(),
        st.text(max_size=30),
        st.decimals(),
        st.floats(),
        st.booleans(),
        st.none(),
    )
)
def test_whole_numbers_raise_only_value_or_type_error(value: object) -> None:
    try:
        number = whole_number(value)
    except (TypeError, ValueError):
        return
    assert type(number) is int and -MAX_WHOLE <= number <= MAX_WHOLE
    assert Decimal(number) == (value if isinstance(value, int) else Decimal(str(value)))
    assert not isinstance(value, bool | float)


# ----- timestamps ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        10**400,
        -(10**17),
        Decimal("-1E+17"),  # -1e17 as the envelope reads it
        "-100000000000000000",
        "²",
        Decimal("1E+30"),
        "1e30",
        Decimal("1621441751927.5"),  # a fraction of a millisecond is not truncated away
        float("inf"),
        MAX_MS + 1,
        MIN_MS - 1,
        True,
    ],
)
def test_impossible_times_raise_value_or_type_error(value: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        ms_to_datetime(value)
    with pytest.raises((TypeError, ValueError)):
        datetime_hook(value, None)
    with pytest.raises((TypeError, ValueError)):
        optional_datetime_hook(value, None)


def test_the_ends_of_time_are_times() -> None:
    assert ms_to_datetime(MAX_MS) == datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    assert ms_to_datetime(MIN_MS) == datetime(1, 1, 1, tzinfo=UTC)


@given(st.one_of(st.integers(), st.text(max_size=30), st.decimals(), st.floats()))
def test_timestamps_raise_only_value_or_type_error(value: object) -> None:
    with contextlib.suppress(TypeError, ValueError):
        assert ms_to_datetime(value).tzinfo is UTC


# ----- text, money and enums -------------------------------------------------------------


def test_text_is_never_the_string_none() -> None:
    assert text_hook("BTCUSDT", None) == "BTCUSDT"
    assert text_hook(123456789, None) == "123456789"  # an id sent as a JSON number
    for value in (None, True, 1.5, Decimal("1.5"), [], {}):
        with pytest.raises(TypeError):
            text_hook(value, None)
    assert optional_text_hook(None, None) is None
    assert optional_text_hook("", None) == ""


@pytest.mark.parametrize(
    "value",
    [
        "1e999999999",
        "1E-999999999",
        "0E-999999999",
        "0E+999999",
        "1E+101",
        "1E-101",
        Decimal("1E+101"),
        10**400,
        "1" * (MAX_DIGITS + 1),
        "0." + "1" * (MAX_DIGITS + 1),
    ],
)
def test_money_beyond_the_bounds_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="exponent"):
        decimal_hook(value, None)


@pytest.mark.parametrize(
    "value", ["NaN", "-Infinity", "sNaN", Decimal("NaN"), " 12.50 ", "1_000", "", "abc"]
)
def test_money_that_is_no_number_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="not a"):
        decimal_hook(value, None)


def test_money_within_the_bounds_is_kept_exactly() -> None:
    texts = ["1E+100", "-1E-100", "0.00000001", "123456789012345678901234567890.5"]
    texts += ["1" * MAX_DIGITS, "100.10", "-0.00000001", "0.10"]
    for text in texts:
        assert str(decimal_hook(text, None)) == str(Decimal(text))
        assert str(decimal_hook(Decimal(text), None)) == str(Decimal(text))


# A zero as sent, and as a person should read it: with its scale while that prints plainly
# (Python writes a zero with more than 6 decimals in E-notation), and never negative.
PLAIN_ZEROS = [
    ("0", "0"),
    ("0.00", "0.00"),
    ("0.000000", "0.000000"),
    ("0.0000000", "0"),
    ("0.00000000", "0"),  # the sandbox's and the exchange's unrealised PnL of a flat position
    ("-0", "0"),
    ("-0.00", "0.00"),
    ("-0.00000000", "0"),
    ("0E-150", "0"),
    ("0E+3", "0"),
    ("0e2", "0"),
]


@pytest.mark.parametrize(("text", "shown"), PLAIN_ZEROS)
def test_a_zero_is_read_in_plain_notation(text: str, shown: str) -> None:
    for value in (text, Decimal(text)):
        parsed = decimal_hook(value, None)
        assert parsed == 0 and str(parsed) == shown
        assert not parsed.is_signed()
        assert optional_decimal_hook(value, None) == parsed
        assert str(optional_decimal_hook(value, None)) == shown


@pytest.mark.parametrize(("text", "shown"), PLAIN_ZEROS)
def test_a_zero_in_a_record_prints_plainly(text: str, shown: str) -> None:
    # Through the generated hook of a flat record (Position) and a nested one (TraderDetail's
    # statistics go through cattrs' own hooks), as the client decodes them.
    position = structure("positions", {**POSITION, "unrealizedPnl": text}, Position)
    assert str(position.unrealized_pnl) == shown
    assert f"{position.unrealized_pnl}" == shown and "E" not in repr(position.unrealized_pnl)
    settings = structure("update", {**SETTINGS, "takeProfit": text}, FollowSettings)
    assert str(settings.take_profit) == shown
    stats = {**TRADER_DETAIL["statistics"], "maxDrawdown": text}
    nested = [{**TRADER_DETAIL["positions"][0], "unrealizedPnl": text}]
    detail = structure(
        "traders.get", {**TRADER_DETAIL, "statistics": stats, "positions": nested}, TraderDetail
    )
    assert detail.statistics is not None and str(detail.statistics.max_drawdown) == shown
    assert str(detail.positions[0].unrealized_pnl) == shown


@settings(max_examples=300)
@given(st.decimals(allow_nan=False, allow_infinity=False) | st.decimals(places=8))
def test_money_is_read_exactly_or_refused(value: Decimal) -> None:
    if not value.is_finite():
        return
    try:
        parsed = decimal_hook(str(value), None)
    except ValueError:
        digits = len(value.as_tuple().digits)
        assert digits > MAX_DIGITS or not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT
        return
    assert parsed == value
    if value:  # a non-zero value keeps every digit and its notation
        assert str(parsed) == str(value)
    else:
        assert "E" not in str(parsed) and not parsed.is_signed()


def test_unknown_enum_values_become_unknown_members() -> None:
    assert enum_hook("buy", OrderSide) is OrderSide.BUY
    unknown = enum_hook("reduce", OrderSide)
    assert type(unknown) is OrderSide and unknown == "reduce" and unknown.value == "reduce"
    assert enum_hook(7, OrderSide).value == "7"
    for value in (None, True, 1.5, []):
        with pytest.raises(TypeError):
            enum_hook(value, OrderSide)
