"""One poll of one follow: its positions, its realised PnL when due, and the events they make.

The monitor (``_monitor``) runs the rounds, the pace and the rules; this module says what one
poll of one follow finds (see :func:`~copytrade_async.toolkit.monitor` for what is reported,
and ``_pnl`` for the arithmetic).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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
    pnl_percent,
    position_key,
    realized_pnl,
    threshold_events,
)

if TYPE_CHECKING:
    from .. import AsyncCopyTradeClient

__all__ = ["FollowPoller", "FollowState"]


@attrs.define
class FollowState:
    """What the monitor knows of one follow between two polls."""

    watch: Watch
    positions: dict[PositionKey, Position] = attrs.field(factory=dict)
    percent: Decimal | None = None
    stopped: bool = False
    #: Every position vanished and the history has not been read yet to tell why.
    unexplained: bool = False
    #: The profit of the follow's closed trades, as last read (None before the first read).
    realized: Decimal | None = None
    #: The history must be read: at the start, and after a position closed.
    history_due: bool = True


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
                wanted = {position_key(p) for p in closed}
                state.realized, results = await self._read_history(follow_id, pacer, wanted)
            except Exception as exc:  # the positions' events still count; retried next round
                history_error = exc
            else:
                state.history_due = False
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
        self, follow_id: str, pacer: Pacer, wanted: Collection[PositionKey]
    ) -> tuple[Decimal, dict[PositionKey, Decimal]]:
        """The follow's realised PnL and what each ``wanted`` position made, from its whole
        history, page by page; each page's request takes a slot of the monitor's pace."""
        total = Decimal(0)
        results: dict[PositionKey, Decimal] = {}
        await pacer.wait()
        async for page in self.client.history.list(follow_id).pages():
            page_total, page_results = realized_pnl(page.items, wanted)
            total += page_total
            for key, profit in page_results.items():
                results[key] = results.get(key, Decimal(0)) + profit
            if page.current_page < page.total_page:
                await pacer.wait()  # for the next page
        return total, results

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
