"""Clocks that drive the sandbox's simulated time.

The simulation never reads the time by itself: it asks its clock. A :class:`ManualClock` moves
only when told to (tests, demos, reproducible runs); a :class:`WallClock` follows real time (a
served sandbox that bots talk to for real).
"""

from __future__ import annotations

import time
from typing import Protocol, runtime_checkable

__all__ = ["ManualClock", "SandboxClock", "WallClock"]


@runtime_checkable
class SandboxClock(Protocol):
    """Anything that tells the current time in integer milliseconds since the epoch."""

    def now_ms(self) -> int: ...


class ManualClock:
    """A clock that moves only through :meth:`advance`.

    It starts at ``start_ms``, or at the wall time of its creation when that is ``None``, so a
    client that signs with the real time is accepted until the clock is advanced far enough.
    """

    __slots__ = ("_now_ms",)

    def __init__(self, start_ms: int | None = None) -> None:
        if start_ms is None:
            start_ms = time.time_ns() // 1_000_000
        if start_ms < 0:
            raise ValueError("start_ms must not be negative")
        self._now_ms = int(start_ms)

    def now_ms(self) -> int:
        return self._now_ms

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds`` (rounded to the millisecond). Time never goes back."""
        if seconds < 0:
            raise ValueError("a clock cannot go back in time")
        self._now_ms += round(seconds * 1000)

    def __repr__(self) -> str:
        return f"ManualClock(start_ms={self._now_ms})"


class WallClock:
    """Real time, read from :func:`time.time_ns`."""

    __slots__ = ()

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def __repr__(self) -> str:
        return "WallClock()"
