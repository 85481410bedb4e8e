"""The sandbox's clocks beyond the manual one: :class:`ScaledClock` (read against a fake
monotonic clock, never by sleeping), advancing each kind, what ``/sandbox/time`` says of them,
a served sandbox keeping up with a clock that runs by itself, and 80004 naming its limit."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from copytrade_async import AsyncCopyTradeClient, CopyLimitExceededError
from copytrade_async.sandbox import (
    AdvancingClock,
    ManualClock,
    SandboxConfig,
    SandboxExchange,
    SandboxServer,
    ScaledClock,
    WallClock,
    create_app,
)

from .sandbox_helpers import START_MS, new_exchange

MAX_CLOCK_MS = 253_402_300_799_999  # the last millisecond of 9999-12-31, UTC
SECOND_NS = 1_000_000_000


class FakeMonotonic:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.ns = 5 * SECOND_NS  # not zero: the clock must count from its creation

    def __call__(self) -> int:
        return self.ns


@pytest.mark.parametrize(
    ("speed", "real_ns", "simulated_ms"),
    [
        (1, SECOND_NS, 1000),
        (60, SECOND_NS, 60_000),
        (1440, 60 * SECOND_NS, 86_400_000),  # a day a minute
        (0.5, 3 * SECOND_NS, 1500),
        (2.5, 1_000_000, 2),  # 2.5 ms, rounded half to even
        (10_000, 1, 0),  # a nanosecond is 10 µs here: below the millisecond
    ],
)
def test_a_scaled_clock_runs_at_its_speed(speed: float, real_ns: int, simulated_ms: int) -> None:
    real = FakeMonotonic()
    clock = ScaledClock(speed, START_MS, monotonic_ns=real)
    assert clock.now_ms() == START_MS and clock.speed == speed
    real.ns += real_ns
    assert clock.now_ms() == START_MS + simulated_ms


def test_a_scaled_clock_jumps_and_keeps_running() -> None:
    real = FakeMonotonic()
    clock = ScaledClock(60, START_MS, monotonic_ns=real)
    real.ns += SECOND_NS
    clock.advance(3600)
    assert clock.now_ms() == START_MS + 60_000 + 3_600_000
    real.ns += SECOND_NS
    assert clock.now_ms() == START_MS + 120_000 + 3_600_000
    with pytest.raises(ValueError, match="at least 0"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="year 9999"):
        clock.advance(MAX_CLOCK_MS / 1000)
    assert clock.now_ms() == START_MS + 120_000 + 3_600_000  # a refused jump moves nothing
    assert isinstance(clock, AdvancingClock) and "speed=60" in repr(clock)


def test_a_scaled_clock_stops_at_the_end_of_9999() -> None:
    real = FakeMonotonic()
    clock = ScaledClock(10_000, MAX_CLOCK_MS - 1000, monotonic_ns=real)
    real.ns += SECOND_NS
    assert clock.now_ms() == MAX_CLOCK_MS


def test_a_scaled_clock_starts_at_the_wall_time_by_default() -> None:
    before = time.time_ns() // 1_000_000
    now = ScaledClock(100).now_ms()
    assert before <= now <= time.time_ns() // 1_000_000 + 100 * 1000  # however slow the machine


@pytest.mark.parametrize("speed", [0, -1, 0.0, 10_000.5, float("nan"), float("inf"), True, "2"])
def test_the_speed_is_checked(speed: Any) -> None:
    with pytest.raises(ValueError, match="speed"):
        ScaledClock(speed)


def test_which_clocks_advance() -> None:
    assert isinstance(ManualClock(START_MS), AdvancingClock)
    assert not isinstance(WallClock(), AdvancingClock)


def test_an_exchange_on_a_scaled_clock_advances_and_runs() -> None:
    real = FakeMonotonic()
    config = SandboxConfig(traders=5, tick_seconds=3600, rate_limit=None)
    exchange = SandboxExchange(config, ScaledClock(3600, START_MS, monotonic_ns=real))
    exchange.advance(86_400)
    assert exchange.now_ms() == START_MS + 86_400_000
    real.ns += 2 * SECOND_NS  # two real seconds: two simulated hours
    exchange.sync()
    assert exchange.now_ms() == START_MS + 86_400_000 + 7_200_000
    with pytest.raises(ValueError, match="at most 172800"):
        exchange.advance(172_801)


def test_an_exchange_on_the_wall_clock_does_not_advance() -> None:
    exchange = SandboxExchange(SandboxConfig(traders=5), WallClock())
    with pytest.raises(TypeError, match=r"needs a ManualClock or a ScaledClock.*WallClock"):
        exchange.advance(60)


async def _admin(exchange: SandboxExchange, method: str, path: str, body: Any = None) -> Any:
    transport = httpx.ASGITransport(app=create_app(exchange))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        return (await client.request(method, f"/sandbox/{path}", json=body)).json()


async def test_time_says_which_clock_and_advance_refuses_the_wall_clock() -> None:
    wall = SandboxExchange(SandboxConfig(traders=5, tick_seconds=0.5), WallClock())
    data = (await _admin(wall, "GET", "time"))["data"]
    assert {k: data[k] for k in ("clock", "speed", "advances", "maxAdvanceSeconds")} == {
        "clock": "wall",
        "speed": None,
        "advances": False,
        "maxAdvanceSeconds": 17_280,  # 34,560 half-second ticks
    }
    answer = await _admin(wall, "POST", "advance", {"seconds": 60})
    assert answer["code"] == "40020"
    assert answer["msg"] == (
        "Parameter error: advance needs a manual or scaled clock, and this sandbox follows the"
        " wall clock: serve it with `copytrade sandbox serve --manual-clock` (or --speed N)"
    )

    real = FakeMonotonic()
    scaled = SandboxExchange(
        SandboxConfig(traders=5), ScaledClock(0.25, START_MS, monotonic_ns=real)
    )
    data = (await _admin(scaled, "GET", "time"))["data"]
    assert (data["clock"], data["speed"], data["advances"]) == ("scaled", 0.25, True)
    assert (await _admin(scaled, "POST", "advance", {"seconds": 90}))["data"] == {
        "nowMs": START_MS + 90_000
    }


async def test_the_copy_limit_names_where_it_is_set() -> None:
    exchange = new_exchange(traders=10, max_follows=2)
    async with AsyncCopyTradeClient.sandbox(exchange=exchange, rate_limits=None) as client:
        traders = exchange.trader_ids(active=True)
        for trader_id in traders[:2]:
            await client.follows.start(trader_id=trader_id, copy_amount=10, leverage=1)
        with pytest.raises(CopyLimitExceededError) as info:
            await client.follows.start(trader_id=traders[2], copy_amount=10, leverage=1)
    assert info.value.code == "80004"
    assert info.value.message == (
        "Copy limit exceeded: 2 active follows per account; this sandbox's limit is"
        " SandboxConfig(max_follows=...), `copytrade sandbox serve --max-follows N`"
    )


def test_a_served_sandbox_keeps_up_with_a_clock_that_runs_by_itself() -> None:
    """Nobody calls it, and still its simulation steps: the server syncs it on its own."""
    real = FakeMonotonic()
    clock = ScaledClock(3600, START_MS, monotonic_ns=real)
    exchange = SandboxExchange(SandboxConfig(traders=5, tick_seconds=60, rate_limit=None), clock)
    with SandboxServer(exchange, port=0, keep_up_s=0.01):
        real.ns += 24 * SECOND_NS  # a simulated day passes, with no request
        # Where the simulation has stepped to (a public read would step it itself).
        deadline = time.monotonic() + 10
        while exchange._sim.now_ms < START_MS + 86_400_000 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert exchange._sim.now_ms == START_MS + 86_400_000


@pytest.mark.parametrize("keep_up_s", [0, -1, float("nan"), float("inf")])
def test_the_keep_up_interval_is_checked(keep_up_s: float) -> None:
    with pytest.raises(ValueError, match="keep_up_s"):
        SandboxServer(new_exchange(traders=5), port=0, keep_up_s=keep_up_s)
