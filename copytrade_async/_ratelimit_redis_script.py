"""The Lua side of :class:`~copytrade_async._ratelimit_redis.RedisRateLimiter`, and its keys.

Both scripts read the time with ``redis.call('TIME')``, so every worker of a fleet runs on the
Redis server's clock, whatever its own clock says. Times are whole microseconds; a bucket is its
GCRA *theoretical arrival time* (``tat``, see :mod:`copytrade_async._ratelimit_math`), stored as
a decimal integer string (``%.0f``: Lua's ``tostring`` keeps only 14 digits) with a TTL that ends
exactly when the bucket would be full again, so an idle fleet leaves no keys behind.

``ACQUIRE`` -- ``KEYS[1]`` is the pause key, ``KEYS[2..n]`` the buckets to take from (the
group's and the global one), ``ARGV`` holds ``interval, tolerance`` (microseconds) for each
bucket in that order. It either takes one token from every bucket and returns ``0``, or takes
nothing and returns how many microseconds to wait (the longest of the buckets' waits and the
remaining pause). All or nothing, in one atomic step.

``PAUSE`` -- ``KEYS[1]`` is the pause key, ``ARGV[1]`` a duration in microseconds. It moves the
"paused until" instant to now + duration unless it is already later (a pause only ever extends)
and returns the microseconds of pause left.
"""

from __future__ import annotations

import math

from ._ratelimit import RateLimit

__all__ = [
    "ACQUIRE",
    "MAX_PAUSE_US",
    "PAUSE",
    "bucket_args",
    "global_key",
    "group_key",
    "pause_key",
]

_NOW = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
"""

ACQUIRE = (
    _NOW
    + """
local wait = 0
local paused = redis.call('GET', KEYS[1])
if paused then
  local left = tonumber(paused) - now
  if left > wait then wait = left end
end
local tats = {}
for i = 2, #KEYS do
  local interval = tonumber(ARGV[2 * i - 3])
  local tolerance = tonumber(ARGV[2 * i - 2])
  local tat = now
  local stored = redis.call('GET', KEYS[i])
  if stored then
    tat = tonumber(stored)
    if tat < now then tat = now end
    -- Never more than one interval past an empty bucket: if the server's clock stepped back,
    -- this keeps the fleet from stalling (and it never allows more than the rate).
    if tat > now + tolerance + interval then tat = now + tolerance + interval end
  end
  local left = tat - tolerance - now
  if left > wait then wait = left end
  tats[i] = tat + interval
end
if wait > 0 then return wait end
for i = 2, #KEYS do
  local ttl = math.ceil((tats[i] - now) / 1000) + 1
  redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', ttl)
end
return 0
"""
)

PAUSE = (
    _NOW
    + """
local duration = tonumber(ARGV[1])
local deadline = now + duration
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= deadline then
  return tonumber(current) - now
end
redis.call('SET', KEYS[1], string.format('%.0f', deadline), 'PX', math.ceil(duration / 1000) + 1)
return duration
"""
)

MAX_PAUSE_US = 86_400 * 1_000_000
"""Pauses are capped at a day (a ``Retry-After`` is seconds or minutes in practice)."""


# Every key of one prefix carries the same hash tag, so the script's keys share a Redis Cluster
# slot.
def pause_key(prefix: str) -> str:
    return f"{{{prefix}}}:paused"


def global_key(prefix: str) -> str:
    return f"{{{prefix}}}:global"


def group_key(prefix: str, group: str) -> str:
    return f"{{{prefix}}}:group:{group}"


def bucket_args(limit: RateLimit) -> tuple[int, int]:
    """A bucket's ``(interval, tolerance)`` in whole microseconds.

    The interval is rounded *up*, so the bucket in Redis is never faster than ``limit``: with
    ``I = ceil(1e6 / rate)`` it grants at most ``burst + T / I <= burst + rate * T`` tokens over
    any window of ``T`` seconds (of the Redis server's clock).
    """
    gcra = limit.gcra()
    interval = max(1, math.ceil(gcra.interval * 1_000_000))
    return interval, (limit.burst - 1) * interval
