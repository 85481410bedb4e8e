"""One worker of the fleet test: ``python -m tests.ratelimit.fleet_worker FOLLOWS_JSON ...``.

It polls the positions of its shard of follows with ``--concurrency`` tasks, through one
client whose limiter is a :class:`RedisRateLimiter` shared with the rest of the fleet. It
prints ``ready`` once everything is imported, built and connected, waits for a line on stdin
(the go signal), runs for
``--duration`` seconds, then prints one JSON line of counts. Its logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path

import anyio
import redis.asyncio as aioredis

from copytrade_async import (
    AsyncCopyTradeClient,
    CopyTradeError,
    RateLimit,
    RateLimitError,
    RateLimits,
    RequestEvent,
)
from copytrade_async.ratelimit._redis import RedisRateLimiter
from copytrade_async.sandbox import SANDBOX_API_KEY, SANDBOX_API_SECRET, SANDBOX_PASSPHRASE


def fleet_limits(rate: float, burst: int) -> RateLimits:
    """The fleet's budget: ``rate`` per second on the copy-trading group and overall."""
    limit = RateLimit.per_second(rate, burst=burst)
    return RateLimits(groups={"copytrading": limit}, global_limit=limit)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("follows", type=Path, help="a JSON list of followIds")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--prefix", default="copytrade")
    parser.add_argument("--fleet-size", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--burst", type=int, default=1)
    parser.add_argument("--duration", type=float, required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    return parser.parse_args(argv)


async def run(args: argparse.Namespace, follow_ids: list[str]) -> dict[str, object]:
    redis = aioredis.Redis.from_url(args.redis_url)
    limiter = RedisRateLimiter(
        redis,
        fleet_limits(args.rate, args.burst),
        fleet_size=args.fleet_size,
        prefix=args.prefix,
    )
    counts: Counter[str] = Counter()
    waited = 0.0

    def on_request(event: RequestEvent) -> None:
        nonlocal waited
        waited += event.rate_limit_wait

    async with (
        redis,
        AsyncCopyTradeClient(
            api_key=SANDBOX_API_KEY,
            api_secret=SANDBOX_API_SECRET,
            passphrase=SANDBOX_PASSPHRASE,
            base_url=args.base_url,
            rate_limiter=limiter,
            max_retries=0,
            on_request=on_request,
        ) as client,
    ):
        # Warm up outside the measurement: a Redis connection, an HTTP connection, and every
        # lazily imported module; the admin path is not counted by the sandbox nor limited.
        await redis.ping()
        await client.http_client.get(f"{args.base_url}/sandbox/time")
        print("ready", flush=True)
        await anyio.to_thread.run_sync(sys.stdin.readline)  # every worker starts at once
        deadline = time.monotonic() + args.duration

        async def poll(first: int) -> None:
            index = first
            while time.monotonic() < deadline:
                follow_id = follow_ids[index % len(follow_ids)]
                index += args.concurrency
                try:
                    await client.follows.positions(follow_id)
                    counts["ok"] += 1
                except RateLimitError:
                    counts["rate_limited"] += 1
                except CopyTradeError as exc:
                    counts[type(exc).__name__] += 1

        async with anyio.create_task_group() as tasks:
            for first in range(args.concurrency):
                tasks.start_soon(poll, first)
        using_redis = limiter.using_redis
    return {
        "requests": sum(counts.values()),
        "counts": dict(counts),
        "rate_limit_wait": round(waited, 3),
        "using_redis": using_redis,
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    follow_ids = json.loads(args.follows.read_text())
    result = asyncio.run(run(args, follow_ids))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
