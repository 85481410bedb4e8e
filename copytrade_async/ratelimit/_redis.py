"""A rate limiter shared by a fleet of processes, on Redis (install the ``redis`` extra).

::

    limiter = RedisRateLimiter("redis://localhost:6379/0", RateLimits.default(),
                               prefix="copytrade:main-account", fleet_size=4)
    client = AsyncCopyTradeClient(..., rate_limiter=limiter)

Every worker that uses the same Redis and the same ``prefix`` (and the same ``limits``) draws
from one budget. Guarantees:

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
  whole budget: four busy workers at 100/s made 1,000 requests in 10 s (about 840 when each
  grant was accounted when it came). The price: a window shorter than one emission interval, or
  not a whole number of them, may see one grant more than ``burst + rate * T``.
* **Shared back-off.** :meth:`~RedisRateLimiter.pause` (after a 429) moves a "paused until" key
  forward, never back, and every acquisition of every worker waits it out.
* **Fair enough, cancel-safe.** Within a process, one task per group at a time asks Redis (a
  FIFO lock); the others queue behind it in order. Nothing is reserved while waiting, so a
  cancelled waiter takes nothing; one cancelled while its script call is in flight may waste
  the token it was granted (never exceeding the rate).
* **Never fails a request because of Redis.** When Redis is unreachable or times out, the
  limiter falls back to a local :class:`~copytrade_async.InMemoryRateLimiter` whose rates are
  the budget divided by ``fleet_size`` (and the bursts too, at least 1), logs one warning,
  probes Redis every ``probe_interval`` seconds in the background while it is being used, and
  goes back to Redis (one info line) once it answers. Around each switch the fleet may briefly
  see up to one extra burst.

The limiter runs on asyncio only (as redis-py does).
"""

from __future__ import annotations

import asyncio
import logging
import math
from types import TracebackType
from typing import Any, Self

import anyio

from .._validation import check_positive, check_whole
from ._limits import RateLimit, RateLimits, _check_pause
from ._memory import InMemoryRateLimiter
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
    raise ImportError(
        "RedisRateLimiter needs redis-py: pip install 'copytrade-async[redis]'"
    ) from exc

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
    many workers share it, used only for the local fallback. ``prefix`` namespaces the keys
    (one prefix per API key or per IP, whichever the budget belongs to). Every Redis call gives
    up after ``timeout`` seconds.
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
        self._fallback = InMemoryRateLimiter(fleet_share(limits, fleet_size))
        self._scripts: dict[str, str | None] = {ACQUIRE: None, PAUSE: None}  # source -> sha
        self._calls: dict[str, tuple[list[str], list[int]]] = {}  # group -> keys, args
        self._locks: dict[str, anyio.Lock] = {}
        self._paused_until = -math.inf  # this process's own pauses, on anyio's clock
        self._using_redis = True
        self._next_probe = -math.inf
        self._probe: asyncio.Task[None] | None = None
        self._closed = False
        self._closed_event = anyio.Event()

    @property
    def limits(self) -> RateLimits:
        """The fleet's budget."""
        return self._limits

    @property
    def fallback_limits(self) -> RateLimits:
        """This worker's share of the budget, used while Redis is unreachable."""
        return self._fallback.limits

    @property
    def fleet_size(self) -> int:
        return self._fleet_size

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def using_redis(self) -> bool:
        """False while the limiter runs on its local fallback."""
        return self._using_redis

    async def acquire(self, group: str) -> float:
        self._check_open()
        start = anyio.current_time()
        if not (self._using_redis and await self._acquire_redis(group)):
            self._maybe_probe()
            await self._fallback.acquire(group)
        waited = anyio.current_time() - start
        return waited

    async def pause(self, seconds: float) -> None:
        value = _check_pause(seconds)
        if self._closed or value <= 0:
            return
        self._paused_until = max(self._paused_until, anyio.current_time() + value)
        await self._fallback.pause(value)
        if self._using_redis:
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
        await self._fallback.aclose()
        probe, self._probe = self._probe, None
        if probe is not None:
            probe.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.wait([probe])
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

    def _call_for(self, group: str) -> tuple[list[str], list[int]]:
        call = self._calls.get(group)
        if call is None:
            keys: list[str] = [self._pause_key]
            args: list[int] = []
            for key, limit in (
                (group_key(self._prefix, group), self._limits.groups.get(group)),
                (global_key(self._prefix), self._limits.global_limit),
            ):
                if limit is not None:
                    keys.append(key)
                    args.extend(bucket_args(limit))
            call = self._calls[group] = (keys, args)
        return call

    async def _acquire_redis(self, group: str) -> bool:
        """Take a token through Redis: True once granted, False if Redis failed meanwhile."""
        keys, args = self._call_for(group)
        lock = self._locks.get(group)
        if lock is None:
            lock = self._locks[group] = anyio.Lock()
        async with lock:  # one contender per group and process; the rest queue in order
            due = 0  # when the last answer said to come back (Redis time, µs); 0: did not wait
            while True:
                self._check_open()
                if not self._using_redis:
                    return False
                local_pause = self._paused_until - anyio.current_time()
                if local_pause > 0:  # a pause that may not have reached Redis
                    await self._sleep(local_pause)
                    due = 0
                    continue
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
            self._fall_back(exc)
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

    def _fall_back(self, exc: BaseException) -> None:
        self._next_probe = anyio.current_time() + self._probe_interval
        if not self._using_redis:
            return
        self._using_redis = False
        logger.warning(
            "rate limiter: Redis is unreachable (%s: %s); each worker now runs on its own "
            "limiter at 1/%d of the budget until Redis answers again",
            type(exc).__name__,
            exc,
            self._fleet_size,
        )

    def _maybe_probe(self) -> None:
        if (
            self._using_redis
            or self._closed
            or (self._probe is not None and not self._probe.done())
            or anyio.current_time() < self._next_probe
        ):
            return
        self._probe = asyncio.get_running_loop().create_task(self._probe_redis())

    async def _probe_redis(self) -> None:
        try:
            with anyio.fail_after(self._timeout):
                for script in self._scripts:  # a restarted Redis has forgotten them
                    self._scripts[script] = await self._redis.script_load(script)
        except Exception as exc:
            self._next_probe = anyio.current_time() + self._probe_interval
            logger.debug("rate limiter: Redis still unreachable (%s)", exc)
            return
        if not self._closed and not self._using_redis:
            self._using_redis = True
            logger.info("rate limiter: Redis is back; the fleet shares one budget again")
