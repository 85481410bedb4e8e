"""The fleet: four worker processes share one Redis budget against one served sandbox; one
worker riding out a Redis crash and restart; and a fleet of four limiters that keeps to its
budget while a real redis-server is killed and restarted empty, or frozen and thawed, mid-run."""

from __future__ import annotations

import json
import logging
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path

import anyio
import pytest
import redis.asyncio as aioredis

from copytrade_async import AsyncCopyTradeClient, RateLimit, RateLimits
from copytrade_async.ratelimit._redis import RedisRateLimiter
from copytrade_async.ratelimit._redis_script import group_key
from copytrade_async.sandbox import (
    SANDBOX_API_KEY,
    SandboxConfig,
    SandboxExchange,
    SandboxServer,
    WallClock,
)

from .conftest import RedisServer
from .fleet_worker import fleet_limits

REPO = Path(__file__).resolve().parents[2]
LOGGER = "copytrade_async"

RATE = 100  # the fleet's budget and the sandbox's limit, requests per second
BURST = 5  # the fleet's burst (the sandbox allows a burst of 100)
WORKERS = 4
FOLLOWS_PER_WORKER = 250
DURATION = 5.0  # seconds of load: 500 requests at the fleet's budget
JITTER = 3  # arrivals may bunch by a few milliseconds between a grant and the server


def follow_everyone(exchange: SandboxExchange, count: int) -> list[str]:
    traders = exchange.trader_ids(active=True)[:count]
    assert len(traders) == count
    follows = [
        exchange.follow(SANDBOX_API_KEY, trader, Decimal(10), Decimal(1), "isolated")
        for trader in traders
    ]
    return [str(follow["followId"]) for follow in follows]


@contextmanager
def worker(
    stack: ExitStack, tmp_path: Path, index: int, follow_ids: list[str], args: list[str]
) -> Iterator[subprocess.Popen[bytes]]:
    shard = tmp_path / f"follows-{index}.json"
    shard.write_text(json.dumps(follow_ids))
    log = stack.enter_context((tmp_path / f"worker-{index}.log").open("wb"))
    with subprocess.Popen(
        [sys.executable, "-m", "tests.ratelimit.fleet_worker", str(shard), *args],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
    ) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()


def read_line(process: subprocess.Popen[bytes], timeout: float) -> bytes:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, "a worker said nothing in time"
    return process.stdout.readline()


def test_four_workers_share_one_budget(redis_server: RedisServer, tmp_path: Path) -> None:
    exchange = SandboxExchange(
        SandboxConfig(
            traders=WORKERS * FOLLOWS_PER_WORKER,
            inactive_share=0.0,
            max_follows=WORKERS * FOLLOWS_PER_WORKER,
            deposit=Decimal(1_000_000),
            rate_limit=RATE,  # its burst: one second's worth
            tick_seconds=3600,  # the markets stand still during the run: polling is the load
        ),
        clock=WallClock(),
    )
    follow_ids = follow_everyone(exchange, WORKERS * FOLLOWS_PER_WORKER)
    with SandboxServer(exchange, port=0) as server, ExitStack() as stack:
        args = [
            f"--base-url={server.url}",
            f"--redis-url={redis_server.url}",
            "--prefix=fleet-test",
            f"--fleet-size={WORKERS}",
            f"--rate={RATE}",
            f"--burst={BURST}",
            f"--duration={DURATION}",
        ]
        processes = [
            stack.enter_context(
                worker(
                    stack,
                    tmp_path,
                    index,
                    follow_ids[index * FOLLOWS_PER_WORKER : (index + 1) * FOLLOWS_PER_WORKER],
                    args,
                )
            )
            for index in range(WORKERS)
        ]
        for process in processes:
            assert read_line(process, 30) == b"ready\n"
        exchange.stats.reset()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(b"go\n")
            process.stdin.close()
        reports = []
        for process in processes:
            assert process.wait(timeout=DURATION + 20) == 0
            assert process.stdout is not None
            reports.append(json.loads(process.stdout.read().splitlines()[-1]))

    stats = exchange.stats
    peak = stats.max_requests_in_window(1.0)
    arrivals = list(stats.arrivals)
    in_run = sum(arrival < arrivals[0] + DURATION for arrival in arrivals)
    sent = [report["requests"] for report in reports]
    print(
        f"\nfleet: {in_run} requests in the first {DURATION:g} s ({stats.total} in "
        f"{arrivals[-1] - arrivals[0]:.2f} s), max {peak} in any 1 s window, "
        f"{stats.rate_limited} answered 429, per worker {sent}"
    )
    assert stats.rate_limited == 0
    assert peak <= RATE + BURST + JITTER
    assert in_run >= 0.95 * RATE * DURATION
    assert sum(sent) == stats.total
    assert all(report["counts"] == {"ok": report["requests"]} for report in reports)
    assert all(report["using_redis"] for report in reports)
    assert all(n >= 0.15 * stats.total for n in sent)  # no worker starved
    for index in range(WORKERS):
        assert "WARNING" not in (tmp_path / f"worker-{index}.log").read_text()


