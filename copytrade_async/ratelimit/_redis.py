"""A rate limiter shared by a fleet of processes, on Redis (install the ``redis`` extra).

::

    limiter = RedisRateLimiter("redis://localhost:6379/0", RateLimits.default(),
                               prefix="copytrade:main-account", fleet_size=4)
    client = AsyncCopyTradeClient(..., rate_limiter=limiter)

Every worker that uses the same Redis and the same ``prefix`` (and the same ``limits``,
``fleet_size``, ``timeout`` and ``probe_interval``) draws from one budget. Guarantees:

* **Never over the rate, fleet-wide.** Each :meth:`~RedisRateLimiter.acquire` is one atomic Lua
  script (see :mod:`copytrade_async.ratelimit._redis_script`) that takes a token from the
  group's bucket *and* the global bucket, or from neither and answers how long to wait. It runs
  the GCRA on the Redis server's clock (``TIME``), so the workers' clocks do not matter: for
  each bucket, over any window that is a whole number of emission intervals long (in particular
  the period a limit is stated for), at most ``burst + rate * T`` tokens are granted.
* **On schedule.** A waiter sleeps for the wait Redis answered and asks again, telling the
  script when it was told to come back. It comes back a little late (a round trip plus the
  event loop's wake-up); if by at most half an emission interval (and at most 5 ms), its token
  is accounted at the instant it was due, so lateness does not add up and ``burst=1`` gets the
  whole budget. The price: a window shorter than one emission interval, or not a whole number
  of them, may see one grant more than ``burst + rate * T``.
* **Shared back-off.** :meth:`~RedisRateLimiter.pause` (after a 429) moves a "paused until" key
  forward, never back, and every acquisition of every worker waits it out.
* **Fair enough, cancel-safe.** Within a process, one task per group at a time asks Redis (a
  FIFO lock); the others queue behind it in order. Nothing is reserved while waiting, so a
  cancelled waiter takes nothing; one cancelled while its script call is in flight may waste
  the token it was granted (never exceeding the rate).
* **Never fails a request because of Redis, nor overshoots when Redis fails.** When Redis is
  unreachable or times out, the limiter falls back to a local
  :class:`~copytrade_async.InMemoryRateLimiter` with the worker's share of the budget (the
  budget divided by ``fleet_size``, the bursts too, at least 1), logs one warning, probes Redis
  every ``probe_interval`` seconds in the background, and goes back to Redis (one info line)
  once it answers, keeping to its share for a few seconds more. Through the loss, the outage
  and the return, also of a Redis restarted empty, the fleet keeps to its budget plus one burst
  in every window of up to a second: the states, and why, are in
  :mod:`copytrade_async.ratelimit._redis_outage`.

The limiter runs on asyncio only (as redis-py does).
"""

from __future__ import annotations

import logging
import math
import secrets
from types import TracebackType
from typing import Any, Self

import anyio

from .._validation import check_positive, check_whole
from ._limits import RateLimit, RateLimits, _check_pause
from ._redis_outage import Outage
from ._redis_script import (
    ACQUIRE,
    MAX_PAUSE_US,
    PAUSE,
    bucket_args,
    global_key,
    group_key,
    pause_key,
)

try:
    import redis.asyncio as aioredis
    from redis.backoff import NoBackoff
    from redis.exceptions import NoScriptError
    from redis.retry import Retry
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError("RedisRateLimiter needs redis-py: pip install -e '.[redis]'") from exc

__all__ = ["RedisRateLimiter", "fleet_share"]

logger = logging.getLogger("copytrade_async")

DEFAULT_TIMEOUT = 1.0
DEFAULT_PROBE_INTERVAL = 2.0


