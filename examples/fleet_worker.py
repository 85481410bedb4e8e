"""One worker of a fleet: its shard of the follows, watched within a budget shared on Redis.

    python examples/fleet_worker.py --worker 0 --workers 4 FOLLOW_ID [FOLLOW_ID ...]

Start one per process (or host), each with its own ``--worker`` number and the same list of
follow ids (in practice they come from your database): worker ``i`` of ``n`` watches every
``n``-th id from the ``i``-th. Workers that share an API key must share its rate limit, or
together they trip the exchange's: each one takes its requests from one budget on Redis
(``RedisRateLimiter``, same ``REDIS_URL``, ``--prefix`` and limits in every worker), and its
monitor paces its rounds to its share of that budget. If Redis goes away, each worker falls
back to ``1/--workers`` of the budget in memory and says so once in the log.

Credentials and the base URL come from ``COPYTRADE_*`` (``copytrade sandbox serve`` prints a
set for a sandbox on loopback), Redis from ``REDIS_URL``. It prints each round's summary and
ends after ``--rounds`` rounds. More in docs/fleet.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from decimal import Decimal

from copytrade_async import AsyncCopyTradeClient, RateLimit, RateLimits, RedisRateLimiter
from copytrade_async.toolkit import RoundCompleted, WatchFailed, monitor


def budget(rate: float) -> RateLimits:
    """The WHOLE fleet's budget (the exchange's 5/s on copy trading by default)."""
    return RateLimits(
        groups={"copytrading": RateLimit.per_second(rate)},
        global_limit=RateLimit.per_minute(6000),
    )


async def work(args: argparse.Namespace) -> None:
    shard = args.follow_ids[args.worker :: args.workers]
    limiter = RedisRateLimiter(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        budget(args.rate),
        prefix=args.prefix,  # one prefix per API key (or per IP)
        fleet_size=args.workers,
    )
    name = f"worker {args.worker}/{args.workers}"
    print(f"{name}: {len(shard)} follows", flush=True)
    async with AsyncCopyTradeClient(rate_limiter=limiter) as client:  # closes the limiter too
        # Its monitor polls at its share of the budget (80 % of it: the rest is headroom for
        # history reads and rule updates); the shared limiter holds the fleet to the whole.
        share = args.rate / args.workers
        watch = monitor(client, shard, interval=args.interval, max_rate=share, rounds=args.rounds)
        async with watch as events:
            async for event in events:
                if isinstance(event, WatchFailed):
                    print(f"{name}: {event.follow_id}: {event.error}", flush=True)
                elif isinstance(event, RoundCompleted):
                    positions = sum(pnl.open_positions for pnl in event.pnl)
                    unrealized = sum((pnl.unrealized_pnl for pnl in event.pnl), Decimal(0))
                    print(
                        f"{name}: round {event.round}: {event.polled} polled, "
                        f"{event.failed} failed, {positions} open positions, "
                        f"unrealized {unrealized:+.2f}",
                        flush=True,
                    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("follow_ids", nargs="+", metavar="FOLLOW_ID")
    parser.add_argument("--worker", type=int, default=0, help="this worker's number, from 0")
    parser.add_argument("--workers", type=int, default=1, help="how many workers share the ids")
    parser.add_argument("--rate", type=float, default=5.0, help="the fleet's requests per second")
    parser.add_argument("--prefix", default="copytrade:main-account", help="the Redis key prefix")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not 0 <= args.worker < args.workers:
        parser.error(f"--worker must be in 0..{args.workers - 1}")
    logging.basicConfig(level=logging.WARNING)  # the limiter's fallback warning, if any
    asyncio.run(work(args))


if __name__ == "__main__":
    main()
