"""find_best_traders against the sandbox: filters, ranking, bounded concurrency, failures."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import anyio
import pytest

from copytrade_async import AsyncPaginator, ServerError, Trader, TraderDetail
from copytrade_async.toolkit import Ranking, find_best_traders, score_trader

from .conftest import MakeClient


class InstrumentedTraders:
    """Wraps ``client.traders``: fails or stalls chosen traders, and counts calls in flight."""

    def __init__(self, inner: Any, fail: set[str] = frozenset(), slow: set[str] = frozenset()):
        self._inner = inner
        self.fail, self.slow = set(fail), set(slow)
        self.in_flight = self.max_in_flight = self.calls = 0

    def list(self, **kwargs: Any) -> AsyncPaginator[Trader]:
        return self._inner.list(**kwargs)

    async def get(self, trader_id: str) -> TraderDetail:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await anyio.sleep(0.002)
            if trader_id in self.fail:
                raise ServerError("traders.get", "500", "boom", http_status=500)
            if trader_id in self.slow:
                await anyio.sleep(30)
            return await self._inner.get(trader_id)
        finally:
            self.in_flight -= 1


async def test_ranks_every_qualifying_trader_best_first(make_client: MakeClient) -> None:
    client = make_client(seed=3, traders=150)
    ranking = await find_best_traders(client)
    rows = [t async for t in client.traders.list()]
    expected = {
        t.trader_id
        for t in rows
        if t.status == "active" and t.trading_days >= 30 and t.win_rate >= Decimal("0.6")
    }
    assert isinstance(ranking, Ranking)
    assert ranking.walked == 150
    assert ranking.qualified == len(expected) > 5
    assert set(ranking.trader_ids) == expected
    assert not ranking.failures
    scores = [entry.score.score for entry in ranking.ranked]
    assert scores == sorted(scores, reverse=True)
    first = ranking.ranked[0]
    assert first.score == score_trader(first.detail)


@pytest.mark.parametrize(
    ("kwargs", "check"),
    [
        ({"risk_levels": ["low"]}, lambda t: t.risk_level == "low"),
        ({"min_win_rate": "0.5", "min_trading_days": 365}, lambda t: t.trading_days >= 365),
        ({"active_only": False, "min_win_rate": "0", "min_trading_days": 0}, lambda t: True),
    ],
)
async def test_filters(make_client: MakeClient, kwargs: dict[str, Any], check: Any) -> None:
    client = make_client(seed=4, traders=120)
    ranking = await find_best_traders(client, **kwargs)
    assert ranking.ranked
    assert all(check(entry.detail) for entry in ranking.ranked)
    if kwargs.get("active_only") is False:
        assert any(entry.detail.status == "inactive" for entry in ranking.ranked)
        assert len(ranking.ranked) == ranking.walked == 120


async def test_top_and_bounded_concurrency(make_client: MakeClient) -> None:
    client = make_client(seed=5, traders=200)
    spy = InstrumentedTraders(client.traders)
    client.traders = spy  # type: ignore[assignment]
    ranking = await find_best_traders(client, min_win_rate="0.5", top=3, concurrency=4)
    assert len(ranking.ranked) == 3
    assert spy.calls == ranking.qualified > 20
    assert spy.max_in_flight == 4


async def test_a_failing_and_a_slow_detail_are_skipped(make_client: MakeClient) -> None:
    client = make_client(seed=3, traders=150)
    full = await find_best_traders(client)
    broken, stalled = full.trader_ids[0], full.trader_ids[1]
    client.traders = InstrumentedTraders(  # type: ignore[assignment]
        client.traders, fail={broken}, slow={stalled}
    )
    started = time.perf_counter()
    ranking = await find_best_traders(client, detail_timeout=0.2)
    assert time.perf_counter() - started < 5
    assert set(ranking.trader_ids) == set(full.trader_ids) - {broken, stalled}
    failures = {f.trader_id: f for f in ranking.failures}
    assert set(failures) == {broken, stalled}
    assert isinstance(failures[broken].error, ServerError)
    assert isinstance(failures[stalled].error, TimeoutError)
    assert "timed out" in str(failures[stalled])


async def test_list_failure_is_raised_as_itself(make_client: MakeClient) -> None:
    client = make_client(seed=1, traders=30)

    class BrokenList(InstrumentedTraders):
        def list(self, **kwargs: Any) -> AsyncPaginator[Trader]:
            async def fetch(page_no: int) -> Any:
                raise ServerError("traders.list", "500", "down", http_status=500)

            return AsyncPaginator(fetch)

    client.traders = BrokenList(client.traders)  # type: ignore[assignment]
    with pytest.raises(ServerError, match="down"):
        await find_best_traders(client)


@pytest.mark.parametrize(
    "kwargs",
    [{"concurrency": 0}, {"top": 0}, {"detail_timeout": 0}, {"min_win_rate": 0.6}],
)
async def test_bad_arguments(make_client: MakeClient, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        await find_best_traders(make_client(traders=5), **kwargs)
