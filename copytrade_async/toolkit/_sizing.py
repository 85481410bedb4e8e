"""Risk sizing: how much of a balance one copy may use, in exact Decimal arithmetic.

(The spec's "Risk Management" sketch, ``calculate_copy_amount``, is quoted in
``docs/best-practices.md``.)

The spec's sketch does ``float(balance) * (risk / 100)`` and sends ``str()`` of the result,
which can ask for more than the balance by a binary rounding error and sends more decimals
than the exchange accepts. Here every amount is a :class:`~decimal.Decimal`, the result is
rounded *down* to the exchange's precision, and it never exceeds the balance.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Context, Decimal, localcontext

from .. import Amount, check_whole, to_decimal
from ._convert import unsigned_zero

__all__ = [
    "DEFAULT_PRECISION",
    "DEFAULT_RISK_PERCENT",
    "recommended_copy_amount",
    "size_copy_amount",
    "split_amount",
]

#: The exchange's copy-amount step: cents.
DEFAULT_PRECISION = Decimal("0.01")
#: The spec's ``calculate_copy_amount`` default: 5 % of the balance at risk in one copy.
DEFAULT_RISK_PERCENT = Decimal(5)

# Wide enough that products and quotients of any sane amounts are exact, and independent of
# whatever decimal context the caller has set; a quotient that is not exact (1/3) rounds
# toward minus infinity, so rounding can never lift a share above its true value.
_EXACT = Context(prec=80, rounding=ROUND_FLOOR)


def _check_precision(precision: Amount) -> Decimal:
    step = to_decimal("precision", precision)
    if step <= 0:
        raise ValueError(f"precision must be greater than 0, got {step}")
    return step


def _round_down(amount: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of ``step`` that is <= ``amount`` (``amount`` >= 0)."""
    with localcontext(_EXACT):
        units = amount // step
        result = units * step
    # Show it with the step's decimals (0.01 -> "12.30"), without changing its value.
    exponent = step.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < 0:
        result = result.quantize(Decimal(1).scaleb(exponent), context=_EXACT)
    return result


def size_copy_amount(
    balance: Amount,
    risk_percent: Amount,
    *,
    precision: Amount = DEFAULT_PRECISION,
    minimum: Amount | None = None,
) -> Decimal:
    """The copy amount that puts ``risk_percent`` % of ``balance`` at risk, rounded down.

    ``balance``, ``risk_percent``, ``precision`` and ``minimum`` are ``Decimal``, ``int`` or
    numeric strings; a ``float`` is refused with :class:`ValueError`. The result is a multiple
    of ``precision``, at most ``balance * risk_percent / 100`` and so never above the balance.
    ``0 < risk_percent <= 100`` and ``balance >= 0`` are required. When ``minimum`` (the
    exchange's smallest copy amount) is given and the result falls below it, :class:`ValueError`
    is raised rather than returning an amount the exchange would refuse.
    """
    funds = to_decimal("balance", balance)
    if funds < 0:
        raise ValueError(f"balance must not be negative, got {funds}")
    percent = to_decimal("risk_percent", risk_percent)
    if not 0 < percent <= 100:
        raise ValueError(f"risk_percent must be above 0 and at most 100, got {percent}")
    step = _check_precision(precision)
    with localcontext(_EXACT):
        raw = funds * percent / 100
    amount = unsigned_zero(_round_down(raw, step))
    if minimum is not None:
        floor = to_decimal("minimum", minimum)
        if amount < floor:
            raise ValueError(
                f"{percent}% of {funds} is {amount}, below the minimum copy amount {floor}"
            )
    return amount


def split_amount(
    total: Amount, parts: int, *, precision: Amount = DEFAULT_PRECISION
) -> tuple[Decimal, Decimal]:
    """Split ``total`` into ``parts`` equal shares rounded down to ``precision``.

    Returns ``(share, remainder)`` with ``share * parts + remainder == total`` and
    ``0 <= remainder``: the remainder stays unallocated, so the shares never exceed the total.
    """
    amount = to_decimal("total", total)
    if amount < 0:
        raise ValueError(f"total must not be negative, got {amount}")
    check_whole("parts", parts)
    step = _check_precision(precision)
    with localcontext(_EXACT):
        share = _round_down(amount / parts, step)
        remainder = amount - share * parts
    # Exact, so the only sign to lose is that of a zero: in the floor context x - x is -0.
    return share, unsigned_zero(remainder)


def recommended_copy_amount(
    score: Amount,
    balance: Amount,
    risk_percent: Amount = DEFAULT_RISK_PERCENT,
    *,
    precision: Amount = DEFAULT_PRECISION,
) -> Decimal:
    """The copy amount the spec's analyze step recommends for a trader with ``score`` (0..100).

    The spec leaves ``calculate_recommended_copy_amount(score)`` undefined; here it is the risk
    budget of :func:`size_copy_amount` (``risk_percent`` % of ``balance``, 5 % by default as in
    the spec's ``calculate_copy_amount``) scaled by ``score / 100``: a perfect trader gets the
    whole budget, a trader scoring 40 gets 40 % of it, and a score at or below 0 gets nothing.
    Rounded down to ``precision``, so it never exceeds the budget.
    """
    points = to_decimal("score", score)
    budget = size_copy_amount(balance, risk_percent, precision=precision)
    share = min(max(points, Decimal(0)), Decimal(100))
    step = _check_precision(precision)
    with localcontext(_EXACT):
        raw = budget * share / 100
    return unsigned_zero(_round_down(raw, step))
