"""Client-side rate limiting: the limits, the protocol every backend implements, the backends.

* :class:`RateLimit` is one token bucket (a rate and a burst); :class:`RateLimits` a client's
  set of them: one per endpoint group (:data:`COPYTRADING_GROUP` for the seven endpoints) and
  one for the whole client.
* :class:`RateLimiter` is what the client calls. :class:`InMemoryRateLimiter` serves the tasks
  of one process, :class:`NullRateLimiter` only honours the server's pauses, and
  :class:`RedisRateLimiter` (the ``redis`` extra, imported on first use) shares one budget
  across a fleet of processes.
* The arithmetic (GCRA, in exact fractions) is in :mod:`._gcra`, the Lua side of the Redis
  backend in :mod:`._redis_script`, and how it rides out a Redis outage in
  :mod:`._redis_outage`.
"""

from typing import TYPE_CHECKING

from ._limits import (
    COPYTRADING_GROUP,
    DEFAULT_GLOBAL_LIMIT,
    DEFAULT_GROUP_LIMITS,
    RateLimit,
    RateLimiter,
    RateLimits,
    missing_members,
)
from ._memory import InMemoryRateLimiter, NullRateLimiter, create_rate_limiter

if TYPE_CHECKING:  # at run time, imported on first use: they need the [redis] extra
    from ._redis import RedisRateLimiter as RedisRateLimiter
    from ._redis import fleet_share as fleet_share

__all__ = [
    "COPYTRADING_GROUP",
    "DEFAULT_GLOBAL_LIMIT",
    "DEFAULT_GROUP_LIMITS",
    "InMemoryRateLimiter",
    "NullRateLimiter",
    "RateLimit",
    "RateLimiter",
    "RateLimits",
    "RedisRateLimiter",
    "create_rate_limiter",
    "fleet_share",
    "missing_members",
]


def __getattr__(name: str) -> object:
    if name in ("RedisRateLimiter", "fleet_share"):
        from . import _redis

        return getattr(_redis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
