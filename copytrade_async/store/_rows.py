"""A :class:`~copytrade_async.HistoryOrder` to a row and back, exactly.

Money is stored as ``str(Decimal)`` (``Decimal(str(d))`` is ``d``, exponent and all), times as
integer milliseconds since the epoch, enums as the string the server sent (an unknown member
comes back as the same unknown member, through ``from_wire``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import HistoryOrder, OrderSide, OrderStatus
from ._errors import StoreError

__all__ = ["from_ms", "ids_at", "order_from_row", "order_to_row", "to_ms", "when_ms"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms(moment: datetime) -> int:
    """An aware datetime as whole milliseconds since the epoch (integer arithmetic, no float)."""
    delta = moment - _EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def when_ms(order: HistoryOrder) -> int:
    """Where the order stands in the history: its close time, or its create time while open."""
    return to_ms(order.close_time if order.close_time is not None else order.create_time)


def order_to_row(follow_id: str, order: HistoryOrder) -> dict[str, Any]:
    return {
        "follow_id": follow_id,
        "order_id": order.order_id,
        "when_ms": when_ms(order),
        "symbol": order.symbol,
        "side": str(order.side),
        "size": str(order.size),
        "entry_price": str(order.entry_price),
        "profit": str(order.profit),
        "leverage": str(order.leverage),
        "status": str(order.status),
        "create_ms": to_ms(order.create_time),
        "exit_price": None if order.exit_price is None else str(order.exit_price),
        "close_ms": None if order.close_time is None else to_ms(order.close_time),
    }


def order_from_row(row: Mapping[Any, Any]) -> HistoryOrder:
    """The client's own record, as the API returned it when it was stored."""
    try:
        exit_price, close_ms = row["exit_price"], row["close_ms"]
        return HistoryOrder(
            order_id=row["order_id"],
            symbol=row["symbol"],
            side=OrderSide.from_wire(row["side"]),
            size=Decimal(row["size"]),
            entry_price=Decimal(row["entry_price"]),
            profit=Decimal(row["profit"]),
            leverage=Decimal(row["leverage"]),
            status=OrderStatus.from_wire(row["status"]),
            create_time=from_ms(int(row["create_ms"])),
            exit_price=None if exit_price is None else Decimal(exit_price),
            close_time=None if close_ms is None else from_ms(int(close_ms)),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation, OverflowError) as exc:
        raise StoreError(f"a stored order cannot be read: {type(exc).__name__}") from exc


def ids_at(orders: Iterable[HistoryOrder], at_ms: int) -> list[str]:
    """The ids of the orders standing at exactly ``at_ms``, sorted."""
    return sorted({order.order_id for order in orders if when_ms(order) == at_ms})


def dump_ids(ids: Sequence[str]) -> str:
    return json.dumps(sorted(set(ids)))


def load_ids(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise StoreError("a follow's stored ids cannot be read") from exc
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise StoreError("a follow's stored ids cannot be read")
    return value
