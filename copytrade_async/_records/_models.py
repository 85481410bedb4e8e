"""The records the API returns: frozen, slotted attrs classes with snake_case names.

Money, prices, sizes, ratios, percentages and leverage are :class:`~decimal.Decimal`;
timestamps are timezone-aware UTC :class:`~datetime.datetime`; counts are ``int``.
A field the spec enumerates is typed ``Enum | str``: a value the spec does not list is kept
as the plain string the server sent, so a new value on the exchange never crashes a bot.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

import attrs

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


class PositionSide(StrEnum):
    """The direction of a position."""

    LONG = "long"
    SHORT = "short"


class OrderSide(StrEnum):
    """The side of a copied order."""

    BUY = "buy"
    SELL = "sell"


class MarginMode(StrEnum):
    """How a position's margin is held: on its own (isolated) or shared (cross)."""

    ISOLATED = "isolated"
    CROSS = "cross"


class RiskLevel(StrEnum):
    """The exchange's risk rating of a trader."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class TraderStatus(StrEnum):
    """Whether a trader can be followed."""

    ACTIVE = "active"
    INACTIVE = "inactive"


class FollowStatus(StrEnum):
    """Whether a follow is copying its trader."""

    ACTIVE = "active"
    STOPPED = "stopped"


class OrderStatus(StrEnum):
    """Whether a copied order is still open."""

    OPEN = "open"
    CLOSED = "closed"


@attrs.frozen
class Trader:
    """One row of the trader list."""

    trader_id: str
    nick_name: str
    followers_count: int
    total_profit: Decimal
    monthly_profit: Decimal
    win_rate: Decimal
    trading_days: int
    risk_level: RiskLevel | str
    status: TraderStatus | str
    description: str = ""


@attrs.frozen
class TraderStatistics:
    """A trader's track record: trades, wins, average holding time (the spec names no unit; the
    sandbox sends hours), maximum drawdown (percent) and Sharpe ratio."""

    total_trades: int
    winning_trades: int
    average_holding_time: Decimal
    max_drawdown: Decimal
    sharpe_ratio: Decimal


@attrs.frozen
class TraderPosition:
    """An open position of a trader, as shown in the trader's details."""

    symbol: str
    side: PositionSide | str
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
class Follow:
    """A copy-trading relationship, as returned by ``follows.start``."""

    follow_id: str
    trader_id: str
    copy_amount: Decimal
    leverage: Decimal
    margin_mode: MarginMode | str
    status: FollowStatus | str


@attrs.frozen
class FollowStopped:
    """The answer to ``follows.stop``: the follow and its new status."""

    follow_id: str
    status: FollowStatus | str


@attrs.frozen
class FollowSettings:
    """A follow's settings after ``follows.update``: take-profit and stop-loss are percentages
    of the copy amount (``None`` when not set)."""

    follow_id: str
    copy_amount: Decimal
    leverage: Decimal
    status: FollowStatus | str
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None


@attrs.frozen
class Position:
    """An open position of a follow."""

    symbol: str
    side: PositionSide | str
    size: Decimal
    entry_price: Decimal
    mark_price: Decimal
    unrealized_pnl: Decimal
    leverage: Decimal
    margin_mode: MarginMode | str
    create_time: datetime


@attrs.frozen
class HistoryOrder:
    """A copied trade from the history."""

    order_id: str
    symbol: str
    side: OrderSide | str
    size: Decimal
    entry_price: Decimal
    exit_price: Decimal
    profit: Decimal
    leverage: Decimal
    status: OrderStatus | str
    create_time: datetime
    close_time: datetime | None = None


@attrs.frozen
class Page(Generic[T]):
    """One page of a paginated list, with the server's own counts."""

    items: tuple[T, ...]
    total_page: int
    total_num: int
    #: The page number that was requested (servers' own ``currentPage`` is not trusted).
    current_page: int
    page_size: int
    #: The server's clock when it answered (from the envelope).
    request_time: datetime | None = None
