"""monitor against the sandbox: events, rules, failures, stop inference, cancellation, rate."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

import anyio
import anyio.lowlevel
import pytest
import respx

from copytrade_async import APIError, RateLimit, RateLimits
from copytrade_async.sandbox import SANDBOX_API_KEY
from copytrade_async.toolkit import (
    FollowEnded,
    FollowEvent,
    LockInProfitsRule,
    MonitorEvent,
    PnlThresholdCrossed,
    PositionClosed,
    PositionOpened,
    ReduceRiskRule,
    RoundCompleted,
    RuleAction,
    RuleFailed,
    RuleFired,
    Watch,
    WatchFailed,
    client_rate,
    monitor,
    pnl_percent,
)

from ..conftest import BASE_URL, PREFIX, ok
from ..conftest import make_client as root_make_client
from ..payloads import ORDER, POSITION, page
from .conftest import MakeClient, open_follows, traders_with_positions

D = Decimal


async def collect(watch: Any, *, advance: Any = None, step: float = 0) -> list[MonitorEvent]:
    events: list[MonitorEvent] = []
    async with watch as stream:
        async for event in stream:
            events.append(event)
            if isinstance(event, RoundCompleted) and advance is not None:
                advance(step)
    return events


def of(kind: type[Any], events: list[MonitorEvent]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


async def test_reports_positions_and_rounds(make_client: MakeClient) -> None:
    client = make_client(seed=11, traders=60)
    ids = open_follows(client.exchange, traders_with_positions(client.exchange)[:5])
    events = await collect(
        monitor(client, ids, interval=0, rounds=12), advance=client.exchange.advance, step=900
    )
    rounds = of(RoundCompleted, events)
    assert [r.round for r in rounds] == list(range(1, 13))
    assert all(r.polled == 5 and r.failed == 0 for r in rounds)
    opened = of(PositionOpened, events)
    assert {e.follow_id for e in opened if e.round == 1} == set(ids)  # all copy open positions
    assert of(PositionClosed, events)  # traders trade during 3 simulated hours
    # Every event of a round comes before that round's RoundCompleted.
    last_round = 0
    for event in events:
        assert event.round >= last_round
        if isinstance(event, RoundCompleted):
            last_round = event.round + 1


async def test_a_failing_follow_is_reported_and_the_others_go_on(make_client: MakeClient) -> None:
    client = make_client(seed=11, traders=40)
    ids = open_follows(client.exchange, traders_with_positions(client.exchange)[:3])
    events = await collect(monitor(client, [*ids, "999"], interval=0, rounds=3))
    failed = of(WatchFailed, events)
    assert [(e.follow_id, e.round) for e in failed] == [("999", 1), ("999", 2), ("999", 3)]
    assert all(isinstance(e.error, APIError) and e.error.code == "40034" for e in failed)
    assert all((r.polled, r.failed) == (4, 1) for r in of(RoundCompleted, events))
    assert {e.follow_id for e in of(PositionOpened, events)} == set(ids)


async def test_after_a_failed_round_the_next_comes_after_the_retry_interval(
    make_client: MakeClient,
) -> None:
    client = make_client(seed=11, traders=40)
    ids = open_follows(client.exchange, traders_with_positions(client.exchange)[:1])
    events = await collect(monitor(client, ["999"], interval=3600, retry_interval=0.01, rounds=2))
    # The spec retries 5 s after an error (here 0.01 s), not a whole interval (an hour) later.
    assert [(r.failed, r.interval) for r in of(RoundCompleted, events)] == [(1, 0.01), (1, 0.01)]
    healthy = await collect(monitor(client, ids, interval=3600, retry_interval=0.01, rounds=1))
    assert [(r.failed, r.interval) for r in of(RoundCompleted, healthy)] == [(0, 3600)]


async def test_a_retry_never_goes_faster_than_the_rate(make_client: MakeClient) -> None:
    client = make_client(seed=11, traders=40)
    watch = monitor(client, ["998", "999"], interval=3600, retry_interval=0, max_rate=10, rounds=1)
    assert watch.rate == 8  # 80 % of 10/s
    events = await collect(watch)
    assert [(r.failed, r.interval) for r in of(RoundCompleted, events)] == [(2, 0.25)]


async def test_pnl_percent_can_be_over_notional(make_client: MakeClient) -> None:
    client = make_client(seed=11, traders=40)
    ids = open_follows(client.exchange, traders_with_positions(client.exchange)[:1])
    client.exchange.advance(3 * 3600)
    positions = await client.follows.positions(ids[0])
    by_margin, by_notional = pnl_percent(positions), pnl_percent(positions, "notional")
    assert by_margin is not None and by_notional is not None and by_margin != 0
    # Any PnL but exactly 0 crosses one of these two, whatever its basis.
    near_zero = [Decimal("-0.0001"), Decimal("0.0001")]
    for basis, expected in (("margin", by_margin), ("notional", by_notional)):
        watch = monitor(client, ids, interval=0, rounds=1, thresholds=near_zero, pnl_basis=basis)
        [crossed] = of(PnlThresholdCrossed, await collect(watch))
        assert crossed.pnl_percent == expected
    with pytest.raises(ValueError, match="pnl basis"):
        monitor(client, ids, pnl_basis="equity")  # type: ignore[arg-type]


async def test_rules_fire_and_change_settings(make_client: MakeClient) -> None:
    client = make_client(seed=11, traders=60)
    ids = open_follows(client.exchange, traders_with_positions(client.exchange)[:8], D(1000))
    for follow_id in ids:
        await client.follows.update(follow_id, take_profit=D(1000), stop_loss=D(100))
    seen: list[FollowEvent] = []

    class Spy:
        name = "spy"

        async def __call__(self, event: FollowEvent, client: Any) -> RuleAction | None:
            seen.append(event)
            return None

    class Broken:
        async def __call__(self, event: FollowEvent, client: Any) -> RuleAction | None:
            if isinstance(event, PnlThresholdCrossed):
                raise RuntimeError("rule bug")
            return None

    rules = (
        ReduceRiskRule(trigger="-0.01", stop_loss=D(90)),
        LockInProfitsRule(trigger="0.01", take_profit=D(900)),
        Spy(),
        Broken(),
    )
    watches = [Watch(f, copy_amount=D(1000), take_profit=D(1000), stop_loss=D(100)) for f in ids]
    events = await collect(
        monitor(client, watches, interval=0, rounds=6, rules=rules, thresholds=("-0.01", "0.01")),
        advance=client.exchange.advance,
        step=600,
    )
    fired = of(RuleFired, events)
    reduce = [e for e in fired if e.rule == "ReduceRiskRule"]
    lock = [e for e in fired if e.rule == "LockInProfitsRule"]
    assert reduce and lock
    for event in reduce:
        assert isinstance(event.trigger, PnlThresholdCrossed) and event.trigger.direction == "down"
        assert event.action.settings is not None and event.action.settings.stop_loss == D(90)
        assert client.exchange.follow_info(event.follow_id).stop_loss == D(90)
    for event in lock:
        assert client.exchange.follow_info(event.follow_id).take_profit == D(900)
    # Each rule acts once per follow: afterwards the monitor knows the new, tighter settings.
    assert len({e.follow_id for e in reduce}) == len(reduce)
    assert len({e.follow_id for e in lock}) == len(lock)
    failures = of(RuleFailed, events)
    assert failures and all(isinstance(e.error, RuntimeError) for e in failures)
    assert {e.rule for e in failures} == {"Broken"}
    follow_events = [
        e for e in events if not isinstance(e, RuleFired | RuleFailed | RoundCompleted)
    ]
    assert sorted(map(repr, seen)) == sorted(map(repr, follow_events))


async def test_stops_by_tp_sl_are_inferred_honestly(make_client: MakeClient) -> None:
    client = make_client(seed=5, traders=120)
    exchange = client.exchange
    ids = open_follows(exchange, traders_with_positions(exchange)[:20], D(1000))
    tp, sl = D("1.5"), D("1.5")
    for follow_id in ids:
        await client.follows.update(follow_id, take_profit=tp, stop_loss=sl)
    watches = [Watch(f, copy_amount=D(1000), take_profit=tp, stop_loss=sl) for f in ids]
    events = await collect(
        monitor(client, watches, interval=0, rounds=30), advance=exchange.advance, step=120
    )
    stopped = of(FollowEnded, events)
    assert len(stopped) >= 3
    for event in stopped:
        info = exchange.follow_info(event.follow_id)
        assert event.inferred and info.status == "stopped"
        assert event.reason == info.stop_reason  # what the exchange says it did
        assert event.realized_pnl == info.realized_pnl
        # Once stopped, it is no longer polled.
        assert not [e for e in events if getattr(e, "follow_id", None) == event.follow_id
                    and e.round > event.round]  # fmt: skip
    # No false alarm: every follow still active was never reported stopped.
    reported = {e.follow_id for e in stopped}
    for follow_id in ids:
        if exchange.follow_info(follow_id).status == "active":
            assert follow_id not in reported


async def test_cancelling_mid_watch_returns_promptly_and_leaks_nothing(
    make_client: MakeClient,
) -> None:
    client = make_client(seed=11, traders=80, inactive_share=0.0, max_follows=80)
    ids = open_follows(client.exchange, client.exchange.trader_ids()[:60])
    before = len(asyncio.all_tasks())
    seen: list[MonitorEvent] = []
    started = time.perf_counter()
    with anyio.move_on_after(0.3) as scope:  # a round of 60 at 20/s would take 3.75 s
        async with monitor(client, ids, interval=0, max_rate=20) as stream:
            async for event in stream:
                seen.append(event)
    assert scope.cancelled_caught
    assert time.perf_counter() - started < 1.0
    assert seen and not of(RoundCompleted, seen)
    await anyio.lowlevel.checkpoint()
    assert len(asyncio.all_tasks()) == before


async def test_breaking_out_of_the_stream_stops_the_polls(make_client: MakeClient) -> None:
    client = make_client(seed=11, traders=40, inactive_share=0.0)
    ids = open_follows(client.exchange, client.exchange.trader_ids()[:30])
    before = len(asyncio.all_tasks())
    async with monitor(client, ids, interval=0, max_rate=50) as stream:
        async for _ in stream:
            break
    requests = client.exchange.stats.total
    await anyio.sleep(0.2)
    assert client.exchange.stats.total == requests
    assert len(asyncio.all_tasks()) == before


async def test_thousand_follows_within_the_rate_limit(make_client: MakeClient) -> None:
    """1,000 followIds, two full rounds: the client stays under the exchange's limit. The
    sandbox allows 1,000 requests per second with a burst of only 10, so any burst above the
    rate would be answered 429."""
    rate = 1000
    client = make_client(
        seed=21,
        traders=1000,
        inactive_share=0.0,
        max_follows=1000,
        deposit=D(2_000_000),
        rate_limit=rate,
        rate_burst=10,
        rate_limits=RateLimits(
            groups={"copytrading": RateLimit.per_second(rate)}, global_limit=None
        ),
    )
    exchange = client.exchange
    ids = open_follows(exchange, exchange.trader_ids())
    assert len(set(ids)) == 1000
    exchange.stats.reset()
    watch = monitor(client, ids, interval=0, rounds=2)
    assert client_rate(client) == rate
    assert watch.round_interval >= 1000 / rate
    started = time.perf_counter()
    events = await collect(watch, advance=exchange.advance, step=60)
    elapsed = time.perf_counter() - started
    rounds = of(RoundCompleted, events)
    assert [(r.polled, r.failed) for r in rounds] == [(1000, 0), (1000, 0)]
    assert elapsed >= 1000 / rate  # the second round waited for its slot
    stats = exchange.stats
    assert stats.rate_limited == 0
    assert stats.by_status() == {200: stats.total}
    assert stats.by_path()["/api/mix/v1/copytrading/positions"] == 2000
    assert stats.max_requests_in_window(1.0) <= rate


async def test_paces_itself_when_the_client_has_no_limiter(make_client: MakeClient) -> None:
    """With the client's limiter off, ``max_rate`` alone keeps polling under the limit."""
    client = make_client(
        seed=22,
        traders=100,
        inactive_share=0.0,
        max_follows=100,
        rate_limit=100,
        rate_burst=3,
        rate_limits=None,
    )
    ids = open_follows(client.exchange, client.exchange.trader_ids())
    client.exchange.stats.reset()
    assert client_rate(client) is None
    events = await collect(monitor(client, ids, interval=0, rounds=1, max_rate=100))
    assert of(RoundCompleted, events)[0].polled == 100
    assert client.exchange.stats.rate_limited == 0


