"""Unsigned control endpoints under ``/sandbox/``, for driving a served sandbox from another
process. They are never faulted, rate limited or counted in the stats.

* ``GET /sandbox/stats`` and ``POST /sandbox/stats/reset``
* ``GET /sandbox/faults`` and ``POST /sandbox/faults`` (a JSON object of :class:`Faults` fields;
  fields left out take their defaults, so ``{}`` clears every fault)
* ``POST /sandbox/advance`` with ``{"seconds": n}`` (only with a :class:`ManualClock` or a
  :class:`ScaledClock`, not the :class:`WallClock`; at most
  :attr:`SandboxConfig.max_advance_seconds`, two simulated days by default)
* ``GET /sandbox/account?apiKey=...`` (the default live account without ``apiKey``)
* ``GET /sandbox/time``: the simulated time, the server's clock, the kind of clock
  (``"manual"``, ``"scaled"`` with its ``speed``, ``"wall"``), whether it can be advanced, and
  the most one advance may move

Their input is checked as the API's is: anything that is not what is asked for (not a JSON
object, a string or ``true`` for a number, a number out of its bound, ``NaN``) is code 40020
"Parameter error: ..." with HTTP 400, and nothing changes.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from ._clock import AdvancingClock, ManualClock, ScaledClock, WallClock
from ._config import SANDBOX_API_KEY
from ._errors import SandboxError
from ._exchange import SandboxExchange
from ._faults import MAX_CLOCK_OFFSET_MS, Faults
from ._params import parse_body, parse_query
from ._wire import Response, error, success

__all__ = ["ADMIN_PREFIX", "handle_admin"]

ADMIN_PREFIX = "/sandbox/"
_FAULT_FIELDS = {field.name: field.type for field in attrs.fields(Faults)}


def faults_json(faults: Faults) -> dict[str, object]:
    return attrs.asdict(faults)


def _number(name: str, value: object) -> Decimal:
    """A JSON number of the body (an int, or a Decimal for one with a fraction or exponent)."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise SandboxError.parameter(f"{name} must be a number")
    return Decimal(value)


def _faults_from(body: dict[str, object]) -> Faults:
    values: dict[str, float | int] = {}
    for name, value in body.items():
        if name not in _FAULT_FIELDS:
            raise SandboxError.parameter(f"unknown fault {name[:40]!r}")
        number = _number(name, value)
        if name != "clock_offset_ms":
            values[name] = float(number)  # huge is inf, which Faults refuses
        elif number == number.to_integral_value() and abs(number) <= MAX_CLOCK_OFFSET_MS:
            values[name] = int(number)
        else:
            raise SandboxError.parameter(
                f"clock_offset_ms must be a whole number of ms, at most {MAX_CLOCK_OFFSET_MS}"
                " either way"
            )
    try:
        return Faults(**values)  # type: ignore[arg-type]
    except ValueError as exc:
        raise SandboxError.parameter(str(exc)) from None


def clock_json(exchange: SandboxExchange) -> dict[str, object]:
    """What ``GET /sandbox/time`` says of the clock, beside the time."""
    clock = exchange.clock
    kinds = ((ManualClock, "manual"), (ScaledClock, "scaled"), (WallClock, "wall"))
    kind = next((name for cls, name in kinds if isinstance(clock, cls)), "other")
    most = exchange.config.max_advance_seconds
    return {
        "clock": kind,
        "speed": clock.speed if isinstance(clock, ScaledClock) else None,
        "advances": isinstance(clock, AdvancingClock),
        "maxAdvanceSeconds": int(most) if most.is_integer() else most,
    }


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
        if not isinstance(exchange.clock, AdvancingClock):
            raise SandboxError.parameter(
                "advance needs a manual or scaled clock, and this sandbox follows the wall clock:"
                " serve it with `copytrade sandbox serve --manual-clock` (or --speed N)"
            )
        seconds = _number("seconds", parse_body(body).get("seconds"))
        try:
            exchange.advance(float(seconds))  # huge is inf, which advance refuses
        except (TypeError, ValueError) as exc:
            raise SandboxError.parameter(str(exc)) from None
        return {"nowMs": exchange.now_ms()}
    if route == ("GET", "time"):
        exchange.sync()
        return {
            "nowMs": exchange.now_ms(),
            "serverTimeMs": exchange.server_time_ms(),
            **clock_json(exchange),
        }
    if route == ("GET", "account"):
        api_key = parse_query(query).get("apiKey") or SANDBOX_API_KEY
        if exchange.lookup_account(api_key) is None:
            raise SandboxError("40006", "Invalid ACCESS_KEY", 400)
        return exchange.account(api_key).to_json()
    known = {"stats", "stats/reset", "faults", "advance", "time", "account"}
    if name in known:
        raise SandboxError("40405", "Method not allowed", 405)
    raise SandboxError("40404", "Request URL NOT FOUND", 404)
