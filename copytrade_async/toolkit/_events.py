"""What the monitor watches (:class:`Watch`) and what it reports (the events).

Every event is a frozen attrs record with the ``follow_id`` it is about (except
:class:`RoundCompleted`) and the polling ``round`` (1, 2, ...) in which it was seen.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, TypeAlias

import attrs

from .. import FollowSettings, Position
from ._convert import optional_decimal

__all__ = [
    "FollowEnded",
    "FollowEvent",
    "FollowPnl",
    "MonitorEvent",
    "PnlThresholdCrossed",
    "PositionClosed",
    "PositionOpened",
    "RoundCompleted",
    "RuleAction",
    "RuleFailed",
    "RuleFired",
    "StopReason",
    "Watch",
    "WatchFailed",
]

StopReason = Literal["take_profit", "stop_loss", "liquidated", "settings_update"]


@attrs.frozen
class Watch:
    """A follow to watch, with what the caller knows of its settings.

    ``copy_amount``, ``take_profit`` and ``stop_loss`` (percent of the copy amount, as sent to
    ``follows.update``) are optional; with them the monitor can tell a follow that was stopped by
    its take-profit or stop-loss from one whose trader merely closed every position.
    """

    follow_id: str
    copy_amount: Decimal | None = attrs.field(default=None, converter=optional_decimal)
    take_profit: Decimal | None = attrs.field(default=None, converter=optional_decimal)
    stop_loss: Decimal | None = attrs.field(default=None, converter=optional_decimal)

    def with_settings(self, settings: FollowSettings) -> Watch:
        """This watch, updated from an answer of ``follows.update``."""
        return Watch(
            self.follow_id,
            copy_amount=settings.copy_amount,
            take_profit=settings.take_profit,
            stop_loss=settings.stop_loss,
        )


@attrs.frozen
class PositionOpened:
    """A position appeared in the follow (the trader opened one and it was copied)."""

    follow_id: str
    round: int
    position: Position


@attrs.frozen
class PositionClosed:
    """A position seen in the previous round is gone (``position`` is its last snapshot, so
    its ``unrealized_pnl`` is what it showed then, not its result).

    ``realized_pnl`` is its result: the profit of the closed trades the follow's history shows
    for it (same symbol, side, open time and entry price); None when the history did not show
    it, or could not be read this round.
    """

    follow_id: str
    round: int
    position: Position
    realized_pnl: Decimal | None = None


@attrs.frozen
class PnlThresholdCrossed:
    """The follow's PnL % crossed a threshold.

    By default ``pnl_percent`` is realised plus unrealised PnL against the copy amount (see
    :func:`~copytrade_async.toolkit.monitor`'s ``pnl_basis``). ``direction`` is ``"down"`` when
    it fell through the threshold and ``"up"`` when it rose through it. ``previous_percent`` is
    None on the first measure (counted from 0). ``unrealized_pnl`` is that of the open
    positions, ``realized_pnl`` that of the closed trades (None when not known). ``watch`` is
    what the monitor knew of the follow's settings at that moment.
    """

    follow_id: str
    round: int
    threshold: Decimal
    direction: Literal["up", "down"]
    pnl_percent: Decimal
    previous_percent: Decimal | None
    unrealized_pnl: Decimal
    watch: Watch
    realized_pnl: Decimal | None = None


@attrs.frozen
class FollowEnded:
    """The follow is stopped, so the monitor stops watching it. (The record that
    ``follows.stop`` returns is :class:`copytrade_async.FollowStopped`; this is an event.)

    ``inferred`` is True when this is a conclusion rather than something the exchange said
    (see :func:`~copytrade_async.toolkit.monitor` for how it is reached); ``realized_pnl`` is
    the sum of the follow's closed trades when the monitor read its history.
    """

    follow_id: str
    round: int
    reason: StopReason
    realized_pnl: Decimal | None
    inferred: bool


@attrs.frozen
class WatchFailed:
    """Polling this follow failed this round; the monitor keeps watching it and the others."""

    follow_id: str
    round: int
    error: Exception = attrs.field(eq=False)


@attrs.frozen
class RuleAction:
    """What a rule did: a description, and the follow's settings afterwards if it changed them."""

    description: str
    settings: FollowSettings | None = None


@attrs.frozen
class RuleFired:
    """A rule acted on an event (``action`` says what it did)."""

    follow_id: str
    round: int
    rule: str
    action: RuleAction
    trigger: FollowEvent


@attrs.frozen
class RuleFailed:
    """A rule raised while handling an event; the monitor goes on."""

    follow_id: str
    round: int
    rule: str
    error: Exception = attrs.field(eq=False)
    trigger: FollowEvent | None = None


@attrs.frozen
class FollowPnl:
    """One follow's PnL as polled in a round.

    ``realized_pnl`` is the profit of its closed trades (from its history, read when the
    monitor began and whenever a position closed; None while it could not be read),
    ``unrealized_pnl`` that of its ``open_positions``, and ``pnl_percent`` the percentage the
    thresholds are checked against (None when it cannot be measured).
    """

    follow_id: str
    realized_pnl: Decimal | None
    unrealized_pnl: Decimal
    pnl_percent: Decimal | None
    open_positions: int
    copy_amount: Decimal | None = None

    @property
    def total_pnl(self) -> Decimal | None:
        """Realised plus unrealised (None while the realised part is unknown)."""
        if self.realized_pnl is None:
            return None
        return self.realized_pnl + self.unrealized_pnl


@attrs.frozen
class RoundCompleted:
    """Every watched follow was polled once. ``interval`` is the round interval in force.

    ``pnl`` holds a :class:`FollowPnl` for every follow polled successfully this round, in
    the order they were given to the monitor.
    """

    round: int
    polled: int
    failed: int
    interval: float
    pnl: tuple[FollowPnl, ...] = ()


#: An event about one follow (what rules are shown).
FollowEvent: TypeAlias = (
    PositionOpened | PositionClosed | PnlThresholdCrossed | FollowEnded | WatchFailed
)
#: Anything :func:`~copytrade_async.toolkit.monitor` yields.
MonitorEvent: TypeAlias = FollowEvent | RuleFired | RuleFailed | RoundCompleted
