"""Helpers for the store's tests: a sandbox with history, and its own books read by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from copytrade_async import AsyncCopyTradeClient, HistoryOrder
from copytrade_async.sandbox import SandboxConfig, SandboxExchange

Row = tuple[Any, ...]


def history_config(**overrides: Any) -> SandboxConfig:
    """A small sandbox without rate limit or timestamp window (its clock runs ahead)."""
    values: dict[str, Any] = {
        "seed": 5, "traders": 12, "rate_limit": None, "timestamp_tolerance_ms": None,
    }  # fmt: skip
    values.update(overrides)
    return SandboxConfig(**values)


async def start_follows(client: AsyncCopyTradeClient, count: int) -> list[str]:
    exchange = client.exchange  # type: ignore[attr-defined]
    follows = []
    for trader_id in exchange.trader_ids(active=True)[:count]:
        follow = await client.follows.start(trader_id=trader_id, copy_amount=500, leverage=3)
        follows.append(follow.follow_id)
    return follows


def advance(exchange: SandboxExchange, seconds: float) -> None:
    step = exchange.config.max_advance_seconds
    while seconds > 0:
        exchange.advance(min(step, seconds))
        seconds -= step


def books(exchange: SandboxExchange, follow_id: str) -> set[Row]:
    """The sandbox's own closed trades of a follow, from its internal wire records, as rows
    read by hand (not through the client's converter)."""
    for account in exchange._sim.accounts.values():
        follow = account.follows.get(follow_id)
        if follow is not None:
            return {_wire_row(dict(record)) for record in follow.history}
    raise KeyError(follow_id)


def _wire_row(wire: dict[str, Any]) -> Row:
    exit_price = wire["exitPrice"]
    return (
        wire["orderId"], wire["symbol"], wire["side"], Decimal(wire["size"]),
        Decimal(wire["entryPrice"]), Decimal(wire["profit"]), Decimal(wire["leverage"]),
        wire["status"], int(wire["createTime"]),
        None if exit_price in ("", None) else Decimal(exit_price),
        None if wire["closeTime"] is None else int(wire["closeTime"]),
    )  # fmt: skip


def _ms(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    assert moment.tzinfo is not None
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def order_row(order: HistoryOrder) -> Row:
    """A stored record as the same row, field by field."""
    return (
        order.order_id, order.symbol, str(order.side), order.size, order.entry_price,
        order.profit, order.leverage, str(order.status), _ms(order.create_time),
        order.exit_price, _ms(order.close_time),
    )  # fmt: skip
