"""The spec's analyze step: a trader's score, risk level and recommended copy amount, from the
caller's balance and risk."""

from __future__ import annotations

from decimal import Decimal

import pytest

from copytrade_async.toolkit import (
    analyze,
    analyze_trader,
    find_best_traders,
    recommended_copy_amount,
    score_trader,
)

from .conftest import MakeClient


async def test_analyze_trader_is_the_specs_analyze_step(make_client: MakeClient) -> None:
    client = make_client(seed=3, traders=20)
    trader_id = client.exchange.trader_ids(active=True)[0]
    analysis = await analyze_trader(client, trader_id, balance="20000", risk_percent=10)
    detail = await client.traders.get(trader_id)
    score = score_trader(detail)
    assert analysis.trader_id == trader_id
    assert analysis.score == score
    assert analysis.risk_level == detail.risk_level
    budget = Decimal(2000)  # 10 % of 20,000
    assert analysis.recommended_copy_amount == recommended_copy_amount(score.score, 20000, 10)
    assert 0 <= analysis.recommended_copy_amount <= budget
    assert analysis == analyze(detail, balance=Decimal(20000), risk_percent=10)


async def test_bad_arguments_are_refused_before_any_request(make_client: MakeClient) -> None:
    client = make_client(seed=3, traders=20)
    with pytest.raises(ValueError, match="trader_id"):
        await analyze_trader(client, "", balance=1000)
    with pytest.raises(ValueError, match="balance"):
        await find_best_traders(client, balance=1000.0)
    assert client.exchange.stats.total == 0


async def test_find_best_traders_recommends_amounts_when_given_a_balance(
    make_client: MakeClient,
) -> None:
    client = make_client(seed=3, traders=60)
    plain = await find_best_traders(client, top=5)
    assert all(entry.recommended_copy_amount is None for entry in plain.ranked)
    ranking = await find_best_traders(client, top=5, balance="50000")
    assert [e.trader_id for e in ranking.ranked] == [e.trader_id for e in plain.ranked]
    for entry in ranking.ranked:
        expected = recommended_copy_amount(entry.score.score, "50000")  # the spec's 5 %
        assert entry.recommended_copy_amount == expected
