"""Unsigned control endpoints under ``/sandbox/``, for driving a served sandbox from another
process. They are never faulted, rate limited or counted in the stats.

* ``GET /sandbox/stats`` and ``POST /sandbox/stats/reset``
* ``GET /sandbox/faults`` and ``POST /sandbox/faults`` (a JSON object of :class:`Faults` fields;
  fields left out take their defaults, so ``{}`` clears every fault)
* ``POST /sandbox/advance`` with ``{"seconds": n}`` (only with a :class:`ManualClock`)
* ``GET /sandbox/account?apiKey=...`` (the default account without ``apiKey``)
* ``GET /sandbox/time``
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from ._config import SANDBOX_API_KEY
from ._errors import SandboxError
from ._exchange import SandboxExchange
from ._faults import Faults
from ._params import parse_body, parse_query
from ._wire import Response, error, success

__all__ = ["ADMIN_PREFIX", "handle_admin"]

ADMIN_PREFIX = "/sandbox/"
_FAULT_FIELDS = {field.name: field.type for field in attrs.fields(Faults)}


def faults_json(faults: Faults) -> dict[str, object]:
    return attrs.asdict(faults)


def _faults_from(body: dict[str, object]) -> Faults:
    values: dict[str, float | int] = {}
    for name, value in body.items():
        if name not in _FAULT_FIELDS:
            raise SandboxError.parameter(f"unknown fault {name!r}")
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise SandboxError.parameter(f"{name} must be a number")
        values[name] = int(value) if name == "clock_offset_ms" else float(value)
    try:
        return Faults(**values)  # type: ignore[arg-type]
    except ValueError as exc:
        raise SandboxError.parameter(str(exc)) from None


def handle_admin(
    exchange: SandboxExchange, method: str, path: str, query: str, body: bytes
) -> Response:
    try:
        data = _dispatch(exchange, method, path.removeprefix(ADMIN_PREFIX), query, body)
    except SandboxError as exc:
        return error(exc, exchange.server_time_ms())
    return success(data, exchange.server_time_ms())


def _dispatch(exchange: SandboxExchange, method: str, name: str, query: str, body: bytes) -> object:
    route = (method, name)
    if route == ("GET", "stats"):
        return exchange.stats.to_json()
    if route == ("POST", "stats/reset"):
        exchange.stats.reset()
        return exchange.stats.to_json()
    if route == ("GET", "faults"):
        return faults_json(exchange.faults)
    if route == ("POST", "faults"):
        exchange.faults = _faults_from(parse_body(body))
        return faults_json(exchange.faults)
    if route == ("POST", "advance"):
        seconds = parse_body(body).get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | Decimal) or seconds < 0:
            raise SandboxError.parameter("seconds must be a number, at least 0")
        try:
            exchange.advance(float(seconds))
        except TypeError as exc:
            raise SandboxError.parameter(str(exc)) from None
        return {"nowMs": exchange.now_ms()}
    if route == ("GET", "time"):
        exchange.sync()
        return {"nowMs": exchange.now_ms(), "serverTimeMs": exchange.server_time_ms()}
    if route == ("GET", "account"):
        api_key = parse_query(query).get("apiKey") or SANDBOX_API_KEY
        if exchange.lookup_account(api_key) is None:
            raise SandboxError("40006", "Invalid ACCESS_KEY", 400)
        return exchange.account(api_key).to_json()
    known = {"stats", "stats/reset", "faults", "advance", "time", "account"}
    if name in known:
        raise SandboxError("40405", "Method not allowed", 405)
    raise SandboxError("40404", "Request URL NOT FOUND", 404)
