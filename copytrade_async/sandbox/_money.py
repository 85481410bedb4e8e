"""Decimal helpers: one arithmetic context for the whole sandbox, and the quanta it uses."""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_EVEN, Decimal

__all__ = ["CENT", "PNL_QUANTUM", "cents_str", "ctx", "fmt", "ratio_str", "to_cents"]

#: Realised and unrealised PnL of follows are quantised to this (8 decimal places).
PNL_QUANTUM = Decimal("0.00000001")
CENT = Decimal("0.01")

# Wide enough that sums of amounts with 8 decimals never round, whatever the caller's context.
_CONTEXT = decimal.Context(prec=60, rounding=ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999)


def ctx() -> decimal._ContextManager:
    """``with ctx():`` runs a block under the sandbox's own decimal context."""
    return decimal.localcontext(_CONTEXT)


def to_cents(value: Decimal) -> int:
    """``value`` in whole cents, rounded half-even."""
    return int((value * 100).to_integral_value(ROUND_HALF_EVEN))


def fmt(value: Decimal) -> str:
    """A Decimal as a plain string, never in exponent notation."""
    return format(value, "f")


def cents_str(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def ratio_str(numerator: int, denominator: int, places: int) -> str:
    """``numerator / denominator`` rounded half-up to ``places`` decimals, as a string."""
    if denominator <= 0:
        return f"0.{'0' * places}"
    scale = 10**places
    value = (2 * numerator * scale + denominator) // (2 * denominator)
    whole, part = divmod(value, scale)
    return f"{whole}.{part:0{places}d}"
