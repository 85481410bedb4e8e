"""Type checks of the toolkit's arguments, run by mypy (``tests/typing/test_typing.py``)::

    mypy --strict --warn-unused-ignores tests/typing

Money, percentages and ratios are ``Decimal | int | str`` as in the client, so a ``float`` is a
type error before it is a ``ValueError`` at run time. Each line marked ``# type: ignore[...]``
must be an error: with ``--warn-unused-ignores``, a mistake that stops being caught fails.
"""

from __future__ import annotations

from decimal import Decimal
from typing import assert_type

from copytrade_async import AsyncCopyTradeClient
from copytrade_async.toolkit import (
    LockInProfitsRule,
    Portfolio,
    Ranking,
    ReduceRiskRule,
    RoundCompleted,
    ScoreWeights,
    TraderAnalysis,
    Watch,
    analyze_trader,
    diversify,
    find_best_traders,
    monitor,
    recommended_copy_amount,
    size_copy_amount,
    split_amount,
)


async def arguments_that_are_right(client: AsyncCopyTradeClient, ranking: Ranking) -> None:
    assert_type(size_copy_amount(Decimal("10000"), 5), Decimal)
    assert_type(size_copy_amount("10000", "2.5", precision="0.01", minimum=10), Decimal)
    assert_type(split_amount(Decimal("3000.00"), 4), tuple[Decimal, Decimal])
    assert_type(recommended_copy_amount(Decimal("63.2"), 10000), Decimal)
    found = await find_best_traders(client, min_win_rate="0.55", balance=10000, risk_percent=5)
    assert_type(found, Ranking)
    analysis = await analyze_trader(client, "123", balance=Decimal(5000), risk_percent="2")
    assert_type(analysis, TraderAnalysis)
    portfolio = await diversify(client, ranking, 1000, take_profit="40", stop_loss=Decimal(15))
    assert_type(portfolio, Portfolio)
    Watch("f", copy_amount=1000, take_profit="50", stop_loss=Decimal(20))
    ReduceRiskRule(trigger=-5, stop_loss="8")
    LockInProfitsRule(trigger=Decimal(20))
    ScoreWeights(sharpe="0.5", drawdown=0)
    async with monitor(client, ["f"], thresholds=(-10, "25", Decimal(50))) as events:
        async for event in events:
            if isinstance(event, RoundCompleted):
                for snapshot in event.pnl:
                    assert_type(snapshot.unrealized_pnl, Decimal)
                    assert_type(snapshot.realized_pnl, Decimal | None)


async def mistakes_a_type_checker_catches(client: AsyncCopyTradeClient, ranking: Ranking) -> None:
    await diversify(client, ranking, 1000.5)  # type: ignore[arg-type]
    await diversify(client, ranking, 1000, take_profit=0.5)  # type: ignore[arg-type]
    await diversify(client, ranking, 1000, stop_loss=20.0)  # type: ignore[arg-type]
    await diversify(client, ranking, 1000, minimum=5.0)  # type: ignore[arg-type]
    size_copy_amount(10000.0, 5)  # type: ignore[arg-type]
    size_copy_amount(10000, 2.5)  # type: ignore[arg-type]
    split_amount(3000.0, 4)  # type: ignore[arg-type]
    recommended_copy_amount(63.2, 10000)  # type: ignore[arg-type]
    await find_best_traders(client, min_win_rate=0.6)  # type: ignore[arg-type]
    await find_best_traders(client, balance=10000.0)  # type: ignore[arg-type]
    await analyze_trader(client, "123", balance=5000.0)  # type: ignore[arg-type]
    Watch("f", copy_amount=1000.0)  # type: ignore[arg-type]
    ReduceRiskRule(trigger=-5.0)  # type: ignore[arg-type]
    LockInProfitsRule(take_profit=10.0)  # type: ignore[arg-type]
    ScoreWeights(sharpe=0.5)  # type: ignore[arg-type]
    monitor(client, ["f"], thresholds=(-10.0, 30.0))  # type: ignore[arg-type]