async def test_a_worker_rides_out_a_redis_crash(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis is killed mid-run: requests go on at the worker's share of the budget (1/4), with
    one warning; Redis comes back on the same port: the worker uses it again (one info line),
    keeping to its share for its cool-down (0.2 + 2 * 0.25 + 1 = 1.7 s), then the whole budget."""
    caplog.set_level(logging.INFO, LOGGER)
    rate, burst, fleet_size = 40.0, 4, 4  # alone: 10/s, burst 1
    limits = RateLimits(
        groups={"copytrading": RateLimit.per_second(rate, burst=burst)}, global_limit=None
    )
    limiter = RedisRateLimiter(
        redis_server.url,
        limits,
        fleet_size=fleet_size,
        prefix="restart",
        timeout=0.25,
        probe_interval=0.2,
    )
    client = AsyncCopyTradeClient.sandbox(
        config=SandboxConfig(rate_limit=None), rate_limiter=limiter, max_retries=0
    )
    done: list[float] = []
    start = killed = restarted = end = 0.0
    async with client:
        trader = client.exchange.trader_ids(active=True)[0]
        follow = client.exchange.follow(SANDBOX_API_KEY, trader, Decimal(100), Decimal(2), "cross")
        follow_id = str(follow["followId"])

        async def poll() -> None:
            while True:
                await client.follows.positions(follow_id)  # any error fails the test
                done.append(time.monotonic())

        async with anyio.create_task_group() as tasks:
            for _ in range(4):
                tasks.start_soon(poll)
            start = time.monotonic()
            await anyio.sleep(1.0)
            assert limiter.using_redis
            redis_server.kill()
            killed = time.monotonic()
            await anyio.sleep(1.5)
            assert not limiter.using_redis
            await anyio.to_thread.run_sync(redis_server.start)
            restarted = time.monotonic()
            await anyio.sleep(1.0)  # back within a probe (0.2 s + 0.25 s), then cooling down
            assert limiter.using_redis
            await anyio.sleep(2.3)  # the cool-down is over by 0.45 + 1.7 s after the restart
            async with aioredis.Redis.from_url(redis_server.url) as redis:
                assert await redis.exists(group_key("restart", "copytrading"))
            end = time.monotonic()
            tasks.cancel_scope.cancel()

    def count(low: float, high: float) -> int:
        return sum(low <= t < high for t in done)

    before, during = count(start, killed), count(killed, restarted)
    cooling, after = count(restarted + 0.5, restarted + 1.5), count(end - 1.0, end)
    print(
        f"\nrestart: {before}/s on Redis, {during / 1.5:.1f}/s alone, {cooling}/s cooling "
        f"down, {after}/s on Redis again"
    )
    share = rate / fleet_size
    assert rate * 0.8 <= before <= rate + burst
    assert share * 1.5 * 0.8 <= during <= share * 1.5 + 3
    assert share * 0.8 <= cooling <= share + 2
    assert rate * 0.8 <= after <= rate + burst
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    infos = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.INFO]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()
    assert len(infos) == 1 and "back" in infos[0].getMessage()


# -- the fleet through an outage ------------------------------------------------------------

OUTAGE_RATE, OUTAGE_BURST = 50.0, 4  # shares of 12.5/s, burst 1 each for a fleet of four
OUTAGE_TASKS = 10  # per limiter: the overshoot grew with the tasks waiting on the fallback
# Grants are timed when the task resumes, which on a busy 2-core machine may lag the grant by a
# few milliseconds and bunch two or so into a window they were not granted in.
OUTAGE_JITTER = 2
# Two workers are busy from the start, two join during the outage, so that the pairs probe
# Redis at different times and notice its return about half a second apart:
LOSE, JOIN, RESTORE, END = 1.0, 1.5, 2.7, 7.0
PROBE_INTERVAL, TIMEOUT = 1.0, 0.25  # the cool-down: 1 + 2 * 0.25 + 1 = 2.5 s after the return


def busiest_window(times: list[float], length: float = 1.0) -> int:
    """The most grants in any window ``(t - length, t]``."""
    times = sorted(times)
    best = first = 0
    for last, t in enumerate(times):
        while times[first] <= t - length:
            first += 1
        best = max(best, last - first + 1)
    return best


async def run_through_outage(
    redis_server: RedisServer,
    lose: Callable[[], None],
    restore: Callable[[], None],
    served: SandboxServer,
) -> tuple[list[float], list[RedisRateLimiter]]:
    """Four clients on four limiters (a fleet of four workers in one process), each with busy
    tasks polling the ``served`` sandbox, two of them from ``JOIN``: Redis is lost at ``LOSE``
    and restored at ``RESTORE``; the run ends at ``END``. Returns the grant times (relative to
    the start) and the limiters; the sandbox counts the requests' arrivals."""
    limits = fleet_limits(OUTAGE_RATE, OUTAGE_BURST)
    limiters = [
        RedisRateLimiter(
            redis_server.url,
            limits,
            fleet_size=4,
            prefix="outage",
            timeout=TIMEOUT,
            probe_interval=PROBE_INTERVAL,
        )
        for _ in range(4)
    ]
    grants: list[float] = []
    credentials = served.exchange.credentials
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                AsyncCopyTradeClient(
                    api_key=credentials.api_key,
                    api_secret=credentials.api_secret,
                    passphrase=credentials.passphrase,
                    base_url=served.url,
                    rate_limiter=limiter,  # the client closes it
                    max_retries=0,
                )
            )
            for limiter in limiters
        ]
        served.exchange.stats.reset()
        start = time.monotonic()

        async def busy(client: AsyncCopyTradeClient, delay: float) -> None:
            await anyio.sleep(delay)
            while True:
                await client.traders.page(page_size=1)  # any error fails the test
                grants.append(time.monotonic() - start)

        async with anyio.create_task_group() as tasks:
            for index, client in enumerate(clients):
                for _ in range(OUTAGE_TASKS):
                    tasks.start_soon(busy, client, 0 if index < 2 else JOIN)
            await anyio.sleep(LOSE)
            lose()
            await anyio.sleep(RESTORE - (time.monotonic() - start))
            await anyio.to_thread.run_sync(restore)
            await anyio.sleep(END - (time.monotonic() - start))
            tasks.cancel_scope.cancel()
    return grants, limiters


