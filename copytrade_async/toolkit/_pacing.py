"""How fast the monitor may poll: the client's configured rate, and a pacer that keeps to it."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import anyio

from .. import COPYTRADING_GROUP

if TYPE_CHECKING:
    from .. import AsyncCopyTradeClient

__all__ = ["DEFAULT_RATE", "Pacer", "client_rate", "polling_rate"]

#: The copy-trading limit, used when nothing else says: 5 requests per second, as Bitget's
#: copy-trade documentation states (see ``copytrade_async.ratelimit.DEFAULT_GROUP_LIMITS``).
DEFAULT_RATE = 5.0


def client_rate(client: AsyncCopyTradeClient) -> float | None:
    """The requests per second the client's limiter allows on the copy-trading endpoints (the
    lower of the group and global limits), or None when it has no in-memory limits."""
    limits = client.rate_limits
    if limits is None:
        return None
    group = limits.groups.get(COPYTRADING_GROUP)
    rates = [limit.rate for limit in (group, limits.global_limit) if limit is not None]
    return min(rates) if rates else None


def polling_rate(client: AsyncCopyTradeClient, max_rate: float | None, rate_share: float) -> float:
    """Polls per second: ``rate_share`` of the lowest of ``max_rate`` and the client's rate
    (:data:`DEFAULT_RATE` when neither says)."""
    if not (isinstance(rate_share, int | float) and 0 < rate_share <= 1):
        raise ValueError(f"rate_share must be in (0, 1], got {rate_share!r}")
    if max_rate is not None and not (isinstance(max_rate, int | float) and max_rate > 0):
        raise ValueError(f"max_rate must be a number > 0, got {max_rate!r}")
    known = [rate for rate in (max_rate, client_rate(client)) if rate is not None]
    return (min(known) if known else DEFAULT_RATE) * rate_share


class Pacer:
    """Spaces starts ``1 / rate`` seconds apart on average: a token bucket holding ``burst``.

    A late wake-up (timers overshoot by a fraction of a millisecond) is caught up within the
    burst instead of being lost, so that at hundreds per second the pace holds; over any
    ``T`` seconds at most ``burst + rate * T`` starts happen.
    """

    def __init__(self, rate: float, burst: int) -> None:
        self._spacing = 1 / rate
        self._slack = (burst - 1) * self._spacing
        self._next = -math.inf

    async def wait(self) -> None:
        """Wait for a start. Safe to call from many tasks at once: each takes its slot before
        it sleeps, so no two callers get the same one."""
        now = anyio.current_time()
        slot = max(self._next, now - self._slack)
        self._next = slot + self._spacing
        if slot > now:
            await anyio.sleep(slot - now)
