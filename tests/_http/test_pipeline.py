"""The request pipeline end to end: clock drift, the shared 429 pause, the in-flight cap,
the limiter against a server that enforces the same limit, no leaks under cancellation, and a
bound on the wait for the limiter."""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
import respx

from copytrade_async import (
    AsyncCopyTradeClient,
    AsyncioTransport,
    ClientClosedError,
    CopyTradeError,
    RateLimit,
    RateLimitError,
    RateLimits,
)
from copytrade_async.sandbox import Faults, SandboxConfig, SandboxExchange, SandboxServer, WallClock

from ..conftest import API_SECRET, PREFIX, make_client, ok
from ..payloads import TRADER_DETAIL


async def test_drift_server_clock_40s_ahead_resyncs_once() -> None:
    # Neither side limits the rate here: only the clock is under test.
    config = SandboxConfig(seed=3, rate_limit=None)
    async with AsyncCopyTradeClient.sandbox(config=config, rate_limits=None) as client:
        client.exchange.faults = Faults(clock_offset_ms=40_000)
        page = await client.traders.page(page_size=5)
        assert len(page.items) == 5
        statuses = client.exchange.stats.by_status()
        assert statuses.get(401, 0) + statuses.get(400, 0) == 1  # the one 40008
        assert statuses[200] == 1
        # The estimate now holds: further requests are accepted at the first try.
        for _ in range(5):
            await client.traders.page(page_size=5)
        assert client.exchange.stats.by_status()[200] == 6
        assert client.exchange.stats.total == 7
        assert 39_000 < client._pipeline.clock.offset_ms < 41_000


async def test_a_429_pauses_every_task_on_the_client(mock_api: respx.MockRouter) -> None:
    sent_at: list[tuple[float, str]] = []
    start = time.monotonic()

    def reply(request: httpx.Request) -> httpx.Response:
        now = time.monotonic() - start
        sent_at.append((now, request.url.params["traderId"]))
        if request.url.params["traderId"] == "first" and len(sent_at) == 1:
            return httpx.Response(429, text="slow down", headers={"Retry-After-Ms": "300"})
        return ok(TRADER_DETAIL)

    mock_api.get(f"{PREFIX}/trader/detail").mock(side_effect=reply)
    limits = RateLimits(groups={"copytrading": RateLimit.per_second(1000, burst=1000)})
    async with make_client(
        rate_limits=limits,
    ) as client:
        await client.traders.get("first")  # 429, waits 0.3 s, then succeeds
        assert sent_at[-1][0] >= 0.29

    sent_at.clear()
    start = time.monotonic()
    async with (
        make_client(
            rate_limits=limits,
        ) as client,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(client.traders.get, "first")
        await anyio.sleep(0.05)  # the 429 has arrived by now
        for name in ("second", "third"):
            tg.start_soon(client.traders.get, name)
    others = [t for t, name in sent_at if name in ("second", "third")]
    assert len(others) == 2
    assert min(others) >= 0.29, sent_at  # they waited out the pause they never saw


async def test_in_flight_cap() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.01)
        in_flight -= 1
        return ok(TRADER_DETAIL)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with (
        http,
        make_client(
            max_in_flight=3,
            http_client=http,
        ) as client,
        anyio.create_task_group() as tg,
    ):
        for i in range(20):
            tg.start_soon(client.traders.get, str(i))
    assert peak == 3


async def test_in_flight_slots_come_back_after_cancellation() -> None:
    """A call cancelled while it waits for a slot, or while it holds one, gives nothing away."""
    release = anyio.Event()
    arrived = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal arrived
        arrived += 1
        await release.wait()
        return ok(TRADER_DETAIL)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with http, make_client(max_in_flight=1, http_client=http) as client:
        slots = client._pipeline._in_flight
        assert slots is not None
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.traders.get, "holder")
            tg.start_soon(client.traders.get, "waiter")
            await anyio.wait_all_tasks_blocked()
            assert slots.value == 0 and arrived == 1  # the waiter queues for the one slot
            tg.cancel_scope.cancel()  # cancels the holder mid-request and the waiter in line
        assert slots.value == 1 and arrived == 1
        release.set()
        assert (await client.traders.get("after")).trader_id
        assert slots.value == 1


async def test_client_limit_matches_server_limit_without_a_429() -> None:
    config = SandboxConfig(seed=1, rate_limit=40, rate_burst=40)
    limits = RateLimits(groups={"copytrading": RateLimit.per_second(40)}, global_limit=None)
    async with AsyncCopyTradeClient.sandbox(config=config, rate_limits=limits) as client:
        started = time.monotonic()
        async with anyio.create_task_group() as tg:
            for _ in range(60):
                tg.start_soon(client.traders.page)
        elapsed = time.monotonic() - started
        assert client.exchange.stats.by_status() == {200: 60}
        assert elapsed >= 59 / 40 * 0.95
        assert client.exchange.stats.max_requests_in_window(1.0) <= 41


