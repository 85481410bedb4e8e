"""How single wire values become Python values: the converter's per-type hooks.

* ``Decimal`` values are built from the string (or an exact JSON number read as ``Decimal``)
  and never through ``float``, exactly as sent (but a zero prints as a person reads it: ``0``
  or ``0.00``, never ``0E-8`` or ``-0.00``, see :func:`plain_zero`): a ``float`` is refused,
  and so are NaN, infinities, surrounding spaces, and a value :data:`MONEY` cannot hold
  exactly (more than :data:`MAX_DIGITS` significant digits, or a decimal exponent beyond
  ±:data:`MAX_EXPONENT`: ``1e999999999`` is no price, and written out in plain notation it
  would fill a gigabyte).
* Whole numbers (counts) take an ``int`` or a string or JSON number whose value has no
  fraction (``"1000"``, ``1000.0``), within ±:data:`MAX_WHOLE`. A fraction, a bool, NaN, an
  infinity or anything larger is refused, never truncated.
* Millisecond timestamps are whole numbers as above, and become aware UTC datetimes with
  integer arithmetic only; one outside the years 1-9999 is refused.
* Text is a ``str`` (an ``int`` id is written out); ``null`` is refused where text is
  required, and read as ``None`` where it is optional.
* Enumerated fields (:class:`~._enums.OpenStrEnum`) keep an unknown value as an unknown
  member of their enum.
* Servers often send ``""`` (or ``0`` for a time) for a setting that is not set: the optional
  hooks read that as ``None``.

Every refusal is a ``ValueError`` or ``TypeError`` saying why (the converter turns it into a
``ResponseValidationError`` naming the endpoint and the field); no ``OverflowError`` gets out.
Each hook takes the common case first and falls back to the general rule for the rest.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import (
    Clamped,
    Context,
    Decimal,
    DecimalException,
    FloatOperation,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    Subnormal,
    Underflow,
)
from typing import Any

from .._validation import parse_decimal
from ._enums import OpenStrEnum

__all__ = [
    "EPOCH",
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "MAX_MS",
    "MAX_WHOLE",
    "MIN_MS",
    "MONEY",
    "datetime_hook",
    "decimal_hook",
    "enum_hook",
    "exact_decimal",
    "is_open_enum",
    "ms_to_datetime",
    "optional_datetime_hook",
    "optional_decimal_hook",
    "optional_text_hook",
    "plain_zero",
    "text_hook",
    "to_camel",
    "whole_hook",
    "whole_number",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The largest count read: 2**53 - 1, the largest integer a JSON number keeps exactly when a
#: server (or a JavaScript proxy) holds it in a double. No page, trade or follower count
#: comes near it; ``totalPage: 1e400`` or a 400-digit count is a malformed answer.
MAX_WHOLE = 2**53 - 1
#: Millisecond timestamps that are a ``datetime``: 0001-01-01 to 9999-12-31T23:59:59.999.
MIN_MS = -62_135_596_800_000
MAX_MS = 253_402_300_799_999
#: The largest decimal exponent (``Decimal.adjusted()``) of a money value, either way, and
#: the most significant digits it may have: a value is written out in plain notation in at
#: most a few hundred characters.
MAX_EXPONENT = 100
MAX_DIGITS = 100
#: The context that reads money: every condition that would change or bound a value traps,
#: so ``MONEY.create_decimal(text)`` is the exact value or a ``DecimalException``. Unlike the
#: ``Decimal`` constructor it refuses surrounding spaces and ``_`` between digits.
MONEY = Context(
    prec=MAX_DIGITS,
    Emax=MAX_EXPONENT,
    Emin=-MAX_EXPONENT,
    traps=[InvalidOperation, Overflow, Underflow, Subnormal, Inexact, Rounded, Clamped],
)
MONEY.traps[FloatOperation] = True
_MAX_REPR = 40
_ZERO = Decimal(0)
#: The smallest exponent ``str()`` still writes a zero in plain notation with (``0.000000``).
_PLAIN_ZERO_EXPONENT = -6


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _show(value: object) -> str:
    """``repr(value)``, cut short: a hostile server's value never fills an error message."""
    text = repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def whole_number(value: object, what: str = "a whole number") -> int:
    """An ``int``, or a numeric string or exact ``Decimal`` with no fraction, within
    ±:data:`MAX_WHOLE`. Never a bool, a float, or a truncated fraction."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = int(value)
    elif isinstance(value, str | Decimal):
        try:
            exact = MONEY.create_decimal(value)
        except DecimalException:
            raise ValueError(f"not {what}: {_show(value)}") from None
        if not exact.is_finite():
            raise ValueError(f"not {what}: {_show(value)}")
        if exact.copy_abs() > MAX_WHOLE:  # exact, and before any arithmetic on a 1e999999999
            raise ValueError(f"too large for {what}: {_show(value)}")
        if exact != exact.to_integral_value():
            raise ValueError(f"not {what} (it has a fraction): {_show(value)}")
        return int(exact)
    else:
        raise TypeError(f"expected {what}, got {type(value).__name__}")
    if not -MAX_WHOLE <= number <= MAX_WHOLE:
        raise ValueError(f"too large for {what}: {_show(value)}")
    return number


def whole_hook(value: object, _: object) -> int:
    if type(value) is int and -MAX_WHOLE <= value <= MAX_WHOLE:
        return value
    return whole_number(value)


def ms_to_datetime(value: object) -> datetime:
    """Millisecond epoch (int or numeric string) to an aware UTC datetime, exactly."""
    ms = value if type(value) is int else whole_number(value, "milliseconds since the epoch")
    if not MIN_MS <= ms <= MAX_MS:
        raise ValueError(f"not a time: {_show(ms)} ms since the epoch is outside years 1-9999")
    # Positional ``milliseconds``: integer arithmetic, no float, and no keyword parsing.
    return EPOCH + timedelta(0, 0, 0, ms)


def datetime_hook(value: object, _: object) -> datetime:
    if type(value) is int and MIN_MS <= value <= MAX_MS:  # the usual case: one call per time
        return EPOCH + timedelta(0, 0, 0, value)
    return ms_to_datetime(value)


def optional_datetime_hook(value: object, _: object) -> datetime | None:
    if value is None or value == "" or value == 0:
        return None
    return datetime_hook(value, None)


def exact_decimal(value: str | Decimal) -> Decimal:
    """``value`` read by :data:`MONEY`: exactly, finite and within bounds, or ``ValueError``."""
    try:
        number = MONEY.create_decimal(value)
    except DecimalException:
        raise ValueError(
            f"not a decimal number of at most {MAX_DIGITS} digits and an exponent within "
            f"±{MAX_EXPONENT}: {_show(value)}"
        ) from None
    if not number.is_finite():
        raise ValueError(f"not a finite number: {_show(value)}")
    return number if number else plain_zero(number)


def plain_zero(zero: Decimal) -> Decimal:
    """A zero as a person reads it: ``"0.00"`` keeps its scale, but a zero that ``str()`` would
    write in E-notation (``"0.00000000"`` is ``Decimal("0E-8")``) is plain ``0``, and ``"-0.00"``
    loses its sign. Non-zero values never come here: their precision is kept as sent."""
    exponent = zero.as_tuple().exponent
    if isinstance(exponent, int) and _PLAIN_ZERO_EXPONENT <= exponent <= 0:
        return zero.copy_abs()
    return _ZERO


def decimal_hook(value: object, _: object) -> Decimal:
    if type(value) is str:
        return exact_decimal(value)
    return exact_decimal(parse_decimal(value))  # a Decimal or an int; never a float or bool


def optional_decimal_hook(value: object, _: object) -> Decimal | None:
    # Servers often send "" for a setting that is not set.
    if value is None or value == "":
        return None
    return decimal_hook(value, None)


def text_hook(value: object, _: object) -> str:
    """Text: a ``str`` as it is, an ``int`` (an id sent as a number) written out."""
    if type(value) is str:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected text, got {'null' if value is None else type(value).__name__}")


def optional_text_hook(value: object, _: object) -> str | None:
    return None if value is None else text_hook(value, None)


def is_open_enum(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, OpenStrEnum)


def enum_hook(value: object, tp: type[OpenStrEnum]) -> OpenStrEnum:
    """The member of ``tp`` for ``value``, or an unknown member for a value it does not list."""
    member = tp._value2member_map_.get(value) if type(value) is str else None
    if member is not None:
        return member  # type: ignore[return-value]
    return tp.from_wire(text_hook(value, None))
