"""The client-side rate limiter: token buckets shared by every task that uses one client.

Each request takes one token from the bucket of its endpoint group (if that group is
configured) and one from the client-wide global bucket (if configured). The defaults are 5
requests per second on the copy-trading endpoints (group ``"copytrading"``, as Bitget's
copy-trade documentation states since 2024-08-15) and 6,000 requests per minute overall (the
client's own safety net), see :mod:`._limits`.

Guarantees of :class:`InMemoryRateLimiter`:

* **Never over the rate.** Tokens are only ever taken when the bucket has one *now* (exact
  GCRA arithmetic, see :mod:`copytrade_async.ratelimit._gcra`), so for every bucket, over any
  window that is a whole number of emission intervals long (in particular the period a limit is
  stated for), at most ``burst + rate * T`` acquisitions are granted.
* **On schedule.** A waiter whose sleep ends late (event loops time sleeps in whole
  milliseconds) is accounted at the instant it was due, as long as it is at most half an
  emission interval (and at most 5 ms) late, so timer lateness does not add up: 1,000 requests
  at 200/s take 5 s, not 5.5 s. The price is that a window shorter than one emission interval,
  or not a whole number of them, may see one acquisition more than ``burst + rate * T``.
* **Fair.** Within a group, waiters are granted strictly in the order they called
  :meth:`~InMemoryRateLimiter.acquire`. Across groups, among the waiters whose group has a token,
  the one that arrived first gets the next global token; a group whose own bucket is empty never
  holds up another group.
* **Shared back-off.** :meth:`~InMemoryRateLimiter.pause` (after a 429) holds back every
  acquisition, including those already waiting, until its deadline; pauses only ever extend.
* **Cancel-safe.** A waiter holds no reservation, so cancelling it takes nothing from anybody;
  its place in the queue passes to the next waiter at once. (In the rare race where a waiter is
  cancelled after being granted but before it resumed, its token is given back if nobody took a
  token from that bucket since.) No lock is held across an ``await``.

Default burst is 1 (evenly spaced requests). A bucket with rate ``n / W`` and burst ``b`` lets
up to ``n + b - 1`` requests into a sliding window of length ``W``, so any burst above 1 at the
exchange's full rate can make it answer 429; raise it only with a lower rate.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from fractions import Fraction

import anyio

from ._gcra import (
    BucketState,
    consume,
    full_bucket,
    late_grant_time,
    ready_at,
    to_time,
)
from ._limits import RateLimit, RateLimiter, RateLimits, _check_pause

__all__ = ["InMemoryRateLimiter", "NullRateLimiter", "create_rate_limiter"]

logger = logging.getLogger("copytrade_async")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


def _delay_until(target: Fraction, now: float) -> float:
    """Seconds to sleep from the clock reading ``now`` so as to wake no earlier than ``target``.

    A sleep computes its deadline as ``now + delay`` in floats, so the delay is chosen for that
    sum to round to at least ``target``: the sleeper then never wakes an ulp too early and spins.
    """
    deadline = float(target)
    if Fraction(deadline) < target:
        deadline = math.nextafter(deadline, math.inf)
    delay = max(0.0, deadline - now)
    for _ in range(64):  # the shortfall is an ulp or two: this ends after a step or two
        if now + delay >= deadline:
            break
        delay += max(math.ulp(now), math.ulp(delay))
    return delay


class _Bucket:
    __slots__ = ("_ready", "_state", "gcra")

    def __init__(self, limit: RateLimit) -> None:
        self.gcra = limit.gcra()
        self._state: BucketState | None = None  # full until first used
        self._ready: Fraction | None = None  # cached ready_at(state)

    def current(self, now: Fraction) -> BucketState:
        state = self._state
        if state is None:
            state = full_bucket(now)
            self.set(state)
        return state

    @property
    def state(self) -> BucketState | None:
        return self._state

    def set(self, state: BucketState) -> None:
        self._state = state
        self._ready = ready_at(state, self.gcra)

    def ready_at(self, now: Fraction) -> Fraction:
        ready = self._ready
        if ready is None:
            ready = ready_at(self.current(now), self.gcra)
        return ready


class _Waiter:
    __slots__ = ("abandoned", "due", "granted_at", "group", "scope", "seq", "undo", "wakeup")

    def __init__(self, group: str, seq: int) -> None:
        self.group = group
        self.seq = seq
        self.granted_at: Fraction | None = None
        self.abandoned = False  # cancelled while queued; dropped when it reaches the head
        self.wakeup = anyio.Event()
        self.scope: anyio.CancelScope | None = None  # set while this waiter sleeps as a head
        self.due: Fraction | None = None  # the deadline of a head's sleep that ran to its end
        self.undo: tuple[tuple[_Bucket, BucketState, BucketState], ...] = ()


class InMemoryRateLimiter:
    """Token buckets for the tasks of one process, on anyio (asyncio or trio).

    Each group has a FIFO queue of waiters. Only the head of a queue sleeps on the clock (until
    its group's bucket, the global bucket and any pause allow it); the others wait on an event.
    Whoever runs next grants every waiter that can go at that instant, in arrival order, so
    no task needs a background helper and nothing is locked across an ``await``.

    ``clock`` and ``sleep`` default to :func:`anyio.current_time` and :func:`anyio.sleep`; a test
    can inject a virtual pair. They must agree with each other (same time base).
    """

    def __init__(
        self,
        limits: RateLimits,
        *,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        self._limits = limits
        self._clock: Clock = anyio.current_time if clock is None else clock
        self._sleep: Sleep = anyio.sleep if sleep is None else sleep
        self._groups = {name: _Bucket(limit) for name, limit in limits.groups.items()}
        self._global = None if limits.global_limit is None else _Bucket(limits.global_limit)
        self._queues: dict[str, deque[_Waiter]] = {}
        self._seq = itertools.count()
        self._pause_until: Fraction | None = None
        self._closed = False

    @property
    def limits(self) -> RateLimits:
        return self._limits

    def _now(self) -> Fraction:
        return to_time(self._clock())

    async def acquire(self, group: str) -> float:
        if self._closed:
            raise anyio.ClosedResourceError("the rate limiter is closed")
        start = self._now()
        queue = self._queues.get(group)
        if queue is None:
            # Fast path: serve whoever is already due (they came first), then take a token
            # directly if one is left, without queueing.
            self._dispatch(start)
            if self._can_go(group, start):
                self._take(group, start)
                return 0.0
            queue = self._queues[group] = deque()
        waiter = _Waiter(group, next(self._seq))
        queue.append(waiter)
        try:
            while waiter.granted_at is None:
                if queue[0] is waiter:
                    # The head of its group sleeps until it could go. Other tasks only ever
                    # make that later (and it re-checks), or wake it through its cancel scope.
                    reading = self._clock()
                    target = self._ready_at(group, to_time(reading))
                    with anyio.CancelScope() as scope:
                        waiter.scope = scope
                        await self._sleep(_delay_until(target, reading))
                        waiter.due = target  # not reached when the sleep was cut short
                    waiter.scope = None
                else:
                    await waiter.wakeup.wait()
                    waiter.wakeup = anyio.Event()
                if self._closed:
                    raise anyio.ClosedResourceError("the rate limiter is closed")
                self._dispatch(self._now())
                waiter.due = None
        except BaseException:
            self._abandon(waiter)
            raise
        waited = float(waiter.granted_at - start)
        return waited

    def expected_wait(self, group: str) -> float:
        """Seconds a request in ``group`` made now would wait for its tokens: until its bucket
        and the global one have one and any pause is over, plus one emission interval for each
        request already queued in the group. A lower bound: other groups may take global
        tokens first."""
        now = self._now()
        ready = self._ready_at(group, now)
        queued = len(self._queues.get(group, ()))
        if queued:
            bucket = self._groups.get(group) or self._global
            if bucket is not None:
                ready += queued * bucket.gcra.interval
        return float(ready - now)

    async def pause(self, seconds: float) -> None:
        value = _check_pause(seconds)
        if self._closed or value <= 0:
            return
        until = self._now() + to_time(value)
        if self._pause_until is None or until > self._pause_until:
            self._pause_until = until
            logger.debug("rate limiter: every request paused for %.3f s", value)
        # Waiters need no wake-up: a pause only ever makes them wait longer, and each sleeping
        # head re-checks when it wakes.

    async def aclose(self) -> None:
        """Close the limiter: current and later :meth:`acquire` calls raise
        :class:`anyio.ClosedResourceError`."""
        if self._closed:
            return
        self._closed = True
        for queue in list(self._queues.values()):
            for waiter in list(queue):
                self._notify(waiter)

    # -- internals: all synchronous, so they run atomically between checkpoints --

    def _ready_at(self, group: str, now: Fraction) -> Fraction:
        """When the head of ``group`` could go, given the buckets and the pause as they are."""
        target = now
        if self._pause_until is not None:
            target = max(target, self._pause_until)
        bucket = self._groups.get(group)
        if bucket is not None:
            target = max(target, bucket.ready_at(now))
        if self._global is not None:
            target = max(target, self._global.ready_at(now))
        return target

    def _can_go(self, group: str, now: Fraction) -> bool:
        """Whether a request in ``group`` may take its tokens at ``now`` (queues aside)."""
        if self._pause_until is not None and now < self._pause_until:
            return False
        bucket = self._groups.get(group)
        if bucket is not None and bucket.ready_at(now) > now:
            return False
        return self._global is None or self._global.ready_at(now) <= now

    def _take(
        self, group: str, now: Fraction, due: Fraction | None = None
    ) -> tuple[tuple[_Bucket, BucketState, BucketState], ...]:
        """Take one token from ``group``'s bucket and the global one; return how to undo it.

        ``due`` is when a waiter that slept meant to wake: its tokens are accounted then if it
        woke a little late (see :func:`~._gcra.late_grant_time`), otherwise at ``now``.
        """
        undo: list[tuple[_Bucket, BucketState, BucketState]] = []
        for bucket in (self._groups.get(group), self._global):
            if bucket is not None:
                before = bucket.current(now)
                at = now if due is None else late_grant_time(before, bucket.gcra, due, now)
                after = consume(before, bucket.gcra, at)
                bucket.set(after)
                undo.append((bucket, before, after))
        return tuple(undo)

    def _dispatch(self, now: Fraction) -> None:
        """Grant, at ``now``, every waiter that can go, first come first served."""
        if self._closed:
            return
        while self._queues:
            best: _Waiter | None = None
            for name, queue in self._queues.items():
                head = queue[0]
                if (best is None or head.seq < best.seq) and self._can_go(name, now):
                    best = head
            if best is None:
                return
            best.undo = self._take(best.group, now, best.due)
            best.granted_at = now
            self._notify(best)
            self._pop_head(best.group)

    def _pop_head(self, group: str) -> None:
        """Drop the head of ``group``'s queue (and any abandoned waiters behind it)."""
        queue = self._queues[group]
        queue.popleft()
        while queue and queue[0].abandoned:
            queue.popleft()
        if queue:
            self._notify(queue[0])  # the new head must start watching the clock
        else:
            del self._queues[group]

    @staticmethod
    def _notify(waiter: _Waiter) -> None:
        waiter.wakeup.set()
        if waiter.scope is not None:
            waiter.scope.cancel()

    def _abandon(self, waiter: _Waiter) -> None:
        """Clean up after a waiter that leaves ``acquire`` with an exception (cancellation)."""
        if waiter.granted_at is None:
            # It held no token: just leave the queue (lazily, unless it is the head).
            waiter.abandoned = True
            queue = self._queues.get(waiter.group)
            if queue is not None and queue[0] is waiter:
                self._pop_head(waiter.group)
            return
        # Granted, but cancelled before it could return: give the tokens back where that is
        # exact, i.e. where nobody has taken a token from that bucket since.
        refunded = False
        for bucket, before, after in waiter.undo:
            if bucket.state is after:
                bucket.set(before)
                refunded = True
        waiter.undo = ()
        if refunded and not self._closed:
            for queue in self._queues.values():
                self._notify(queue[0])  # a head may now go sooner than it planned


class NullRateLimiter:
    """No limiting: :meth:`acquire` returns at once.

    :meth:`pause` is still honoured, because it is the server that asked for it: after a 429
    every :meth:`acquire` waits out the ``Retry-After`` (and returns the time it waited).
    """

    def __init__(self, *, clock: Clock | None = None, sleep: Sleep | None = None) -> None:
        self._clock: Clock = anyio.current_time if clock is None else clock
        self._sleep: Sleep = anyio.sleep if sleep is None else sleep
        self._pause_until: Fraction | None = None
        self._closed = False

    @property
    def limits(self) -> None:
        """None: this limiter enforces no limits of its own."""
        return None

    async def acquire(self, group: str) -> float:
        if self._closed:
            raise anyio.ClosedResourceError("the rate limiter is closed")
        if self._pause_until is None:
            return 0.0
        reading = self._clock()
        start = now = to_time(reading)
        while now < self._pause_until:
            await self._sleep(_delay_until(self._pause_until, reading))
            reading = self._clock()
            now = to_time(reading)
        waited = float(now - start)
        if waited > 0:
            logger.debug("rate limiter: waited %.3f s for a pause (group %r)", waited, group)
        return waited

    def expected_wait(self, group: str) -> float:
        """Seconds a request made now would wait: what is left of a pause, else 0."""
        if self._pause_until is None:
            return 0.0
        return max(0.0, float(self._pause_until - to_time(self._clock())))

    async def pause(self, seconds: float) -> None:
        value = _check_pause(seconds)
        if self._closed or value <= 0:
            return
        until = to_time(self._clock()) + to_time(value)
        if self._pause_until is None or until > self._pause_until:
            self._pause_until = until

    async def aclose(self) -> None:
        self._closed = True


def create_rate_limiter(limits: RateLimits | None) -> RateLimiter:
    """An :class:`InMemoryRateLimiter` for ``limits``, or a :class:`NullRateLimiter` for None."""
    if limits is None:
        return NullRateLimiter()
    return InMemoryRateLimiter(limits)
