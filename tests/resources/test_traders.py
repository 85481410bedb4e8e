"""``client.traders`` on the wire: method, path, exact query, headers, signature, and the
records that come back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import respx

from copytrade_async import (
    AsyncCopyTradeClient,
    PositionSide,
    RiskLevel,
    TraderDetail,
)

from ..conftest import (
    PREFIX,
    check_headers,
    ok,
)
from ..payloads import TRADER, TRADER_DETAIL, page


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