def check_outage(
    name: str, grants: list[float], limiters: list[RedisRateLimiter], served: SandboxServer
) -> None:
    def count(low: float, high: float) -> int:
        return sum(low <= t < high for t in grants)

    at_server = served.exchange.stats.max_requests_in_window(1.0)
    print(
        f"\n{name}: busiest 1 s window {at_server} at the server, {busiest_window(grants)} "
        f"answered (budget {OUTAGE_RATE:g} + burst {OUTAGE_BURST}); {count(0, LOSE)} before, "
        f"{count(2.0, RESTORE) / (RESTORE - 2.0):.1f}/s during, "
        f"{count(END - 1, END)} in the last second"
    )
    assert at_server <= OUTAGE_RATE + OUTAGE_BURST + OUTAGE_JITTER
    # The fallback kept the fleet going, and at the end Redis has the whole budget again.
    assert count(2.0, RESTORE) >= 0.8 * OUTAGE_RATE * (RESTORE - 2.0)
    assert count(END - 1, END) >= 0.8 * OUTAGE_RATE
    assert all(limiter.using_redis for limiter in limiters)


@pytest.fixture
def outage_sandbox() -> Iterator[SandboxServer]:
    """A sandbox on loopback that counts arrivals and limits nothing (the fleet must)."""
    config = SandboxConfig(seed=1, traders=20, rate_limit=None, tick_seconds=3600)
    with SandboxServer(SandboxExchange(config, clock=WallClock())) as server:
        yield server


async def test_the_fleet_keeps_its_budget_when_redis_is_killed_and_restarted_empty(
    redis_server: RedisServer, outage_sandbox: SandboxServer
) -> None:
    grants, limiters = await run_through_outage(
        redis_server, redis_server.kill, redis_server.start, outage_sandbox
    )
    check_outage("killed and restarted", grants, limiters, outage_sandbox)


async def test_the_fleet_keeps_its_budget_when_redis_hangs_and_comes_back(
    redis_server: RedisServer, outage_sandbox: SandboxServer
) -> None:
    grants, limiters = await run_through_outage(
        redis_server, redis_server.freeze, redis_server.thaw, outage_sandbox
    )
    check_outage("frozen and thawed", grants, limiters, outage_sandbox)
