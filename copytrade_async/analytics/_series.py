"""The time series: equity curve and drawdown, daily returns, Sharpe and Sortino.

The formulas are on the records (:class:`~._figures.EquityPoint`, :class:`~._figures.Drawdown`,
:class:`~._figures.DailyReturn`, :class:`~._figures.Figures`). Each function is one pass over
the trades in time order (or over the days), run in the entry points' decimal context.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import groupby
from operator import attrgetter
from typing import NamedTuple

from ._figures import ANNUALISATION_DAYS, DailyReturn, Drawdown, EquityPoint
from ._orders import Trade
from ._stats import ZERO, figure

__all__ = ["MAX_DAYS", "Curve", "daily_returns", "equity_curve", "sharpe_ratio", "sortino_ratio"]

#: The longest daily series built (one row a day): a bound on memory, far beyond any history.
MAX_DAYS = 36_525
_HUNDRED = Decimal(100)
_PROFIT = attrgetter("profit")
_DAY = attrgetter("day")
_NO_FALL = figure(ZERO)
_NO_DRAWDOWN = Drawdown(ZERO, None, None, None, None, None, None, True)


class Curve(NamedTuple):
    """The equity curve, its largest fall, and its largest fall in percent."""

    points: tuple[EquityPoint, ...]
    max_drawdown: Drawdown
    max_drawdown_percent: Decimal | None


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return figure(_HUNDRED * part / whole) if whole > ZERO else None


def equity_curve(trades: Sequence[Trade], base: Decimal, start: datetime | None) -> Curve:
    """One point per trade (``equity = base + cumulative PnL``), the largest drawdown by amount
    (the earliest of equals) and the largest drawdown percentage. ``base`` is the copy amount
    (0 when not known), the first peak, at ``start``."""
    points = []
    cumulative = ZERO
    peak, peak_time = base, start
    worst = ZERO  # the largest fall so far, and where it was
    worst_peak, worst_peak_time = base, start
    worst_trough, worst_trough_time = base, start
    recovery: datetime | None = None
    worst_percent: Decimal | None = None
    for time, follow_id, order_id, profit, _symbol, _side, _open, _month, _day in trades:
        cumulative += profit
        equity = base + cumulative
        if equity >= peak:  # at the peak again: a fall from here starts here
            peak, peak_time = equity, time
        if recovery is None and worst and equity >= worst_peak:
            recovery = time
        fall = peak - equity
        if fall > worst:
            worst, worst_peak, worst_peak_time = fall, peak, peak_time
            worst_trough, worst_trough_time, recovery = equity, time, None
        if peak <= ZERO:
            percent = None
        elif fall:
            percent = figure(_HUNDRED * fall / peak)
            if worst_percent is None or percent > worst_percent:
                worst_percent = percent
        else:
            percent = _NO_FALL
            if worst_percent is None:
                worst_percent = percent
        points.append(
            EquityPoint(time, order_id, follow_id, profit, cumulative, equity, fall, percent)
        )
    if not worst:
        return Curve(tuple(points), _NO_DRAWDOWN, worst_percent)
    drawdown = Drawdown(
        amount=worst,
        percent=_percent(worst, worst_peak),
        peak_time=worst_peak_time,
        peak_equity=worst_peak,
        trough_time=worst_trough_time,
        trough_equity=worst_trough,
        recovery_time=recovery,
        recovered=recovery is not None,
    )
    return Curve(tuple(points), drawdown, worst_percent)


def daily_returns(trades: Sequence[Trade], base: Decimal | None) -> tuple[DailyReturn, ...]:
    """One row per UTC day from the first close day to the last (days without a close too)."""
    if not trades:
        return ()
    by_day = {
        day: sum(map(_PROFIT, group), ZERO) for day, group in groupby(trades, _DAY)
    }  # the trades are in time order, so each day is one group
    rows = []
    first, last = trades[0].day, trades[-1].day
    if last - first >= MAX_DAYS:
        raise ValueError(
            f"the trades' close times span {last - first + 1} days, more than the {MAX_DAYS}"
            " days (100 years) a daily series is built for: a close time is wrong"
        )
    closed_before = ZERO
    for ordinal in range(first, last + 1):
        day = date.fromordinal(ordinal)
        pnl = by_day.get(ordinal, ZERO)
        if base is None:
            rows.append(DailyReturn(day, pnl, None, None))
        else:
            start = base + closed_before
            rate = figure(pnl / start) if start > ZERO else None
            rows.append(DailyReturn(day, pnl, start, rate))
        closed_before += pnl
    return tuple(rows)


def _exact_rates(days: Sequence[DailyReturn]) -> list[Decimal]:
    """The days' rates before rounding (Sharpe and Sortino are computed from these)."""
    return [
        d.pnl / d.start_equity for d in days if d.start_equity is not None and d.start_equity > ZERO
    ]


def sharpe_ratio(days: Sequence[DailyReturn]) -> Decimal | None:
    """Annualised Sharpe ratio of the daily rates (see ``Figures.sharpe_ratio``)."""
    rates = _exact_rates(days)
    n = len(rates)
    if n < 2:
        return None
    mean = sum(rates, ZERO) / n
    variance = sum(((r - mean) ** 2 for r in rates), ZERO) / (n - 1)
    if not variance:
        return None
    return figure(mean / variance.sqrt() * Decimal(ANNUALISATION_DAYS).sqrt())


def sortino_ratio(days: Sequence[DailyReturn]) -> Decimal | None:
    """Annualised Sortino ratio of the daily rates (see ``Figures.sortino_ratio``)."""
    rates = _exact_rates(days)
    n = len(rates)
    if n < 2:
        return None
    downside = sum((r * r for r in rates if r < ZERO), ZERO) / n
    if not downside:
        return None
    mean = sum(rates, ZERO) / n
    return figure(mean / downside.sqrt() * Decimal(ANNUALISATION_DAYS).sqrt())
