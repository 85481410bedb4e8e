"""The exchange's limits on copy settings (code 80002 when a value is outside them)."""

from __future__ import annotations

from decimal import Decimal

from ._errors import SandboxError
from ._money import PNL_QUANTUM

__all__ = [
    "MAX_COPY_AMOUNT",
    "MAX_LEVERAGE",
    "MIN_COPY_AMOUNT",
    "check_copy_amount",
    "check_leverage",
    "check_margin_mode",
    "check_stop_loss",
    "check_take_profit",
]

MIN_COPY_AMOUNT = Decimal(10)
MAX_COPY_AMOUNT = Decimal(1_000_000)
MAX_LEVERAGE = 125
MAX_TAKE_PROFIT = Decimal(1000)
MAX_STOP_LOSS = Decimal(100)
MARGIN_MODES = ("isolated", "cross")


def _within(value: Decimal, low: Decimal, high: Decimal, *, low_inclusive: bool) -> bool:
    if not value.is_finite():
        return False
    above = value >= low if low_inclusive else value > low
    # At most 8 decimal places, so that amounts add up exactly.
    return above and value <= high and value == value.quantize(PNL_QUANTUM)


def check_copy_amount(value: Decimal) -> Decimal:
    if not _within(value, MIN_COPY_AMOUNT, MAX_COPY_AMOUNT, low_inclusive=True):
        raise SandboxError.invalid_settings(
            f"copyAmount must be between {MIN_COPY_AMOUNT} and {MAX_COPY_AMOUNT}"
            " with at most 8 decimals"
        )
    return value


def check_leverage(value: Decimal) -> int:
    if (
        not value.is_finite()
        or value != value.to_integral_value()
        or not 1 <= value <= MAX_LEVERAGE
    ):
        raise SandboxError.invalid_settings(
            f"leverage must be a whole number from 1 to {MAX_LEVERAGE}"
        )
    return int(value)


def check_margin_mode(value: str) -> str:
    if value not in MARGIN_MODES:
        raise SandboxError.invalid_settings("marginMode must be isolated or cross")
    return value


def check_take_profit(value: Decimal) -> Decimal:
    if not _within(value, Decimal(0), MAX_TAKE_PROFIT, low_inclusive=False):
        raise SandboxError.invalid_settings(
            f"takeProfit must be above 0 and at most {MAX_TAKE_PROFIT}"
        )
    return value


def check_stop_loss(value: Decimal) -> Decimal:
    if not _within(value, Decimal(0), MAX_STOP_LOSS, low_inclusive=False):
        raise SandboxError.invalid_settings(f"stopLoss must be above 0 and at most {MAX_STOP_LOSS}")
    return value
