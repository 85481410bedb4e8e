"""The in-memory rate limiter, driven by a virtual clock: fairness, pauses, cancellation."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
import random
from collections.abc import Callable
from fractions import Fraction

import anyio
import anyio.lowlevel
import pytest
from anyio.abc import TaskGroup
from hypothesis import given, settings
from hypothesis import strategies as st

from copytrade_async.ratelimit._gcra import slack_for
from copytrade_async.ratelimit._limits import COPYTRADING_GROUP, RateLimit, RateLimiter, RateLimits
from copytrade_async.ratelimit._memory import (
    InMemoryRateLimiter,
    NullRateLimiter,
    create_rate_limiter,
)


class VirtualClock:
    """A clock and a sleep that only move when the test says so.

    ``advance`` wakes sleepers in deadline order, letting every task run to its next wait after
    each wake-up, so virtual time never moves while a task could still act at the current time.
    ``lateness`` (seconds) is added to every sleep, the way a real event loop's timers fire late.
    """

    def __init__(self, start: float = 0.0, lateness: Callable[[], float] | None = None) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, anyio.Event]] = []
        self._seq = itertools.count()
        self._lateness = lateness

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        if delay <= 0:
            await anyio.lowlevel.checkpoint()
            return
        event = anyio.Event()
        late = 0.0 if self._lateness is None else self._lateness()
        heapq.heappush(self._sleepers, (self.now + delay + late, next(self._seq), event))
        await event.wait()

    @staticmethod
    async def settle() -> None:
        for _ in range(40):
            await anyio.lowlevel.checkpoint()

    async def advance(self, seconds: float) -> None:
        await self.advance_to(self.now + seconds)

    async def advance_to(self, target: float) -> None:
        await self.settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, event = heapq.heappop(self._sleepers)
            self.now = max(self.now, deadline)
            event.set()
            await self.settle()
        self.now = max(self.now, target)
        await self.settle()

    async def run_until_idle(self) -> None:
        """Jump from deadline to deadline until nobody sleeps."""
        await self.settle()
        while self._sleepers:
            await self.advance_to(self._sleepers[0][0])


def make(
    groups: dict[str, RateLimit] | None = None,
    global_limit: RateLimit | None = None,
    start: float = 0.0,
    lateness: Callable[[], float] | None = None,
) -> tuple[InMemoryRateLimiter, VirtualClock]:
    clock = VirtualClock(start, lateness)
    limits = RateLimits(groups=groups or {}, global_limit=global_limit)
    return InMemoryRateLimiter(limits, clock=clock, sleep=clock.sleep), clock


Record = list[tuple[str, float]]


async def start_in_order(
    tg: TaskGroup,
    limiter: RateLimiter,
    clock: VirtualClock,
    names_groups: list[tuple[str, str]],
    record: Record,
) -> dict[str, anyio.CancelScope]:
    """Start one acquirer per (name, group), each fully queued before the next starts."""
    scopes: dict[str, anyio.CancelScope] = {}

    for name, group in names_groups:
        scope = anyio.CancelScope()
        scopes[name] = scope

        async def run(
            scope: anyio.CancelScope = scope, name: str = name, group: str = group
        ) -> None:
            with scope:
                await limiter.acquire(group)
                record.append((name, clock()))

        tg.start_soon(run)
        await clock.settle()
    return scopes


async def immediate(limiter: RateLimiter, group: str) -> float:
    """``acquire`` that is expected not to wait: fails (rather than hangs) if it does."""
    with anyio.fail_after(2):  # real seconds; a virtual wait would never end
        return await limiter.acquire(group)


def names(record: Record) -> list[str]:
    return [name for name, _ in record]


def test_create_rate_limiter() -> None:
    assert isinstance(create_rate_limiter(None), NullRateLimiter)
    limiter = create_rate_limiter(RateLimits.default())
    assert isinstance(limiter, InMemoryRateLimiter)
    assert limiter.limits == RateLimits.default()
    assert isinstance(limiter, RateLimiter)
    assert isinstance(NullRateLimiter(), RateLimiter)


# -- the bucket --------------------------------------------------------------------------------


async def test_burst_goes_at_once_then_the_sustained_rate() -> None:
    limiter, clock = make({"g": RateLimit.per_second(10, burst=3)})
    assert [await immediate(limiter, "g") for _ in range(3)] == [0.0, 0.0, 0.0]
    record: Record = []
    async with anyio.create_task_group() as tg:
        await start_in_order(tg, limiter, clock, [("a", "g"), ("b", "g")], record)
        await clock.run_until_idle()
    assert names(record) == ["a", "b"]
    assert [t for _, t in record] == pytest.approx([0.1, 0.2])


async def test_acquire_returns_the_time_waited() -> None:
    limiter, clock = make({"g": RateLimit.per_second(4)}, start=100.0)
    assert await immediate(limiter, "g") == 0.0
    results: list[float] = []

    async def run() -> None:
        results.append(await limiter.acquire("g"))

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        await clock.run_until_idle()
    assert results == pytest.approx([0.25])


async def test_fifo_within_a_group() -> None:
    limiter, clock = make({"g": RateLimit.per_second(10)}, global_limit=RateLimit.per_second(1000))
    await immediate(limiter, "g")
    record: Record = []
    order = [f"w{i}" for i in range(1, 9)]
    async with anyio.create_task_group() as tg:
        await start_in_order(tg, limiter, clock, [(n, "g") for n in order], record)
        await clock.run_until_idle()
    assert names(record) == order
    assert [t for _, t in record] == pytest.approx([0.1 * i for i in range(1, 9)])


async def test_new_arrivals_queue_behind_waiters() -> None:
    limiter, clock = make({"g": RateLimit.per_second(10, burst=2)})
    await immediate(limiter, "g")
    await immediate(limiter, "g")
    record: Record = []
    async with anyio.create_task_group() as tg:
        await start_in_order(tg, limiter, clock, [("first", "g")], record)
        await clock.advance(0.05)  # half a token back: the bucket is not empty for long
        await start_in_order(tg, limiter, clock, [("second", "g")], record)
        await clock.run_until_idle()
    assert names(record) == ["first", "second"]
    assert [t for _, t in record] == pytest.approx([0.1, 0.2])


async def test_a_slow_group_does_not_block_another_group() -> None:
    limiter, clock = make(
        {"slow": RateLimit.per_second(1), "fast": RateLimit.per_second(100, burst=2)},
        global_limit=RateLimit.per_second(1000, burst=10),
    )
    await immediate(limiter, "slow")
    record: Record = []
    async with anyio.create_task_group() as tg:
        await start_in_order(tg, limiter, clock, [("s1", "slow"), ("s2", "slow")], record)
        assert await immediate(limiter, "fast") == 0.0
        assert await immediate(limiter, "other") == 0.0  # unknown group: global bucket only
        await clock.advance(0.5)
        assert await immediate(limiter, "fast") == 0.0
        assert record == []
        await clock.run_until_idle()
    assert names(record) == ["s1", "s2"]
    assert [t for _, t in record] == pytest.approx([1.0, 2.0])


async def test_global_bucket_is_shared_and_first_come_first_served_across_groups() -> None:
    limiter, clock = make(
        {"a": RateLimit.per_second(100), "b": RateLimit.per_second(100)},
        global_limit=RateLimit.per_second(10),
    )
    await immediate(limiter, "a")
    record: Record = []
    plan = [("a1", "a"), ("b1", "b"), ("x1", "unknown"), ("a2", "a"), ("b2", "b")]
    async with anyio.create_task_group() as tg:
        await start_in_order(tg, limiter, clock, plan, record)
        await clock.run_until_idle()
    assert names(record) == ["a1", "b1", "x1", "a2", "b2"]
    assert [t for _, t in record] == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5])


async def test_unknown_group_without_global_limit_never_waits() -> None:
    limiter, _ = make({"g": RateLimit.per_second(1)})
    assert [await immediate(limiter, "other") for _ in range(100)] == [0.0] * 100


async def test_no_buckets_at_all_never_waits() -> None:
    limiter = InMemoryRateLimiter(RateLimits(groups={}, global_limit=None))
    assert [await immediate(limiter, COPYTRADING_GROUP) for _ in range(100)] == [0.0] * 100


async def test_real_clock_smoke() -> None:
    """With the default clock and sleep: 10 concurrent acquisitions at 400/s take ~22.5 ms."""
    limiter = InMemoryRateLimiter(RateLimits(groups={"g": RateLimit.per_second(400)}))
    times: list[float] = []

    async def run() -> None:
        await limiter.acquire("g")
        times.append(anyio.current_time())

    start = anyio.current_time()
    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(run)
    slack = float(slack_for(RateLimit.per_second(400).gcra()))
    assert times[-1] - start >= 9 / 400 - slack
    # A late wake-up is accounted when it was due: the next grant may come that much sooner.
    assert all(b - a >= 1 / 400 - slack - 1e-9 for a, b in itertools.pairwise(times))
    assert times[-1] - start < 1.0


async def test_late_timers_do_not_slow_the_schedule_down() -> None:
    """Every sleep ends 0-1 ms late, as on a real event loop: 1,000 acquisitions at 200/s (burst
    1) still take 4.995 s plus one wake-up's lateness, not 5.5 s; and no window of one second
    (a whole number of intervals) gets more than burst + 200."""
    wobble = random.Random(7)
    limiter, clock = make(
        {"g": RateLimit.per_second(200)}, lateness=lambda: wobble.uniform(0, 1e-3)
    )
    times: list[float] = []

    async def run() -> None:
        await limiter.acquire("g")
        times.append(clock())

    async with anyio.create_task_group() as tg:
        for _ in range(1000):
            tg.start_soon(run)
        await clock.run_until_idle()
    assert len(times) == 1000
    assert 4.995 <= times[-1] <= 4.995 + 1e-3 + 1e-9
    exact = [Fraction(t) for t in times]
    for i, start in enumerate(exact):
        in_window = sum(1 for t in exact[i:] if t <= start + 1)
        assert in_window <= 1 + 200


async def test_strict_bound_without_late_timers() -> None:
    """On time, the limiter is exact GCRA: consecutive grants at 200/s are 5 ms apart or more."""
    limiter, clock = make({"g": RateLimit.per_second(200)})
    times: list[Fraction] = []

    async def run() -> None:
        await limiter.acquire("g")
        times.append(Fraction(clock()))

    async with anyio.create_task_group() as tg:
        for _ in range(50):
            tg.start_soon(run)
        await clock.run_until_idle()
    assert all(
        b - a >= Fraction(1, 200) - Fraction(1, 10**12) for a, b in itertools.pairwise(times)
    )


# -- pause -----------------------------------------------------------------------------------


async def test_pause_holds_back_waiters_and_new_arrivals() -> None:
    limiter, clock = make({"g": RateLimit.per_second(10)})
    await immediate(limiter, "g")
    record: Record = []
    async with anyio.create_task_group() as tg:
        await start_in_order(tg, limiter, clock, [("waiting", "g")], record)
        await clock.advance(0.05)
        await limiter.pause(2.0)  # until 2.05
        await start_in_order(tg, limiter, clock, [("late", "g"), ("other", "other")], record)
        await clock.advance(2.0)
        assert record == []
        await clock.run_until_idle()
    # "waiting" and "other" are granted at the same instant; "late" queued behind "waiting".
    assert dict(record) == pytest.approx({"waiting": 2.05, "other": 2.05, "late": 2.15})


async def test_a_shorter_pause_never_shortens_a_longer_one() -> None:
    limiter, clock = make({"g": RateLimit.per_second(10)})
    record: Record = []
    async with anyio.create_task_group() as tg:
        await limiter.pause(3.0)
        await clock.advance(1.0)
        await limiter.pause(0.5)  # ends at 1.5, before 3.0: ignored
        await start_in_order(tg, limiter, clock, [("w", "g")], record)
        await clock.run_until_idle()
    assert dict(record) == pytest.approx({"w": 3.0})


async def test_a_longer_pause_extends_the_current_one() -> None:
    limiter, clock = make({"g": RateLimit.per_second(10)})
    record: Record = []
    async with anyio.create_task_group() as tg:
        await limiter.pause(1.0)
        await start_in_order(tg, limiter, clock, [("w", "g")], record)
        await clock.advance(0.5)
        await limiter.pause(2.0)  # now ends at 2.5
        await clock.advance(1.0)
        assert record == []
        await clock.run_until_idle()
    assert dict(record) == pytest.approx({"w": 2.5})


@pytest.mark.parametrize("seconds", [0.0, -5.0])
async def test_non_positive_pause_is_a_no_op(seconds: float) -> None:
    limiter, _ = make({"g": RateLimit.per_second(10)})
    await limiter.pause(seconds)
    assert await immediate(limiter, "g") == 0.0


@pytest.mark.parametrize("seconds", [math.nan, math.inf])
async def test_non_finite_pause_is_refused(seconds: float) -> None:
    for limiter in (make()[0], NullRateLimiter()):
        with pytest.raises(ValueError, match="finite"):
            await limiter.pause(seconds)


# -- cancellation -----------------------------------------------------------------------------


async def test_cancelled_waiter_gives_its_turn_to_the_next() -> None:
    limiter, clock = make({"g": RateLimit.per_second(10)})
    await immediate(limiter, "g")
    record: Record = []
    async with anyio.create_task_group() as tg:
        scopes = await start_in_order(
            tg, limiter, clock, [("w1", "g"), ("w2", "g"), ("w3", "g")], record
        )
        await clock.advance(0.05)
        scopes["w2"].cancel()
        await clock.run_until_idle()
    assert names(record) == ["w1", "w3"]
    assert dict(record) == pytest.approx({"w1": 0.1, "w3": 0.2})
    assert limiter._queues == {}


async def test_cancelled_head_does_not_delay_the_next_waiter() -> None:
    limiter, clock = make({"g": RateLimit.per_second(10)})
    await immediate(limiter, "g")
    record: Record = []
    async with anyio.create_task_group() as tg:
        scopes = await start_in_order(tg, limiter, clock, [("w1", "g"), ("w2", "g")], record)
        await clock.advance(0.05)
        scopes["w1"].cancel()
        await clock.run_until_idle()
    assert dict(record) == pytest.approx({"w2": 0.1})


async def test_cancelling_every_waiter_leaves_nothing_behind() -> None:
    limiter, clock = make({"g": RateLimit.per_second(1)}, global_limit=RateLimit.per_second(1))
    await immediate(limiter, "g")
    record: Record = []
    async with anyio.create_task_group() as tg:
        await start_in_order(tg, limiter, clock, [(f"w{i}", "g") for i in range(5)], record)
        await clock.advance(0.5)
        tg.cancel_scope.cancel()
    assert record == []
    assert limiter._queues == {}
    await clock.advance(0.5)
    assert await immediate(limiter, "g") == 0.0  # nobody took the tokens the waiters waited for


async def test_native_asyncio_cancellation_is_clean() -> None:
    limiter, clock = make({"g": RateLimit.per_second(10)})
    await immediate(limiter, "g")
    task = asyncio.get_running_loop().create_task(limiter.acquire("g"))
    await clock.settle()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert limiter._queues == {}
    await clock.advance(0.1)
    assert await immediate(limiter, "g") == 0.0


async def test_cancelled_after_grant_gives_the_token_back() -> None:
    """A waiter granted by another task's dispatch but cancelled before it resumed."""
    limiter, clock = make({"a": RateLimit.per_second(1), "b": RateLimit.per_second(1)})
    await immediate(limiter, "a")
    record: Record = []
    async with anyio.create_task_group() as tg:
        scopes = await start_in_order(tg, limiter, clock, [("w", "a")], record)
        clock.now = 1.0  # time passes, but w's sleep has not been woken yet
        assert await immediate(limiter, "b") == 0.0  # its dispatch grants w (first come) ...
        scopes["w"].cancel()  # ... and w is cancelled before it could run
        await clock.settle()
        assert record == []
        await start_in_order(tg, limiter, clock, [("next", "a")], record)
        assert record == [("next", 1.0)]  # w's token came back
    assert limiter._queues == {}


