"""Caller input checks. Each raises ``ValueError`` naming the argument, before any request.

Each function returns the value already formatted for the wire, so resources never format
numbers themselves.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum

__all__ = [
    "MAX_LEVERAGE",
    "MAX_PAGE_SIZE",
    "check_choice",
    "check_id",
    "check_leverage",
    "check_page",
    "check_positive",
    "check_positive_amount",
    "check_time_ms",
    "check_time_range",
    "check_whole",
    "parse_decimal",
    "positive_decimal",
    "to_decimal",
]

MAX_PAGE_SIZE = 100
MAX_LEVERAGE = 125
#: The longest id accepted (the exchange's are numbers of about 19 digits).
MAX_ID_LENGTH = 128
#: The largest amount, price or percentage accepted from a caller (in absolute value).
MAX_AMOUNT = Decimal(10) ** 15
#: The most significant digits, and decimal places, accepted in one caller's number.
MAX_DIGITS = 40
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def check_whole(name: str, value: object, minimum: int | None = 1) -> int:
    """A whole number (never a bool) of at least ``minimum`` (any whole number, for None)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or (minimum is not None and value < minimum)
    ):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ValueError(f"{name} must be a whole number{bound}, got {value!r}")
    return value


def check_positive(name: str, value: object) -> float:
    """A finite real number (never a bool) greater than 0, as a float (for durations and
    rates, never money)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    number = float(value)
    if not (math.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def parse_decimal(value: object) -> Decimal:
    """An exact, finite ``Decimal`` from a ``Decimal``, an ``int`` or a numeric ``str``.

    Never through ``float``: a float is refused, and so is anything else. Raises
    ``ValueError`` (``TypeError`` for a type that is no number at all) saying why. The client
    reads the server's values with it, and :func:`to_decimal` the caller's.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    else:
        raise TypeError(f"expected a decimal string, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def to_decimal(name: str, value: object) -> Decimal:
    """Accept ``Decimal``, ``int`` or a numeric ``str``; refuse ``float`` and everything else,
    with a ``ValueError`` naming the argument.

    The number must be sane as well: at most :data:`MAX_AMOUNT` in absolute value, with at most
    :data:`MAX_DIGITS` significant digits and decimal places (so ``Decimal("1e10000000")`` never
    becomes a 10 MB request body).
    """
    if isinstance(value, float):
        raise ValueError(
            f"{name} must be a Decimal, int or numeric string, not float {value!r}: money must "
            f"not pass through binary floating point (use Decimal({str(value)!r}))"
        )
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, not bool")
    if isinstance(value, str) and len(value) > 2 * MAX_DIGITS:
        raise ValueError(f"{name} must be a number of at most {MAX_DIGITS} digits")
    try:
        number = parse_decimal(value)
    except TypeError:
        raise ValueError(
            f"{name} must be a Decimal, int or numeric string, not {type(value).__name__}"
        ) from None
    except ValueError:
        what = "a finite number" if _is_infinite_or_nan(value) else "a number"
        raise ValueError(f"{name} must be {what}, got {_shown(value)}") from None
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if number.copy_abs() > MAX_AMOUNT:  # copy_abs: no rounding, so no overflow
        raise ValueError(f"{name} must be at most {MAX_AMOUNT:f} in size, got {_shown(value)}")
    if len(number.as_tuple().digits) > MAX_DIGITS or exponent < -MAX_DIGITS:
        raise ValueError(f"{name} must have at most {MAX_DIGITS} digits, got {_shown(value)}")
    return number


def _shown(value: object) -> str:
    """A caller's value for an error message, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


def _is_infinite_or_nan(value: object) -> bool:
    try:
        return not Decimal(str(value).strip()).is_finite()
    except InvalidOperation:
        return False


def positive_decimal(name: str, value: object) -> Decimal:
    """:func:`to_decimal`, greater than 0."""
    number = to_decimal(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be greater than 0, got {number}")
    return number


def wire_decimal(value: Decimal) -> str:
    """Plain notation for the wire: never an exponent, never a trailing ``.0`` invented."""
    return format(value, "f")


def check_positive_amount(name: str, value: object) -> str:
    """:func:`positive_decimal`, formatted for the wire."""
    return wire_decimal(positive_decimal(name, value))


def check_leverage(value: object, name: str = "leverage") -> str:
    lev = to_decimal(name, value)
    if lev != lev.to_integral_value():
        raise ValueError(f"{name} must be a whole number, got {lev}")
    if not 1 <= lev <= MAX_LEVERAGE:
        raise ValueError(f"{name} must be between 1 and {MAX_LEVERAGE}, got {lev}")
    return str(int(lev))


def check_id(name: str, value: object) -> str:
    """An id as the wire carries it: a non-empty string (or a non-negative int) of at most
    :data:`MAX_ID_LENGTH` printable characters, none of them white space."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0 or value.bit_length() > 4 * MAX_ID_LENGTH:
            raise ValueError(f"{name} must be a non-negative id of at most {MAX_ID_LENGTH} digits")
        value = str(value)
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string id, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{name} must be at most {MAX_ID_LENGTH} characters, got {len(value)}")
    if not value.isprintable() or any(char.isspace() for char in value):
        raise ValueError(
            f"{name} must hold only printable characters and no white space, got {_shown(value)}"
        )
    return value


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    options = tuple(allowed)
    text = value.value if isinstance(value, Enum) else value
    if not isinstance(text, str) or text not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}; got {value!r}")
    return text


def check_page(page_no: object, page_size: object) -> tuple[int, int]:
    number = check_whole("page_no", page_no)
    size = check_whole("page_size", page_size)
    if size > MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {size}")
    return number, size


def check_time_ms(name: str, value: object) -> int:
    """A timezone-aware ``datetime`` or non-negative milliseconds since the epoch."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware (for example tzinfo=UTC)")
        # timestamp() is a float, so build the milliseconds from integer parts instead.
        delta = value - _EPOCH
        return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a datetime or int milliseconds, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def check_time_range(start: object | None, end: object | None) -> tuple[int | None, int | None]:
    start_ms = None if start is None else check_time_ms("start_time", start)
    end_ms = None if end is None else check_time_ms("end_time", end)
    if start_ms is not None and end_ms is not None and start_ms > end_ms:
        raise ValueError("start_time must not be after end_time")
    return start_ms, end_ms
