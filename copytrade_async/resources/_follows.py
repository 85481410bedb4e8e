"""``client.follows``: start, update and stop copying a trader, and its open positions."""

from __future__ import annotations

from .._http import FOLLOW, POSITIONS, STOP, UPDATE_SETTINGS
from .._records import Follow, FollowSettings, FollowStopped, MarginMode, Position
from .._validation import check_choice, check_id, check_leverage, check_positive_amount
from ._params import MARGIN_MODES, Amount, Leverage, MarginModeName
from ._resource import Resource, many, one

__all__ = ["Follows"]


class Follows(Resource):
    """``client.follows``: start, change and stop copying a trader, and read its positions."""

    __slots__ = ()

    async def start(
        self,
        *,
        trader_id: str,
        copy_amount: Amount,
        leverage: Leverage,
        margin_mode: MarginMode | MarginModeName = MarginMode.ISOLATED,
    ) -> Follow:
        """Start copying a trader with ``copy_amount`` (Decimal, int or numeric str).

        This commits money, so it is retried only when the server provably did not act.
        """
        body = {
            "traderId": check_id("trader_id", trader_id),
            "copyAmount": check_positive_amount("copy_amount", copy_amount),
            "leverage": check_leverage(leverage),
            "marginMode": check_choice("margin_mode", margin_mode, MARGIN_MODES),
        }
        return await self._post(FOLLOW, body, one(FOLLOW, Follow))

    async def stop(self, follow_id: str) -> FollowStopped:
        """Stop copying: the exchange closes the follow's positions. Safe to repeat."""
        body = {"followId": check_id("follow_id", follow_id)}
        return await self._post(STOP, body, one(STOP, FollowStopped))

    async def update(
        self,
        follow_id: str,
        *,
        copy_amount: Amount | None = None,
        leverage: Leverage | None = None,
        take_profit: Amount | None = None,
        stop_loss: Amount | None = None,
    ) -> FollowSettings:
        """Change a follow's settings; take_profit and stop_loss are percentages."""
        body = {"followId": check_id("follow_id", follow_id)}
        if copy_amount is not None:
            body["copyAmount"] = check_positive_amount("copy_amount", copy_amount)
        if leverage is not None:
            body["leverage"] = check_leverage(leverage)
        if take_profit is not None:
            body["takeProfit"] = check_positive_amount("take_profit", take_profit)
        if stop_loss is not None:
            body["stopLoss"] = check_positive_amount("stop_loss", stop_loss)
        if len(body) == 1:
            raise ValueError(
                "update() needs at least one of copy_amount, leverage, take_profit, stop_loss"
            )
        return await self._post(UPDATE_SETTINGS, body, one(UPDATE_SETTINGS, FollowSettings))

    async def positions(self, follow_id: str) -> list[Position]:
        """The follow's open positions."""
        params = {"followId": check_id("follow_id", follow_id)}
        return await self._get(POSITIONS, params, many(POSITIONS, Position))