# -- fairness and the window bound under random load ----------------------------------------


ARRIVALS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=400).map(lambda ms: ms / 1000),
        st.sampled_from(["a", "b", "c"]),
        st.booleans(),  # cancelled after a while?
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@given(
    arrivals=ARRIVALS,
    rate_a=st.sampled_from([5.0, 10.0, 7 / 3]),
    burst_a=st.integers(1, 3),
    rate_g=st.sampled_from([8.0, 20.0, 100 / 3]),
    burst_g=st.integers(1, 4),
    late=st.sampled_from([0.0, 0.001, 0.004, 0.03]),
    seed=st.integers(0, 2**16),
)
def test_random_load_respects_every_bucket_and_fifo(
    arrivals: list[tuple[float, str, bool]],
    rate_a: float,
    burst_a: int,
    rate_g: float,
    burst_g: int,
    late: float,
    seed: int,
) -> None:
    """Random arrivals, cancellations and late timers (up to ``late`` s, some beyond the slack):
    every bucket keeps its bound (with the slack, see ``_ratelimit_math``) and FIFO holds."""
    wobble = random.Random(seed)
    limits = {"a": RateLimit(rate_a, burst_a), "b": RateLimit(6.0, 2)}
    global_limit = RateLimit(rate_g, burst_g)
    # group -> list of (call order, grant time)
    grants: dict[str, list[tuple[int, float]]] = {"a": [], "b": [], "c": []}
    calls = itertools.count()

    async def scenario() -> None:
        limiter, clock = make(limits, global_limit, lateness=lambda: wobble.uniform(0, late))

        to_cancel: list[anyio.CancelScope] = []

        async def one(at: float, group: str, cancel: bool) -> None:
            await clock.sleep(at)
            order = next(calls)
            with anyio.CancelScope() as scope:
                if cancel:
                    to_cancel.append(scope)
                await limiter.acquire(group)
                grants[group].append((order, clock()))

        async def canceller() -> None:
            # Cancel the marked waiters a little after they arrive (some are done already).
            while True:
                await clock.sleep(0.037)
                for scope in to_cancel:
                    scope.cancel()
                to_cancel.clear()
                if not clock._sleepers:
                    return

        async with anyio.create_task_group() as tg:
            for at, group, cancel in arrivals:
                tg.start_soon(one, at, group, cancel)
            tg.start_soon(canceller)
            await clock.run_until_idle()
        assert limiter._queues == {}

    anyio.run(scenario)

    def check_window(times: list[float], limit: RateLimit) -> None:
        exact = sorted(Fraction(t) for t in times)
        rate = Fraction(limit.rate)
        slack = slack_for(limit.gcra())
        for i in range(len(exact)):
            for j in range(i, len(exact)):
                assert j - i + 1 <= limit.burst + rate * (exact[j] - exact[i] + slack)

    for group, limit in limits.items():
        check_window([t for _, t in grants[group]], limit)
    check_window([t for g in grants.values() for _, t in g], global_limit)
    for entries in grants.values():
        # FIFO: in call order, grant times never go backwards.
        by_call = [t for _, t in sorted(entries)]
        assert by_call == sorted(by_call)


