"""Rate-limit configuration, and the interface every limiter backend implements.

:class:`RateLimit` is one bucket (a rate and a burst), :class:`RateLimits` a client's set of
buckets: one per endpoint group plus one for the whole client. :class:`RateLimiter` is the
protocol the request pipeline calls; :mod:`._memory` and :mod:`._redis`
implement it.
"""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import attrs

from .._validation import check_positive, check_whole
from ._gcra import Gcra

__all__ = [
    "COPYTRADING_GROUP",
    "RateLimit",
    "RateLimiter",
    "RateLimits",
    "missing_members",
]

logger = logging.getLogger("copytrade_async")

COPYTRADING_GROUP = "copytrading"
"""The endpoint group of the copy-trading endpoints (5 requests per second per account)."""


def _positive_rate(value: float) -> float:
    return check_positive("rate", value)


def _check_burst(_instance: object, _attribute: object, value: int) -> None:
    check_whole("burst", value)


@attrs.frozen
class RateLimit:
    """A token bucket: ``rate`` tokens per second, holding at most ``burst`` tokens.

    ``burst`` defaults to 1, which spaces requests evenly and so never lets more than ``n``
    requests into any window of the length the limit was stated for (see the module docs).
    """

    rate: float = attrs.field(converter=_positive_rate)
    """Tokens per second, a finite number > 0."""
    burst: int = attrs.field(default=1, validator=_check_burst)
    """Bucket capacity: how many requests may go back to back after a quiet spell, >= 1."""

    @classmethod
    def per_second(cls, n: float, burst: int | None = None) -> RateLimit:
        """``n`` requests per second (``burst`` defaults to 1)."""
        return cls(
            rate=check_positive("requests per second", n), burst=1 if burst is None else burst
        )

    @classmethod
    def per_minute(cls, n: float, burst: int | None = None) -> RateLimit:
        """``n`` requests per minute (``burst`` defaults to 1)."""
        rate = check_positive("requests per minute", n) / 60
        return cls(rate=rate, burst=1 if burst is None else burst)

    def gcra(self) -> Gcra:
        """The exact bucket constants for this limit."""
        return Gcra.from_rate(self.rate, self.burst)


DEFAULT_GROUP_LIMITS: Mapping[str, RateLimit] = MappingProxyType(
    {COPYTRADING_GROUP: RateLimit.per_second(5)}
)
"""Default per-group limits: 5 requests per second on the copy-trading endpoints.

The spec states no limits. Bitget's copy-trade API documentation (bitgetlimited.github.io,
``apidoc/en/copyTrade``, "API rate limit adjustment" of 2024-08-15) lowered every copy-trade
endpoint from 10 to 5 requests per second per UID; the group follows that, so a default client
keeps under the exchange's limit whatever it calls."""

DEFAULT_GLOBAL_LIMIT = RateLimit.per_minute(6000)
"""Default client-wide limit: 6,000 requests per minute (100/s), the client's own safety net
over every group: no source we found states an IP-wide limit for these endpoints."""


def _freeze_groups(groups: Mapping[str, RateLimit]) -> Mapping[str, RateLimit]:
    if not isinstance(groups, Mapping):
        raise TypeError(f"groups must be a mapping of group name to RateLimit, got {groups!r}")
    frozen = dict(groups)
    for name, limit in frozen.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"a group name must be a non-empty string, got {name!r}")
        if not isinstance(limit, RateLimit):
            raise TypeError(f"the limit of group {name!r} must be a RateLimit, got {limit!r}")
    return MappingProxyType(frozen)


def _check_global_limit(_instance: object, _attribute: object, value: RateLimit | None) -> None:
    if value is not None and not isinstance(value, RateLimit):
        raise TypeError(f"global_limit must be a RateLimit or None, got {value!r}")


def _default_groups() -> Mapping[str, RateLimit]:
    return DEFAULT_GROUP_LIMITS


@attrs.frozen
class RateLimits:
    """The configuration of one client's limiter.

    ``groups`` maps an endpoint group to its own bucket; a request in a group not listed here
    only takes from the global bucket. ``global_limit=None`` means no client-wide bucket. To turn
    limiting off altogether, pass ``limits=None`` to the client (a :class:`NullRateLimiter`).
    """

    groups: Mapping[str, RateLimit] = attrs.field(factory=_default_groups, converter=_freeze_groups)
    global_limit: RateLimit | None = attrs.field(
        default=DEFAULT_GLOBAL_LIMIT,
        validator=_check_global_limit,
    )

    @classmethod
    def default(cls) -> RateLimits:
        """The defaults: 5/s on ``"copytrading"`` (Bitget's copy-trade documentation, see
        :data:`DEFAULT_GROUP_LIMITS`) and 6,000/min overall (our own safety net)."""
        return cls()


@runtime_checkable
class RateLimiter(Protocol):
    """What the client needs from a rate limiter; an in-process or a shared (Redis) backend.

    Everything the client calls is here: a backend that leaves a member out is refused when the
    client is made (``TypeError`` naming what is missing), never found missing mid-call.
    """

    @property
    def limits(self) -> RateLimits | None:
        """The limits this limiter enforces (``client.rate_limits``), or None when it enforces
        none or cannot say."""
        ...

    def expected_wait(self, group: str) -> float:
        """Seconds a request in ``group`` made now would wait for its token, at least (``0.0``
        when the backend cannot tell without asking someone). With ``max_rate_limit_wait``
        the client refuses a call that would wait longer at once, instead of waiting the bound
        out first."""
        ...

    async def acquire(self, group: str) -> float:
        """Wait for one token from ``group``'s bucket (if configured) and from the global bucket.

        Returns the seconds spent waiting (``0.0`` when none). Unknown groups use only the
        global bucket.
        """
        ...

    async def pause(self, seconds: float) -> None:
        """Shared back-off after a 429: nobody gets a token before now + ``seconds``."""
        ...

    async def aclose(self) -> None:
        """Release resources; later calls to :meth:`acquire` fail."""
        ...


#: The members of :class:`RateLimiter`, which :func:`missing_members` looks for.
_MEMBERS = ("limits", "expected_wait", "acquire", "pause", "aclose")


def missing_members(limiter: object) -> list[str]:
    """The members of :class:`RateLimiter` that ``limiter`` lacks (none for a rate limiter)."""
    return [name for name in _MEMBERS if not hasattr(limiter, name)]


def _check_pause(seconds: float) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise TypeError(f"pause seconds must be a number, got {seconds!r}")
    value = float(seconds)
    if not math.isfinite(value):
        raise ValueError(f"pause seconds must be finite, got {seconds!r}")
    return value
