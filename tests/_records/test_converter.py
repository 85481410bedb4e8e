"""The converter: exact Decimals, aware datetimes, lenient enums and fields, strict floats."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

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
    OrderStatus,
    Page,
    Position,
    ResponseValidationError,
    RiskLevel,
    Trader,
    TraderDetail,
)
from copytrade_async._http._envelope import decode_envelope
from copytrade_async._records._converter import _build, structure, structure_page
from copytrade_async._records._wire_values import MAX_WHOLE, to_camel
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
    assert isinstance(trader.risk_level, RiskLevel) and isinstance(trader.risk_level, str)
    assert trader.risk_level.value == "extreme" and not trader.risk_level.is_known
    assert structure("t", TRADER, Trader).risk_level is RiskLevel.MEDIUM


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


# ----- what the exchange really sends ----------------------------------------------------

RECORD_EXAMPLES: list[tuple[type[Any], dict[str, Any]]] = [
    (Trader, TRADER),
    (TraderDetail, TRADER_DETAIL),
    (Follow, FOLLOW),
    (FollowSettings, SETTINGS),
    (FollowStopped, STOPPED),
    (HistoryOrder, ORDER),
    (Position, POSITION),
]


def _fields_of_type(tp: object) -> list[tuple[type[Any], dict[str, Any], str]]:
    """(record, example, camelCase key) for every field of type ``tp`` in the examples."""
    found = []
    for cls, example in RECORD_EXAMPLES:
        attrs.resolve_types(cls)
        for field in attrs.fields(cls):
            if field.type == tp and to_camel(field.name) in example:
                found.append((cls, example, to_camel(field.name)))
    return found


WHOLE_FIELDS = _fields_of_type(int)
TEXT_FIELDS = _fields_of_type(str)
TIME_FIELDS = _fields_of_type(datetime) + _fields_of_type(datetime | None)


def test_every_kind_of_field_is_covered() -> None:
    keys = {key for _, _, key in WHOLE_FIELDS}
    assert {"followersCount", "tradingDays"} <= keys
    assert {"traderId", "symbol", "orderId"} <= {key for _, _, key in TEXT_FIELDS}
    assert {"createTime", "closeTime"} <= {key for _, _, key in TIME_FIELDS}


def test_nested_counts_are_read_by_the_same_rule() -> None:
    statistics = {**TRADER_DETAIL["statistics"], "totalTrades": "1000", "winningTrades": 650}
    detail = structure("traders.get", {**TRADER_DETAIL, "statistics": statistics}, TraderDetail)
    assert detail.statistics is not None and detail.statistics.total_trades == 1000
    for bad in (Decimal("650.5"), "650.5", True, 10**400):
        with pytest.raises(ResponseValidationError) as info:
            structure(
                "traders.get",
                {**TRADER_DETAIL, "statistics": {**statistics, "winningTrades": bad}},
                TraderDetail,
            )
        assert info.value.field == "statistics.winningTrades"


@pytest.mark.parametrize(("cls", "example", "key"), WHOLE_FIELDS)
def test_counts_take_an_int_or_a_whole_number_string(
    cls: type[Any], example: dict[str, Any], key: str
) -> None:
    for value, expected in ((1000, 1000), ("1000", 1000), (Decimal("1000.0"), 1000)):
        record = structure("x", {**example, key: value}, cls)
        assert getattr(record, attrs.fields(cls)[_index(cls, key)].name) == expected


BAD_COUNTS = [
    Decimal("1000.7"),
    "1000.7",
    True,
    "abc",
    None,
    Decimal("NaN"),
    float("inf"),
    float("nan"),
    10**400,
    "1e400",
    2**53,
]


BAD_TIMES = [10**400, Decimal("-1E+17"), "²", Decimal("1E+30"), "1e30", float("inf")]
#: Counts are never truncated or overflowed, timestamps that cannot be a time are no time,
#: and null is never the text "None": each is a ResponseValidationError naming the field.
BAD_VALUES = [
    *((cls, example, key, bad) for cls, example, key in WHOLE_FIELDS for bad in BAD_COUNTS),
    *((cls, example, key, bad) for cls, example, key in TIME_FIELDS for bad in BAD_TIMES),
    *((cls, example, key, None) for cls, example, key in TEXT_FIELDS),
]


@pytest.mark.parametrize(("cls", "example", "key", "bad"), BAD_VALUES, ids=repr)
def test_a_value_that_does_not_fit_is_named(
    cls: type[Any], example: dict[str, Any], key: str, bad: object
) -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure("traders.list", {**example, key: bad}, cls)
    assert info.value.field == key
    assert info.value.endpoint == "traders.list"


def _index(cls: type[Any], key: str) -> int:
    return [to_camel(f.name) for f in attrs.fields(cls)].index(key)


def _page(data: object) -> Page[Trader]:
    return structure_page(
        "traders.list",
        data,
        Trader,
        requested_page=1,
        requested_size=20,
        request_time_ms=1621441751927,
    )


@pytest.mark.parametrize("key", ["totalPage", "totalNum", "pageSize"])
@pytest.mark.parametrize("bad", [*BAD_COUNTS[:4], *BAD_COUNTS[5:], -1], ids=repr)
def test_page_counts_follow_the_same_rule_and_are_bounded(key: str, bad: object) -> None:
    with pytest.raises(ResponseValidationError) as info:
        _page({"totalPage": 1, "totalNum": 1, "pageSize": 20, "list": [TRADER], key: bad})
    assert info.value.field == key
    assert info.value.endpoint == "traders.list"


def test_page_counts_read_whole_number_strings_and_default_when_missing() -> None:
    page = _page({"totalPage": "3", "totalNum": Decimal("41.0"), "list": [TRADER]})
    assert (page.total_page, page.total_num, page.page_size) == (3, 41, 20)
    page = _page({"totalPage": None, "totalNum": "", "list": [TRADER]})
    assert (page.total_page, page.total_num) == (0, 1)
    assert _page({"totalPage": MAX_WHOLE, "list": []}).total_page == MAX_WHOLE


def test_a_request_time_that_is_no_time_is_named() -> None:
    with pytest.raises(ResponseValidationError) as info:
        structure_page(
            "traders.list",
            {"list": []},
            Trader,
            requested_page=1,
            requested_size=20,
            request_time_ms=10**400,
        )
    assert info.value.field == "requestTime"


def test_an_id_sent_as_a_number_is_text() -> None:
    assert structure("x", {**TRADER, "traderId": 123456789}, Trader).trader_id == "123456789"


@pytest.mark.parametrize("missing", [{}, {"description": None}])
def test_a_missing_or_null_description_is_none(missing: dict[str, Any]) -> None:
    data = {k: v for k, v in TRADER.items() if k != "description"}
    assert structure("x", {**data, **missing}, Trader).description is None
    assert structure("x", {**data, "description": ""}, Trader).description == ""


OPEN_ORDER: dict[str, Any] = {**ORDER, "status": "open", "profit": "-12.5"}


@pytest.mark.parametrize("exit_price", ["absent", None, ""])
@pytest.mark.parametrize("close_time", ["absent", None, "", 0])
def test_an_open_order_has_no_exit_price_and_no_close_time(
    exit_price: object, close_time: object
) -> None:
    data = {k: v for k, v in OPEN_ORDER.items() if k not in ("exitPrice", "closeTime")}
    if exit_price != "absent":
        data["exitPrice"] = exit_price
    if close_time != "absent":
        data["closeTime"] = close_time
    order = structure("history.list", data, HistoryOrder)
    assert order.status is OrderStatus.OPEN
    assert order.exit_price is None and order.close_time is None
    assert order.profit == Decimal("-12.5")