def test_rate_comes_from_the_client_or_the_default(make_client: MakeClient) -> None:
    slow = make_client(rate_limits=RateLimits.default())
    assert client_rate(slow) == 5
    assert monitor(slow, ["1", "2"]).rate == 4  # 80 % of 5/s
    big = monitor(slow, [str(i) for i in range(1000)], interval=1)
    assert big.round_interval == 250  # 1,000 polls at 4/s
    assert monitor(make_client(rate_limits=None), ["1"], rate_share=1).rate == 5
    with pytest.raises(ValueError, match="rate_share"):
        monitor(slow, ["1"], rate_share=0)
    with pytest.raises(ValueError, match="interval"):
        monitor(slow, ["1"], interval=-1)


async def test_an_error_in_the_consumer_propagates_as_itself(make_client: MakeClient) -> None:
    client = make_client(seed=11, traders=30)
    ids = open_follows(client.exchange, traders_with_positions(client.exchange)[:2])
    before = len(asyncio.all_tasks())
    watch = monitor(client, ids, interval=0)
    with pytest.raises(KeyError, match="consumer"):
        async with watch as stream:
            async for _ in stream:
                raise KeyError("consumer")
    assert len(asyncio.all_tasks()) == before
    with pytest.raises(RuntimeError, match="only once"):
        async with watch:
            pass
    with pytest.raises(RuntimeError, match="async with"):
        async for _ in monitor(client, ids):
            pass


