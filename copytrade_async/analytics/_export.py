"""How the figures leave the library: ``to_dict()`` and ``to_json()``, as the API's records do.

* ``to_dict()`` (``mode="python"``): plain Python values; nested records become dicts, tuples
  lists; ``Decimal``, ``datetime`` and ``date`` stay as they are, exact.
* ``to_dict(mode="json")``: what :func:`json.dumps` writes without help: money, ratios and
  percentages as strings in plain notation (``format(value, "f")``: ``"0.00000001"``,
  ``"100"``; never a float, never an exponent), times as ISO 8601 in UTC with milliseconds and a
  ``Z`` (``"2024-05-01T12:00:00.123Z"``), days as ``"2024-05-01"``. ``None`` stays ``null``.
* ``to_json()``: that dict as JSON text.

The keys are the attribute names (snake_case), in field order. These are the same rules as the
API records' ``to_dict()`` (see :class:`copytrade_async.HistoryOrder`); the converters are built
once, here, because the records' own converter is private to the core.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

import cattrs

__all__ = ["Exportable", "iso_day", "iso_time", "plain_decimal"]


def plain_decimal(value: Decimal) -> str:
    """A ``Decimal`` as JSON text: plain notation, exactly (``Decimal("1E+2")`` is ``"100"``)."""
    return format(value, "f")


def iso_time(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``: ``2024-05-01T12:00:00.123Z``."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_day(value: date) -> str:
    """A calendar day as ``2024-05-01``."""
    return value.isoformat()


def _unstructurer(json_ready: bool) -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook_func(
        lambda tp: tp is tuple or getattr(tp, "__origin__", None) is tuple,
        lambda items: [conv.unstructure(item) for item in items],
    )
    if json_ready:
        conv.register_unstructure_hook(Decimal, plain_decimal)
        # singledispatch picks the most specific class: a datetime is a date too.
        conv.register_unstructure_hook(datetime, iso_time)
        conv.register_unstructure_hook(date, iso_day)
    return conv


_PYTHON = _unstructurer(json_ready=False)
_JSON = _unstructurer(json_ready=True)


class Exportable:
    """``to_dict()`` and ``to_json()`` for every figures record (see the module docs)."""

    __slots__ = ()

    def to_dict(self, *, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """The record as a dict with snake_case keys: exact Python values for
        ``mode="python"``, JSON-ready values (numbers as plain strings, times as ISO 8601 UTC)
        for ``mode="json"``."""
        if mode == "python":
            result: dict[str, Any] = _PYTHON.unstructure(self)
        elif mode == "json":
            result = _JSON.unstructure(self)
        else:
            raise ValueError(f"mode must be 'python' or 'json', got {mode!r}")
        return result

    def to_json(self, *, indent: int | None = None) -> str:
        """``to_dict(mode="json")`` as JSON text (UTF-8 characters kept, not escaped)."""
        return json.dumps(self.to_dict(mode="json"), indent=indent, ensure_ascii=False)
