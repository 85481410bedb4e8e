"""Clocks that drive the sandbox's simulated time.

The simulation never reads the time by itself: it asks its clock. A :class:`ManualClock` moves
only when told to (tests, demos, reproducible runs); a :class:`ScaledClock` runs a given number
of simulated seconds per real second (a served sandbox whose day passes in minutes); a
:class:`WallClock` follows real time (a served sandbox that bots talk to for real). The first
two can also be moved forward at once (``advance``): both are an :class:`AdvancingClock`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = [
    "MAX_CLOCK_MS",
    "MAX_SPEED",
    "AdvancingClock",
    "ManualClock",
    "SandboxClock",
    "ScaledClock",
    "WallClock",
    "check_seconds",
    "check_speed",
]

#: The last millisecond of the year 9999 (UTC): past it, times are not ``datetime``s any more.
MAX_CLOCK_MS = 253_402_300_799_999
#: The fastest a :class:`ScaledClock` runs: 10,000 simulated seconds (almost three hours) per
#: real second. The simulation steps every tick it passes, so a faster clock only burns CPU.
MAX_SPEED = 10_000.0


def check_seconds(seconds: object) -> float:
    """``seconds`` as a float, if it is a finite real number of seconds, at least 0."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ValueError(f"seconds must be a number, got {type(seconds).__name__}")
    if not math.isfinite(seconds):
        raise ValueError(f"seconds must be finite, got {seconds!r}")
    if seconds < 0:
        raise ValueError("seconds must be at least 0: a clock cannot go back in time")
    return float(seconds)


def check_speed(speed: object) -> float:
    """``speed`` as a float, if it is a finite number above 0 and at most :data:`MAX_SPEED`."""
    if isinstance(speed, bool) or not isinstance(speed, int | float):
        raise ValueError(f"speed must be a number, got {type(speed).__name__}")
    if not (math.isfinite(speed) and 0 < speed <= MAX_SPEED):
        raise ValueError(f"speed must be above 0 and at most {MAX_SPEED:g}, got {speed!r}")
    return float(speed)


def _start(start_ms: int | None) -> int:
    if start_ms is None:
        return time.time_ns() // 1_000_000
    if isinstance(start_ms, bool) or not isinstance(start_ms, int):
        raise ValueError(f"start_ms must be an integer, got {type(start_ms).__name__}")
    if not 0 <= start_ms <= MAX_CLOCK_MS:
        raise ValueError(f"start_ms must be between 0 and {MAX_CLOCK_MS} (the year 9999)")
    return start_ms


def _step_ms(now_ms: int, seconds: object) -> int:
    """``seconds`` checked (:func:`check_seconds`) and in ms, if it keeps a clock at
    ``now_ms`` within the year 9999."""
    checked = check_seconds(seconds)
    if checked > (MAX_CLOCK_MS - now_ms) / 1000:
        raise ValueError("seconds would take the clock past the year 9999")
    return round(checked * 1000)


@runtime_checkable
class SandboxClock(Protocol):
    """Anything that tells the current time in integer milliseconds since the epoch."""

    def now_ms(self) -> int: ...


@runtime_checkable
class AdvancingClock(SandboxClock, Protocol):
    """A clock that can also be moved forward at once (:meth:`SandboxExchange.advance`)."""

    def advance(self, seconds: float) -> None: ...


class ManualClock:
    """A clock that moves only through :meth:`advance`.

    It starts at ``start_ms``, or at the wall time of its creation when that is ``None``, so a
    client that signs with the real time is accepted until the clock is advanced far enough.
    Time stops at the end of the year 9999 (:data:`MAX_CLOCK_MS`): advancing past it is a
    ``ValueError``.
    """

    __slots__ = ("_now_ms",)

    def __init__(self, start_ms: int | None = None) -> None:
        self._now_ms = _start(start_ms)

    def now_ms(self) -> int:
        return self._now_ms

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds`` (rounded to the millisecond). Time never goes back.

        ``seconds`` must be a finite number, at least 0 (``ValueError`` otherwise, and the clock
        does not move).
        """
        self._now_ms = min(MAX_CLOCK_MS, self._now_ms + _step_ms(self._now_ms, seconds))

    def __repr__(self) -> str:
        return f"ManualClock(start_ms={self._now_ms})"


class ScaledClock:
    """A clock that runs ``speed`` simulated seconds per real second, from ``start_ms`` (the
    wall time of its creation when ``None``), and can be moved forward at once by
    :meth:`advance` as well.

    ``speed`` is a finite number above 0, at most :data:`MAX_SPEED` (``ValueError``
    otherwise). Real time is read from ``monotonic_ns`` (:func:`time.monotonic_ns`; a test
    passes its own), so the clock never goes back when the system's clock is set. It stops at
    the end of the year 9999.
    """

    __slots__ = ("_monotonic_ns", "_origin_ns", "_speed", "_start_ms")

    def __init__(
        self,
        speed: float,
        start_ms: int | None = None,
        *,
        monotonic_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self._speed = check_speed(speed)
        self._start_ms = _start(start_ms)
        self._monotonic_ns = monotonic_ns
        self._origin_ns = monotonic_ns()

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._speed

    def now_ms(self) -> int:
        elapsed_ns = self._monotonic_ns() - self._origin_ns
        return min(MAX_CLOCK_MS, self._start_ms + round(elapsed_ns * self._speed / 1e6))

    def advance(self, seconds: float) -> None:
        """Jump forward by ``seconds`` (as :meth:`ManualClock.advance`); the clock then keeps
        running at its speed from there."""
        self._start_ms += _step_ms(self.now_ms(), seconds)

    def __repr__(self) -> str:
        return f"ScaledClock(speed={self._speed:g}, now_ms={self.now_ms()})"


class WallClock:
    """Real time, read from :func:`time.time_ns`."""

    __slots__ = ()

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def __repr__(self) -> str:
        return "WallClock()"
