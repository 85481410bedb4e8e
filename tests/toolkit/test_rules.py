"""The spec's two rules, with their defaults, on events made by hand and a client that records
what it is asked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from copytrade_async import FollowSettings
from copytrade_async.toolkit import (
    LockInProfitsRule,
    PnlThresholdCrossed,
    ReduceRiskRule,
    Watch,
)

D = Decimal


class Follows:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    async def update(self, follow_id: str, **changes: Any) -> FollowSettings:
        self.updates.append({"follow_id": follow_id, **changes})
        return FollowSettings(
            follow_id=follow_id,
            copy_amount=D(1000),
            leverage=D(10),
            take_profit=changes.get("take_profit") or D(50),
            stop_loss=changes.get("stop_loss") or D(20),
            status="active",
        )


class Client:
    def __init__(self) -> None:
        self.follows = Follows()


def crossed(percent: str, threshold: str, direction: str) -> PnlThresholdCrossed:
    watch = Watch("7", copy_amount=1000, take_profit=50, stop_loss=20)
    return PnlThresholdCrossed(
        "7",
        3,
        D(threshold),
        direction,
        D(percent),
        D(0),
        D(0),
        watch,  # type: ignore[arg-type]
    )


async def test_reduce_risk_tightens_the_stop_loss_without_stopping_the_follow() -> None:
    client = Client()
    action = await ReduceRiskRule()(crossed("-10.40", "-10", "down"), client)  # type: ignore[arg-type]
    assert action is not None and action.settings is not None
    # From the spec's 20 % to 15 %: beyond the -10.40 % already lost, so not an instant stop.
    assert client.follows.updates == [{"follow_id": "7", "stop_loss": D(15), "leverage": None}]
    assert action.settings.stop_loss == D(15) and "20 -> 15%" in action.description
    assert await ReduceRiskRule()(crossed("31", "30", "up"), client) is None  # type: ignore[arg-type]
    assert len(client.follows.updates) == 1


async def test_lock_in_lowers_the_take_profit() -> None:
    client = Client()
    action = await LockInProfitsRule()(crossed("30.50", "30", "up"), client)  # type: ignore[arg-type]
    assert action is not None
    assert client.follows.updates == [{"follow_id": "7", "take_profit": D(10)}]
    assert await LockInProfitsRule()(crossed("-11", "-10", "down"), client) is None  # type: ignore[arg-type]
