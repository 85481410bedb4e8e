"""The spec's trader analysis: a trader's score, risk level and recommended copy amount.

(The spec's "Trader Selection" sketch is quoted in ``docs/best-practices.md``.)

The spec's ``analyze_trader_performance(trader_id)`` fetches a trader's details, scores them
and returns ``trader_id``, ``score``, ``risk_level`` and ``recommended_copy_amount``;
:func:`analyze_trader` does the same with the caller's balance and risk, in Decimal, and
:func:`analyze` is its pure part (used by :func:`~copytrade_async.toolkit.find_best_traders`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from .. import Amount, RiskLevel, TraderDetail, check_id
from ._scoring import DEFAULT_WEIGHTS, ScoreWeights, TraderScore, score_trader
from ._sizing import DEFAULT_PRECISION, DEFAULT_RISK_PERCENT, recommended_copy_amount

if TYPE_CHECKING:
    from .. import AsyncCopyTradeClient

__all__ = ["TraderAnalysis", "analyze", "analyze_trader"]


@attrs.frozen
class TraderAnalysis:
    """What the spec's analyze step returns, with the score's components kept."""

    trader_id: str
    score: TraderScore
    risk_level: RiskLevel | str
    #: ``risk_percent`` % of the balance, scaled by the score (see
    #: :func:`~copytrade_async.toolkit.recommended_copy_amount`).
    recommended_copy_amount: Decimal


def analyze(
    detail: TraderDetail,
    *,
    balance: Amount,
    risk_percent: Amount = DEFAULT_RISK_PERCENT,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
    precision: Amount = DEFAULT_PRECISION,
) -> TraderAnalysis:
    """Analyze a trader's details (no I/O)."""
    score = score_trader(detail, weights=weights)
    return TraderAnalysis(
        trader_id=detail.trader_id,
        score=score,
        risk_level=detail.risk_level,
        recommended_copy_amount=recommended_copy_amount(
            score.score, balance, risk_percent, precision=precision
        ),
    )


async def analyze_trader(
    client: AsyncCopyTradeClient,
    trader_id: str,
    *,
    balance: Amount,
    risk_percent: Amount = DEFAULT_RISK_PERCENT,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
    precision: Amount = DEFAULT_PRECISION,
) -> TraderAnalysis:
    """Fetch a trader's details and analyze them: the spec's ``analyze_trader_performance``,
    with the caller's ``balance`` and ``risk_percent`` for the recommended copy amount."""
    detail = await client.traders.get(check_id("trader_id", trader_id))
    return analyze(
        detail, balance=balance, risk_percent=risk_percent, weights=weights, precision=precision
    )
