"""Trade statistics of a list of profits, and the breakdowns by symbol, side, month and trader.

The formulas are on :class:`~._figures.TradeStats`'s fields. The entry points run every
computation in ``decimal.localcontext(CONTEXT)`` (28 significant digits, half-even: the
default context's, but independent of the caller's); the helpers here use the current context.
Sums of money are exact within those 28 digits; each quotient is rounded once to
:data:`~._figures.FIGURE_QUANTUM` by :func:`figure`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
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
K = TypeVar("K", bound=Hashable)


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


def _longest_run(profits: Sequence[Decimal]) -> int:
    """The most losses in a row (in C: the bytes of ``p < 0`` split at each non-loss)."""
    if not profits:
        return 0
    return max(map(len, bytes(map(ZERO.__gt__, profits)).split(b"\x00")))


def stats_fields(profits: Sequence[Decimal]) -> tuple[Any, ...]:
    """The values of :class:`~._figures.TradeStats`'s fields, in order, for ``profits`` (the
    closed trades' profits in close-time order)."""
    won = list(filter(ZERO.__lt__, profits))  # 0 < p
    lost = list(filter(ZERO.__gt__, profits))  # 0 > p
    trades, wins, losses = len(profits), len(won), len(lost)
    realized = sum(profits, ZERO)
    gross_profit = sum(won, ZERO)
    gross_loss = -sum(lost, ZERO)
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
        _longest_run(profits),
    )


def trade_stats(profits: Sequence[Decimal]) -> TradeStats:
    """:class:`~._figures.TradeStats` of the profits (closed trades, close-time order)."""
    return TradeStats(*stats_fields(profits))


def breakdown(
    trades: Iterable[Trade], key: Callable[[Trade], K], name: Callable[[K], str]
) -> tuple[Breakdown, ...]:
    """The stats of the trades grouped by ``key`` (time order kept within a group), one row
    per group, named by ``name(key)``, sorted by name."""
    groups: defaultdict[K, list[Decimal]] = defaultdict(list)
    for k, profit in zip(map(key, trades), map(_PROFIT, trades), strict=True):
        groups[k].append(profit)
    rows = [Breakdown(*stats_fields(profits), key=name(k)) for k, profits in groups.items()]
    rows.sort(key=lambda row: row.key)
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