async def test_a_failed_history_read_is_retried_next_round(make_client: MakeClient) -> None:
    client = make_client(seed=11, traders=30)
    exchange = client.exchange
    [follow_id] = open_follows(exchange, traders_with_positions(exchange)[:1])
    inner = client.history
    calls: list[str] = []

    class FlakyHistory:
        def list(self, follow_id: str, **kwargs: Any) -> Any:
            calls.append(follow_id)
            if len(calls) == 2:  # the read after the stop (the first is round 1's)
                raise APIError("history.list", "50001", "busy", http_status=500)
            return inner.list(follow_id, **kwargs)

    client.history = FlakyHistory()  # type: ignore[assignment]
    # Tiny TP/SL on the watch, so that whatever the follow made when it was stopped reads as
    # past one of them: this test is about the mechanics, not the exchange's rule.
    watch = Watch(follow_id, copy_amount=D(1000), take_profit="0.0001", stop_loss="0.0001")
    events: list[MonitorEvent] = []
    async with monitor(client, [watch], interval=0, rounds=5) as stream:
        async for event in stream:
            events.append(event)
            if isinstance(event, RoundCompleted) and event.round == 1:
                exchange.advance(600)
                await client.follows.stop(follow_id)
    assert [r.round for r in of(RoundCompleted, events)] == [1, 2, 3]  # then nothing to watch
    closed = of(PositionClosed, events)
    assert {e.round for e in closed} == {2}
    assert all(e.realized_pnl is None for e in closed)  # the history could not say, that round
    [failed] = of(WatchFailed, events)
    assert failed.round == 2 and isinstance(failed.error, APIError)
    [stopped] = of(FollowEnded, events)
    assert stopped.round == 3 and stopped.inferred
    assert stopped.realized_pnl == exchange.follow_info(follow_id).realized_pnl != 0
    assert stopped.reason == ("take_profit" if stopped.realized_pnl > 0 else "stop_loss")
    assert len(calls) == 3
    # Each round's snapshot: realised known after rounds 1 and 3, the last read kept in round 2.
    snapshots = [r.pnl for r in of(RoundCompleted, events)]
    assert [len(s) for s in snapshots] == [1, 1, 1]
    assert snapshots[0][0].realized_pnl == 0 and snapshots[0][0].open_positions > 0
    assert snapshots[1][0].realized_pnl == 0 and snapshots[1][0].open_positions == 0
    assert snapshots[2][0].realized_pnl == stopped.realized_pnl


