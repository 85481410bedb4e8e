"""Workflows on top of the client: sizing, scoring, selecting, diversifying and monitoring.

Everything here uses only the public client (:class:`~copytrade_async.AsyncCopyTradeClient`),
so it runs the same against the exchange and against
:meth:`AsyncCopyTradeClient.sandbox() <copytrade_async.AsyncCopyTradeClient.sandbox>`::

    ranking = await find_best_traders(client, top=5)
    budget = size_copy_amount(balance, 20)
    portfolio = await diversify(client, ranking, budget)
    async with monitor(client, portfolio.watches(), rules=(ReduceRiskRule(),)) as events:
        async for event in events:
            ...

Money is always :class:`~decimal.Decimal`; a ``float`` amount is refused with ``ValueError``
(and by mypy: money, percentages and ratios are typed ``Decimal | int | str``).

"The spec" in these docstrings is the API specification the client implements; its "Best
Practices" section (the sketches ``calculate_copy_amount``, ``analyze_trader_performance``,
``find_best_traders``, ``diversify_copy_portfolio``, ``monitor_copy_performance``) is quoted,
and compared with what the toolkit does, in ``docs/best-practices.md``; the endpoints are in
the README's tour of the API.
:func:`run_demo` runs the whole workflow on a seeded sandbox and prints a report.
"""

from ._analysis import TraderAnalysis, analyze, analyze_trader
from ._demo import run_demo
from ._demo_report import DemoReport, FollowResult
from ._events import (
    FollowEnded,
    FollowEvent,
    FollowPnl,
    MonitorEvent,
    PnlThresholdCrossed,
    PositionClosed,
    PositionOpened,
    RoundCompleted,
    RuleAction,
    RuleFailed,
    RuleFired,
    StopReason,
    Watch,
    WatchFailed,
)
from ._monitor import DEFAULT_THRESHOLDS, Monitor, monitor
from ._pacing import DEFAULT_RATE, client_rate
from ._pnl import (
    PnlBasis,
    PositionBasis,
    crossings,
    infer_stop_reason,
    pnl_percent,
    position_margin,
    position_notional,
)
from ._portfolio import Allocation, AllocationFailure, Portfolio, PortfolioError, diversify
from ._rules import LockInProfitsRule, ReduceRiskRule, Rule
from ._scoring import DEFAULT_WEIGHTS, ScoreWeights, TraderScore, score_trader
from ._selection import RankedTrader, Ranking, RankingFailure, TraderFilter, find_best_traders
from ._sizing import (
    DEFAULT_PRECISION,
    DEFAULT_RISK_PERCENT,
    recommended_copy_amount,
    size_copy_amount,
    split_amount,
)

__all__ = [
    "DEFAULT_PRECISION",
    "DEFAULT_RATE",
    "DEFAULT_RISK_PERCENT",
    "DEFAULT_THRESHOLDS",
    "DEFAULT_WEIGHTS",
    "Allocation",
    "AllocationFailure",
    "DemoReport",
    "FollowEnded",
    "FollowEvent",
    "FollowPnl",
    "FollowResult",
    "LockInProfitsRule",
    "Monitor",
    "MonitorEvent",
    "PnlBasis",
    "PnlThresholdCrossed",
    "Portfolio",
    "PortfolioError",
    "PositionBasis",
    "PositionClosed",
    "PositionOpened",
    "RankedTrader",
    "Ranking",
    "RankingFailure",
    "ReduceRiskRule",
    "RoundCompleted",
    "Rule",
    "RuleAction",
    "RuleFailed",
    "RuleFired",
    "ScoreWeights",
    "StopReason",
    "TraderAnalysis",
    "TraderFilter",
    "TraderScore",
    "Watch",
    "WatchFailed",
    "analyze",
    "analyze_trader",
    "client_rate",
    "crossings",
    "diversify",
    "find_best_traders",
    "infer_stop_reason",
    "monitor",
    "pnl_percent",
    "position_margin",
    "position_notional",
    "recommended_copy_amount",
    "run_demo",
    "score_trader",
    "size_copy_amount",
    "split_amount",
]
