"""Pluggable reactions to monitor events: the :class:`Rule` protocol and the spec's two rules.

(The spec's ``monitor_copy_performance`` sketch calls ``reduce_position_risk`` and
``lock_in_profits`` without defining them; ``docs/best-practices.md`` quotes it.)

A rule is any object with ``async def __call__(event, client) -> RuleAction | None``. The
monitor shows it every event about a follow (:data:`FollowEvent`) as soon as it is seen, in the
task that polled that follow; a rule returns ``None`` to do nothing, or a :class:`RuleAction`
saying what it did (with the follow's new settings when it called ``follows.update``, which the
monitor then uses). The monitor reports it as :class:`RuleFired`, or as :class:`RuleFailed`
if the rule raised. A rule that wants a name other than its class's sets ``name``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

from ._convert import decimal_value, optional_decimal
from ._events import FollowEvent, PnlThresholdCrossed, RuleAction

if TYPE_CHECKING:
    from .. import AsyncCopyTradeClient

__all__ = ["LockInProfitsRule", "ReduceRiskRule", "Rule", "rule_name"]


@runtime_checkable
class Rule(Protocol):
    """What a monitor rule is: an async callable that may act on an event and says what it
    did (or ``None``)."""

    async def __call__(
        self, event: FollowEvent, client: AsyncCopyTradeClient
    ) -> RuleAction | None: ...


def rule_name(rule: Rule) -> str:
    name = getattr(rule, "name", None)
    return name if isinstance(name, str) and name else type(rule).__name__


@attrs.frozen
class ReduceRiskRule:
    """When a follow's PnL % falls through ``trigger`` (default -10 %), tighten its stop-loss.

    The stop-loss becomes ``stop_loss`` percent of the copy amount (default 15, tighter than the
    spec's 20), unless the monitor knows a tighter one is set already; with ``leverage`` it also
    lowers the leverage, which applies to positions opened from then on. The monitor's PnL % is
    by default the measure the exchange applies the stop-loss to (realised plus unrealised PnL
    against the copy amount), so a stop-loss at or inside the trigger (10 against -10 %) would
    stop the follow at once: the default leaves room between the two. If the follow has already
    lost more than the new stop-loss, the exchange stops it at once.
    """

    trigger: Decimal = attrs.field(default=Decimal("-10"), converter=decimal_value)
    stop_loss: Decimal = attrs.field(default=Decimal("15"), converter=decimal_value)
    leverage: Decimal | None = attrs.field(default=None, converter=optional_decimal)

    async def __call__(self, event: FollowEvent, client: AsyncCopyTradeClient) -> RuleAction | None:
        if not isinstance(event, PnlThresholdCrossed) or event.direction != "down":
            return None
        if event.pnl_percent > self.trigger:
            return None
        known = event.watch.stop_loss
        tighten = known is None or self.stop_loss < known
        if not tighten and self.leverage is None:
            return None
        settings = await client.follows.update(
            event.follow_id,
            stop_loss=self.stop_loss if tighten else None,
            leverage=self.leverage,
        )
        done = [f"stop-loss {known} -> {self.stop_loss}%"] if tighten else []
        if self.leverage is not None:
            done.append(f"leverage -> {self.leverage}x")
        return RuleAction(f"PnL {event.pnl_percent}%: " + ", ".join(done), settings)


@attrs.frozen
class LockInProfitsRule:
    """When a follow's PnL % rises through ``trigger`` (default +30 %), lock in profit.

    The API has no trailing stop, and a stop-loss cannot be set above break-even, so locking
    in means lowering the take-profit to ``take_profit`` percent of the copy amount (default 10,
    against the spec's 50): the follow is closed as soon as its total PnL reaches that, and at
    once if it already has. With the monitor's default PnL % (realised plus unrealised against
    the copy amount, the take-profit's own measure) a take-profit below the trigger means at
    once: at +30 % the follow is closed and the profit banked. A take-profit the monitor knows
    to be lower already is left alone.
    """

    trigger: Decimal = attrs.field(default=Decimal("30"), converter=decimal_value)
    take_profit: Decimal = attrs.field(default=Decimal("10"), converter=decimal_value)

    async def __call__(self, event: FollowEvent, client: AsyncCopyTradeClient) -> RuleAction | None:
        if not isinstance(event, PnlThresholdCrossed) or event.direction != "up":
            return None
        if event.pnl_percent < self.trigger:
            return None
        known = event.watch.take_profit
        if known is not None and known <= self.take_profit:
            return None
        settings = await client.follows.update(event.follow_id, take_profit=self.take_profit)
        return RuleAction(
            f"PnL {event.pnl_percent}%: take-profit {known} -> {self.take_profit}%", settings
        )