async def test_a_rule_that_closes_the_follow_is_reported_as_the_exchange_said(
    make_client: MakeClient,
) -> None:
    client = make_client(seed=11, traders=60)
    exchange = client.exchange
    ids = open_follows(exchange, traders_with_positions(exchange)[:10])
    seen: list[FollowEvent] = []

    class Spy:
        async def __call__(self, event: FollowEvent, client: Any) -> RuleAction | None:
            seen.append(event)
            return None

    # Lowering the take-profit to 0.001 % of the copy amount closes a follow in profit at once.
    rules = (LockInProfitsRule(trigger="0.01", take_profit="0.001"), Spy())
    events = await collect(
        monitor(client, ids, interval=0, rounds=6, rules=rules, thresholds=("0.01",)),
        advance=exchange.advance,
        step=300,
    )
    ended = of(FollowEnded, events)
    assert ended
    for event in ended:
        assert (event.reason, event.inferred) == ("settings_update", False)
        info = exchange.follow_info(event.follow_id)
        assert (info.status, info.stop_reason) == ("stopped", "take_profit")
        assert event in seen  # rules are shown it too
        later = [e for e in events if getattr(e, "follow_id", None) == event.follow_id]
        assert all(e.round <= event.round for e in later)


async def test_each_round_carries_each_follows_pnl_as_the_exchanges_books_say(
    make_client: MakeClient,
) -> None:
    client = make_client(seed=11, traders=60)
    exchange = client.exchange
    ids = open_follows(exchange, traders_with_positions(exchange)[:6], D(1000))
    # TP/SL far away: nothing stops, so every follow is in every round's snapshot.
    watches = [Watch(f, copy_amount=D(1000), take_profit=D(1000), stop_loss=D(100)) for f in ids]
    checked = 0
    # One round per monitor, the clock moved between them: the books below are those of the
    # moment of the polls.
    for _ in range(6):
        [done] = of(RoundCompleted, await collect(monitor(client, watches, interval=0, rounds=1)))
        assert [s.follow_id for s in done.pnl] == ids  # in the order given
        for snapshot in done.pnl:
            info = exchange.follow_info(snapshot.follow_id)
            wire = exchange.positions(SANDBOX_API_KEY, snapshot.follow_id)
            unrealized = sum((D(str(p["unrealizedPnl"])) for p in wire), D(0))
            assert snapshot.realized_pnl == info.realized_pnl
            assert snapshot.unrealized_pnl == unrealized
            assert snapshot.open_positions == info.open_positions == len(wire)
            expected = (100 * (info.realized_pnl + unrealized) / 1000).quantize(D("0.01"))
            assert snapshot.pnl_percent == expected
            assert snapshot.total_pnl == info.realized_pnl + unrealized
            checked += 1
        exchange.advance(1800)
    assert checked == 36
    assert any(exchange.follow_info(f).realized_pnl for f in ids)  # trades did close


