"""Clocks that drive the sandbox's simulated time.

The simulation never reads the time by itself: it asks its clock. A :class:`ManualClock` moves
only when told to (tests, demos, reproducible runs); a :class:`WallClock` follows real time (a
served sandbox that bots talk to for real).
"""

from __future__ import annotations

import math
import time
from typing import Protocol, runtime_checkable

__all__ = ["MAX_CLOCK_MS", "ManualClock", "SandboxClock", "WallClock", "check_seconds"]

#: The last millisecond of the year 9999 (UTC): past it, times are not ``datetime``s any more.
MAX_CLOCK_MS = 253_402_300_799_999


def check_seconds(seconds: object) -> float:
    """``seconds`` as a float, if it is a finite real number of seconds, at least 0."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ValueError(f"seconds must be a number, got {type(seconds).__name__}")
    if not math.isfinite(seconds):
        raise ValueError(f"seconds must be finite, got {seconds!r}")
    if seconds < 0:
        raise ValueError("seconds must be at least 0: a clock cannot go back in time")
    return float(seconds)


@runtime_checkable
class SandboxClock(Protocol):
    """Anything that tells the current time in integer milliseconds since the epoch."""

    def now_ms(self) -> int: ...


class ManualClock:
    """A clock that moves only through :meth:`advance`.

    It starts at ``start_ms``, or at the wall time of its creation when that is ``None``, so a
    client that signs with the real time is accepted until the clock is advanced far enough.
    Time stops at the end of the year 9999 (:data:`MAX_CLOCK_MS`): advancing past it is a
    ``ValueError``.
    """

    __slots__ = ("_now_ms",)

    def __init__(self, start_ms: int | None = None) -> None:
        if start_ms is None:
            start_ms = time.time_ns() // 1_000_000
        if isinstance(start_ms, bool) or not isinstance(start_ms, int):
            raise ValueError(f"start_ms must be an integer, got {type(start_ms).__name__}")
        if not 0 <= start_ms <= MAX_CLOCK_MS:
            raise ValueError(f"start_ms must be between 0 and {MAX_CLOCK_MS} (the year 9999)")
        self._now_ms = start_ms

    def now_ms(self) -> int:
        return self._now_ms

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds`` (rounded to the millisecond). Time never goes back.

        ``seconds`` must be a finite number, at least 0 (``ValueError`` otherwise, and the clock
        does not move).
        """
        seconds = check_seconds(seconds)
        if seconds > (MAX_CLOCK_MS - self._now_ms) / 1000:
            raise ValueError("seconds would take the clock past the year 9999")
        self._now_ms = min(MAX_CLOCK_MS, self._now_ms + round(seconds * 1000))

    def __repr__(self) -> str:
        return f"ManualClock(start_ms={self._now_ms})"


class WallClock:
    """Real time, read from :func:`time.time_ns`."""

    __slots__ = ()

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def __repr__(self) -> str:
        return "WallClock()"
