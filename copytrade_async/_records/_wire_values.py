"""How single wire values become Python values: the converter's per-type hooks.

* ``Decimal`` values are built from the string (or an exact JSON number read as ``Decimal``)
  and never through ``float``. A ``float`` is refused; so are NaN and infinities.
* Millisecond timestamps become aware UTC datetimes, with integer arithmetic only.
* ``Enum | str`` fields keep unknown values as plain strings.
* Servers often send ``""`` (or ``0`` for a time) for a setting that is not set: the optional
  hooks read that as ``None``.

Each hook takes the common case first (a ``str`` amount, an ``int`` timestamp, a known enum
value) and falls back to the general rule for everything else.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Union, get_args, get_origin

from .._validation import parse_decimal

__all__ = [
    "EPOCH",
    "datetime_hook",
    "decimal_hook",
    "enum_or_str",
    "make_enum_or_str_hook",
    "ms_to_datetime",
    "optional_datetime_hook",
    "optional_decimal_hook",
    "to_camel",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def ms_to_datetime(value: object) -> datetime:
    """Millisecond epoch (int or numeric string) to an aware UTC datetime, exactly."""
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
            raise TypeError(f"expected milliseconds since the epoch, got {type(value).__name__}")
        value = int(value)
    # Positional ``milliseconds``: integer arithmetic, no float, and no keyword parsing.
    return EPOCH + timedelta(0, 0, 0, value)


def decimal_hook(value: object, _: object) -> Decimal:
    if type(value) is str:
        # Decimal() ignores surrounding whitespace just as ``str.strip`` would remove it.
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
        if result.is_finite():
            return result
    return parse_decimal(value)


def datetime_hook(value: object, _: object) -> datetime:
    if type(value) is int:  # the usual case, inlined: one call per timestamp
        return EPOCH + timedelta(0, 0, 0, value)
    return ms_to_datetime(value)


def optional_decimal_hook(value: object, _: object) -> Decimal | None:
    # Servers often send "" for a setting that is not set.
    if value is None or value == "":
        return None
    return decimal_hook(value, None)


def optional_datetime_hook(value: object, _: object) -> datetime | None:
    if type(value) is int and value:
        return EPOCH + timedelta(0, 0, 0, value)
    if value is None or value == "" or value == 0:
        return None
    return ms_to_datetime(value)


def enum_or_str(tp: Any) -> type[Enum] | None:
    """For ``SomeEnum | str`` return ``SomeEnum``; otherwise None."""
    if get_origin(tp) not in (Union, types.UnionType):
        return None
    args = get_args(tp)
    enums = [a for a in args if isinstance(a, type) and issubclass(a, Enum)]
    if len(args) == 2 and str in args and len(enums) == 1:
        return enums[0]
    return None


def make_enum_or_str_hook(tp: Any) -> Callable[[object, object], object]:
    enum_cls = enum_or_str(tp)
    assert enum_cls is not None
    members: Mapping[str, Enum] = enum_cls._value2member_map_

    def hook(value: object, _: object) -> object:
        if type(value) is str:
            member = members.get(value)
            if member is not None:
                return member
        text = str(value)
        return members.get(text, text)

    return hook