async def test_a_closed_position_reports_its_realised_result(make_client: MakeClient) -> None:
    client = make_client(seed=11, traders=60)
    exchange = client.exchange
    ids = open_follows(exchange, traders_with_positions(exchange)[:6], D(1000))
    watches = [Watch(f, copy_amount=D(1000), take_profit=D(1000), stop_loss=D(100)) for f in ids]
    events = await collect(
        monitor(client, watches, interval=0, rounds=10), advance=exchange.advance, step=900
    )
    closed = of(PositionClosed, events)
    assert closed
    for event in closed:
        # The closed trades of the history for this position, matched here by hand.
        p = event.position
        trades = [
            o
            for o in await client.history.list(event.follow_id).collect()
            if (o.symbol, o.entry_price, o.create_time) == (p.symbol, p.entry_price, p.create_time)
            and o.status == "closed"
        ]
        assert trades and event.realized_pnl == sum((o.profit for o in trades), D(0))
    assert any(e.realized_pnl != e.position.unrealized_pnl for e in closed)  # not its last sight
    # A crossing reports the percentage of its poll, as its round's snapshot does.
    snapshots = {(r.round, s.follow_id): s for r in of(RoundCompleted, events) for s in r.pnl}
    for crossed in of(PnlThresholdCrossed, events):
        snapshot = snapshots[crossed.round, crossed.follow_id]
        assert crossed.pnl_percent == snapshot.pnl_percent
        assert crossed.realized_pnl == snapshot.realized_pnl
        assert crossed.unrealized_pnl == snapshot.unrealized_pnl


