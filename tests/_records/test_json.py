"""Records leave the library: ``to_dict()``, ``to_dict(mode="json")`` and ``to_json()``.

The expected JSON is built here from the wire payloads by the test's own rules (snake_case
keys, the money strings as sent, times as ISO 8601 UTC with milliseconds), never by the
library's code."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copytrade_async import (
    Follow,
    FollowSettings,
    FollowStatus,
    FollowStopped,
    HistoryOrder,
    OrderSide,
    OrderStatus,
    Page,
    Position,
    Trader,
    TraderDetail,
    TraderPosition,
    TraderStatistics,
)
from copytrade_async._records._converter import structure

from ..payloads import FOLLOW, ORDER, POSITION, SETTINGS, STOPPED, TRADER, TRADER_DETAIL

OPEN_ORDER = {**ORDER, "status": "open", "exitPrice": "", "closeTime": None}
CASES: list[tuple[type[Any], dict[str, Any]]] = [
    (Trader, TRADER),
    (TraderDetail, TRADER_DETAIL),
    (TraderStatistics, TRADER_DETAIL["statistics"]),
    (TraderPosition, TRADER_DETAIL["positions"][0]),
    (Follow, FOLLOW),
    (FollowStopped, STOPPED),
    (FollowSettings, SETTINGS),
    (FollowSettings, {**SETTINGS, "takeProfit": "", "stopLoss": None}),
    (Position, POSITION),
    (HistoryOrder, ORDER),
    (HistoryOrder, OPEN_ORDER),
]
TIME_KEYS = {"createTime", "closeTime"}
MONEY_KEYS = {
    "totalProfit",
    "monthlyProfit",
    "winRate",
    "averageHoldingTime",
    "maxDrawdown",
    "sharpeRatio",
    "size",
    "entryPrice",
    "exitPrice",
    "markPrice",
    "leverage",
    "unrealizedPnl",
    "copyAmount",
    "takeProfit",
    "stopLoss",
    "profit",
}


def snake(key: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), key)


def iso(ms: int) -> str:
    m = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    day = f"{m.year:04d}-{m.month:02d}-{m.day:02d}"
    return f"{day}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{ms % 1000:03d}Z"


def expected_json(wire: dict[str, Any]) -> dict[str, Any]:
    """The JSON form of a record read from ``wire``, by the test's own rules."""
    out: dict[str, Any] = {}
    for key, value in wire.items():
        if isinstance(value, dict):
            value = expected_json(value)
        elif isinstance(value, list):
            value = [expected_json(item) for item in value]
        elif key in TIME_KEYS:
            value = iso(value) if value else None
        elif key in MONEY_KEYS:
            value = value or None  # "" is "not set"
        out[snake(key)] = value
    return out


def loads_exactly(text: str) -> Any:
    """``json.loads`` that fails on any number with a fraction or an exponent."""

    def no_float(number: str) -> Any:
        raise AssertionError(f"a JSON number with a fraction: {number}")

    return json.loads(text, parse_float=no_float)


@pytest.mark.parametrize(("cls", "wire"), CASES)
def test_to_json_round_trips_every_record(cls: type[Any], wire: dict[str, Any]) -> None:
    record = structure("x", wire, cls)
    text = record.to_json()
    assert isinstance(text, str)
    assert loads_exactly(text) == expected_json(wire)
    assert json.loads(text, parse_float=Decimal) == record.to_dict(mode="json")
    assert list(record.to_dict(mode="json")) == [f.name for f in attrs.fields(cls)]
    assert loads_exactly(record.to_json(indent=2)) == expected_json(wire)


def _types(value: Any) -> set[type[Any]]:
    if isinstance(value, dict):
        return {dict}.union(*(_types(item) for item in value.values()))
    if isinstance(value, list):
        return {list}.union(*(_types(item) for item in value))
    return {type(value)}


