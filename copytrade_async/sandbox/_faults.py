"""Injected failures: latency, server errors, 429 storms, malformed bodies, dropped connections.

One seeded draw per API request picks at most one fault, so a run with the same seed and the
same requests fails the same way. Some faults strike after the exchange has acted (the answer
is lost on its way back, as with a real proxy), which is what makes retries interesting:

* 500 and 503: before the request is executed.
* 502 and 504: after it was executed (a proxy lost the answer). A 502 body is an HTML proxy
  page half of the time.
* 429 storm: before execution, whatever the token bucket says.
* malformed: after execution; the real answer, cut short (status 200, invalid JSON).
* drop: the connection closes without an answer, after execution half of the time.
* maintenance: before execution, code 40200 "server upgrade, please try again later" (HTTP
  400), as the exchange answers while it is being upgraded.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import attrs

__all__ = ["MAX_CLOCK_OFFSET_MS", "MAX_LATENCY_S", "FaultPlan", "Faults", "draw_fault"]

#: The longest injected latency, in seconds.
MAX_LATENCY_S = 60.0
#: The largest clock offset either way, in milliseconds: one day.
MAX_CLOCK_OFFSET_MS = 86_400_000

Validator = Callable[[object, "attrs.Attribute[Any]", Any], None]


def _between(low: float, high: float, *, whole: bool = False) -> Validator:
    """A number (an int when ``whole``; never a bool) from ``low`` to ``high``: NaN and the
    infinities are not."""

    def check(_: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        number = isinstance(value, int) or (not whole and isinstance(value, float))
        if isinstance(value, bool) or not number:
            kind = "a whole number" if whole else "a number"
            raise ValueError(f"{attribute.name} must be {kind}, got {type(value).__name__}")
        if not low <= value <= high:
            bounds = f"between {_show(low)} and {_show(high)}"
            raise ValueError(f"{attribute.name} must be {bounds}, got {value!r:.30}")

    return check


def _show(bound: float) -> str:
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


_rate = _between(0, 1)


@attrs.frozen
class Faults:
    """What goes wrong, and how often (each rate is a fraction of API requests, from 0 to 1,
    adding up to at most 1). ``latency_s`` is at most :data:`MAX_LATENCY_S` (60 s) and
    ``clock_offset_ms`` at most :data:`MAX_CLOCK_OFFSET_MS` (a day) either way; anything else
    (NaN, an infinity, a bool or a string) is a ``ValueError``."""

    latency_s: float = attrs.field(default=0.0, validator=_between(0, MAX_LATENCY_S))
    error_rate: float = attrs.field(default=0.0, validator=_rate)
    rate_limit_storm: float = attrs.field(default=0.0, validator=_rate)
    malformed_rate: float = attrs.field(default=0.0, validator=_rate)
    drop_rate: float = attrs.field(default=0.0, validator=_rate)
    maintenance_rate: float = attrs.field(default=0.0, validator=_rate)
    clock_offset_ms: int = attrs.field(
        default=0, validator=_between(-MAX_CLOCK_OFFSET_MS, MAX_CLOCK_OFFSET_MS, whole=True)
    )

    def __attrs_post_init__(self) -> None:
        total = (
            self.error_rate
            + self.rate_limit_storm
            + self.malformed_rate
            + self.drop_rate
            + self.maintenance_rate
        )
        if total > 1 + 1e-9:
            raise ValueError("the fault rates add up to more than 1")

    @property
    def any_failure(self) -> bool:
        return bool(
            self.error_rate
            or self.rate_limit_storm
            or self.malformed_rate
            or self.drop_rate
            or self.maintenance_rate
        )


@attrs.frozen
class FaultPlan:
    """The fault drawn for one request."""

    kind: str  # "error", "storm", "malformed", "drop" or "maintenance"
    after_execution: bool
    status: int = 0  # for "error"
    html: bool = False  # for "error": an HTML proxy page instead of JSON
    retry_after_ms: int = 0  # for "storm"


def draw_fault(faults: Faults, rng: random.Random) -> FaultPlan | None:
    """Pick the fault for one request, or ``None``. Draws nothing when no fault is set."""
    if not faults.any_failure:
        return None
    u = rng.random()
    if u < faults.drop_rate:
        return FaultPlan("drop", after_execution=rng.random() < 0.5)
    u -= faults.drop_rate
    if u < faults.error_rate:
        status = rng.choice((500, 502, 503, 504))
        return FaultPlan(
            "error",
            after_execution=status in (502, 504),
            status=status,
            html=status == 502 and rng.random() < 0.5,
        )
    u -= faults.error_rate
    if u < faults.rate_limit_storm:
        return FaultPlan("storm", after_execution=False, retry_after_ms=rng.randint(50, 1000))
    u -= faults.rate_limit_storm
    if u < faults.malformed_rate:
        return FaultPlan("malformed", after_execution=True)
    u -= faults.malformed_rate  # drawn last, so the other faults draw as they always did
    if u < faults.maintenance_rate:
        return FaultPlan("maintenance", after_execution=False)
    return None
