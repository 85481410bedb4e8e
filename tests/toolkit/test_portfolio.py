"""diversify against the sandbox: the split, TP/SL, all-or-nothing rollback, partial mode."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import anyio
import pytest

from copytrade_async import (
    CopyLimitExceededError,
    CopyTradeError,
    FollowStopped,
    InvalidFollowSettingsError,
    InvalidTraderError,
    ServerError,
)
from copytrade_async.sandbox import SANDBOX_API_KEY
from copytrade_async.toolkit import Portfolio, PortfolioError, diversify, find_best_traders

from .conftest import MakeClient


class StopFails:
    """Wraps ``client.follows``: ``stop`` fails for the chosen follow ids."""

    def __init__(self, inner: Any, fail: set[str]):
        self._inner, self.fail = inner, fail

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def stop(self, follow_id: str) -> FollowStopped:
        if follow_id in self.fail:
            raise ServerError("follows.stop", "503", "unavailable", http_status=503)
        return await self._inner.stop(follow_id)


def active(client: Any) -> list[str]:
    return list(client.exchange.trader_ids(active=True))


async def test_split_follow_and_protect(make_client: MakeClient) -> None:
    client = make_client(seed=2)
    ranking = await find_best_traders(client, min_win_rate="0.5")
    portfolio = await diversify(client, ranking, Decimal("1000.01"), max_traders=3)
    assert isinstance(portfolio, Portfolio)
    assert [a.trader_id for a in portfolio.allocations] == list(ranking.trader_ids[:3])
    assert portfolio.amount_per_trader == Decimal("333.33")
    assert portfolio.allocated == Decimal("999.99")
    assert portfolio.unallocated == Decimal("0.02")
    assert not portfolio.failures
    for allocation, watch in zip(portfolio.allocations, portfolio.watches(), strict=True):
        info = client.exchange.follow_info(allocation.follow_id)
        assert info.status == "active" and info.copy_amount == Decimal("333.33")
        assert (info.take_profit, info.stop_loss) == (Decimal(50), Decimal(20))
        assert (watch.take_profit, watch.stop_loss) == (Decimal(50), Decimal(20))
        assert watch.copy_amount == Decimal("333.33")
    assert client.exchange.account().reserved == Decimal("999.99")


async def test_rollback_when_the_third_follow_hits_the_copy_limit(make_client: MakeClient) -> None:
    client = make_client(seed=2, max_follows=2)
    traders = active(client)[:3]
    with pytest.raises(PortfolioError) as caught:
        await diversify(client, traders, Decimal(3000))
    error = caught.value
    assert isinstance(error, CopyTradeError)
    assert error.failure.trader_id == traders[2] and error.failure.stage == "follow"
    assert isinstance(error.failure.error, CopyLimitExceededError)
    assert isinstance(error.__cause__, CopyLimitExceededError)
    assert len(error.rolled_back) == 2 and not error.rollback_failures
    for follow_id in error.rolled_back:
        info = client.exchange.follow_info(follow_id)
        assert (info.status, info.stop_reason) == ("stopped", "user")
        assert follow_id in str(error)
    account = client.exchange.account()
    assert account.active_follows == 0
    assert account.reserved == 0 and account.available == account.deposited
    client.exchange.check_invariant()


async def test_rollback_when_a_trader_is_inactive(make_client: MakeClient) -> None:
    client = make_client(seed=2)
    inactive = client.exchange.trader_ids(active=False)[0]
    traders = [*active(client)[:2], inactive, active(client)[2]]
    with pytest.raises(PortfolioError) as caught:
        await diversify(client, traders, Decimal(4000))
    assert isinstance(caught.value.failure.error, InvalidTraderError)
    assert len(caught.value.rolled_back) == 2
    assert client.exchange.account().active_follows == 0


async def test_rollback_of_a_follow_whose_update_failed(make_client: MakeClient) -> None:
    client = make_client(seed=2)
    with pytest.raises(PortfolioError) as caught:  # 2000 % is above the exchange's maximum
        await diversify(client, active(client)[:2], Decimal(2000), take_profit=Decimal(2000))
    error = caught.value
    assert error.failure.stage == "update" and error.failure.follow_id is not None
    assert isinstance(error.failure.error, InvalidFollowSettingsError)
    assert error.rolled_back == (error.failure.follow_id,)
    assert client.exchange.account().active_follows == 0


async def test_a_rollback_that_fails_is_reported(make_client: MakeClient) -> None:
    client = make_client(seed=2, max_follows=2)
    first = active(client)[0]
    inner = client.follows

    class FailFirstStop(StopFails):
        async def stop(self, follow_id: str) -> FollowStopped:
            info = client.exchange.follow_info(follow_id)
            if info.trader_id == first:
                self.fail.add(follow_id)
            return await super().stop(follow_id)

    client.follows = FailFirstStop(inner, set())  # type: ignore[assignment]
    with pytest.raises(PortfolioError) as caught:
        await diversify(client, active(client)[:3], Decimal(3000))
    error = caught.value
    assert len(error.rolled_back) == 1
    [(stuck, why)] = error.rollback_failures
    assert isinstance(why, ServerError)
    assert client.exchange.follow_info(stuck).status == "active"
    assert "could NOT stop" in str(error) and stuck in str(error)


async def test_partial_keeps_what_succeeded(make_client: MakeClient) -> None:
    client = make_client(seed=2, max_follows=2)
    traders = active(client)[:3]
    portfolio = await diversify(client, traders, Decimal(3000), mode="partial")
    assert [a.trader_id for a in portfolio.allocations] == traders[:2]
    [failure] = portfolio.failures
    assert failure.trader_id == traders[2] and failure.stage == "follow"
    assert isinstance(failure.error, CopyLimitExceededError)
    assert portfolio.allocated == Decimal(2000) and portfolio.unallocated == Decimal(1000)
    assert client.exchange.account().active_follows == 2


async def test_partial_stops_a_follow_left_without_tp_sl(make_client: MakeClient) -> None:
    client = make_client(seed=2)
    portfolio = await diversify(
        client, active(client)[:2], Decimal(2000), stop_loss=Decimal(500), mode="partial"
    )
    assert not portfolio.allocations
    assert [f.stage for f in portfolio.failures] == ["update", "update"]
    for failure in portfolio.failures:
        assert failure.follow_id is not None and failure.stop_error is None
        assert client.exchange.follow_info(failure.follow_id).status == "stopped"
        assert "stopped" in str(failure)


async def test_cancelled_half_way_stops_what_it_opened(make_client: MakeClient) -> None:
    client = make_client(seed=2)
    inner = client.follows
    calls = []

    class SlowSecondStart(StopFails):
        async def start(self, **kwargs: Any) -> Any:
            calls.append(kwargs["trader_id"])
            if len(calls) == 2:
                await anyio.sleep(30)
            return await inner.start(**kwargs)

    client.follows = SlowSecondStart(inner, set())  # type: ignore[assignment]
    with anyio.move_on_after(0.3):
        await diversify(client, active(client)[:3], Decimal(3000))
    assert len(calls) == 2
    assert client.exchange.account().active_follows == 0


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((["1"], 1000.0), {}, "float"),
        ((["1", "2"], Decimal("0.01")), {}, "too little"),
        ((["1"], Decimal(100)), {"minimum": Decimal(200)}, "too little"),
        (([], Decimal(100)), {}, "no traders"),
        ((["1"], Decimal(100)), {"mode": "some"}, "mode"),
        ((["1"], Decimal(100)), {"max_traders": 0}, "max_traders"),
    ],
)
async def test_refused_before_any_request(
    make_client: MakeClient, args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    client = make_client()
    with pytest.raises(ValueError, match=message):
        await diversify(client, *args, **kwargs)
    assert client.exchange.stats.total == 0


async def test_uses_sandbox_default_account(make_client: MakeClient) -> None:
    client = make_client(seed=2)
    portfolio = await diversify(client, active(client)[:1], Decimal(100), take_profit=None)
    info = client.exchange.follow_info(portfolio.follow_ids[0])
    assert info.api_key == SANDBOX_API_KEY
    assert (info.take_profit, info.stop_loss) == (None, Decimal(20))
