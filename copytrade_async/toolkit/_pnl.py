"""The monitor's rules as pure functions: PnL %, threshold crossings, what changed between two
polls, and stop inference.

PnL % is computed in Decimal over *margin*, which is what a leveraged position puts at stake::

    margin(position) = entry_price * size / leverage
    pnl_percent      = 100 * sum(unrealized_pnl) / sum(margin)      (over the open positions)

The spec's sketch divides by the notional ``entry_price * size`` instead (``basis="notional"``
offers that), which at 10x leverage reports a 10 % loss of margin as -1 %; dividing by margin
makes "-10 %" mean "a tenth of the money at stake is gone", whatever the leverage. The default
thresholds (-10 % and +30 %, the spec's) are meant that way, so margin is the default basis.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Literal, TypeAlias

from .. import Position
from ._convert import unsigned_zero
from ._events import (
    FollowEvent,
    PnlThresholdCrossed,
    PositionClosed,
    PositionOpened,
    StopReason,
    Watch,
)

__all__ = [
    "PERCENT_QUANTUM",
    "PnlBasis",
    "crossings",
    "infer_stop_reason",
    "observe",
    "pnl_percent",
    "position_key",
    "position_margin",
    "position_notional",
]

PERCENT_QUANTUM = Decimal("0.01")

PositionKey = tuple[str, str, datetime, Decimal]
#: What PnL % is a percentage of: the margin at stake (the default) or the notional value.
PnlBasis: TypeAlias = Literal["margin", "notional"]
PNL_BASES: tuple[PnlBasis, ...] = ("margin", "notional")


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


def pnl_percent(positions: Iterable[Position], basis: PnlBasis = "margin") -> Decimal | None:
    """Unrealized PnL as a percentage of margin (or of notional value, with
    ``basis="notional"``), over ``positions`` (None when there are none or they hold nothing),
    rounded half-even to 0.01."""
    measure = position_margin if check_basis(basis) == "margin" else position_notional
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


def observe(
    watch: Watch,
    round_no: int,
    before: Mapping[PositionKey, Position],
    before_percent: Decimal | None,
    positions: Sequence[Position],
    thresholds: Sequence[Decimal],
    basis: PnlBasis = "margin",
) -> tuple[dict[PositionKey, Position], Decimal | None, list[FollowEvent]]:
    """Compare one poll of a follow's positions with the previous one.

    Returns the positions by key and the PnL % (the state for the next poll) and the events:
    positions opened, positions closed, thresholds crossed.
    """
    follow_id = watch.follow_id
    current = {position_key(p): p for p in positions}
    events: list[FollowEvent] = [
        PositionOpened(follow_id, round_no, p) for key, p in current.items() if key not in before
    ]
    events += [
        PositionClosed(follow_id, round_no, p) for key, p in before.items() if key not in current
    ]
    percent = pnl_percent(positions, basis)
    if percent is not None:
        unrealized = sum((p.unrealized_pnl for p in positions), Decimal(0))
        for level, direction in crossings(before_percent, percent, thresholds):
            events.append(
                PnlThresholdCrossed(
                    follow_id,
                    round_no,
                    level,
                    direction,
                    percent,
                    before_percent,
                    unrealized,
                    watch,
                )
            )
    return current, percent, events
