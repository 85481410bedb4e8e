"""How history orders are read: checked, each ``orderId`` once, closed ones as trades in time
order.

The rules (they are :func:`~copytrade_async.analytics.analyze_follow`'s):

* An item that is not a :class:`~copytrade_async.HistoryOrder`, whose times are naive or whose
  ``profit`` is not a finite ``Decimal`` (records built by hand), is refused with
  ``ValueError``: it is the caller's input (the client's records are always well formed).
* The same ``orderId`` read twice counts once. The record kept is the *most settled* one: a
  closed record over an open one (the order closed between two reads), then the later close
  time, then the later open time, then the larger profit, symbol and side, so which one is
  kept never depends on the input's order.
* A trade is an order whose status is ``closed``. An ``open`` order, or one whose status the
  spec does not list, is counted in ``open_orders`` and never realised (its ``profit`` is what
  the exchange reports so far, not money made).
* A closed order without a close time (a lenient read of a server's gap) is placed at its open
  time.
* Trades are sorted by (close time, follow id, order id), whatever the input's order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from .. import HistoryOrder, OrderStatus

__all__ = ["Book", "Trade", "read_orders"]


class Trade(NamedTuple):
    """A closed order, as the analytics use it (times in UTC)."""

    close_time: datetime
    follow_id: str
    order_id: str
    profit: Decimal
    symbol: str
    side: str
    open_time: datetime
    #: The UTC month of the close, ``year * 100 + month``.
    month: int
    #: The UTC day of the close, as a proleptic ordinal (:meth:`datetime.date.toordinal`).
    day: int


class Book(NamedTuple):
    """What a follow's orders came to: its trades in time order and the counts."""

    trades: list[Trade]
    orders: int
    open_orders: int
    duplicates: int


def _settled(order: HistoryOrder) -> tuple[bool, datetime, datetime, Decimal, str, str]:
    """The key that picks which record of a repeated ``orderId`` is kept (the largest)."""
    closed = order.status == OrderStatus.CLOSED
    close = order.close_time if order.close_time is not None else order.create_time
    return (closed, close, order.create_time, order.profit, order.symbol, str(order.side))


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def read_orders(orders: Iterable[HistoryOrder], follow_id: str) -> Book:
    """The follow's trades (closed orders, each ``orderId`` once, sorted) and counts."""
    if isinstance(orders, (str, bytes)) or not isinstance(orders, Iterable):
        raise ValueError(f"orders must be an iterable of HistoryOrder, got {type(orders).__name__}")
    kept: dict[str, HistoryOrder] = {}
    duplicates = 0
    for order in orders:
        if not isinstance(order, HistoryOrder):
            raise ValueError(f"orders must hold HistoryOrder records, got {type(order).__name__}")
        if order.create_time.tzinfo is None or (
            order.close_time is not None and order.close_time.tzinfo is None
        ):
            raise ValueError(f"order {order.order_id!r}: times must be timezone-aware, got naive")
        if not isinstance(order.profit, Decimal) or not order.profit.is_finite():
            raise ValueError(f"order {order.order_id!r}: profit must be a finite Decimal")
        previous = kept.get(order.order_id)
        if previous is None:
            kept[order.order_id] = order
            continue
        duplicates += 1
        if _settled(order) > _settled(previous):
            kept[order.order_id] = order
    trades = []
    open_orders = 0
    closed_status = OrderStatus.CLOSED
    for order_id, order in kept.items():
        opened = _utc(order.create_time)
        if order.status != closed_status:
            open_orders += 1
            continue
        closed = order.close_time
        close = opened if closed is None else _utc(closed)
        month = close.year * 100 + close.month
        trades.append(
            Trade(
                close,
                follow_id,
                order_id,
                order.profit,
                order.symbol,
                order.side,
                opened,
                month,
                close.toordinal(),
            )
        )
    trades.sort()
    return Book(trades, len(kept), open_orders, duplicates)
