"""Trade statistics of a list of profits, and the breakdowns by symbol, side, month and trader.

The formulas are on :class:`~._figures.TradeStats`'s fields. The entry points run every
computation in ``decimal.localcontext(CONTEXT)`` (28 significant digits, half-even: the
default context's, but independent of the caller's); the helpers here use the current context.
Sums of money are exact within those 28 digits; each quotient is rounded once to
:data:`~._figures.FIGURE_QUANTUM` by :func:`figure`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from itertools import compress, groupby
from operator import attrgetter
from typing import Any, TypeVar

from ._figures import FIGURE_QUANTUM, Breakdown, TradeStats
from ._orders import Trade

__all__ = [
    "CONTEXT",
    "ZERO",
    "breakdown",
    "by_month",
    "by_side",
    "by_symbol",
    "figure",
    "quotient",
    "stats_fields",
    "trade_stats",
]

#: The context of every computation here: 28 digits, half-even, the default traps.
CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
#: Rounding a figure needs room for its integer digits as well as its 8 decimals.
_ROUNDING = Context(prec=80, rounding=ROUND_HALF_EVEN)
ZERO = Decimal(0)
_PROFIT = attrgetter("profit")
_KEY = attrgetter("key")
K = TypeVar("K", str, int)


def figure(value: Decimal) -> Decimal:
    """``value`` rounded half-even to :data:`~._figures.FIGURE_QUANTUM` (8 places)."""
    try:
        return value.quantize(FIGURE_QUANTUM)  # the current context: fast, up to 20 digits
    except InvalidOperation:  # more integer digits than the context holds
        return _ROUNDING.quantize(value, FIGURE_QUANTUM)


def quotient(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    """``numerator / denominator`` as a figure; None when the denominator is 0."""
    if not denominator:
        return None
    return figure(Decimal(numerator) / denominator)


def stats_fields(profits: Sequence[Decimal]) -> tuple[Any, ...]:
    """The values of :class:`~._figures.TradeStats`'s fields, in order, for ``profits`` (the
    closed trades' profits in close-time order)."""
    # One byte per trade, 1 for a loss: the losses, their count and the longest run of them
    # (the pieces between the non-losses) are then found in C.
    is_loss = bytes(map(ZERO.__gt__, profits))
    won = list(filter(ZERO.__lt__, profits))  # 0 < p
    lost_sum = sum(compress(profits, is_loss), ZERO)
    trades, wins, losses = len(profits), len(won), is_loss.count(1)
    gross_profit = sum(won, ZERO)
    gross_loss = -lost_sum
    realized = gross_profit + lost_sum  # a trade with profit 0 adds nothing
    longest = max(map(len, is_loss.split(b"\x00"))) if profits else 0
    return (
        trades,
        wins,
        losses,
        realized,
        gross_profit,
        gross_loss,
        quotient(wins, trades),
        quotient(gross_profit, gross_loss),
        quotient(gross_profit, wins),
        quotient(-gross_loss, losses),
        quotient(realized, trades),
        longest,
    )


def trade_stats(profits: Sequence[Decimal]) -> TradeStats:
    """:class:`~._figures.TradeStats` of the profits (closed trades, close-time order)."""
    return TradeStats(*stats_fields(profits))


def breakdown(
    trades: Sequence[Trade], key: Callable[[Trade], K], name: Callable[[K], str]
) -> tuple[Breakdown, ...]:
    """The stats of the trades grouped by ``key`` (time order kept within a group: the sort is
    stable), one row per group, named by ``name(key)``, sorted by name."""
    ordered = sorted(trades, key=key)
    rows = [
        Breakdown(*stats_fields(list(map(_PROFIT, group))), key=name(k))
        for k, group in groupby(ordered, key)
    ]
    rows.sort(key=_KEY)
    return tuple(rows)


def by_symbol(trades: Sequence[Trade]) -> tuple[Breakdown, ...]:
    """One row per symbol."""
    return breakdown(trades, attrgetter("symbol"), str)


def by_side(trades: Sequence[Trade]) -> tuple[Breakdown, ...]:
    """One row per side (``buy``, ``sell``, or what the server sent)."""
    return breakdown(trades, attrgetter("side"), str)


def by_month(trades: Sequence[Trade]) -> tuple[Breakdown, ...]:
    """One row per UTC month of the close time, ``"YYYY-MM"`` (so sorted in time order)."""
    return breakdown(trades, attrgetter("month"), lambda ym: f"{ym // 100:04d}-{ym % 100:02d}")