# -- closing, logging, the null limiter ------------------------------------------------------


async def test_aclose_wakes_waiters_with_an_error_and_refuses_new_ones() -> None:
    limiter, clock = make({"g": RateLimit.per_second(1)})
    await immediate(limiter, "g")
    errors: list[BaseException] = []

    async def run() -> None:
        try:
            await limiter.acquire("g")
        except anyio.ClosedResourceError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        tg.start_soon(run)
        await clock.settle()
        await limiter.aclose()
        await limiter.aclose()  # idempotent
    assert len(errors) == 2
    assert limiter._queues == {}
    with pytest.raises(anyio.ClosedResourceError):
        await limiter.acquire("g")
    await limiter.pause(1.0)  # harmless after close


async def test_waits_are_returned_and_left_to_the_caller_to_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The pipeline logs each wait with its endpoint and attempt; the limiter only reports it.
    caplog.set_level(logging.DEBUG, logger="copytrade_async")
    limiter, clock = make({"g": RateLimit.per_second(10)})
    await immediate(limiter, "g")
    waits: list[float] = []

    async def take() -> None:
        waits.append(await limiter.acquire("g"))

    async with anyio.create_task_group() as tg:
        tg.start_soon(take)
        await clock.run_until_idle()
    assert waits == [pytest.approx(0.1)]
    assert [r for r in caplog.records if "waited" in r.getMessage()] == []


