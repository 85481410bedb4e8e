"""Fan-out: the positions of 1,000 follows at once, under a client rate limit of 200/s.

The client is limited to 200 requests/s on the copy-trading group (``RateLimit.per_second(200)``:
burst 1, no global limit); the server (``_server.py``, its own process) enforces the same
rate with its own token bucket (burst 20, for network jitter) and answers 429 when it is empty.
All 1,000 calls start together. The limit's minimum wall time is 999 / 200 = 4.995 s (the
first request goes at once). Targets: wall time within 5% of that, and not one 429. Median of
3 rounds, each against a fresh server.

A second line runs the same with the client's burst at 2, for diagnosis: it shows how much of
the wall time is the limiter's own timing rather than the requests'.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal

from _common import CREDENTIALS, arguments, headline, median, save, serve, server_stats, verdict

from copytrade_async import AsyncCopyTradeClient, RateLimit, RateLimits

RATE = 200
SERVER_BURST = 20
TOLERANCE = 0.05
Transport = Literal["httpx", "aiohttp"]


async def fan_out(url: str, follows: int, transport: Transport, burst: int) -> float:
    limit = RateLimit.per_second(RATE, burst=burst)
    limits = RateLimits(groups={"copytrading": limit}, global_limit=None)
    async with AsyncCopyTradeClient(
        base_url=url, rate_limits=limits, transport=transport, **CREDENTIALS
    ) as client:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(client.follows.positions(str(follow_id)) for follow_id in range(follows))
        )
        elapsed = time.perf_counter() - started
    assert len(results) == follows and all(len(positions) == 1 for positions in results)
    return elapsed


def run(follows: int, rounds: int, transport: Transport, burst: int) -> dict[str, Any]:
    minimum = (follows - 1) / RATE
    walls: list[float] = []
    rejected = 0
    busiest = 0
    for _ in range(rounds):
        # A fresh server per round: its bucket starts full, like the client's.
        with serve("--rate", str(RATE), "--burst", str(SERVER_BURST)) as url:
            walls.append(asyncio.run(fan_out(url, follows, transport, burst)))
            stats = server_stats(url)
        rejected += stats["rejected"]
        busiest = max(busiest, stats["max_in_1s"])
    wall = median(walls)
    over = wall / minimum - 1
    print(
        f"  client burst {burst}: wall {wall:.3f} s vs minimum {minimum:.3f} s ({over:+.1%}); "
        f"429s: {rejected}; most requests in any 1 s: {busiest}"
    )
    return {
        "follows": follows,
        "burst": burst,
        "wall_s": round(wall, 3),
        "minimum_s": round(minimum, 3),
        "over_minimum": round(over, 4),
        "rejected_429": rejected,
        "max_in_1s": busiest,
        "met": over <= TOLERANCE and rejected == 0,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = arguments(__doc__, transport=True)
    args = parser.parse_args(argv)
    follows, rounds = (100, 1) if args.quick else (1000, 3)
    headline(
        f"4. Fan-out: {follows} follows' positions at {RATE}/s, {args.transport} "
        f"(median of {rounds})"
    )
    results = run(follows, rounds, args.transport, burst=1)
    results["burst_2"] = run(follows, rounds, args.transport, burst=2)
    if args.quick:
        assert results["rejected_429"] == 0 and results["burst_2"]["rejected_429"] == 0
        results["met"] = None
        print("  (quick run: timings not checked)")
    else:
        print(
            f"  target: burst 1 within {TOLERANCE:.0%} of the minimum and no 429: "
            f"{verdict(results['met'])}"
        )
    return save(results, args.json)


if __name__ == "__main__":
    main()
