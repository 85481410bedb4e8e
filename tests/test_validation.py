"""Bad caller input raises ValueError naming the argument, and nothing is sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import respx

from copytrade_async import AsyncCopyTradeClient
from copytrade_async._validation import check_id, check_whole, to_decimal

C = AsyncCopyTradeClient
CASES: list[tuple[str, Callable[[C], Any], str]] = [
    ("page_size 0", lambda c: c.traders.page(page_size=0), "page_size"),
    ("page_size 101", lambda c: c.traders.page(page_size=101), "page_size"),
    ("page_no 0", lambda c: c.traders.page(page_no=0), "page_no"),
    ("history page_no", lambda c: c.history.page("1", page_no=-1), "page_no"),
    ("list page_size", lambda c: c.traders.list(page_size=500), "page_size"),
    ("empty trader id", lambda c: c.traders.get(""), "trader_id"),
    ("blank trader id", lambda c: c.traders.get("   "), "trader_id"),
    ("empty follow id", lambda c: c.follows.stop(""), "follow_id"),
    ("empty follow id positions", lambda c: c.follows.positions(""), "follow_id"),
    ("empty follow id history", lambda c: c.history.list(""), "follow_id"),
    ("leverage 0", lambda c: c.follows.start(trader_id="1", copy_amount=1, leverage=0), "leverage"),
    (
        "leverage 126",
        lambda c: c.follows.start(trader_id="1", copy_amount=1, leverage=126),
        "leverage",
    ),
    (
        "leverage 2.5",
        lambda c: c.follows.start(trader_id="1", copy_amount=1, leverage="2.5"),
        "whole number",
    ),
    (
        "leverage float",
        lambda c: c.follows.start(trader_id="1", copy_amount=1, leverage=10.0),
        "float",
    ),
    (
        "copy_amount 0",
        lambda c: c.follows.start(trader_id="1", copy_amount=0, leverage=1),
        "copy_amount",
    ),
    (
        "copy_amount negative",
        lambda c: c.follows.start(trader_id="1", copy_amount="-5", leverage=1),
        "copy_amount",
    ),
    (
        "copy_amount float",
        lambda c: c.follows.start(trader_id="1", copy_amount=10.5, leverage=1),
        "not float",
    ),
    (
        "copy_amount nan",
        lambda c: c.follows.start(trader_id="1", copy_amount=Decimal("NaN"), leverage=1),
        "finite",
    ),
    (
        "copy_amount text",
        lambda c: c.follows.start(trader_id="1", copy_amount="ten", leverage=1),
        "copy_amount",
    ),
    (
        "margin mode",
        lambda c: c.follows.start(
            trader_id="1", copy_amount=1, leverage=1, margin_mode="portfolio"
        ),
        "margin_mode",
    ),
    ("sort_by", lambda c: c.traders.list(sort_by="winrate"), "sort_by"),
    ("sort_type", lambda c: c.traders.page(sort_type="up"), "sort_type"),
    ("take_profit 0", lambda c: c.follows.update("1", take_profit=0), "take_profit"),
    ("stop_loss negative", lambda c: c.follows.update("1", stop_loss=Decimal("-1")), "stop_loss"),
    ("update nothing", lambda c: c.follows.update("1"), "at least one"),
    (
        "start after end",
        lambda c: c.history.list("1", start_time=2000, end_time=1000),
        "start_time",
    ),
    (
        "naive datetime",
        lambda c: c.history.page("1", start_time=datetime(2024, 1, 1)),
        "timezone-aware",
    ),
    ("negative limit", lambda c: c.traders.list(limit=-1), "limit"),
    ("id with a newline", lambda c: c.traders.get("123\n"), "trader_id"),
    ("id with NUL", lambda c: c.follows.positions("1\x00"), "follow_id"),
    ("id with a tab", lambda c: c.follows.stop("1\t2"), "follow_id"),
    ("id with a space", lambda c: c.history.list("1 2"), "follow_id"),
    ("id with a DEL", lambda c: c.traders.get("1\x7f"), "trader_id"),
    ("id of 5,000 digits", lambda c: c.traders.get(10**5000), "trader_id"),
    ("negative id", lambda c: c.traders.get(-5), "trader_id"),
    ("id too long", lambda c: c.traders.get("9" * 129), "trader_id"),
    ("id of bytes", lambda c: c.traders.get(b"123"), "trader_id"),
    (
        "copy_amount 1e10000000",
        lambda c: c.follows.start(trader_id="1", copy_amount=Decimal("1e10000000"), leverage=1),
        "copy_amount",
    ),
    (
        "copy_amount of a million digits",
        lambda c: c.follows.start(trader_id="1", copy_amount="0." + "1" * 10**6, leverage=1),
        "copy_amount",
    ),
    (
        "take_profit 1e16",
        lambda c: c.follows.update("1", take_profit=10**16),
        "take_profit",
    ),
    (
        "leverage 1e10000",
        lambda c: c.follows.start(trader_id="1", copy_amount=1, leverage=Decimal("1e10000")),
        "leverage",
    ),
]


@pytest.mark.parametrize(("name", "call", "needle"), CASES, ids=[c[0] for c in CASES])
async def test_bad_input_raises_before_sending(
    client: AsyncCopyTradeClient,
    mock_api: respx.MockRouter,
    name: str,
    call: Callable[[C], Awaitable[object] | object],
    needle: str,
) -> None:
    with pytest.raises(ValueError, match=needle):
        result = call(client)
        if isinstance(result, Awaitable):
            await result
    assert mock_api.calls.call_count == 0


async def test_good_inputs_are_formatted_exactly(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    from .conftest import PREFIX, ok
    from .payloads import FOLLOW

    route = mock_api.post(f"{PREFIX}/follow").mock(return_value=ok(FOLLOW))
    await client.follows.start(
        trader_id=123, copy_amount="1E+3", leverage=Decimal("10.0"), margin_mode="cross"
    )
    assert route.calls.last.request.content == (
        b'{"traderId":"123","copyAmount":"1000","leverage":"10","marginMode":"cross"}'
    )


def test_aware_datetimes_of_any_zone_give_exact_milliseconds() -> None:
    from datetime import timedelta, timezone

    from copytrade_async._validation import check_time_ms

    utc = datetime(2021, 5, 19, 16, 29, 11, 927000, tzinfo=UTC)
    assert check_time_ms("t", utc) == 1621441751927
    assert check_time_ms("t", utc.astimezone(timezone(timedelta(hours=-5)))) == 1621441751927


@pytest.mark.parametrize(
    ("value", "minimum", "message"),
    [
        (0, 1, r"^n must be a whole number >= 1, got 0$"),
        (-1, 0, r"^n must be a whole number >= 0, got -1$"),
        (True, 0, r"^n must be a whole number >= 0, got True$"),
        (2.0, 1, r"^n must be a whole number >= 1, got 2.0$"),
        ("3", None, r"^n must be a whole number, got '3'$"),
        (None, 1, r"^n must be a whole number >= 1, got None$"),
    ],
)
def test_check_whole_refuses_with_the_name_and_the_bound(
    value: object, minimum: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_whole("n", value, minimum)


@pytest.mark.parametrize("value", ["123\n", "\x00", "a b", " 1", "é\u2028", 10**400])
def test_a_bad_id_is_refused_without_showing_it_in_full(value: object) -> None:
    with pytest.raises(ValueError, match=r"^trader_id ") as info:
        check_id("trader_id", value)
    assert len(str(info.value)) < 200


def test_good_ids_come_back_as_strings() -> None:
    assert check_id("trader_id", "123456789") == "123456789"
    assert check_id("trader_id", 123) == "123"
    assert check_id("trader_id", "a/b:cé龙&=+%?") == "a/b:cé龙&=+%?"


def test_amounts_are_bounded_in_size_and_digits() -> None:
    assert to_decimal("x", "999999999999999.999999") == Decimal("999999999999999.999999")
    assert to_decimal("x", Decimal("1e-40")) == Decimal("1e-40")  # 40 decimal places
    for bad in ("1e16", "-1e16", "1" * 17, "0." + "1" * 41, Decimal("1e-41"), Decimal("9e999999")):
        with pytest.raises(ValueError, match=r"^x "):
            to_decimal("x", bad)


def test_check_whole_returns_what_it_accepts() -> None:
    assert check_whole("n", 1) == 1
    assert check_whole("n", 0, 0) == 0
    assert check_whole("n", -7, None) == -7
