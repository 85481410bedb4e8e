"""The types of the resources' arguments, so a type checker catches a mistake before it runs:
``margin_mode="isolatd"``, ``sort_by="profitt"`` or ``copy_amount=1000.5`` are type errors.

The allowed values of each enumerated argument are read off its ``Literal``, so the two can
never disagree; the resources still check every value at run time (``ValueError``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal, TypeAlias, get_args

from .._records import MarginMode

__all__ = [
    "MARGIN_MODES",
    "SORT_BY",
    "SORT_TYPE",
    "Amount",
    "Leverage",
    "MarginModeName",
    "SortBy",
    "SortType",
    "Timestamp",
]

#: What the trader list can be sorted by.
SortBy: TypeAlias = Literal["profit", "followers"]
#: The direction of a sort.
SortType: TypeAlias = Literal["asc", "desc"]
#: How a follow's margin is held (or pass a :class:`~copytrade_async.MarginMode`).
MarginModeName: TypeAlias = Literal["isolated", "cross"]
#: Money, prices and percentages: exact types only (a ``float`` is refused).
Amount: TypeAlias = Decimal | int | str
#: Leverage: a whole number, given as an int, a Decimal or a numeric string.
Leverage: TypeAlias = int | Decimal | str
#: A point in time: an aware ``datetime`` or milliseconds since the epoch.
Timestamp: TypeAlias = datetime | int

SORT_BY: tuple[str, ...] = get_args(SortBy)
SORT_TYPE: tuple[str, ...] = get_args(SortType)
MARGIN_MODES: tuple[str, ...] = get_args(MarginModeName)
assert tuple(mode.value for mode in MarginMode) == MARGIN_MODES