async def test_null_limiter_never_waits_but_honours_pause() -> None:
    clock = VirtualClock()
    limiter = NullRateLimiter(clock=clock, sleep=clock.sleep)
    assert [await immediate(limiter, COPYTRADING_GROUP) for _ in range(1000)] == [0.0] * 1000
    results: list[float] = []

    async def run() -> None:
        results.append(await limiter.acquire(COPYTRADING_GROUP))

    async with anyio.create_task_group() as tg:
        await limiter.pause(1.5)
        await limiter.pause(0.5)  # shorter: ignored
        tg.start_soon(run)
        tg.start_soon(run)
        await clock.advance(1.0)
        assert results == []
        await clock.run_until_idle()
    assert results == pytest.approx([1.5, 1.5])
    assert await immediate(limiter, COPYTRADING_GROUP) == 0.0
    await limiter.aclose()
    with pytest.raises(anyio.ClosedResourceError):
        await limiter.acquire(COPYTRADING_GROUP)


# -- how long a new request would wait --------------------------------------------------------


async def test_expected_wait_counts_the_bucket_and_the_queue() -> None:
    limiter, clock = make({"g": RateLimit.per_second(10)})
    assert limiter.expected_wait("g") == 0
    assert await immediate(limiter, "g") == 0
    assert limiter.expected_wait("g") == pytest.approx(0.1)
    record: Record = []
    async with anyio.create_task_group() as tg:
        await start_in_order(tg, limiter, clock, [("a", "g"), ("b", "g")], record)
        # Two waiters queue behind the empty bucket: a third would be served after them.
        assert limiter.expected_wait("g") == pytest.approx(0.3)
        assert limiter.expected_wait("other") == 0  # no bucket of its own, no global one
        await clock.run_until_idle()


async def test_expected_wait_sees_a_pause_and_the_global_bucket() -> None:
    limiter, clock = make({}, global_limit=RateLimit.per_second(4))
    assert await immediate(limiter, "g") == 0
    assert limiter.expected_wait("g") == pytest.approx(0.25)
    await limiter.pause(2.0)
    assert limiter.expected_wait("g") == pytest.approx(2.0)
    null = NullRateLimiter(clock=clock, sleep=clock.sleep)
    assert null.expected_wait("g") == 0
    await null.pause(1.5)
    assert null.expected_wait("g") == pytest.approx(1.5)
