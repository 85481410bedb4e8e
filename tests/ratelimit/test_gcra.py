"""The pure GCRA arithmetic, on exact fractions: window bound, tightness, no drift."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copytrade_async.ratelimit._gcra import (
    MAX_SLACK,
    BucketState,
    Gcra,
    consume,
    full_bucket,
    late_grant_time,
    ready_at,
    slack_for,
    to_time,
    tokens,
    try_consume,
    wait_time,
)

# Awkward rates on purpose: 7/60 and 0.3 are not exact in binary, 1e-3 is very slow.
RATES = st.sampled_from([10.0, 100.0, 7 / 60, 0.3, 1 / 3, 1e-3, 2.5, 1000.0]) | st.floats(
    min_value=0.01, max_value=1000.0, allow_nan=False, allow_infinity=False
)
BURSTS = st.integers(min_value=1, max_value=12)
# Arrival gaps in exact fractions of a second (including many simultaneous arrivals).
GAPS = st.lists(
    st.one_of(
        st.just(Fraction(0)),
        st.fractions(min_value=0, max_value=5, max_denominator=1000),
    ),
    min_size=1,
    max_size=60,
)


def simulate(
    rate: float, burst: int, start: Fraction, gaps: list[Fraction]
) -> tuple[list[Fraction], list[Fraction]]:
    """One FIFO queue on one bucket: each arrival is granted as soon as the bucket allows."""
    gcra = Gcra.from_rate(rate, burst)
    state = full_bucket(start)
    arrivals: list[Fraction] = []
    grants: list[Fraction] = []
    now = start
    for gap in gaps:
        now += gap
        arrivals.append(now)
        grant = max(now, grants[-1] if grants else start, ready_at(state, gcra))
        assert tokens(state, gcra, grant) >= 1  # a token really is there
        state = consume(state, gcra, grant)
        grants.append(grant)
    return arrivals, grants


@settings(max_examples=100, deadline=None)
@given(rate=RATES, burst=BURSTS, start=st.fractions(-1000, 1000, max_denominator=64), gaps=GAPS)
def test_no_window_ever_exceeds_burst_plus_rate_times_length(
    rate: float, burst: int, start: Fraction, gaps: list[Fraction]
) -> None:
    _, grants = simulate(rate, burst, start, gaps)
    exact_rate = Fraction(rate)
    # Worst windows start and end on a grant: [g_i, g_j] holds j - i + 1 grants.
    for i in range(len(grants)):
        for j in range(i, len(grants)):
            assert j - i + 1 <= burst + exact_rate * (grants[j] - grants[i])


@settings(max_examples=100, deadline=None)
@given(rate=RATES, burst=BURSTS, start=st.fractions(-1000, 1000, max_denominator=64), gaps=GAPS)
def test_every_grant_is_the_earliest_the_window_bound_allows(
    rate: float, burst: int, start: Fraction, gaps: list[Fraction]
) -> None:
    """GCRA is not merely safe but tight: an independent, window-based reference agrees."""
    arrivals, grants = simulate(rate, burst, start, gaps)
    interval = 1 / Fraction(rate)
    for k, arrival in enumerate(arrivals):
        earliest = max([arrival, *grants[k - 1 : k]])
        for i in range(k):
            count = k - i + 1  # grants i..k, inclusive
            if count > burst:
                earliest = max(earliest, grants[i] + (count - burst) * interval)
        assert grants[k] == earliest


@pytest.mark.parametrize(("rate", "burst"), [(7 / 60, 1), (10.0, 10), (0.3, 3), (100.0, 1)])
def test_long_runs_do_not_drift(rate: float, burst: int) -> None:
    gcra = Gcra.from_rate(rate, burst)
    start = to_time(123456.789)
    state = full_bucket(start)
    n = 10_000
    grant = start
    for k in range(n):
        grant = max(start, ready_at(state, gcra))
        expected = start + max(0, k - burst + 1) * gcra.interval
        if k % 997 == 0 or k == n - 1:
            assert grant == expected
        state = consume(state, gcra, grant)
    assert grant == start + (n - burst) * gcra.interval
    assert state.tat == start + n * gcra.interval


def simulate_late(
    rate: float, burst: int, gaps: list[Fraction], lateness: list[Fraction]
) -> tuple[list[Fraction], Gcra]:
    """Like :func:`simulate`, but each waiter that had to wait goes ``lateness[k]`` after it was
    due (a timer firing late) and is accounted with :func:`late_grant_time`."""
    gcra = Gcra.from_rate(rate, burst)
    state = full_bucket(Fraction(0))
    grants: list[Fraction] = []
    now = Fraction(0)
    for k, gap in enumerate(gaps):
        now += gap
        due = max(now, grants[-1] if grants else now, ready_at(state, gcra))
        if due == now:  # no wait: goes at once, accounted at once
            grant = at = now
        else:
            grant = due + lateness[k % len(lateness)]
            at = late_grant_time(state, gcra, due, grant)
            assert due <= at <= grant
        state = consume(state, gcra, at)
        grants.append(grant)
    return grants, gcra


LATENESS = st.lists(
    st.fractions(min_value=0, max_value=Fraction(1, 50), max_denominator=10**6), min_size=1
)


@settings(max_examples=100, deadline=None)
@given(rate=RATES, burst=BURSTS, gaps=GAPS, lateness=LATENESS)
def test_late_wake_ups_keep_the_bound_within_the_slack(
    rate: float, burst: int, gaps: list[Fraction], lateness: list[Fraction]
) -> None:
    grants, gcra = simulate_late(rate, burst, gaps, lateness)
    slack = slack_for(gcra)
    assert 0 < slack < gcra.interval
    exact_rate = Fraction(rate)
    for i in range(len(grants)):
        for j in range(i, len(grants)):
            count = j - i + 1
            assert count <= burst + exact_rate * (grants[j] - grants[i] + slack)
            # Hence exact over whole numbers of intervals: a window of n intervals that holds
            # grants i..j holds at most burst + n of them.
            whole = math.ceil((grants[j] - grants[i]) / gcra.interval)
            assert count <= burst + whole


@pytest.mark.parametrize("late_ms", [0, 1, 2])
def test_late_wake_ups_within_the_slack_do_not_drift(late_ms: int) -> None:
    """200/s, burst 1, every timer 0-2 ms late: the 1,000th token still goes at 4.995 s + late."""
    late = Fraction(late_ms, 1000)
    grants, gcra = simulate_late(200.0, 1, [Fraction(0)] * 1000, [late])
    assert late <= slack_for(gcra)
    assert grants[-1] == 999 * gcra.interval + late


def test_lateness_beyond_the_slack_is_not_forgiven() -> None:
    gcra = Gcra.from_rate(10.0, 1)  # slack: min(50 ms, 5 ms) = 5 ms
    assert slack_for(gcra) == MAX_SLACK == Fraction(5, 1000)
    assert slack_for(Gcra.from_rate(1000.0, 1)) == Fraction(1, 2000)
    state = consume(full_bucket(Fraction(0)), gcra, Fraction(0))  # next due at 0.1
    due = ready_at(state, gcra)
    assert late_grant_time(state, gcra, due, due + Fraction(3, 1000)) == due
    assert late_grant_time(state, gcra, due, due + Fraction(1, 5)) == due + Fraction(1, 5) - (
        Fraction(5, 1000)
    )
    with pytest.raises(ValueError, match="no token available"):
        late_grant_time(state, gcra, due, due - Fraction(1, 1000))


def test_gcra_constants_are_exact() -> None:
    gcra = Gcra.from_rate(10.0, 3)
    assert gcra.interval == Fraction(1, 10)
    assert gcra.tolerance == Fraction(2, 10)
    assert gcra.rate == 10
    assert gcra.burst == 3
    assert Gcra.from_rate(6000 / 60, 1).interval == Fraction(1, 100)


@pytest.mark.parametrize(
    ("rate", "burst"), [(0.0, 1), (-1.0, 1), (float("nan"), 1), (float("inf"), 1), (1.0, 0)]
)
def test_gcra_rejects_bad_constants(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match=r"rate|burst"):
        Gcra.from_rate(rate, burst)


def test_gcra_rejects_bad_fields() -> None:
    with pytest.raises(ValueError, match="interval"):
        Gcra(interval=Fraction(0), tolerance=Fraction(0))
    with pytest.raises(ValueError, match="tolerance"):
        Gcra(interval=Fraction(1), tolerance=Fraction(-1))


def test_full_bucket_then_burst_then_sustained_rate() -> None:
    gcra = Gcra.from_rate(2.0, 3)  # interval 1/2
    now = Fraction(10)
    state = full_bucket(now)
    assert tokens(state, gcra, now) == 3
    for _ in range(3):
        state, wait = try_consume(state, gcra, now)
        assert wait == 0
    assert tokens(state, gcra, now) == 0
    same, wait = try_consume(state, gcra, now)
    assert same is state
    assert wait == Fraction(1, 2)
    assert wait_time(state, gcra, now) == Fraction(1, 2)
    assert tokens(state, gcra, now + Fraction(1, 4)) == Fraction(1, 2)
    with pytest.raises(ValueError, match="no token available"):
        consume(state, gcra, now + Fraction(1, 4))
    state, wait = try_consume(state, gcra, now + Fraction(1, 2))
    assert wait == 0
    # Refill caps at the burst however long the bucket sits idle.
    assert tokens(state, gcra, now + 1000) == 3
    assert wait_time(state, gcra, now + 1000) == 0


def test_idle_bucket_does_not_bank_more_than_burst() -> None:
    gcra = Gcra.from_rate(1.0, 2)
    state = consume(BucketState(tat=Fraction(0)), gcra, Fraction(100))
    assert state.tat == 101  # max(tat, now) + interval, not tat + interval
    state = consume(state, gcra, Fraction(100))
    assert ready_at(state, gcra) == 101


def test_to_time_is_exact_and_rejects_non_finite() -> None:
    assert to_time(0.1) == Fraction(0.1)
    assert to_time(0.1) != Fraction(1, 10)  # the float's own value, not its decimal reading
    for bad in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError, match="finite"):
            to_time(bad)
