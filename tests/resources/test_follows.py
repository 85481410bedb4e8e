"""``client.follows`` on the wire: method, path, exact body, headers, signature, and the records
that come back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import respx

from copytrade_async import (
    AsyncCopyTradeClient,
    Follow,
    FollowSettings,
    FollowStatus,
    FollowStopped,
    MarginMode,
    Position,
    PositionSide,
)

from ..conftest import (
    PREFIX,
    check_headers,
    ok,
    sent_json,
)
from ..payloads import FOLLOW, POSITION, SETTINGS, STOPPED


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
