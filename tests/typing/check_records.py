"""What mypy sees on records: checked with ``mypy --strict --warn-unused-ignores`` (see
``tests/typing/test_typing.py``), never run.

Enumerated fields are their enum, so ``.value`` and comparisons with members type-check; the
open-order fields are optional; ``to_dict``/``to_json`` are typed. Each ``# type: ignore`` marks
a mistake mypy must catch (``--warn-unused-ignores`` fails if it stops catching it).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, assert_type

from copytrade_async import (
    AsyncCopyTradeClient,
    FollowSettings,
    FollowStatus,
    HistoryOrder,
    MarginMode,
    OrderSide,
    OrderStatus,
    Page,
    Position,
    PositionSide,
    RiskLevel,
    Trader,
    TraderDetail,
    TraderStatus,
)


def enum_fields(trader: Trader, order: HistoryOrder, position: Position) -> None:
    assert_type(trader.status, TraderStatus)
    assert_type(trader.status.value, str)
    assert_type(trader.risk_level, RiskLevel)
    assert_type(trader.risk_level.is_known, bool)
    assert_type(order.side, OrderSide)
    assert_type(order.status, OrderStatus)
    assert_type(position.side, PositionSide)
    assert_type(position.margin_mode, MarginMode)
    if order.status is OrderStatus.OPEN:
        pass
    text: str = order.status  # an enum member is a str
    assert isinstance(text, str)
    _ = trader.status.valeu  # type: ignore[attr-defined]
    _ = order.status == OrderStatus.OPNE  # type: ignore[attr-defined]


def optional_fields(order: HistoryOrder, trader: Trader, settings: FollowSettings) -> None:
    assert_type(order.exit_price, Decimal | None)
    assert_type(order.close_time, datetime | None)
    assert_type(order.create_time, datetime)
    assert_type(trader.description, str | None)
    assert_type(settings.take_profit, Decimal | None)
    _ = order.exit_price + 1  # type: ignore[operator]
    if order.exit_price is not None:
        assert_type(order.exit_price - order.entry_price, Decimal)
    _ = trader.description.upper()  # type: ignore[union-attr]


def counts(trader: Trader, detail: TraderDetail) -> None:
    assert_type(trader.followers_count, int)
    assert_type(trader.trading_days, int)
    if detail.statistics is not None:
        assert_type(detail.statistics.total_trades, int)


def json_forms(trader: Trader, page: Page[HistoryOrder]) -> None:
    assert_type(trader.to_dict(), dict[str, Any])
    assert_type(trader.to_dict(mode="json"), dict[str, Any])
    assert_type(trader.to_json(), str)
    assert_type(trader.to_json(indent=2), str)
    assert_type(page.to_json(), str)
    assert_type(page.items, tuple[HistoryOrder, ...])
    trader.to_dict(mode="yaml")  # type: ignore[arg-type]
    trader.to_dict("json")  # type: ignore[call-arg]


async def walk(client: AsyncCopyTradeClient, follow_id: str) -> None:
    async for order in client.history.list(follow_id):
        assert_type(order, HistoryOrder)
        assert_type(order.status.value, str)
    follow = await client.follows.start(trader_id="1", copy_amount=Decimal("10"), leverage=5)
    assert_type(follow.status, FollowStatus)
    assert_type(follow.margin_mode.value, str)
