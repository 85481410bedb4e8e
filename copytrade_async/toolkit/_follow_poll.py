"""One poll of one follow: its positions, its realised PnL when due, and the events they make.

The monitor (``_monitor``) runs the rounds, the pace and the rules; this module says what one
poll of one follow finds (see :func:`~copytrade_async.toolkit.monitor` for what is reported,
and ``_pnl`` for the arithmetic).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from .. import Position
from ._events import (
    FollowEnded,
    FollowEvent,
    FollowPnl,
    PositionClosed,
    PositionOpened,
    Watch,
    WatchFailed,
)
from ._pacing import Pacer
from ._pnl import (
    PnlBasis,
    PositionBasis,
    PositionKey,
    diff_positions,
    follow_pnl_percent,
    infer_stop_reason,
    is_closed,
    pnl_percent,
    position_key,
    realized_pnl,
    threshold_events,
)

if TYPE_CHECKING:
    from .. import AsyncCopyTradeClient

__all__ = ["OVERLAP", "FollowPoller", "FollowState"]

#: How far back of the last read's time a history read starts: trades that closed just before
#: it but were not listed yet are read then (each is counted once, by its order id).
OVERLAP = timedelta(minutes=1)


@attrs.define
class FollowState:
    """What the monitor knows of one follow between two polls."""

    watch: Watch
    positions: dict[PositionKey, Position] = attrs.field(factory=dict)
    percent: Decimal | None = None
    stopped: bool = False
    #: Every position vanished and the history has not been read yet to tell why.
    unexplained: bool = False
    #: The profit of the follow's closed trades, as counted so far (None before the first read).
    realized: Decimal | None = None
    #: The history must be read: at the start, and after a position closed.
    history_due: bool = True
    #: The server's time of the last history read: the next reads only what closed since then
    #: (less :data:`OVERLAP`). None: read the whole history.
    history_since: datetime | None = None
    #: The closed trades counted that a read from ``history_since - OVERLAP`` may show again,
    #: by order id, with their close times: counted once however often they are read.
    counted: dict[str, datetime] = attrs.field(factory=dict)
    #: What the trades counted so far made for each position still open (a position may close
    #: in several trades, read in different reads); given out when the position closes.
    made: dict[PositionKey, Decimal] = attrs.field(factory=dict)


@attrs.frozen
class FollowPoller:
    """Polls one follow at a time for the monitor: its client, thresholds and PnL basis."""

    client: AsyncCopyTradeClient
    thresholds: tuple[Decimal, ...]
    pnl_basis: PnlBasis

    async def check(
        self, state: FollowState, round_no: int, pacer: Pacer
    ) -> tuple[list[FollowEvent], FollowPnl]:
        watch = state.watch
        follow_id = watch.follow_id
        positions = await self.client.follows.positions(follow_id)
        current, opened, closed = diff_positions(state.positions, positions)
        events: list[FollowEvent] = [PositionOpened(follow_id, round_no, p) for p in opened]
        if closed:
            state.history_due = True
        if state.positions and not current:
            state.unexplained = True  # every position vanished: stopped, or just flat?
        elif current:
            state.unexplained = False
        state.positions = current
        results: dict[PositionKey, Decimal] = {}
        history_error: Exception | None = None
        if state.history_due:
            try:
                await self._read_history(state, pacer, {position_key(p) for p in closed})
            except Exception as exc:  # the positions' events still count; retried next round
                history_error = exc
            else:
                state.history_due = False
                made = state.made
                results = {
                    k: v for k in map(position_key, closed) if (v := made.get(k)) is not None
                }
                # What open positions made is kept for when they close; nothing else.
                state.made = {key: made[key] for key in current if key in made}
        events += [
            PositionClosed(follow_id, round_no, p, results.get(position_key(p))) for p in closed
        ]
        # The history is read just after the positions: a position that closes in between is
        # counted in both until the next poll (the sandbox's clock moves only between rounds).
        unrealized = sum((p.unrealized_pnl for p in positions), Decimal(0))
        percent = self._percent(watch, positions, state.realized, unrealized)
        if percent is not None or self.pnl_basis != "copy_amount" or watch.copy_amount is None:
            events += threshold_events(
                watch, round_no, state.percent, percent, self.thresholds, state.realized, unrealized
            )
            state.percent = percent
        snapshot = FollowPnl(
            follow_id, state.realized, unrealized, state.percent, len(positions), watch.copy_amount
        )
        if history_error is not None:
            events.append(WatchFailed(follow_id, round_no, history_error))
        elif state.unexplained and state.realized is not None and watch.copy_amount is not None:
            state.unexplained = False
            reason = infer_stop_reason(watch, state.realized)
            if reason is not None:
                state.stopped = True
                events.append(
                    FollowEnded(follow_id, round_no, reason, state.realized, inferred=True)
                )
        return events, snapshot

    async def _read_history(
        self, state: FollowState, pacer: Pacer, closed: Collection[PositionKey]
    ) -> None:
        """Add the follow's closed trades not counted yet to its realised PnL, and to what its
        positions (open, or closed since the last poll) made. The first read walks the whole
        history; later ones only what closed since the last (``start_time``), so a read costs
        what is new, and trades the exchange no longer lists stay counted. Page by page, each
        page's request taking a slot of the monitor's pace; ``state`` changes only once the
        whole walk succeeded."""
        since = state.history_since
        counted = dict(state.counted)
        added = Decimal(0)
        wanted = {*state.positions, *closed}
        made = dict(state.made)
        server_time: datetime | None = None
        walk = self.client.history.list(
            state.watch.follow_id, start_time=None if since is None else since - OVERLAP
        )
        await pacer.wait()
        async for page in walk.pages():
            server_time = server_time or page.request_time
            news = [o for o in page.items if is_closed(o) and o.order_id not in counted]
            for order in news:
                counted[order.order_id] = order.close_time or order.create_time
            page_total, page_made = realized_pnl(news, wanted)
            added += page_total
            for key, profit in page_made.items():
                made[key] = made.get(key, Decimal(0)) + profit
            if page.current_page < page.total_page:
                await pacer.wait()  # for the next page
        if server_time is None:  # a server that does not say its time: the newest trade's
            server_time = max(counted.values(), default=since)
        state.realized = (state.realized or Decimal(0)) + added
        state.history_since = server_time
        if server_time is not None:  # forget what no later read can show again
            cutoff = server_time - OVERLAP
            counted = {order_id: at for order_id, at in counted.items() if at >= cutoff}
        state.counted = counted
        state.made = made

    def _percent(
        self,
        watch: Watch,
        positions: Sequence[Position],
        realized: Decimal | None,
        unrealized: Decimal,
    ) -> Decimal | None:
        """The PnL % the thresholds are checked against (see ``pnl_basis`` on :func:`monitor`)."""
        if self.pnl_basis == "copy_amount" and watch.copy_amount is not None:
            if realized is None:
                return None  # not known this round: no crossing, the last measure stands
            return follow_pnl_percent(realized + unrealized, watch.copy_amount)
        basis: PositionBasis = "notional" if self.pnl_basis == "notional" else "margin"
        return pnl_percent(positions, basis)
