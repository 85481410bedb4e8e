"""The records the API returns: frozen, slotted attrs classes with snake_case names.

Money, prices, sizes, ratios, percentages and leverage are :class:`~decimal.Decimal`;
timestamps are timezone-aware UTC :class:`~datetime.datetime`; counts are ``int``. A field the
exchange may leave out is ``X | None`` with a default of ``None``: an open history order has no
``exit_price`` and no ``close_time`` yet, a trader may have no ``description``.

A field the spec enumerates is typed with its enum (:mod:`._enums`), so ``order.status.value``
and ``order.status is OrderStatus.OPEN`` type-check. A value the spec does not list never
crashes a bot: it is read as an *unknown member* of that enum, an instance of the class (and a
``str`` equal to what the server sent, so ``isinstance(x, str)`` and ``x == "partial"`` hold)
whose ``.value`` is that string and whose ``.is_known`` is False. This is the forward-compatible
enum of Fern's and discord.py's SDKs rather than openai-python's and stripe-python's, whose
``Literal[...]`` fields hold plain strings at run time (no ``.value``) and whose types then
claim the unknown value cannot happen. Keep a ``case _:`` in a ``match`` over an enum field.

Every record (and :class:`Page`) leaves the library through ``to_dict()``,
``to_dict(mode="json")`` and ``to_json()`` (:mod:`._json`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

import attrs

from ._enums import (
    FollowStatus,
    MarginMode,
    OrderSide,
    OrderStatus,
    PositionSide,
    RiskLevel,
    TraderStatus,
)
from ._json import Record

__all__ = [
    "Follow",
    "FollowSettings",
    "FollowStatus",
    "FollowStopped",
    "HistoryOrder",
    "MarginMode",
    "OrderSide",
    "OrderStatus",
    "Page",
    "Position",
    "PositionSide",
    "RiskLevel",
    "Trader",
    "TraderDetail",
    "TraderPosition",
    "TraderStatistics",
    "TraderStatus",
]

T = TypeVar("T")


@attrs.frozen
class Trader(Record):
    """One row of the trader list."""

    trader_id: str
    nick_name: str
    followers_count: int
    total_profit: Decimal
    monthly_profit: Decimal
    win_rate: Decimal
    trading_days: int
    risk_level: RiskLevel
    status: TraderStatus
    #: The trader's own words; None when the exchange sends none.
    description: str | None = None


@attrs.frozen
class TraderStatistics(Record):
    """A trader's track record: trades, wins, average holding time (the spec names no unit; the
    sandbox sends hours), maximum drawdown (percent) and Sharpe ratio."""

    total_trades: int
    winning_trades: int
    average_holding_time: Decimal
    max_drawdown: Decimal
    sharpe_ratio: Decimal


@attrs.frozen
class TraderPosition(Record):
    """An open position of a trader, as shown in the trader's details."""

    symbol: str
    side: PositionSide
    size: Decimal
    entry_price: Decimal
    leverage: Decimal
    unrealized_pnl: Decimal


@attrs.frozen
class TraderDetail(Trader):
    """A trader with statistics and open positions."""

    statistics: TraderStatistics | None = None
    positions: tuple[TraderPosition, ...] = ()


@attrs.frozen
class Follow(Record):
    """A copy-trading relationship, as returned by ``follows.start``."""

    follow_id: str
    trader_id: str
    copy_amount: Decimal
    leverage: Decimal
    margin_mode: MarginMode
    status: FollowStatus


@attrs.frozen
class FollowStopped(Record):
    """The answer to ``follows.stop``: the follow and its new status."""

    follow_id: str
    status: FollowStatus


@attrs.frozen
class FollowSettings(Record):
    """A follow's settings after ``follows.update``: take-profit and stop-loss are percentages
    of the copy amount (``None`` when not set)."""

    follow_id: str
    copy_amount: Decimal
    leverage: Decimal
    status: FollowStatus
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None


@attrs.frozen
class Position(Record):
    """An open position of a follow."""

    symbol: str
    side: PositionSide
    size: Decimal
    entry_price: Decimal
    mark_price: Decimal
    unrealized_pnl: Decimal
    leverage: Decimal
    margin_mode: MarginMode
    create_time: datetime


@attrs.frozen
class HistoryOrder(Record):
    """A copied trade from the history."""

    order_id: str
    symbol: str
    side: OrderSide
    size: Decimal
    entry_price: Decimal
    #: Realised profit of a closed order; for an open one, what the exchange reports so far
    #: (the sandbox reports the unrealised PnL at the mark).
    profit: Decimal
    leverage: Decimal
    status: OrderStatus
    create_time: datetime
    #: None while the order is open (the exchange sends no exit price and no close time).
    exit_price: Decimal | None = None
    close_time: datetime | None = None


@attrs.frozen
class Page(Record, Generic[T]):
    """One page of a paginated list, with the server's own counts."""

    items: tuple[T, ...]
    total_page: int
    total_num: int
    #: The page number that was requested (servers' own ``currentPage`` is not trusted).
    current_page: int
    page_size: int
    #: The server's clock when it answered (from the envelope).
    request_time: datetime | None = None
