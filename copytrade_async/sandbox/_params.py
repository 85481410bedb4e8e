"""Reading request parameters off the wire: the query string and the JSON body.

Anything that cannot be read as the expected type is code 40020 ("Parameter error"); whether
a readable value is allowed is the business rules' concern (see ``_rules``).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from urllib.parse import parse_qsl

from ._errors import SandboxError

__all__ = [
    "body_decimal",
    "body_required_decimal",
    "body_string",
    "parse_body",
    "parse_query",
    "query_choice",
    "query_int",
    "query_string",
]

_INT = re.compile(r"-?\d{1,18}")
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,6})?")


def parse_query(query: str) -> dict[str, str]:
    """The query string's parameters; when a name repeats, the last value wins."""
    return dict(parse_qsl(query, keep_blank_values=True))


def query_int(params: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not _INT.fullmatch(raw):
        raise SandboxError.parameter(f"{name} must be an integer")
    value = int(raw)
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SandboxError.parameter(f"{name} must be {bound}")
    return value


def query_choice(params: dict[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise SandboxError.parameter(f"{name} must be one of {', '.join(choices)}")
    return raw


def query_string(params: dict[str, str], name: str) -> str:
    raw = params.get(name)
    if not raw:
        raise SandboxError.parameter(f"{name} is required")
    return raw


def parse_body(body: bytes) -> dict[str, object]:
    """The JSON object of a POST body (numbers with a fraction are read as Decimal; ``NaN`` and
    the infinities, which are not JSON, make the body invalid)."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise SandboxError.parameter("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise SandboxError.parameter("the body must be a JSON object")
    return data


def _no_constant(name: str) -> object:
    """``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (Python's reader allows them)."""
    raise ValueError(f"{name} is not JSON")


def body_string(body: dict[str, object], name: str) -> str:
    """A required string field (a JSON integer is accepted and read as its digits)."""
    value = body.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise SandboxError.parameter(f"{name} is required and must be a string")
    return value


def body_decimal(body: dict[str, object], name: str) -> Decimal | None:
    """A number sent as a string (the API's way) or as a JSON number; absent or ``null`` is
    ``None``."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise SandboxError.parameter(f"{name} must be a number")
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return Decimal(value)
    raise SandboxError.parameter(f"{name} must be a number")


def body_required_decimal(body: dict[str, object], name: str) -> Decimal:
    value = body_decimal(body, name)
    if value is None:
        raise SandboxError.parameter(f"{name} is required")
    return value
