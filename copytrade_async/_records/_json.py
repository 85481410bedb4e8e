"""How records leave the library: ``to_dict()`` and ``to_json()``, through cattrs.

Every record and :class:`~._models.Page` (and the records built on the client: the analytics'
figures, the report) derives from :class:`Record`, whose methods
unstructure it with one of two module-level cattrs converters, built once:

* ``to_dict()`` (``mode="python"``): plain Python values. Nested records become dicts, tuples
  lists, enums their string value (an unknown member the string the server sent); ``Decimal``
  and ``datetime`` stay as they are, exact.
* ``to_dict(mode="json")``: what :func:`json.dumps` writes without loss or help: money as a
  string in plain notation (``format(value, "f")``: ``"0.00000001"``, ``"100"``; never a float,
  never an exponent), times as ISO 8601 in UTC with milliseconds and a ``Z``
  (``"2024-05-01T12:00:00.123Z"``, the exchange's resolution), calendar days as
  ``"2024-05-01"``. ``None`` stays ``null``.
* ``to_json()``: that dict as JSON text.

The keys are snake_case, the attribute names (``unrealized_pnl``), in the record's field order:
the dict describes the record as Python code reads it, and is what the command line prints and
a web backend answers. It is not the exchange's wire form (camelCase, times as epoch
milliseconds), and is not meant to be sent back to the exchange.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

import cattrs

from ._enums import OpenStrEnum

__all__ = ["Record", "iso_day", "iso_time", "plain_decimal"]


def plain_decimal(value: Decimal) -> str:
    """Money as JSON text: plain notation, exactly (``Decimal("1E+2")`` is ``"100"``)."""
    return format(value, "f")


def iso_time(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``: ``2024-05-01T12:00:00.123Z``."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_day(value: date) -> str:
    """A calendar day as ``2024-05-01``."""
    return value.isoformat()


def _unstructurer(json_ready: bool) -> cattrs.Converter:
    conv = cattrs.Converter()
    # Singledispatch, so it wins over ``str`` for the enums (they are strs too). ``str()`` of a
    # member is its value; a plain string put in a record built by hand stays itself.
    conv.register_unstructure_hook(OpenStrEnum, str)
    # tuple[X, ...] becomes a list (cattrs does so since 24.2; earlier ones kept the tuple).
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


class Record:
    """What every record and page offers to leave the library (see the module docs)."""

    __slots__ = ()

    def to_dict(self, *, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """The record as a dict with snake_case keys: plain Python values (``Decimal`` and
        ``datetime`` kept) for ``mode="python"``, JSON-ready values (money as plain strings,
        times as ISO 8601 UTC ``...123Z``) for ``mode="json"``."""
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
