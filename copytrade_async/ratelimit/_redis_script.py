"""The Lua side of :class:`~copytrade_async.ratelimit._redis.RedisRateLimiter`, and its keys.

Both scripts read the time with ``redis.call('TIME')``, so every worker of a fleet runs on the
Redis server's clock, whatever its own clock says. Times are whole microseconds; a bucket is its
GCRA *theoretical arrival time* (``tat``, see :mod:`copytrade_async.ratelimit._gcra`), stored as
a decimal integer string (``%.0f``: Lua's ``tostring`` keeps only 14 digits) with a TTL that ends
when the bucket would be full again plus its slack (at most 5 ms, see below), so an idle fleet
leaves no keys behind.

``ACQUIRE`` -- ``KEYS[1]`` is the pause key, ``KEYS[2..n]`` the buckets to take from (the
group's and the global one). ``ARGV[1]`` is ``due``: ``0`` for a fresh call, or, for a caller
that slept as the previous answer told it to, the instant that answer said to come back. Then
``ARGV`` holds ``interval, tolerance, slack`` (microseconds, see :func:`bucket_args`) for each
bucket in that order. It either takes one token from every bucket and returns ``{0, now}``, or
takes nothing and returns ``{wait, now + wait}``: how many microseconds to wait (the longest of
the buckets' waits and the remaining pause) and the instant to come back. All or nothing, in
one atomic step.

A fresh call's token is accounted at ``now``. A caller that comes back late is accounted at
``max(due, ready, now - slack)`` in each bucket (``ready = tat - tolerance``, when the bucket
had a token; a ``due`` after ``now`` counts as ``now``), as
:func:`~copytrade_async.ratelimit._gcra.late_grant_time` does: when it was due if it is at most
``slack`` late, so lateness (a round trip, a wake-up) does not add up. That instant is never
before ``ready``, after ``now``, nor more than ``slack`` before ``now``, whatever the caller
sends, so for grants at (Redis) times ``g_i <= g_j`` every bucket keeps the bound of
:mod:`copytrade_async.ratelimit._gcra`::

    j - i + 1 <= burst + (g_j - g_i + slack) / interval

on the server's clock, which is ``burst + rate * T`` exactly over every window of a whole number
of emission intervals, because ``slack`` is below the interval. A key lives until its bucket is
full again *plus* the slack, so a missing key means the bucket was full before ``now - slack``
(and accounting at any instant after that is exact).

``PAUSE`` -- ``KEYS[1]`` is the pause key, ``ARGV[1]`` a duration in microseconds. It moves the
"paused until" instant to now + duration unless it is already later (a pause only ever extends)
and returns the microseconds of pause left.
"""

from __future__ import annotations

import math

from ._gcra import slack_for
from ._limits import RateLimit

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
local due = tonumber(ARGV[1])
if due > now then due = now end
local wait = 0
local paused = redis.call('GET', KEYS[1])
if paused then
  local left = tonumber(paused) - now
  if left > wait then wait = left end
end
local tats = {}
local slacks = {}
for i = 2, #KEYS do
  local interval = tonumber(ARGV[3 * i - 4])
  local tolerance = tonumber(ARGV[3 * i - 3])
  local slack = tonumber(ARGV[3 * i - 2])
  -- No key: the bucket was full before now - slack (the key outlives the fill-up by the slack).
  local tat = now - slack
  local stored = redis.call('GET', KEYS[i])
  if stored then
    tat = tonumber(stored)
    -- Never more than one interval past an empty bucket: if the server's clock stepped back,
    -- this keeps the fleet from stalling (and it never allows more than the rate).
    if tat > now + tolerance + interval then tat = now + tolerance + interval end
  end
  local ready = tat - tolerance
  if ready - now > wait then wait = ready - now end
  -- A caller that slept as told is accounted when its token was due, if at most slack late.
  local at = now
  if due > 0 then at = math.max(due, ready, now - slack) end
  tats[i] = math.max(tat, at) + interval
  slacks[i] = slack
end
if wait > 0 then return {wait, now + wait} end
for i = 2, #KEYS do
  local ttl = math.ceil((tats[i] + slacks[i] - now) / 1000) + 1
  redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', ttl)
end
return {0, now}
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
# slot. A ``worker`` names one worker's own share of the budget (used while it returns from its
# local fallback, see :mod:`copytrade_async.ratelimit._redis`).
def pause_key(prefix: str) -> str:
    return f"{{{prefix}}}:paused"


def global_key(prefix: str, worker: str | None = None) -> str:
    return f"{{{prefix}}}:{_owner(worker)}global"


def group_key(prefix: str, group: str, worker: str | None = None) -> str:
    return f"{{{prefix}}}:{_owner(worker)}group:{group}"


def _owner(worker: str | None) -> str:
    return "" if worker is None else f"worker:{worker}:"


def bucket_args(limit: RateLimit) -> tuple[int, int, int]:
    """A bucket's ``(interval, tolerance, slack)`` in whole microseconds.

    The interval is rounded *up*, so the bucket in Redis is never faster than ``limit``: with
    ``I = ceil(1e6 / rate)`` it grants at most ``burst + T / I <= burst + rate * T`` tokens over
    any window of ``T`` seconds (of the Redis server's clock) counted at the instants the tokens
    are accounted. The slack (:func:`~copytrade_async.ratelimit._gcra.slack_for`) is rounded
    *down*, so it is never more than the exact one and always less than ``I``.
    """
    gcra = limit.gcra()
    interval = max(1, math.ceil(gcra.interval * 1_000_000))
    slack = math.floor(slack_for(gcra) * 1_000_000)
    return interval, (limit.burst - 1) * interval, slack
