"""How the report shows a figure to a person: the same rules on the page and on a terminal.

* money: two decimals, rounded half-even, with thousands separators; PnL with its sign
  (``+1,234.50``, ``-0.25``);
* percentages (return, drawdown): two decimals and `` %``;
* the win rate (a fraction in the figures): as a percentage, one decimal;
* ratios (Sharpe, Sortino, profit factor): two decimals;
* a figure that does not exist for the data (None): ``n/a``.

The exact figure is never lost: the page carries it beside the shown text (``data-value``),
and the JSON carries every figure exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = [
    "MISSING",
    "SPARK_BLOCKS",
    "exact",
    "format_money",
    "format_percent",
    "format_pnl",
    "format_ratio",
    "format_share",
    "sparkline",
]

MISSING = "n/a"
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
#: The eight block heights of a sparkline, lowest first.
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"


def _round(value: Decimal, quantum: Decimal) -> Decimal:
    rounded = value.quantize(quantum, rounding=ROUND_HALF_EVEN)
    return rounded if rounded else abs(rounded)  # never "-0.00"


def exact(value: Decimal | None) -> str:
    """The figure exactly, in plain notation (``""`` for None): what ``data-value`` holds."""
    return "" if value is None else format(value, "f")


def format_money(value: Decimal | None) -> str:
    """``1,234.50``."""
    return MISSING if value is None else f"{_round(value, CENT):,.2f}"


def format_pnl(value: Decimal | None) -> str:
    """``+1,234.50`` / ``-0.25`` / ``0.00``."""
    if value is None:
        return MISSING
    rounded = _round(value, CENT)
    return f"{rounded:+,.2f}" if rounded else "0.00"


def format_percent(value: Decimal | None) -> str:
    """``12.34 %``."""
    return MISSING if value is None else f"{_round(value, CENT):.2f} %"


def format_share(value: Decimal | None) -> str:
    """A fraction from 0 to 1 as a percentage: ``0.5625`` is ``56.3 %``."""
    return MISSING if value is None else f"{_round(100 * value, TENTH):.1f} %"


def format_ratio(value: Decimal | None) -> str:
    """``1.87``."""
    return MISSING if value is None else f"{_round(value, CENT):.2f}"


def sparkline(values: Sequence[Decimal], width: int = 24) -> str:
    """``values`` as at most ``width`` unicode blocks (``▁▃▇█``): each block is the last value
    of its run of values, scaled from the lowest to the highest; a flat series is all ``▄``,
    no value is ``""``."""
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    if not values:
        return ""
    if len(values) > width:
        size = len(values) / width
        values = [values[min(len(values) - 1, int((i + 1) * size) - 1)] for i in range(width)]
    low, high = min(values), max(values)
    if high == low:
        return SPARK_BLOCKS[3] * len(values)
    top = len(SPARK_BLOCKS) - 1
    return "".join(
        SPARK_BLOCKS[int(((value - low) * top / (high - low)).to_integral_value())]
        for value in values
    )
