"""How :class:`~copytrade_async.ratelimit._redis.RedisRateLimiter` rides out a Redis outage
without ever failing a request, and without the fleet overshooting its budget.

With ``R``, ``B`` a bucket's rate and burst and ``n`` the fleet's size, a worker's *share* is
``r = R / n``, ``b = max(1, B // n)`` (:func:`~copytrade_async.ratelimit._redis.fleet_share`);
``P`` is the ``probe_interval``, ``t`` the ``timeout``, and the *silence* ``S`` the longest
``b / r`` among the share's buckets. A worker is *shared* (it takes tokens from Redis only),
*local* (from its fallback only) or *returning*:

1. **Shared -> local** when a Redis call fails or takes over ``t`` (one warning). The fallback is
   an :class:`~copytrade_async.InMemoryRateLimiter` with the share, silent for ``S`` first: as
   if its buckets started empty.
2. **Local.** The fallback grants only within a *lease* of ``P + t`` after the last failed call.
   ``P`` after each failure a probe (reloading the scripts) goes out in the background; failing,
   it renews the lease (it fails by the lease's end, after ``t``). A waiter whose lease ran out
   waits for the probe's answer.
3. **Local -> returning** when a probe succeeds (one info line): every task waiting on the
   fallback leaves it and queues on Redis; the fallback grants nothing more. For the
   *cool-down* ``C = P + 2t + 1 s``, after a silence ``S``, each token is taken from the fleet's
   buckets *and* from the worker's own share buckets in Redis (keys named after the worker; the
   same script, with more buckets).
4. **Returning -> shared** after ``C``. A failure in either state goes back to 1.

**Why the fleet keeps within** ``R * T + max(B, n * b)`` **over every window of** ``T <= 1 s``,
when Redis fails for the whole fleet at once (it is down, hung, or restarted empty: it answers
nobody from ``D`` to ``U`` and answers every call within ``t`` otherwise), and the workers share
``limits``, ``fleet_size``, ``P`` and ``t``. A worker's grants from its going local to the end of
its cool-down form its *chain*: its fallback's, then its share buckets' in Redis, each after a
silence ``S >= b / r``, so a window holds at most ``b + r * T`` of them, and a window that starts
before the chain at most ``r * T`` (as from empty buckets). *Shared* grants come from the
fleet's buckets in Redis: at most ``B + R * T`` in a window (the GCRA bound, on Redis's clock).

* *Loss.* Shared grants end by ``D``; every chain starts after ``D`` (a call fails only once
  Redis stopped answering). A window across ``D`` holds at most ``B + R * x`` shared grants and
  ``r * (T - x)`` per chain: ``R * T + B`` in all.
* *Outage and cool-downs.* A window without shared grants holds only chains: at most
  ``n * (b + r * T) = R * T + n * b``.
* *Return.* A call that failed had started before ``U`` (it would have been answered), so it
  failed before ``U + t``, and with the lease no worker grants locally after ``U + P + 2t``. A
  worker's shared grants start ``C`` after its probe succeeded, so after ``U + P + 2t + 1 s``:
  at least a second after the fleet's last local grant, however far apart the workers noticed
  that Redis was back. A window with shared grants after the outage therefore holds no local
  grant: every grant in it (shared or returning) took a token from the fleet's buckets in
  Redis, at most ``B + R * T``, also after a restart emptied them (their first burst is then
  the window's one burst).

Windows longer than a second (the per-minute global limit) may see ``R * T + B + n * b``.
Beyond the argument: a worker that sent nothing during the whole outage never went local, so
once Redis is back it may use the whole budget while the others still run on their shares (for
at most ``P + 2t``); and a Redis that fails for some workers only (a network partition, or a slow
Redis that times out some calls and answers others) lets each worker cut off add its share. As
everywhere, grants are counted when they are granted; requests reach the exchange a round trip
later (a few milliseconds of jitter), and a window that is not a whole number of emission
intervals may see one grant more (the late-grant slack, see :mod:`._gcra`).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable

import anyio

from ._limits import RateLimits
from ._memory import InMemoryRateLimiter

__all__ = ["WINDOW", "Outage"]

logger = logging.getLogger("copytrade_async")

WINDOW = 1.0
"""The longest window (seconds) the argument above covers with one burst."""


class Outage:
    """The local fallback and the states around it, for one worker.

    ``probe`` is an awaitable call that succeeds once Redis answers again (it gets ``timeout``
    seconds). The limiter asks :attr:`local` which way to go, :meth:`acquire` on the fallback,
    :meth:`returning` whether to add its share buckets, and waits out :attr:`quiet_until`
    before asking Redis.
    """

    def __init__(
        self,
        share: RateLimits,
        fleet_size: int,
        probe: Callable[[], Awaitable[object]],
        *,
        timeout: float,
        probe_interval: float,
    ) -> None:
        self._fallback = InMemoryRateLimiter(share)
        self._fleet_size = fleet_size
        self._probe = probe
        self._timeout = timeout
        self._probe_interval = probe_interval
        buckets = [*share.groups.values(), share.global_limit]
        self._silence = max((x.burst / x.rate for x in buckets if x is not None), default=0.0)
        self._lease = probe_interval + timeout
        self._cool_down = probe_interval + 2 * timeout + WINDOW
        self.local = False
        """On the fallback."""
        self.quiet_until = -math.inf
        """No token from Redis before this instant (anyio's clock): the silence on return."""
        self._local_until = -math.inf  # the lease
        self._returning_until = -math.inf
        self._waits: set[anyio.CancelScope] = set()
        self._probed = anyio.Event()  # set (and replaced) after each probe
        self._recovery: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def fallback(self) -> InMemoryRateLimiter:
        return self._fallback

    def returning(self) -> bool:
        """Whether a token from Redis must also come from this worker's share buckets."""
        return anyio.current_time() < self._returning_until

    async def acquire(self, group: str) -> bool:
        """Take a token from the fallback within its lease: True once granted, False if the
        lease ran out or Redis came back meanwhile (ask again)."""
        if self._closed:
            raise anyio.ClosedResourceError("the rate limiter is closed")
        if anyio.current_time() >= self._local_until:
            await self._probed.wait()  # Redis may be back: wait for the probe to tell
            return False
        with anyio.CancelScope(deadline=self._local_until) as scope:
            self._waits.add(scope)
            try:
                await self._fallback.acquire(group)
                return True
            finally:
                self._waits.discard(scope)
        return False

    async def begin(self, exc: BaseException) -> None:
        """A Redis call failed: go local (or, if local already, renew the lease)."""
        self._renew_lease()
        if self.local or self._closed:
            return
        self.local = True
        await self._fallback.pause(self._silence)  # as if its buckets started empty
        logger.warning(
            "rate limiter: Redis is unreachable (%s: %s); each worker now runs on its own "
            "limiter at 1/%d of the budget until Redis answers again",
            type(exc).__name__,
            exc,
            self._fleet_size,
        )
        if self._recovery is None or self._recovery.done():
            self._recovery = asyncio.get_running_loop().create_task(self._recover())

    async def aclose(self) -> None:
        self._closed = True
        self._probed.set()
        await self._fallback.aclose()
        recovery, self._recovery = self._recovery, None
        if recovery is not None:
            recovery.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.wait([recovery])

    def _renew_lease(self) -> None:
        self._local_until = anyio.current_time() + self._lease
        for scope in self._waits:
            scope.deadline = self._local_until

    async def _recover(self) -> None:
        """Probe Redis ``probe_interval`` after each failure, until it answers."""
        while self.local and not self._closed:
            await anyio.sleep(self._local_until - self._timeout - anyio.current_time())
            try:
                with anyio.fail_after(self._timeout):
                    await self._probe()
            except Exception as exc:
                self._renew_lease()
                logger.debug("rate limiter: Redis still unreachable (%s)", exc)
            else:
                self._come_back()
            probed, self._probed = self._probed, anyio.Event()
            probed.set()

    def _come_back(self) -> None:
        now = anyio.current_time()
        self.local = False
        self._returning_until = now + self._cool_down
        self.quiet_until = now + self._silence
        for scope in self._waits:
            scope.cancel()  # they queue on Redis instead
        logger.info(
            "rate limiter: Redis is back; this worker keeps to its share for %.1f s, then the "
            "fleet shares one budget again",
            self._cool_down,
        )
