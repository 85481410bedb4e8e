"""``client.history`` on the wire: method, path, exact query, headers, signature, and the records
that come back."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import respx

from copytrade_async import (
    AsyncCopyTradeClient,
    HistoryOrder,
    OrderSide,
)

from ..conftest import (
    PREFIX,
    check_headers,
    ok,
)
from ..payloads import ORDER, page


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