async def test_the_realised_pnl_keeps_what_the_history_forgets_and_reads_only_news(
    make_client: MakeClient,
) -> None:
    """With a sandbox that forgets trades after 2.4 hours, twelve hours of rounds half an hour
    apart: each snapshot's realised PnL is still the sandbox's books (every trade ever closed),
    because the monitor adds up what it read before instead of reading the whole history
    again (which said 15.22 where the books said 61.33: a trade of 46.11 forgotten); after
    round 1 a history read asks only for trades closed since the last one (``start_time``)."""
    client = make_client(seed=11, traders=60, history_retention_days=0.1)
    exchange = client.exchange
    ids = open_follows(exchange, traders_with_positions(exchange)[:4], D(1000))
    watches = [Watch(f, copy_amount=D(1000), take_profit=D(1000), stop_loss=D(100)) for f in ids]
    inner = client.history
    starts: list[Any] = []

    class CountingHistory:
        def list(self, follow_id: str, **kwargs: Any) -> Any:
            starts.append(kwargs.get("start_time"))
            return inner.list(follow_id, **kwargs)

    client.history = CountingHistory()  # type: ignore[assignment]
    forgotten = False
    async with monitor(client, watches, interval=0, rounds=24) as stream:
        async for event in stream:
            if not isinstance(event, RoundCompleted):
                continue
            for snapshot in event.pnl:
                assert (
                    snapshot.realized_pnl == exchange.follow_info(snapshot.follow_id).realized_pnl
                )
                whole = await inner.list(snapshot.follow_id).collect()
                kept = sum((o.profit for o in whole if o.status == "closed"), D(0))
                forgotten = forgotten or kept != snapshot.realized_pnl
            exchange.advance(1800)
    assert forgotten  # the sandbox did forget trades the monitor still counts
    assert starts[: len(ids)] == [None] * len(ids)  # round 1 reads each whole history
    assert len(starts) > len(ids) and all(s is not None for s in starts[len(ids) :])


async def test_a_position_closed_in_trades_read_apart_reports_them_all() -> None:
    """Position P closes in two trades: the first is read when Q closes (P still open), the
    second when P closes. P's ``PositionClosed`` gives both, Q's its own, the realised PnL all
    three; after round 1 the history is asked for what closed since its last read."""
    p = {**POSITION}
    q = {**POSITION, "symbol": "ETHUSDT", "entryPrice": "2000", "createTime": 1621441760000}
    p_first = {**ORDER, "orderId": "1", "profit": "10", "closeTime": 1621441800000}
    q_only = {
        **ORDER,
        "orderId": "2",
        "symbol": "ETHUSDT",
        "entryPrice": "2000",
        "createTime": 1621441760000,
        "profit": "5",
    }
    p_last = {**ORDER, "orderId": "3", "profit": "20", "closeTime": 1621441900000}
    positions = [[p, q], [p], []]
    histories = [[], [p_first, q_only], [p_last, p_first]]  # the overlap shows p_first again
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get(f"{PREFIX}/positions").mock(side_effect=[ok(x) for x in positions])
        history = mock.get(f"{PREFIX}/history").mock(
            side_effect=[ok(page(x, total_page=1, current=1)) for x in histories]
        )
        async with root_make_client() as client:
            events = await collect(monitor(client, ["F"], interval=0, rounds=3))
    closed = {e.position.symbol: e.realized_pnl for e in of(PositionClosed, events)}
    assert closed == {"ETHUSDT": D(5), "BTCUSDT": D(30)}
    assert [s.realized_pnl for r in of(RoundCompleted, events) for s in r.pnl] == [0, 15, 35]
    starts = [call.request.url.params.get("startTime") for call in history.calls]
    assert starts[0] is None and None not in starts[1:]
