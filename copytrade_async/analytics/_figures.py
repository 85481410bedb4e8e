"""The records of copy-trading performance: frozen, slotted attrs classes, JSON-ready.

:class:`FollowFigures` (one follow) and :class:`PortfolioFigures` (several, and each of them)
share the fields of :class:`Figures`. Their parts: :class:`TradeStats` (win rate, profit factor,
...), :class:`Breakdown` (the same, for one symbol, side, month or trader),
:class:`EquityPoint` (one per closed trade), :class:`Drawdown` (the largest fall of the equity
curve) and :class:`DailyReturn` (one per UTC day).

Money (PnL, equity, drawdown amounts) is an exact ``Decimal`` sum of the orders' ``profit``.
Every quotient (rates, ratios, percentages, averages) is rounded once, half-even, to
:data:`FIGURE_QUANTUM` (8 decimal places). A figure that does not exist for the data (a win
rate without trades, a Sharpe ratio of a flat curve) is ``None``, never an error and never a
made-up 0. Each figure's formula is written once, on its field or in its record's docstring;
how the orders are read (repeats, open orders, order) is in
:func:`~copytrade_async.analytics.analyze_follow`.

Every record leaves through ``to_dict()``, ``to_dict(mode="json")`` (numbers as plain strings,
times as ISO 8601 UTC ``...Z``, days as ``YYYY-MM-DD``) and ``to_json()``, from
:class:`copytrade_async.Record`, as the API's records do.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import attrs

from .. import Record

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
]

#: Every quotient is rounded once to this (half-even); sums of money stay exact.
FIGURE_QUANTUM = Decimal("1E-8")
#: Sharpe and Sortino are annualised over 365 days: crypto futures trade every day of the year.
ANNUALISATION_DAYS = 365
#: The trader key of a follow whose trader is not known (``by_trader``).
UNKNOWN_TRADER = "(unknown)"


@attrs.frozen
class TradeStats(Record):
    """What the closed trades of a follow (or of a group of trades) add up to.

    ``trades`` counts closed orders, each ``orderId`` once; a win has ``profit > 0``, a loss
    ``profit < 0``, and a trade with ``profit == 0`` is neither (it counts in ``trades``, so it
    lowers the win rate and the expectancy, and it ends a losing streak).
    """

    trades: int
    wins: int
    losses: int
    realized_pnl: Decimal
    #: The sum of the winning trades' profit (>= 0).
    gross_profit: Decimal
    #: The sum of the losing trades' losses, as a positive amount (>= 0).
    gross_loss: Decimal
    #: ``wins / trades``, a fraction from 0 to 1; None without trades.
    win_rate: Decimal | None
    #: ``gross_profit / gross_loss``; 0 when every trade lost; None without a loss.
    profit_factor: Decimal | None
    #: ``gross_profit / wins``; None without a win.
    average_win: Decimal | None
    #: ``-gross_loss / losses`` (negative); None without a loss.
    average_loss: Decimal | None
    #: ``realized_pnl / trades``; None without trades.
    expectancy: Decimal | None
    #: The most losing trades in a row, in close-time order.
    longest_losing_streak: int


@attrs.frozen
class Breakdown(TradeStats):
    """The :class:`TradeStats` of one group of trades: a symbol (``"BTCUSDT"``), a side
    (``"buy"``, ``"sell"``, or what the server sent), a UTC month (``"2024-05"``) or a trader
    (its id, or :data:`UNKNOWN_TRADER`)."""

    key: str = attrs.field(kw_only=True)


@attrs.frozen
class EquityPoint(Record):
    """The equity curve after one closed trade.

    ``equity = copy_amount + cumulative_pnl`` (``cumulative_pnl`` alone when the copy amount is
    not known); ``drawdown`` is how far ``equity`` is below its running peak (the copy amount
    counts as the first peak), ``drawdown_percent`` that as a percentage of the peak (None when
    the peak is not above 0).
    """

    #: The trade's close time.
    time: datetime
    order_id: str
    #: The follow the trade belongs to ("" when the follow was not named).
    follow_id: str
    #: This trade's realised profit.
    profit: Decimal
    cumulative_pnl: Decimal
    equity: Decimal
    drawdown: Decimal
    drawdown_percent: Decimal | None


@attrs.frozen
class Drawdown(Record):
    """The largest fall of the equity curve from a running peak to a later trough (by amount;
    the earliest such fall when several are as large).

    ``percent = 100 * amount / peak_equity`` (None when the peak is not above 0).
    ``peak_time`` is the last time equity stood at the peak before the fall; the peak may be
    the starting equity (the copy amount, before the first trade), at the figures'
    ``start_time``. ``recovery_time`` is the first close time after the trough at which
    equity is back at or above the peak; None, with ``recovered`` False, when it never got
    back. Without a fall (no trade, or equity never went down) ``amount`` is 0, the times are
    None and ``recovered`` is True.
    """

    amount: Decimal
    percent: Decimal | None
    peak_time: datetime | None
    peak_equity: Decimal | None
    trough_time: datetime | None
    trough_equity: Decimal | None
    recovery_time: datetime | None
    recovered: bool


@attrs.frozen
class DailyReturn(Record):
    """One UTC calendar day of the equity curve, from the first close day to the last, days
    without a close included (with ``pnl`` 0). Closes more than 100 years apart are refused
    with ``ValueError`` rather than building a series that long.

    ``rate = pnl / start_equity``, where ``start_equity`` is the equity at the start of the day
    (copy amount + PnL closed on earlier days); ``start_equity`` is None without a copy amount,
    and ``rate`` None then, or when ``start_equity`` is not above 0.
    """

    day: date
    pnl: Decimal
    start_equity: Decimal | None
    rate: Decimal | None


@attrs.frozen
class Figures(Record):
    """The performance of a follow or of a portfolio; see :class:`FollowFigures` and
    :class:`PortfolioFigures`, and :func:`~copytrade_async.analytics.analyze_follow` for every
    formula."""

    #: The money put in (a portfolio's: the sum over its follows, None if one is not known).
    copy_amount: Decimal | None
    #: The earliest open time of a closed trade; None without one.
    start_time: datetime | None
    #: The latest close time; None without a closed trade.
    end_time: datetime | None
    #: Distinct orders read (closed and not), each ``orderId`` once.
    orders: int
    #: Orders not closed (``open``, or a status the spec does not list): never realised.
    open_orders: int
    #: Records dropped because their ``orderId`` had been read already.
    duplicate_orders: int
    realized_pnl: Decimal
    #: The open positions' unrealised PnL (0 when none were given).
    unrealized_pnl: Decimal
    #: ``realized_pnl + unrealized_pnl``.
    total_pnl: Decimal
    #: ``100 * total_pnl / copy_amount``; None without a copy amount.
    return_percent: Decimal | None
    stats: TradeStats
    #: One point per closed trade, in (close time, follow id, order id) order.
    equity_curve: tuple[EquityPoint, ...]
    max_drawdown: Drawdown
    #: The largest ``drawdown_percent`` of the curve (may be another fall than
    #: ``max_drawdown``'s, from a lower peak); None without one.
    max_drawdown_percent: Decimal | None
    daily_returns: tuple[DailyReturn, ...]
    #: ``mean(r) / stdev(r) * sqrt(365)`` over the daily rates ``r`` (those not None), with the
    #: sample standard deviation (n - 1) and a risk-free rate of 0; annualised over 365 days,
    #: as crypto trades every day. None with fewer than 2 rates or a flat curve (stdev 0).
    sharpe_ratio: Decimal | None
    #: ``mean(r) / sqrt(sum(min(r, 0)^2) / n) * sqrt(365)``: the downside deviation below 0
    #: over all n rates; annualised over 365 days. None with fewer than 2 rates or no losing
    #: day. Square roots are ``Decimal.sqrt()`` in the analytics' context (28 digits,
    #: half-even), never float.
    sortino_ratio: Decimal | None
    #: UTC calendar days from the first close to the last, both counted (0 without a close).
    trading_days: int
    #: ``stats.trades / trading_days``; None without a close.
    trades_per_day: Decimal | None
    by_symbol: tuple[Breakdown, ...]
    by_side: tuple[Breakdown, ...]
    #: By UTC month of the close time, ``"YYYY-MM"``, in time order.
    by_month: tuple[Breakdown, ...]


@attrs.frozen
class FollowFigures(Figures):
    """The performance of one follow (:func:`~copytrade_async.analytics.analyze_follow`)."""

    follow_id: str = attrs.field(kw_only=True)
    #: The followed trader, when the caller said (history orders do not carry it).
    trader_id: str | None = attrs.field(kw_only=True, default=None)


@attrs.frozen
class PortfolioFigures(Figures):
    """The performance of several follows taken as one account, and of each of them
    (:func:`~copytrade_async.analytics.analyze_portfolio`)."""

    #: Each follow's own figures, in follow id order.
    follows: tuple[FollowFigures, ...] = attrs.field(kw_only=True)
    #: By trader (:data:`UNKNOWN_TRADER` for follows whose trader is not known).
    by_trader: tuple[Breakdown, ...] = attrs.field(kw_only=True)
