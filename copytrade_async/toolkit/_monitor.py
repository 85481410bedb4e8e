"""Watching many follows at once, within the rate limit, as a stream of events: the spec's
``monitor_copy_performance`` for many follows (``docs/best-practices.md`` compares the two).

::

    async with monitor(client, portfolio.watches(), rules=(ReduceRiskRule(),)) as events:
        async for event in events:
            print(event)

**Rounds and the rate.** A round polls ``follows.positions`` once for every watched follow, up to
``concurrency`` at a time. Request starts are paced (a token bucket holding 10 ms worth) at ``rate *
rate_share`` per second, where ``rate`` is the lowest of ``max_rate`` and the client's configured
copy-trading and global limits (5/s, Bitget's documented copy-trade limit, when neither says). So a
round of ``n`` follows takes at least ``n / (rate * rate_share)`` seconds, and rounds start
``max(interval, n / (rate * rate_share))`` apart; after a round in which a poll failed, the next one
starts ``retry_interval`` (5 s, the spec's wait after an error) later instead, if that is sooner and
the rate allows it. A follow's history is read (page by page, each page paced like a poll) in its
first poll and in every poll that sees a position close, so round 1, and a round in which positions
close, take longer. Only the first read walks the whole history; later ones ask for what closed
since the last read (``start_time``, a minute of overlap, each trade counted once by its order id),
so they cost what is new, usually one page. The share left over is headroom for rule updates, which
the client's own limiter paces. :class:`RoundCompleted` closes each round: every event of a round
comes before it, and it carries each polled follow's PnL (:class:`FollowPnl`).

**What is reported.** Positions that appear (:class:`PositionOpened`; those already open when
watching starts are reported in round 1) or vanish (:class:`PositionClosed`, with the realised
result the history shows for it), the follow's PnL % crossing a threshold
(:class:`PnlThresholdCrossed`), a failed poll or history read (:class:`WatchFailed`: the follow
stays watched, the others are not affected), and a stopped follow (:class:`FollowEnded`), after
which it is no longer polled.

**PnL, realised and unrealised.** Realised PnL is the profit of the follow's closed trades (its
history, added up read by read: a trade the exchange stops listing, as it does after its retention
period, stays counted); unrealised PnL that of its open positions. By default
(``pnl_basis="copy_amount"``) PnL % is ``100 * (realised + unrealised) / copy_amount``: the measure
the exchange applies the follow's take-profit and stop-loss to. A position closing moves its result
from one part to the other, so the percentage does not jump when a loser closes. It needs the copy
amount (pass :class:`Watch` records, e.g. ``portfolio.watches()``); for a bare follow id, and with
``pnl_basis="margin"`` or ``"notional"``, PnL % is that of the open positions alone (unrealised PnL
over their margin or notional value, see :func:`pnl_percent`), which does move when a position
closes.

**How "stopped by TP/SL" is detected, and what is inferred.** The seven endpoints have no follow
status to read, and a stopped follow's positions simply come back empty, just as those of a
follow whose trader has closed everything. So the monitor infers: when every position of a
follow vanishes between two polls, it reads the follow's history and sums the profit of its
closed trades (its realized PnL since it started). If that total is at or past the take-profit
or stop-loss the monitor was given (percent of the copy amount, the exchange's rule), or the
whole copy amount is lost, the exchange must have stopped the follow: a
``FollowEnded(inferred=True)`` is reported with the reason. Nothing is inferred without the
copy amount and TP/SL (pass :class:`Watch` records, e.g. ``portfolio.watches()``), and a follow
that opens and is stopped between two polls, or was stopped before watching began, is not seen
as stopped. When a rule's ``follows.update`` answers ``status: stopped``, that is the exchange's
word: ``FollowEnded(reason="settings_update", inferred=False)``.

**Stopping.** Leaving the ``async with`` block (or cancelling the task) cancels every poll at
once; no task outlives the block. The stream ends by itself after ``rounds`` rounds, if given,
or once every follow has stopped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING

import anyio
import attrs
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .. import Amount, FollowStatus, check_id, check_whole, to_decimal
from ._events import (
    FollowEnded,
    FollowPnl,
    MonitorEvent,
    PnlThresholdCrossed,
    RoundCompleted,
    RuleFailed,
    RuleFired,
    Watch,
    WatchFailed,
)
from ._follow_poll import FollowPoller, FollowState
from ._pacing import Pacer, polling_rate
from ._pnl import PnlBasis, check_basis
from ._rules import Rule, rule_name

if TYPE_CHECKING:
    from .. import AsyncCopyTradeClient

__all__ = ["DEFAULT_THRESHOLDS", "Monitor", "monitor"]

DEFAULT_THRESHOLDS = (Decimal("-10"), Decimal("30"))
SendStream = MemoryObjectSendStream[MonitorEvent]


@attrs.define
class _Round:
    """One round of polls: what they share, and what they found."""

    round: int
    pacer: Pacer
    slots: anyio.Semaphore
    failed: list[str] = attrs.field(factory=list)
    pnl: dict[str, FollowPnl] = attrs.field(factory=dict)


class Monitor:
    """The running watch; use as ``async with monitor(...) as events: async for ...``."""

    def __init__(
        self,
        client: AsyncCopyTradeClient,
        watches: Sequence[Watch],
        *,
        interval: float,
        rules: Sequence[Rule],
        thresholds: Sequence[Decimal],
        rate: float,
        concurrency: int,
        rounds: int | None,
        buffer: int,
        retry_interval: float,
        pnl_basis: PnlBasis,
    ) -> None:
        self._client = client
        self._retry_interval = retry_interval
        self._pnl_basis = pnl_basis
        self._states = {w.follow_id: FollowState(w) for w in watches}
        self._poller = FollowPoller(client, tuple(thresholds), pnl_basis)
        self._interval = interval
        self._rules = tuple(rules)
        self._thresholds = tuple(thresholds)
        self._rate = rate
        self._concurrency = concurrency
        self._rounds = rounds
        self._buffer = buffer
        self._group: TaskGroup | None = None
        self._receive: MemoryObjectReceiveStream[MonitorEvent] | None = None

    @property
    def rate(self) -> float:
        """Poll starts per second."""
        return self._rate

    @property
    def watching(self) -> tuple[str, ...]:
        """The follow ids still watched (a stopped follow is dropped)."""
        return tuple(fid for fid, state in self._states.items() if not state.stopped)

    @property
    def round_interval(self) -> float:
        """Seconds between round starts for the follows watched now."""
        return max(self._interval, len(self.watching) / self._rate)

    def _next_round_after(self, failures: int) -> float:
        """Seconds from a round's start to the next one's: sooner after a failure, as the spec
        retries after 5 s, but never faster than the rate allows."""
        interval = self.round_interval
        if not failures:
            return interval
        return min(interval, max(self._retry_interval, len(self.watching) / self._rate))

    async def __aenter__(self) -> Monitor:
        if self._group is not None:
            raise RuntimeError("a monitor can be entered only once")
        send, self._receive = anyio.create_memory_object_stream[MonitorEvent](self._buffer)
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group = group
        group.start_soon(self._run, send)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        group, receive = self._group, self._receive
        if group is None or receive is None:
            return None
        group.cancel_scope.cancel()
        try:
            if exc is None or isinstance(exc, anyio.get_cancelled_exc_class()):
                return await group.__aexit__(exc_type, exc, tb)
            # The consumer's own error: stop the polls, and let it propagate as it is rather
            # than wrapped in an ExceptionGroup.
            await group.__aexit__(None, None, None)
            return None
        finally:
            receive.close()

    def __aiter__(self) -> Monitor:
        return self

    async def __anext__(self) -> MonitorEvent:
        if self._receive is None:
            raise RuntimeError("use the monitor as `async with monitor(...) as events:`")
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    # -- the polling loop ---------------------------------------------------------------------

    async def _run(self, send: SendStream) -> None:
        # 10 ms worth of polls may catch up at once (1 below 100/s): far below any server burst.
        pacer = Pacer(self._rate, max(1, int(self._rate / 100)))
        slots = anyio.Semaphore(self._concurrency)
        round_no = 0
        next_start = anyio.current_time()
        async with send:
            while self.watching and (self._rounds is None or round_no < self._rounds):
                now = anyio.current_time()
                if next_start > now:
                    await anyio.sleep(next_start - now)
                start = anyio.current_time()
                round_no += 1
                states = [self._states[fid] for fid in self.watching]
                polled = _Round(round_no, pacer, slots)
                async with anyio.create_task_group() as group:
                    for state in states:
                        await slots.acquire()
                        await pacer.wait()
                        group.start_soon(self._poll, state, polled, send)
                interval = self._next_round_after(len(polled.failed))
                pnl = tuple(
                    polled.pnl[s.watch.follow_id] for s in states if s.watch.follow_id in polled.pnl
                )
                await send.send(
                    RoundCompleted(round_no, len(states), len(polled.failed), interval, pnl)
                )
                next_start = start + interval

    async def _poll(self, state: FollowState, polled: _Round, send: SendStream) -> None:
        follow_id = state.watch.follow_id
        round_no = polled.round
        try:
            events, polled.pnl[follow_id] = await self._poller.check(state, round_no, polled.pacer)
        except Exception as exc:
            events = [WatchFailed(follow_id, round_no, exc)]
        finally:
            polled.slots.release()
        if any(isinstance(event, WatchFailed) for event in events):
            polled.failed.append(follow_id)
        for event in events:
            if isinstance(event, PnlThresholdCrossed):
                # What an earlier rule of this poll changed is known to the next one.
                event = attrs.evolve(event, watch=state.watch)
            await send.send(event)
            await self._apply_rules(state, event, send)

    async def _apply_rules(self, state: FollowState, event: MonitorEvent, send: SendStream) -> None:
        if isinstance(event, RuleFired | RuleFailed | RoundCompleted):
            return
        follow_id = state.watch.follow_id
        for rule in self._rules:
            name = rule_name(rule)
            try:
                action = await rule(event, self._client)
            except Exception as exc:
                await send.send(RuleFailed(follow_id, event.round, name, exc, event))
                continue
            if action is None:
                continue
            if action.settings is not None:
                state.watch = state.watch.with_settings(action.settings)
            await send.send(RuleFired(follow_id, event.round, name, action, event))
            settings = action.settings
            if (
                settings is not None
                and settings.status == FollowStatus.STOPPED
                and not state.stopped
            ):
                state.stopped = True
                ended = FollowEnded(follow_id, event.round, "settings_update", None, False)
                await send.send(ended)
                await self._apply_rules(state, ended, send)  # once: it is stopped now


def monitor(
    client: AsyncCopyTradeClient,
    follows: Iterable[str | Watch],
    *,
    interval: float = 60.0,
    rules: Sequence[Rule] = (),
    thresholds: Iterable[Amount] = DEFAULT_THRESHOLDS,
    max_rate: float | None = None,
    rate_share: float = 0.8,
    concurrency: int = 32,
    rounds: int | None = None,
    buffer: int = 256,
    retry_interval: float = 5.0,
    pnl_basis: PnlBasis = "copy_amount",
) -> Monitor:
    """Watch ``follows`` (ids, or :class:`Watch` records with the TP/SL they were given).

    ``interval`` is the wanted seconds between rounds (stretched to fit the rate, see the module
    docs); ``thresholds`` are PnL percentages (Decimal, int or str); ``rules`` react to events;
    ``max_rate`` caps the polls per second below what the client's limiter allows, and
    ``rate_share`` (0 < share <= 1) is the part of that rate polling may use. ``rounds`` ends the
    stream after that many rounds. ``buffer`` events may wait for the consumer; after that,
    polling waits for it. After a round with a failed poll the next starts ``retry_interval``
    seconds later (when that is sooner). ``pnl_basis`` is what PnL % is a percentage of:
    ``"copy_amount"`` (the default: realised plus unrealised PnL against the watch's copy
    amount, as the exchange's TP/SL), or, over the open positions only, ``"margin"`` or
    ``"notional"`` (the spec's ``entry_price * size``, see ``docs/best-practices.md``).
    """
    watches: dict[str, Watch] = {}
    for item in follows:
        watch = item if isinstance(item, Watch) else Watch(check_id("follow_id", item))
        watches.setdefault(watch.follow_id, watch)
    for name, seconds in (("interval", interval), ("retry_interval", retry_interval)):
        if not (isinstance(seconds, int | float) and seconds >= 0 and math.isfinite(seconds)):
            raise ValueError(f"{name} must be a finite number of seconds >= 0, got {seconds!r}")
    check_whole("concurrency", concurrency)
    check_whole("buffer", buffer, 0)
    if rounds is not None:
        check_whole("rounds", rounds, None)
    rate = polling_rate(client, max_rate, rate_share)
    levels = sorted({to_decimal("threshold", t) for t in thresholds})
    return Monitor(
        client,
        list(watches.values()),
        interval=float(interval),
        rules=rules,
        thresholds=levels,
        rate=rate,
        concurrency=concurrency,
        rounds=rounds,
        buffer=buffer,
        retry_interval=float(retry_interval),
        pnl_basis=check_basis(pnl_basis),
    )
