"""Exact token-bucket arithmetic (GCRA). Pure functions: no I/O, no clock, no state.

A bucket of capacity ``burst`` refilled at ``rate`` tokens per second is tracked, as in the
Generic Cell Rate Algorithm, by a single number: its *theoretical arrival time* (``tat``), the
instant at which the bucket would be full again if nobody took another token. With the
emission interval ``I = 1 / rate`` and the tolerance ``tau = (burst - 1) * I``:

* a token is available at ``now`` if and only if ``now >= tat - tau`` (:func:`ready_at`);
* taking it sets ``tat = max(tat, now) + I`` (:func:`consume`);
* the number of tokens in the bucket is ``min(burst, burst - (tat - now) / I)``, never negative:
  this model never lends tokens ahead (no reservations, so nothing to give back on cancel).

Every quantity is a :class:`fractions.Fraction` (clock readings are converted exactly with
:func:`to_time`), so there is no rounding at all: the state after a million tokens is exactly
``tat0 + 1_000_000 * I``, and the guarantee below holds exactly rather than "up to epsilon".

Guarantee: if the tokens of one bucket are taken at times ``g_1 <= g_2 <= ... `` each of which was
allowed by :func:`ready_at`, then for all ``i <= j``::

    j - i + 1 <= burst + rate * (g_j - g_i)

that is, over any closed interval of length ``T`` at most ``burst + rate * T`` tokens are taken.

Late wake-ups. A limiter that sleeps until :func:`ready_at` wakes a little late (event loops
time their sleeps in whole milliseconds). If it accounts such a token at the instant it was due,
``e_i`` (:func:`late_grant_time`), rather than at the instant ``g_i`` it actually went, with
``e_i <= g_i <= e_i + slack``, the GCRA state is the same as if the token had gone on time, so
lateness does not accumulate. The bound above holds for the ``e_i``, hence for the ``g_i``::

    j - i + 1 <= burst + rate * (g_j - g_i + slack)

With ``slack < 1 / rate`` this is the exact bound over every window whose length is a whole
number of emission intervals (such as the period a limit is stated for: 10 per second, 6,000
per minute), and at most one token more over other windows.

The Redis-backed limiter runs the same formulas, late accounting included, in a Lua script on
the Redis server's clock, in integer microseconds (see :mod:`._redis_script`).
"""

from __future__ import annotations

import math
from fractions import Fraction

import attrs

__all__ = [
    "MAX_SLACK",
    "BucketState",
    "Gcra",
    "consume",
    "full_bucket",
    "late_grant_time",
    "ready_at",
    "slack_for",
    "to_time",
    "tokens",
    "try_consume",
    "wait_time",
]

_ZERO = Fraction(0)


def to_time(seconds: float) -> Fraction:
    """A clock reading (or a duration) in seconds as an exact fraction."""
    if not math.isfinite(seconds):
        raise ValueError(f"a time must be a finite number of seconds, got {seconds!r}")
    return Fraction(seconds)


@attrs.frozen
class Gcra:
    """The constants of one bucket: the emission interval and the burst tolerance, exactly."""

    interval: Fraction
    """Seconds between two tokens at the sustained rate: ``1 / rate``."""
    tolerance: Fraction
    """How far ahead of the sustained schedule a burst may run: ``(burst - 1) * interval``."""

    def __attrs_post_init__(self) -> None:
        if self.interval <= 0:
            raise ValueError(f"interval must be > 0, got {self.interval}")
        if self.tolerance < 0:
            raise ValueError(f"tolerance must be >= 0, got {self.tolerance}")

    @classmethod
    def from_rate(cls, rate: float, burst: int) -> Gcra:
        """The constants for ``rate`` tokens per second and a capacity of ``burst`` tokens."""
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"rate must be a finite number > 0, got {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst!r}")
        interval = 1 / Fraction(rate)
        return cls(interval=interval, tolerance=(burst - 1) * interval)

    @property
    def rate(self) -> Fraction:
        """Tokens per second."""
        return 1 / self.interval

    @property
    def burst(self) -> Fraction:
        """Capacity in tokens (a whole number when built by :meth:`from_rate`)."""
        return self.tolerance / self.interval + 1


@attrs.frozen
class BucketState:
    """A bucket's whole state: its theoretical arrival time, in clock seconds."""

    tat: Fraction


def full_bucket(now: Fraction) -> BucketState:
    """A bucket that is full at ``now`` (and stays full until someone takes a token)."""
    return BucketState(tat=now)


def ready_at(state: BucketState, gcra: Gcra) -> Fraction:
    """The earliest instant at which a token is available (possibly in the past)."""
    return state.tat - gcra.tolerance


def wait_time(state: BucketState, gcra: Gcra, now: Fraction) -> Fraction:
    """How long from ``now`` until a token is available: 0 if one is available now."""
    return max(_ZERO, ready_at(state, gcra) - now)


def tokens(state: BucketState, gcra: Gcra, now: Fraction) -> Fraction:
    """The (fractional) number of tokens in the bucket at ``now``, between 0 and ``burst``."""
    debt = max(_ZERO, state.tat - now) / gcra.interval
    return max(_ZERO, gcra.burst - debt)


def consume(state: BucketState, gcra: Gcra, now: Fraction) -> BucketState:
    """The state after taking one token at ``now``.

    Raises ``ValueError`` if no token is available at ``now``: check :func:`ready_at` first,
    or use :func:`try_consume`.
    """
    if now < ready_at(state, gcra):
        raise ValueError(f"no token available at {now}: the next one is at {ready_at(state, gcra)}")
    return BucketState(tat=max(state.tat, now) + gcra.interval)


def try_consume(state: BucketState, gcra: Gcra, now: Fraction) -> tuple[BucketState, Fraction]:
    """Take one token at ``now`` if one is available.

    Returns ``(new_state, 0)`` on success, or ``(state, wait)`` unchanged with the positive time
    to wait before trying again: the one-step form of the check (the Redis backend runs its own
    in Lua).
    """
    wait = wait_time(state, gcra, now)
    if wait > 0:
        return state, wait
    return consume(state, gcra, now), _ZERO


def late_grant_time(state: BucketState, gcra: Gcra, due: Fraction, now: Fraction) -> Fraction:
    """The instant to account a token at when it was due at ``due`` but goes at ``now``.

    That is the later of ``due``, the moment the bucket had a token, and ``now - slack``
    (``slack = slack_for(gcra)``): a token that goes late is accounted as if it had gone on time,
    provided it is at most ``slack`` late. Raises ``ValueError`` if no token is available at
    ``now``.
    """
    ready = ready_at(state, gcra)
    if now < ready:
        raise ValueError(f"no token available at {now}: the next one is at {ready}")
    return max(due, ready, now - slack_for(gcra))


MAX_SLACK = Fraction(5, 1000)
"""The most lateness ever forgiven: 5 ms (a few event-loop timer ticks)."""


def slack_for(gcra: Gcra) -> Fraction:
    """How late a token may go and still be accounted when it was due: half an emission
    interval, at most :data:`MAX_SLACK`. Always less than the interval, which keeps the bound in
    the module docs exact over whole numbers of intervals."""
    return min(gcra.interval / 2, MAX_SLACK)