@pytest.fixture
async def served() -> AsyncIterator[SandboxServer]:
    exchange = SandboxExchange(SandboxConfig(seed=9, rate_limit=None), clock=WallClock())
    server = SandboxServer(exchange).start_thread()
    try:
        yield server
    finally:
        server.join()


async def test_no_connection_or_token_leaks_after_1000_requests(served: SandboxServer) -> None:
    served.exchange.faults = Faults(latency_s=0.002, error_rate=0.1, rate_limit_storm=0.05)
    rng = random.Random(5)
    limits = RateLimits(
        groups={"copytrading": RateLimit.per_second(5000, burst=50)}, global_limit=None
    )
    done = cancelled = failed = 0
    async with AsyncCopyTradeClient(
        api_key=served.exchange.credentials.api_key,
        api_secret=served.exchange.credentials.api_secret,
        passphrase=served.exchange.credentials.passphrase,
        base_url=served.url,
        rate_limits=limits,
        max_in_flight=16,
        max_retries=2,
    ) as client:
        client._pipeline._retry_template.sleep = _short_sleep  # type: ignore[assignment]

        async def one(i: int) -> None:
            nonlocal done, cancelled, failed
            with anyio.move_on_after(rng.choice([0.001, 0.003, 0.01, 5])) as scope:
                try:
                    if i % 3:
                        await client.traders.page(page_size=5)
                    else:
                        async for _ in client.traders.list(page_size=20, limit=30):
                            pass
                    done += 1
                except CopyTradeError:
                    failed += 1
            cancelled += scope.cancelled_caught

        for batch in range(10):
            async with anyio.create_task_group() as tg:
                for i in range(100):
                    tg.start_soon(one, batch * 100 + i)

        transport = client.http_client._transport
        assert isinstance(transport, AsyncioTransport)
        assert transport.in_flight == 0
        assert transport.open_connections == transport.idle_connections > 0
        assert client._pipeline._in_flight.value == 16
        # Every token came back too: an acquire is granted at once.
        with anyio.fail_after(0.5):
            assert await client._pipeline.limiter.acquire("copytrading") < 0.05
    assert done + cancelled + failed == 1000
    # Both paths were exercised: calls that finished and calls cancelled mid-flight.
    assert cancelled > 100
    assert done > 100


async def _short_sleep(_: float) -> None:
    await anyio.sleep(0.001)


async def test_one_log_line_per_rate_limit_wait(
    mock_api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=ok(TRADER_DETAIL))
    limits = RateLimits(groups={"copytrading": RateLimit.per_second(50)}, global_limit=None)
    async with make_client(
        rate_limits=limits,
    ) as client:
        with caplog.at_level(logging.DEBUG, logger="copytrade_async"):
            for _ in range(3):
                await client.traders.get("1")
    waits = [r.getMessage() for r in caplog.records if "rate limit" in r.getMessage()]
    assert len(waits) == 2  # the first call found a token at once
    for line in waits:
        assert line.startswith("traders.get: attempt 1 waited ")
        assert API_SECRET not in line


async def test_demo_and_locale_headers(mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"{PREFIX}/positions").mock(return_value=ok([]))
    async with make_client(demo=True, locale="zh-CN") as client:
        assert await client.follows.positions("1") == []
    request = route.calls.last.request
    assert request.headers["paptrading"] == "1"
    assert request.headers["locale"] == "zh-CN"


@pytest.mark.parametrize(
    "request_time",
    ["1" + "0" * 400, "-1e17", '"²"', "1e30", "Infinity", "NaN", "true", "{}", "0"],
)
async def test_an_insane_request_time_leaves_the_clock_alone(
    mock_api: respx.MockRouter, request_time: str
) -> None:
    body = f'{{"code":"00000","msg":"ok","requestTime":{request_time},"data":[]}}'
    route = mock_api.get(f"{PREFIX}/positions").mock(
        return_value=httpx.Response(200, content=body.encode())
    )
    async with make_client() as client:
        clock = client._pipeline.clock
        assert await client.follows.positions("1") == []
        assert clock.offset_ms == 0.0
        signed = int(route.calls.last.request.headers["ACCESS-TIMESTAMP"])
        assert abs(signed - time.time() * 1000) < 60_000