def test_to_dict_keeps_decimals_and_datetimes_and_gives_enum_values() -> None:
    detail = structure("x", TRADER_DETAIL, TraderDetail)
    data = detail.to_dict()
    assert data["total_profit"] == Decimal("150.45") and type(data["total_profit"]) is Decimal
    assert type(data["risk_level"]) is str and data["risk_level"] == "medium"
    assert type(data["status"]) is str
    assert data["statistics"]["total_trades"] == 1000
    assert isinstance(data["positions"], list) and data["positions"][0]["side"] == "long"
    assert _types(data) <= {dict, list, str, int, Decimal}

    order = structure("x", ORDER, HistoryOrder).to_dict()
    assert order["create_time"] == datetime(2021, 5, 19, 16, 29, 11, 927000, tzinfo=UTC)
    assert _types(order) <= {dict, str, Decimal, datetime}
    assert _types(structure("x", OPEN_ORDER, HistoryOrder).to_dict()) <= {
        dict,
        str,
        Decimal,
        datetime,
        type(None),
    }


def test_json_mode_holds_only_json_types() -> None:
    for cls, wire in CASES:
        data = structure("x", wire, cls).to_dict(mode="json")
        assert _types(data) <= {dict, list, str, int, type(None)}, cls
        assert json.loads(json.dumps(data)) == data


def test_unknown_enum_values_leave_as_the_string_sent() -> None:
    trader = structure("x", {**TRADER, "riskLevel": "extreme", "status": "banned"}, Trader)
    data = trader.to_dict()
    assert (data["risk_level"], data["status"]) == ("extreme", "banned")
    assert type(data["risk_level"]) is str
    assert json.loads(trader.to_json())["risk_level"] == "extreme"


def test_a_page_leaves_with_its_items() -> None:
    page = Page(
        items=(structure("x", ORDER, HistoryOrder), structure("x", OPEN_ORDER, HistoryOrder)),
        total_page=3,
        total_num=41,
        current_page=2,
        page_size=20,
        request_time=datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC),
    )
    assert loads_exactly(page.to_json()) == {
        "items": [expected_json(ORDER), expected_json(OPEN_ORDER)],
        "total_page": 3,
        "total_num": 41,
        "current_page": 2,
        "page_size": 20,
        "request_time": "2024-05-01T12:00:00.123Z",
    }
    data = page.to_dict()
    assert isinstance(data["items"], list) and data["items"][0]["side"] == "buy"
    assert data["request_time"] == datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
    empty: Page[Trader] = Page(items=(), total_page=0, total_num=0, current_page=1, page_size=20)
    assert json.loads(empty.to_json())["items"] == []
    assert json.loads(empty.to_json())["request_time"] is None


def test_records_built_by_hand_leave_the_same_way() -> None:
    stopped = FollowStopped(follow_id="1", status=FollowStatus.STOPPED)
    assert stopped.to_dict() == {"follow_id": "1", "status": "stopped"}
    settings_ = FollowSettings(
        follow_id="1", copy_amount=Decimal("1E+3"), leverage=Decimal(5), status="active"
    )
    assert json.loads(settings_.to_json())["copy_amount"] == "1000"  # never an exponent


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        structure("x", STOPPED, FollowStopped).to_dict(mode="yaml")  # type: ignore[arg-type]


@settings(max_examples=300)
@given(
    st.lists(
        st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**30), max_value=10**30)
        | st.decimals(allow_nan=False, allow_infinity=False, places=8),
        min_size=5,
        max_size=5,
    ),
    st.integers(min_value=-62_135_596_800_000, max_value=253_402_300_799_999),
)
def test_money_and_times_leave_exactly(amounts: list[Decimal], ms: int) -> None:
    wire = dict(ORDER)
    for key, amount in zip(
        ("size", "entryPrice", "exitPrice", "profit", "leverage"), amounts, strict=True
    ):
        wire[key] = str(amount)
    wire["createTime"] = ms
    order = structure("history.list", wire, HistoryOrder)
    data = loads_exactly(order.to_json())
    for key, amount in zip(
        ("size", "entry_price", "exit_price", "profit", "leverage"), amounts, strict=True
    ):
        assert Decimal(data[key]) == amount
        assert re.fullmatch(r"-?\d+(\.\d+)?", data[key]), data[key]  # plain notation
    assert data["create_time"] == iso(ms)
    assert data["side"] == OrderSide.BUY.value and data["status"] == OrderStatus.CLOSED.value
