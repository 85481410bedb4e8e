"""The attrs converters of the toolkit's records: money and percentages as exact Decimals."""

from __future__ import annotations

from decimal import Decimal

from .. import Amount, to_decimal

__all__ = ["decimal_value", "optional_decimal", "unsigned_zero"]


def decimal_value(value: Amount) -> Decimal:
    """:func:`~copytrade_async.to_decimal` for an attrs field (a float is refused)."""
    return to_decimal("value", value)


def optional_decimal(value: Amount | None) -> Decimal | None:
    """:func:`decimal_value`, or None for None."""
    return None if value is None else decimal_value(value)


def unsigned_zero(value: Decimal) -> Decimal:
    """``value``, but a zero without its sign: ``Decimal("-0.00")`` (what ``x - x`` gives when
    rounding toward minus infinity, or what rounds a tiny loss to nothing) is ``0.00``."""
    return value if value else value.copy_abs()