# ----- closing --------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_closing_with_calls_in_flight_raises_our_error(
    served: SandboxServer, transport: str
) -> None:
    """30 calls in flight (some sending, some waiting for a token, some for a slot) when the
    client is closed: each raises ClientClosedError, which is also a RuntimeError."""
    served.exchange.faults = Faults(latency_s=0.5)
    credentials = served.exchange.credentials
    client = AsyncCopyTradeClient(
        api_key=credentials.api_key,
        api_secret=credentials.api_secret,
        passphrase=credentials.passphrase,
        base_url=served.url,
        transport=transport,  # type: ignore[arg-type]
        rate_limits=RateLimits(groups={"copytrading": RateLimit.per_second(100, burst=10)}),
        max_in_flight=20,
    )
    outcomes: list[BaseException | None] = []

    async def one() -> None:
        try:
            await client.traders.page(page_size=5)
        except BaseException as exc:
            outcomes.append(exc)
        else:
            outcomes.append(None)

    async with anyio.create_task_group() as tg:
        for _ in range(30):
            tg.start_soon(one)
        await anyio.sleep(0.2)
        await client.aclose()
    assert len(outcomes) == 30
    assert all(isinstance(exc, ClientClosedError) for exc in outcomes), outcomes
    assert all(isinstance(exc, RuntimeError) for exc in outcomes)
    assert "the client is closed" in str(outcomes[0])
    with pytest.raises(ClientClosedError, match=r"traders\.get: the client is closed"):
        await client.traders.get("1")


# -- a bound on the wait for the rate limiter (fail fast in a web backend) -------------------

SLOW = RateLimits(groups={"copytrading": RateLimit.per_second(2)}, global_limit=None)


async def test_a_call_that_would_wait_too_long_fails_at_once_and_sends_nothing(
    mock_api: respx.MockRouter,
) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=ok(TRADER_DETAIL))
    async with make_client(rate_limits=SLOW, max_rate_limit_wait=0.1) as client:
        await client.traders.get("1")  # the bucket's one token
        started = time.perf_counter()
        with pytest.raises(RateLimitError) as info:
            await client.traders.get("1")
        elapsed = time.perf_counter() - started
    assert route.call_count == 1  # nothing sent for the refused call
    assert info.value.retry_after is not None and 0.3 < info.value.retry_after <= 0.5
    assert elapsed < 0.1  # the limiter said how long: no need to wait the bound out
    assert "max_rate_limit_wait" in str(info.value)


async def test_with_options_sets_the_bound_per_call(mock_api: respx.MockRouter) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=ok(TRADER_DETAIL))
    async with make_client(rate_limits=SLOW) as client:
        await client.traders.get("1")
        with pytest.raises(RateLimitError):
            await client.with_options(max_rate_limit_wait=0).traders.get("1")
        await client.traders.get("1")  # the client itself still waits its turn
    assert route.call_count == 2


async def test_under_a_burst_of_callers_the_ones_that_would_wait_too_long_fail_fast(
    mock_api: respx.MockRouter,
) -> None:
    route = mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=ok(TRADER_DETAIL))
    limits = RateLimits(groups={"copytrading": RateLimit.per_second(10)}, global_limit=None)
    outcomes: list[float | None] = []  # None: sent; else the refusal's retry_after

    async def call(client: AsyncCopyTradeClient) -> None:
        try:
            await client.traders.get("1")
            outcomes.append(None)
        except RateLimitError as exc:
            outcomes.append(exc.retry_after)

    client = make_client(rate_limits=limits, max_rate_limit_wait=0.35)
    async with client, anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(call, client)
    # At 10/s, a wait of at most 0.35 s admits the first token and the three after it.
    refusals = [after for after in outcomes if after is not None]
    assert len(outcomes) - len(refusals) == route.call_count == 4
    assert len(refusals) == 16 and all(after > 0.3 for after in refusals)


async def test_a_limiter_that_cannot_estimate_is_bounded_by_waiting(
    mock_api: respx.MockRouter,
) -> None:
    class NoEstimate:
        limits = None

        def expected_wait(self, group: str) -> float:
            return 0.0  # "at least nothing": it cannot tell

        async def acquire(self, group: str) -> float:
            await anyio.sleep(10)
            return 10.0

        async def pause(self, seconds: float) -> None: ...

        async def aclose(self) -> None: ...

    route = mock_api.get(f"{PREFIX}/trader/detail").mock(return_value=ok(TRADER_DETAIL))
    async with make_client(rate_limiter=NoEstimate(), max_rate_limit_wait=0.05) as client:
        with pytest.raises(RateLimitError) as info:
            await client.traders.get("1")
    assert route.call_count == 0
    assert info.value.retry_after == 0.05  # at least the bound: the limiter did not say more


@pytest.mark.parametrize("bad", [-1, math.nan, math.inf, "1", True])
def test_the_bound_is_checked(bad: object) -> None:
    with pytest.raises(ValueError, match="max_rate_limit_wait"):
        make_client(max_rate_limit_wait=bad)
