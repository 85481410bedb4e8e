"""The monitor's rules as pure functions: PnL %, threshold crossings, what changed between two
polls, realised PnL from the history, and stop inference.

The monitor's PnL % of a follow (``pnl_basis="copy_amount"``, its default) is, in Decimal::

    pnl_percent = 100 * (realized_pnl + sum(unrealized_pnl)) / copy_amount

where ``realized_pnl`` is the profit of the follow's closed trades (its history) and the sum
runs over its open positions: the measure the exchange applies the follow's take-profit and
stop-loss to (both are percentages of the copy amount). So closing a position moves its result
from unrealised to realised and leaves the percentage where it was; it does not jump when a
loser closes.

Of open positions alone (:func:`pnl_percent`, and the monitor's ``pnl_basis="margin"`` or
``"notional"``, or a watch without a copy amount), PnL % is over *margin*, what a leveraged
position puts at stake::

    margin(position) = entry_price * size / leverage
    pnl_percent      = 100 * sum(unrealized_pnl) / sum(margin)      (over the open positions)

The spec's sketch divides by the notional ``entry_price * size`` instead (``basis="notional"``
offers that, see ``docs/best-practices.md``), which at 10x leverage reports a 10 % loss of
margin as -1 %; dividing by margin makes "-10 %" mean "a tenth of the money at stake is gone",
whatever the leverage.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Literal, TypeAlias

from .. import HistoryOrder, OrderSide, OrderStatus, Position
from ._convert import unsigned_zero
from ._events import (
    FollowEvent,
    PnlThresholdCrossed,
    StopReason,
    Watch,
)

__all__ = [
    "PERCENT_QUANTUM",
    "PnlBasis",
    "PositionBasis",
    "crossings",
    "diff_positions",
    "follow_pnl_percent",
    "infer_stop_reason",
    "is_closed",
    "order_key",
    "pnl_percent",
    "position_key",
    "position_margin",
    "position_notional",
    "realized_pnl",
    "threshold_events",
]

PERCENT_QUANTUM = Decimal("0.01")

PositionKey = tuple[str, str, datetime, Decimal]
#: What a PnL % of open positions is a percentage of: their margin or their notional value.
PositionBasis: TypeAlias = Literal["margin", "notional"]
#: What the monitor's PnL % is a percentage of: the copy amount (realised plus unrealised PnL,
#: the default), or the margin or notional value of the open positions (unrealised PnL only).
PnlBasis: TypeAlias = Literal["copy_amount", "margin", "notional"]
PNL_BASES: tuple[PnlBasis, ...] = ("copy_amount", "margin", "notional")
POSITION_BASES: tuple[PositionBasis, ...] = ("margin", "notional")


def position_margin(position: Position) -> Decimal:
    """The margin a position holds: ``entry_price * size / leverage``."""
    if position.leverage <= 0:
        raise ValueError(f"position leverage must be > 0, got {position.leverage}")
    return position.entry_price * abs(position.size) / position.leverage


def position_notional(position: Position) -> Decimal:
    """The value a position controls: ``entry_price * size`` (the spec's divisor)."""
    return position.entry_price * abs(position.size)


def check_basis(basis: object) -> PnlBasis:
    for known in PNL_BASES:
        if basis == known:
            return known
    raise ValueError(f"pnl basis must be one of {', '.join(PNL_BASES)}, got {basis!r}")


def check_position_basis(basis: object) -> PositionBasis:
    for known in POSITION_BASES:
        if basis == known:
            return known
    raise ValueError(f"pnl basis must be one of {', '.join(POSITION_BASES)}, got {basis!r}")


def pnl_percent(positions: Iterable[Position], basis: PositionBasis = "margin") -> Decimal | None:
    """Unrealized PnL as a percentage of margin (or of notional value, with
    ``basis="notional"``), over ``positions`` (None when there are none or they hold nothing),
    rounded half-even to 0.01."""
    measure = position_margin if check_position_basis(basis) == "margin" else position_notional
    stake = Decimal(0)
    pnl = Decimal(0)
    for position in positions:
        stake += measure(position)
        pnl += position.unrealized_pnl
    if stake <= 0:
        return None
    return unsigned_zero((100 * pnl / stake).quantize(PERCENT_QUANTUM))


def position_key(position: Position) -> PositionKey:
    """How a position is recognised from one poll to the next (the API gives it no id)."""
    return (position.symbol, str(position.side), position.create_time, position.entry_price)


def crossings(
    previous: Decimal | None, current: Decimal | None, thresholds: Sequence[Decimal]
) -> list[tuple[Decimal, Literal["up", "down"]]]:
    """The thresholds that PnL % crossed between two polls, in the order it crossed them.

    ``previous`` None (no open positions before) counts as 0; ``current`` None (no open
    positions now) crosses nothing. Reaching a threshold exactly counts as crossing it.
    """
    if current is None:
        return []
    before = Decimal(0) if previous is None else previous
    if current < before:
        down = [t for t in thresholds if current <= t < before]
        return [(t, "down") for t in sorted(down, reverse=True)]
    up = [t for t in thresholds if before < t <= current]
    return [(t, "up") for t in sorted(up)]


def infer_stop_reason(watch: Watch, realized_pnl: Decimal) -> StopReason | None:
    """Would the exchange have stopped this follow at ``realized_pnl`` (its total PnL once no
    position is open)? Checked in the exchange's order: liquidated, stop-loss, take-profit.

    Needs the watch's ``copy_amount``; without it, or without a take-profit or stop-loss that
    was reached, the answer is None.
    """
    amount = watch.copy_amount
    if amount is None or amount <= 0:
        return None
    if realized_pnl <= -amount:
        return "liquidated"
    if watch.stop_loss is not None and realized_pnl <= -amount * watch.stop_loss / 100:
        return "stop_loss"
    if watch.take_profit is not None and realized_pnl >= amount * watch.take_profit / 100:
        return "take_profit"
    return None


def diff_positions(
    before: Mapping[PositionKey, Position], positions: Sequence[Position]
) -> tuple[dict[PositionKey, Position], list[Position], list[Position]]:
    """One poll against the previous one: the positions by key (the state for the next poll),
    those that appeared, and those that are gone (as last seen)."""
    current = {position_key(p): p for p in positions}
    opened = [p for key, p in current.items() if key not in before]
    closed = [p for key, p in before.items() if key not in current]
    return current, opened, closed


def order_key(order: HistoryOrder) -> PositionKey:
    """The key of the position a history order copied (see :func:`position_key`): a buy opened
    a long, a sell a short."""
    side = {OrderSide.BUY: "long", OrderSide.SELL: "short"}.get(order.side, str(order.side))
    return (order.symbol, side, order.create_time, order.entry_price)


def is_closed(order: HistoryOrder) -> bool:
    """A trade whose profit is realised. An open order's profit is the unrealised PnL so far
    (the exchange may list open copies in the history), so it is left out."""
    return order.status != OrderStatus.OPEN


def realized_pnl(
    orders: Iterable[HistoryOrder], wanted: Collection[PositionKey] = ()
) -> tuple[Decimal, dict[PositionKey, Decimal]]:
    """The realised PnL of ``orders`` (the profit of the closed ones) and, for each position
    key in ``wanted`` that they show, what its closed trades made."""
    total = Decimal(0)
    by_position: dict[PositionKey, Decimal] = {}
    for order in orders:
        if is_closed(order):
            total += order.profit
            key = order_key(order)
            if key in wanted:
                by_position[key] = by_position.get(key, Decimal(0)) + order.profit
    return total, by_position


def follow_pnl_percent(total_pnl: Decimal, copy_amount: Decimal | None) -> Decimal | None:
    """``100 * total_pnl / copy_amount`` (realised plus unrealised, against the copy amount, as
    the exchange measures take-profit and stop-loss), rounded half-even to 0.01; None without
    a copy amount."""
    if copy_amount is None or copy_amount <= 0:
        return None
    return unsigned_zero((100 * total_pnl / copy_amount).quantize(PERCENT_QUANTUM))


def threshold_events(
    watch: Watch,
    round_no: int,
    before_percent: Decimal | None,
    percent: Decimal | None,
    thresholds: Sequence[Decimal],
    realized: Decimal | None,
    unrealized: Decimal,
) -> list[FollowEvent]:
    """A :class:`PnlThresholdCrossed` for every threshold PnL % crossed since the last poll."""
    return [
        PnlThresholdCrossed(
            watch.follow_id,
            round_no,
            level,
            direction,
            percent,
            before_percent,
            unrealized,
            watch,
            realized,
        )
        for level, direction in crossings(before_percent, percent, thresholds)
        if percent is not None
    ]