def fleet_share(limits: RateLimits, fleet_size: int) -> RateLimits:
    """One worker's share of ``limits`` in a fleet of ``fleet_size``: every rate divided by it,
    every burst too (rounded down, at least 1)."""

    def share(limit: RateLimit) -> RateLimit:
        return RateLimit(rate=limit.rate / fleet_size, burst=max(1, limit.burst // fleet_size))

    return RateLimits(
        groups={name: share(limit) for name, limit in limits.groups.items()},
        global_limit=None if limits.global_limit is None else share(limits.global_limit),
    )


class RedisRateLimiter:
    """Token buckets in Redis, shared by every process that uses the same ``prefix``.

    ``redis`` is a :class:`redis.asyncio.Redis` (used as it is, not closed by :meth:`aclose`)
    or a URL (a client is made with ``timeout`` as its socket timeouts and no retries, and
    closed by :meth:`aclose`). ``limits`` is the *whole fleet's* budget; ``fleet_size`` is how
    many workers share it, which sets each worker's share while Redis is away. ``prefix``
    namespaces the keys (one prefix per API key or per IP, whichever the budget belongs to).
    Every Redis call gives up after ``timeout`` seconds; while on its fallback, the limiter
    probes Redis every ``probe_interval`` seconds.
    """

    def __init__(
        self,
        redis: aioredis.Redis | str,
        limits: RateLimits,
        *,
        fleet_size: int,
        prefix: str = "copytrade",
        timeout: float = DEFAULT_TIMEOUT,
        probe_interval: float = DEFAULT_PROBE_INTERVAL,
    ) -> None:
        if not isinstance(limits, RateLimits):
            raise TypeError(f"limits must be a RateLimits, got {limits!r}")
        check_whole("fleet_size", fleet_size)
        if not isinstance(prefix, str) or not prefix:
            raise ValueError(f"prefix must be a non-empty string, got {prefix!r}")
        self._timeout = check_positive("timeout", timeout)
        self._probe_interval = check_positive("probe_interval", probe_interval)
        if isinstance(redis, str):
            self._redis: aioredis.Redis = aioredis.Redis.from_url(
                redis,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                retry=Retry(NoBackoff(), 0),
            )
            self._owns_redis = True
        elif isinstance(redis, aioredis.Redis):
            self._redis = redis
            self._owns_redis = False
        else:
            raise TypeError(f"redis must be a redis.asyncio.Redis or a URL, got {redis!r}")
        self._limits = limits
        self._fleet_size = fleet_size
        self._prefix = prefix
        self._pause_key = pause_key(prefix)
        self._share = fleet_share(limits, fleet_size)
        self._worker = secrets.token_hex(6)  # names this worker's share buckets in Redis
        self._scripts: dict[str, str | None] = {ACQUIRE: None, PAUSE: None}  # source -> sha
        self._calls: dict[tuple[str, bool], tuple[list[str], list[int]]] = {}
        self._locks: dict[str, anyio.Lock] = {}
        self._paused_until = -math.inf  # this process's own pauses, on anyio's clock
        self._outage = Outage(
            self._share,
            fleet_size,
            self._load_scripts,
            timeout=self._timeout,
            probe_interval=self._probe_interval,
        )
        self._closed = False
        self._closed_event = anyio.Event()

    @property
    def limits(self) -> RateLimits:
        """The fleet's budget."""
        return self._limits

    def expected_wait(self, group: str) -> float:
        """What is left of this process's own pause, else 0: the buckets are in Redis, and
        asking them would cost the round trip that acquiring costs."""
        return max(0.0, self._paused_until - anyio.current_time())

    @property
    def fallback_limits(self) -> RateLimits:
        """This worker's share of the budget, used while Redis is unreachable."""
        return self._share

    @property
    def fleet_size(self) -> int:
        return self._fleet_size

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def using_redis(self) -> bool:
        """False while the limiter runs on its local fallback."""
        return not self._outage.local

    async def acquire(self, group: str) -> float:
        self._check_open()
        start = anyio.current_time()
        outage = self._outage
        while not await (outage.acquire(group) if outage.local else self._acquire_redis(group)):
            pass  # the limiter switched between Redis and its fallback: ask the other one
        return anyio.current_time() - start

    async def pause(self, seconds: float) -> None:
        value = _check_pause(seconds)
        if self._closed or value <= 0:
            return
        self._paused_until = max(self._paused_until, anyio.current_time() + value)
        await self._outage.fallback.pause(value)
        if not self._outage.local:
            duration = min(MAX_PAUSE_US, math.ceil(value * 1_000_000))
            if await self._call(PAUSE, [self._pause_key], [duration]) is not None:
                logger.debug("rate limiter: the fleet is paused for %.3f s", value)

    async def aclose(self) -> None:
        """Close the limiter: current and later :meth:`acquire` calls raise
        :class:`anyio.ClosedResourceError`. Closes the Redis client if it was made from a URL."""
        if self._closed:
            return
        self._closed = True
        self._closed_event.set()
        await self._outage.aclose()
        if self._owns_redis:
            with anyio.CancelScope(shield=True):
                await self._redis.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- internals --

    def _check_open(self) -> None:
        if self._closed:
            raise anyio.ClosedResourceError("the rate limiter is closed")

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the limiter is closed (and then raise)."""
        with anyio.move_on_after(seconds):
            await self._closed_event.wait()
        self._check_open()

    def _call_for(self, group: str, returning: bool) -> tuple[list[str], list[int]]:
        call = self._calls.get((group, returning))
        if call is None:
            keys: list[str] = [self._pause_key]
            args: list[int] = []
            buckets = [
                (group_key(self._prefix, group), self._limits.groups.get(group)),
                (global_key(self._prefix), self._limits.global_limit),
            ]
            if returning:
                buckets += [
                    (group_key(self._prefix, group, self._worker), self._share.groups.get(group)),
                    (global_key(self._prefix, self._worker), self._share.global_limit),
                ]
            for key, limit in buckets:
                if limit is not None:
                    keys.append(key)
                    args.extend(bucket_args(limit))
            call = self._calls[group, returning] = (keys, args)
        return call

    async def _acquire_redis(self, group: str) -> bool:
        """Take a token through Redis: True once granted, False if the limiter went local."""
        lock = self._locks.get(group)
        if lock is None:
            lock = self._locks[group] = anyio.Lock()
        async with lock:  # one contender per group and process; the rest queue in order
            due = 0  # when the last answer said to come back (Redis time, µs); 0: did not wait
            while True:
                self._check_open()
                if self._outage.local:
                    return False
                # A pause that may not have reached Redis, or the silence on coming back.
                hold = max(self._paused_until, self._outage.quiet_until) - anyio.current_time()
                if hold > 0:
                    await self._sleep(hold)
                    due = 0
                    continue
                keys, args = self._call_for(group, self._outage.returning())
                reply = await self._call(ACQUIRE, keys, [due, *args])
                if reply is None:
                    return False
                wait, due = reply
                if wait <= 0:
                    return True
                await self._sleep(wait / 1_000_000)  # then `due` tells the script it waited

    async def _call(self, script: str, keys: list[str], args: list[int]) -> list[int] | None:
        """Run a script and return its reply as integers (one, or the items of a list); on any
        Redis failure switch to the fallback and return None."""
        try:
            with anyio.fail_after(self._timeout):
                reply = await self._run(script, keys, args)
                return [int(item) for item in (reply if isinstance(reply, list) else [reply])]
        except Exception as exc:  # RedisError, OSError, TimeoutError, or a redis-py bug
            await self._outage.begin(exc)
            return None

    async def _run(self, script: str, keys: list[str], args: list[int]) -> Any:
        sha = self._scripts[script]
        if sha is not None:
            try:
                return await self._redis.evalsha(sha, len(keys), *keys, *args)
            except NoScriptError:
                pass  # Redis restarted or its script cache was flushed
        sha = self._scripts[script] = await self._redis.script_load(script)
        return await self._redis.evalsha(sha, len(keys), *keys, *args)

    async def _load_scripts(self) -> None:
        for script in self._scripts:  # a restarted Redis has forgotten them
            self._scripts[script] = await self._redis.script_load(script)
