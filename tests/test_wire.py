"""Exact wire behaviour of each of the seven endpoints: method, path, query or body, headers,
signature, and the records that come back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import respx

from copytrade_async import (
    AsyncCopyTradeClient,
    Follow,
    FollowSettings,
    FollowStatus,
    FollowStopped,
    HistoryOrder,
    MarginMode,
    OrderSide,
    Position,
    PositionSide,
    RiskLevel,
    TraderDetail,
)

from .conftest import (
    API_KEY,
    API_SECRET,
    PASSPHRASE,
    PREFIX,
    hand_signature,
    make_client,
    ok,
    sent_json,
)
from .payloads import FOLLOW, ORDER, POSITION, SETTINGS, STOPPED, TRADER, TRADER_DETAIL, page


def check_headers(request: httpx.Request) -> None:
    assert request.headers["ACCESS-KEY"] == API_KEY
    assert request.headers["ACCESS-PASSPHRASE"] == PASSPHRASE
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["locale"] == "en-US"
    assert request.headers["ACCESS-TIMESTAMP"].isdigit()
    assert len(request.headers["ACCESS-TIMESTAMP"]) == 13
    assert "paptrading" not in request.headers
    assert request.headers["ACCESS-SIGN"] == hand_signature(API_SECRET, request)


async def test_traders_page(client: AsyncCopyTradeClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"{PREFIX}/traders").mock(
        return_value=ok(page([TRADER], total_page=5, current=2))
    )
    result = await client.traders.page(page_no=2, page_size=20, sort_by="profit", sort_type="desc")
    request = route.calls.last.request
    assert request.url.query == b"pageNo=2&pageSize=20&sortBy=profit&sortType=desc"
    assert request.content == b""
    check_headers(request)
    assert (result.total_page, result.total_num, result.current_page, result.page_size) == (
        5,
        100,
        2,
        20,
    )
    trader = result.items[0]
    assert trader.trader_id == "123456789"
    assert trader.nick_name == "CryptoMaster"
    assert trader.followers_count == 1000
    assert trader.total_profit == Decimal("150.45")
    assert trader.monthly_profit == Decimal("12.34")
    assert trader.win_rate == Decimal("0.65")
    assert trader.trading_days == 365
    assert trader.risk_level is RiskLevel.MEDIUM
    assert trader.description == "Professional crypto trader"
    assert result.request_time == datetime(2021, 5, 19, 16, 29, 11, 927000, tzinfo=UTC)


async def test_trader_detail(client: AsyncCopyTradeClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=ok(TRADER_DETAIL))
    detail = await client.traders.get("123456789")
    request = route.calls.last.request
    assert request.url.query == b"traderId=123456789"
    check_headers(request)
    assert isinstance(detail, TraderDetail)
    assert detail.statistics is not None
    assert detail.statistics.sharpe_ratio == Decimal("2.1")
    assert detail.statistics.max_drawdown == Decimal("15.5")
    assert detail.statistics.total_trades == 1000
    assert detail.statistics.average_holding_time == Decimal("2.5")
    [position] = detail.positions
    assert position.side is PositionSide.LONG
    assert position.entry_price == Decimal("30000.50")
    assert position.unrealized_pnl == Decimal("123.45")
    assert position.leverage == Decimal("10")


async def test_follow(client: AsyncCopyTradeClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post(f"{PREFIX}/follow").mock(return_value=ok(FOLLOW))
    follow = await client.follows.start(
        trader_id="123456789", copy_amount=Decimal("1000"), leverage=10, margin_mode="isolated"
    )
    request = route.calls.last.request
    assert request.url.query == b""
    assert request.content == (
        b'{"traderId":"123456789","copyAmount":"1000","leverage":"10","marginMode":"isolated"}'
    )
    check_headers(request)
    assert follow == Follow(
        follow_id="987654321",
        trader_id="123456789",
        copy_amount=Decimal("1000"),
        leverage=Decimal("10"),
        margin_mode=MarginMode.ISOLATED,
        status=FollowStatus.ACTIVE,
    )


async def test_stop(client: AsyncCopyTradeClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post(f"{PREFIX}/stop").mock(return_value=ok(STOPPED))
    stopped = await client.follows.stop("987654321")
    request = route.calls.last.request
    assert sent_json(request) == {"followId": "987654321"}
    check_headers(request)
    assert stopped == FollowStopped(follow_id="987654321", status=FollowStatus.STOPPED)


async def test_update_settings(client: AsyncCopyTradeClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.post(f"{PREFIX}/updateSettings").mock(return_value=ok(SETTINGS))
    settings = await client.follows.update(
        "987654321", copy_amount="1500", take_profit=Decimal("50"), stop_loss=20
    )
    request = route.calls.last.request
    assert request.content == (
        b'{"followId":"987654321","copyAmount":"1500","takeProfit":"50","stopLoss":"20"}'
    )
    check_headers(request)
    assert settings == FollowSettings(
        follow_id="987654321",
        copy_amount=Decimal("1500"),
        leverage=Decimal("10"),
        status=FollowStatus.ACTIVE,
        take_profit=Decimal("50"),
        stop_loss=Decimal("20"),
    )


async def test_positions(client: AsyncCopyTradeClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"{PREFIX}/positions").mock(return_value=ok([POSITION]))
    positions = await client.follows.positions("987654321")
    request = route.calls.last.request
    assert request.url.query == b"followId=987654321"
    check_headers(request)
    assert positions == [
        Position(
            symbol="BTCUSDT",
            side=PositionSide.LONG,
            size=Decimal("0.1"),
            entry_price=Decimal("30000.50"),
            mark_price=Decimal("31000.50"),
            unrealized_pnl=Decimal("100.00"),
            leverage=Decimal("10"),
            margin_mode=MarginMode.ISOLATED,
            create_time=datetime(2021, 5, 19, 16, 29, 11, 927000, tzinfo=UTC),
        )
    ]


async def test_history_page(client: AsyncCopyTradeClient, mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"{PREFIX}/history").mock(
        return_value=ok(page([ORDER], total_page=5, current=2, size=50))
    )
    start = datetime(2021, 5, 1, tzinfo=UTC)
    result = await client.history.page(
        "987654321", page_no=2, page_size=50, start_time=start, end_time=1621441851927
    )
    request = route.calls.last.request
    assert request.url.query == (
        b"endTime=1621441851927&followId=987654321&pageNo=2&pageSize=50&startTime=1619827200000"
    )
    check_headers(request)
    [order] = result.items
    assert order == HistoryOrder(
        order_id="123456789",
        symbol="BTCUSDT",
        side=OrderSide.BUY,
        size=Decimal("0.1"),
        entry_price=Decimal("30000.50"),
        exit_price=Decimal("31000.50"),
        profit=Decimal("100.00"),
        leverage=Decimal("10"),
        status="closed",
        create_time=datetime(2021, 5, 19, 16, 29, 11, 927000, tzinfo=UTC),
        close_time=datetime(2021, 5, 19, 16, 30, 51, 927000, tzinfo=UTC),
    )
    assert order.profit.as_tuple().exponent == -2  # "100.00" kept exactly


async def test_query_values_are_percent_encoded_as_signed(
    client: AsyncCopyTradeClient, mock_api: respx.MockRouter
) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=ok(TRADER_DETAIL))
    await client.traders.get("a b&c=d/é")
    request = route.calls.last.request
    assert request.url.query == b"traderId=a%20b%26c%3Dd%2F%C3%A9"
    assert request.headers["ACCESS-SIGN"] == hand_signature(API_SECRET, request)


async def test_demo_and_locale_headers(mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"{PREFIX}/positions").mock(return_value=ok([]))
    async with make_client(demo=True, locale="zh-CN") as client:
        assert await client.follows.positions("1") == []
    request = route.calls.last.request
    assert request.headers["paptrading"] == "1"
    assert request.headers["locale"] == "zh-CN"
