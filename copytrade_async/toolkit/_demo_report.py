"""What :func:`~copytrade_async.toolkit.run_demo` returns: the numbers of a demo run.

A module of its own so that the demo (``_demo``) and its text (``_demo_text``) both depend on
these records and not on each other.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from .. import HistoryOrder
from ._events import MonitorEvent
from ._portfolio import Portfolio
from ._selection import RankedTrader, Ranking

__all__ = ["DemoReport", "FollowResult"]


@attrs.frozen
class FollowResult:
    """How one follow of the demo ended."""

    trader_id: str
    nick_name: str
    follow_id: str
    copy_amount: Decimal
    realized_pnl: Decimal
    trades: int
    ended_by: str
    #: The follow's history as the demo read it at the end (its report is built from it).
    orders: tuple[HistoryOrder, ...] = ()


@attrs.frozen
class DemoReport:
    """What :func:`run_demo` did. ``exit_status`` is 0 when the workflow completed."""

    seed: int
    exit_status: int
    ranking: Ranking
    balance: Decimal
    budget: Decimal
    portfolio: Portfolio | None
    events: tuple[MonitorEvent, ...]
    results: tuple[FollowResult, ...]
    total_pnl: Decimal
    rounds: int
    simulated_seconds: float
    elapsed_seconds: float
    text: str
    error: str | None = None

    @property
    def chosen(self) -> tuple[RankedTrader, ...]:
        if self.portfolio is None:
            return ()
        ids = {a.trader_id for a in self.portfolio.allocations}
        return tuple(entry for entry in self.ranking.ranked if entry.trader_id in ids)
