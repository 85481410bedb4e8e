"""Copy-trading performance as pure functions in ``Decimal``: PnL, return, equity curve,
drawdown, daily returns, Sharpe and Sortino, win rate, profit factor, and breakdowns by symbol,
side, month and trader, per follow and for a portfolio::

    orders = await client.history.list(follow_id).collect()
    positions = await client.follows.positions(follow_id)
    figures = analyze_follow(orders, follow_id=follow_id, copy_amount=Decimal(1000),
                             positions=positions)
    print(figures.total_pnl, figures.max_drawdown.percent, figures.sharpe_ratio)
    print(figures.to_json())

:func:`analyze_portfolio` does the same for several follows taken as one account, with each
follow's figures and a breakdown by trader. Every figure record has ``to_dict()`` and
``to_json()`` (money as plain strings).
"""

from ._analyze import analyze_follow, analyze_portfolio
from ._figures import (
    ANNUALISATION_DAYS,
    FIGURE_QUANTUM,
    UNKNOWN_TRADER,
    Breakdown,
    DailyReturn,
    Drawdown,
    EquityPoint,
    Figures,
    FollowFigures,
    PortfolioFigures,
    TradeStats,
)

__all__ = [
    "ANNUALISATION_DAYS",
    "FIGURE_QUANTUM",
    "UNKNOWN_TRADER",
    "Breakdown",
    "DailyReturn",
    "Drawdown",
    "EquityPoint",
    "Figures",
    "FollowFigures",
    "PortfolioFigures",
    "TradeStats",
    "analyze_follow",
    "analyze_portfolio",
]
