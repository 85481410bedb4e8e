"""The converter: exact Decimals, aware datetimes, lenient enums and fields, strict floats."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from decimal import Decimal

import attrs
import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from copytrade_async import (
    Follow,
    FollowSettings,
    FollowStopped,
    HistoryOrder,
    Position,
    Trader,
    TraderDetail,
)
from copytrade_async._http._envelope import decode_envelope
from copytrade_async._records._converter import _build, structure
from copytrade_async._validation import parse_decimal

from ..payloads import FOLLOW, ORDER, POSITION, SETTINGS, STOPPED, TRADER, TRADER_DETAIL


def test_models_cover_the_spec_exactly() -> None:
    """A strict converter reads every example of the spec and refuses an extra key: our records
    leave no field of the spec unread."""
    strict = _build(detailed=True, forbid_extra_keys=True)
    cases = [
        (TRADER, Trader),
        (TRADER_DETAIL, TraderDetail),
        (FOLLOW, Follow),
        (SETTINGS, FollowSettings),
        (STOPPED, FollowStopped),
        (ORDER, HistoryOrder),
        (POSITION, Position),
    ]
    for data, cls in cases:
        assert attrs.asdict(strict.structure(data, cls)) == attrs.asdict(structure("x", data, cls))
        with pytest.raises(cattrs.BaseValidationError):
            strict.structure({**data, "surprise": 1}, cls)


def test_unknown_fields_and_enum_values_never_crash() -> None:
    trader = structure(
        "t", {**TRADER, "riskLevel": "extreme", "status": "suspended", "newField": [1]}, Trader
    )
    assert trader.risk_level == "extreme"
    assert trader.status == "suspended"
    assert type(trader.risk_level) is str


def test_json_numbers_are_read_as_decimal_not_float() -> None:
    body = (
        b'{"code":"00000","msg":"","requestTime":1,"data":{"followId":"1","traderId":"2",'
        b'"copyAmount":0.1,"leverage":10,"marginMode":"cross","status":"active"}}'
    )
    data = decode_envelope("x", 200, {}, body).data
    follow = structure("x", data, Follow)
    assert follow.copy_amount == Decimal("0.1")  # float(0.1) would not compare equal to this
    assert str(follow.copy_amount) == "0.1"


def test_timestamps_are_aware_utc_and_exact() -> None:
    order = structure(
        "h", {**ORDER, "createTime": "1621441751001", "closeTime": None}, HistoryOrder
    )
    assert order.create_time == datetime(2021, 5, 19, 16, 29, 11, 1000, tzinfo=UTC)
    assert order.create_time.tzinfo is UTC
    assert order.close_time is None


def test_empty_optional_settings_become_none() -> None:
    settings = structure("u", {**SETTINGS, "takeProfit": "", "stopLoss": None}, FollowSettings)
    assert settings.take_profit is None and settings.stop_loss is None


def test_float_is_refused_by_the_decimal_hook() -> None:
    with pytest.raises(TypeError):
        parse_decimal(0.1)


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_money_strings_round_trip_exactly(value: Decimal) -> None:
    parsed = parse_decimal(str(value))
    assert parsed == value
    assert str(parsed) == str(value)


@given(st.text())
def test_money_parser_never_raises_anything_but_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        parse_decimal(text)
